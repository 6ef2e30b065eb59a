"""The audit as one self-contained HTML file: summary, unknowns, exclusions, and per grouping and
measure a plot (rates with intervals; impact ratios against the four-fifths line) and its table.

Plots are drawn on :class:`matplotlib.figure.Figure` objects (no pyplot, no global backend) and
embedded as base64 PNGs; the file is written to a temporary name and renamed.
"""

from __future__ import annotations

import base64
import html
import io
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from recsys.fairness.report import AuditReport

COLOURS = {"flagged": "#c0392b", "four_fifths": "#e67e22", "excluded": "#aaaaaa", "ok": "#2e86c1"}
SHOWN = {
    "category": "category",
    "n": "pairs",
    "hits": "hits",
    "rate": "rate",
    "ci_low": "CI low",
    "ci_high": "CI high",
    "share": "share",
    "impact_ratio": "impact ratio",
    "p_value": "p",
    "p_adjusted": "p adjusted",
    "status": "status",
}
_TESTS = {"fisher": "Fisher", "permutation": "candidate-level permutation"}
CSS = """
body{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222}
table{border-collapse:collapse;margin:.5em 0 1.5em;font-size:.9em}
th,td{border:1px solid #ccc;padding:.25em .6em;text-align:right}
th{background:#f3f3f3}td:first-child,th:first-child{text-align:left}
tr.flagged td{background:#fadbd8}tr.four_fifths td{background:#fdebd0}
tr.excluded td{color:#888}.note{background:#fef9e7;padding:.5em 1em;border-left:4px solid #f1c40f}
img{max-width:100%}code{background:#f3f3f3;padding:0 .2em}
"""


STATUS_TEXT = {
    "flagged": "flagged",
    "four_fifths": "under the line, not significant",
    "excluded": "excluded (small)",
    "reference": "reference",
    "ok": "ok",
}


def status(row: pd.Series) -> str:
    if row["excluded"]:
        return "excluded"
    if row["flagged"]:
        return "flagged"
    if row["four_fifths"]:
        return "four_fifths"
    return "reference" if row["reference"] else "ok"


def plot(rows: pd.DataFrame, title: str, threshold: float) -> str:
    """Rates with intervals and impact ratios of one grouping × measure, as a base64 PNG."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    n = len(rows)
    fig = Figure(figsize=(10, 1.2 + 0.28 * n), layout="constrained")
    FigureCanvasAgg(fig)
    left, right = fig.subplots(1, 2, sharey=True)
    y = np.arange(n)[::-1]
    states = rows.apply(status, axis=1)
    colours = [COLOURS.get(s, COLOURS["ok"]) for s in states]
    rate = rows["rate"].to_numpy(dtype=float)
    err = np.vstack([rate - rows["ci_low"].to_numpy(float), rows["ci_high"].to_numpy(float) - rate])
    err = np.clip(err, 0.0, None)
    left.barh(y, rate, color=colours, alpha=0.35)
    left.errorbar(rate, y, xerr=err, fmt="o", color="#333", ms=3, capsize=2, lw=1)
    left.set_yticks(y, rows["category"].astype(str).tolist())
    left.set_xlabel("rate (Wilson interval)")
    left.set_xlim(0, max(1e-9, float(np.nanmax(rows["ci_high"].to_numpy(float), initial=0))) * 1.1)
    ratio = rows["impact_ratio"].to_numpy(dtype=float)
    right.barh(y, np.nan_to_num(ratio), color=colours)
    right.axvline(threshold, color=COLOURS["flagged"], ls="--", lw=1)
    right.set_xlim(0, max(1.05, float(np.nanmax(ratio, initial=0)) * 1.05))
    right.set_xlabel(f"impact ratio (line: {threshold:g}; grey: excluded, no ratio)")
    fig.suptitle(title)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90)
    return base64.b64encode(buf.getvalue()).decode("ascii")


def _table(rows: pd.DataFrame) -> str:
    shown = rows.assign(status=rows.apply(status, axis=1))[list(SHOWN)].rename(columns=SHOWN)
    body = []
    for rec, state in zip(shown.to_dict("records"), shown["status"], strict=True):
        rec["status"] = STATUS_TEXT[state]
        cells = "".join(f"<td>{_cell(v)}</td>" for v in rec.values())
        body.append(f'<tr class="{state}">{cells}</tr>')
    head = "".join(f"<th>{html.escape(c)}</th>" for c in shown.columns)
    return f"<table><tr>{head}</tr>{''.join(body)}</table>"


def _cell(value: object) -> str:
    if isinstance(value, float | np.floating):
        if not np.isfinite(value):
            return "–"
        return f"{value:.3g}" if abs(value) < 1e-3 and value != 0 else f"{value:.3f}"
    return html.escape(str(value))


def _records(frame: pd.DataFrame) -> str:
    if frame.empty:
        return "<p>none</p>"
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in frame.columns)
    body = "".join(
        "<tr>" + "".join(f"<td>{_cell(v)}</td>" for v in row) + "</tr>"
        for row in frame.itertuples(index=False)
    )
    return f"<table><tr>{head}</tr>{body}</table>"


def render(report: AuditReport) -> str:
    p, s = report.params, report.summary
    t = report.table
    threshold = p["threshold"]
    picked = "" if s["selected"] is None else f" ({s['selected']:,} pairs)"
    parts = [
        "<!doctype html><html><head><meta charset='utf-8'><title>Adverse-impact audit</title>",
        f"<style>{CSS}</style></head><body><h1>Adverse-impact audit</h1>",
        f"<p>Scores: <code>{html.escape(str(p['scores']))}</code>; groups: "
        f"<code>{html.escape(str(p['groups']))}</code>; written "
        f"{datetime.now(UTC).isoformat(timespec='seconds')}.</p>",
        f"<p>{s['pairs']:,} scored pairs, {s['roles']:,} roles, {s['candidates']:,} candidates; "
        f"selected: {'top ' + str(p['k']) + ' per role' if p['k'] else 'the selected column'}"
        f"{picked}; applicants: "
        f"{'the scored rows' if p['pool'] == 'scores' else 'every groups row, for every role'}. "
        f"Flag: impact ratio &lt; {threshold:g} <b>and</b> {_TESTS[p.get('test', 'fisher')]} p "
        f"({p['adjust']}) &lt; {p['alpha']:g}; categories under {p['min_share']:.0%} of the pairs "
        "get no ratio.</p>",
    ]
    flagged = t[t["flagged"]]
    summary = [
        f"<li><b>{len(flagged)}</b> flagged; {int(t['four_fifths'].sum())} under "
        f"{threshold:g} before the exact test.</li>"
    ]
    for measure in dict.fromkeys(t["measure"]):
        low = report.min_impact_ratio(measure)
        if low is not None:
            summary.append(
                f"<li>lowest {measure} impact ratio: {low['impact_ratio']:.3f} "
                f"({html.escape(low['grouping'])}: {html.escape(str(low['category']))})</li>"
            )
    for _, row in flagged.iterrows():
        summary.append(
            f"<li class='flagged'>flagged: {row['measure']} rate of "
            f"{html.escape(row['grouping'])} = {html.escape(str(row['category']))}, ratio "
            f"{row['impact_ratio']:.3f}, p adjusted {row['p_adjusted']:.2g}</li>"
        )
    parts.append(f"<h2>Summary</h2><ul>{''.join(summary)}</ul>")
    parts += [f"<p class='note'>{html.escape(n)}</p>" for n in report.notes]
    unknown = report.unknown.drop(columns="attributes", errors="ignore")
    parts.append("<h2>Unknown demographics</h2>" + _records(unknown))
    parts.append(
        f"<h2>Excluded categories (under {p['min_share']:.0%})</h2>"
        + _records(report.excluded().rename(columns={"n": "pairs"}))
    )
    for grouping in dict.fromkeys(t["grouping"]):
        parts.append(f"<h2>{html.escape(grouping)}</h2>")
        for measure in dict.fromkeys(t["measure"]):
            rows = t[(t["grouping"] == grouping) & (t["measure"] == measure)]
            if rows.empty:
                continue
            title = f"{measure} rate by {grouping}"
            parts.append(f"<h3>{html.escape(title)}</h3>")
            parts.append(
                f"<img alt='{html.escape(title)}' src='data:image/png;base64,"
                f"{plot(rows, title, threshold)}'>"
            )
            parts.append(_table(rows))
    parts.append("</body></html>")
    return "\n".join(parts)


def write_html(report: AuditReport, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        tmp.write_text(render(report), "utf-8")
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()
    return path
