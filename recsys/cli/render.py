"""Tables the ``recsys`` commands print (rich), beside their ``--json`` output.

Tables fit the terminal (``$COLUMNS`` when the output is not one; 80 by default) and wrap long
cells instead of running past the edge; a word too long for its column is folded, never cut.  Every cell is plain text (a headline with ``[brackets]``
is printed as written, not read as markup).  Machine-readable output stays ``--json``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

__all__ = ["console", "table", "ranking_table", "reasons_text", "print_table"]


def console(stderr: bool = False) -> Console:
    """A console on the current stdout (or stderr): no syntax highlighting, no emoji codes."""
    return Console(stderr=stderr, highlight=False, emoji=False)


def _cell(value: Any, style: str = "") -> Text:
    if isinstance(value, Text):
        return value
    return Text("" if value is None else str(value), style=style)


def table(
    columns: Sequence[str | tuple[str, Mapping[str, Any]]],
    rows: Iterable[Sequence[Any]],
    *,
    title: str | None = None,
    caption: str | None = None,
) -> Table:
    """A table with ``columns`` (a name, or ``(name, Table.add_column keywords)``) and ``rows``."""
    out = Table(
        title=title,
        caption=caption,
        box=box.SIMPLE_HEAD,
        title_justify="left",
        caption_justify="left",
        show_edge=False,
        pad_edge=False,
    )
    for col in columns:
        name, kwargs = (col, {}) if isinstance(col, str) else col
        out.add_column(name, **{"overflow": "fold", **kwargs})  # never cut a cell short
    for row in rows:
        out.add_row(*(_cell(v) for v in row))
    return out


def print_table(*args: Any, **kwargs: Any) -> None:
    """:func:`table`, printed on stdout."""
    console().print(table(*args, **kwargs))


def reasons_text(row: Mapping[str, Any], top: int = 1) -> str:
    """A ranked row's reasons on a few short lines: required skills matched, the missing ones,
    verified credentials for the role's contracts, the largest feature contributions."""
    lines = []
    if "matched_skills" in row and row["matched_skills"] is not None:
        matched, missing = list(row["matched_skills"]), list(row["missing_skills"])
        lines.append(f"{len(matched)}/{len(matched) + len(missing)} required skills")
        if missing:
            more = f" (+{len(missing) - 3})" if len(missing) > 3 else ""
            lines.append("missing " + ", ".join(missing[:3]) + more)
        if len(row["verified_credentials"]):
            lines.append("verified " + ", ".join(list(row["verified_credentials"])[:2]))
    for f in list(row.get("top_features") or [])[:top]:
        lines.append(f"{f['contribution']:+.2f} {f['meaning']}")
    return "\n".join(lines)


def ranking_table(
    result: Any,
    id_col: str,
    *,
    headlines: Mapping[str, str] | None = None,
    title: str | None = None,
) -> Table:
    """A shortlist (``id_col="candidate_id"``: each candidate with its headline when known) or a
    roles-for answer (``"role_id"``: each role with its title), best first, with reasons; the
    caption names the model, encoder and time (``result.manifest``)."""
    frame = result.to_frame()
    headlines = headlines or {}
    rows = []
    for row in frame.to_dict("records"):
        if id_col == "candidate_id":
            who = Text(str(row["candidate_id"]))
            line = headlines.get(str(row["candidate_id"]))
        else:
            who = Text(str(row["role_id"]))
            line = row.get("title")
        if line:
            who.append("\n" + str(line), style="dim")
        rank = str(row["rank"])
        if "original_rank" in row and row["original_rank"] != row["rank"]:
            rank += f" (was {row['original_rank']})"
        rows.append(
            [
                rank,
                who,
                f"{row['score']:.3f}",
                f"{row['fit_probability']:.2f}",
                f"{row['retention']:.2f}",
                reasons_text(row),
            ]
        )
    m = result.manifest
    caption = (
        f"model {m.get('name')} v{m.get('version')} · encoder {m.get('encoder')} · {m.get('time')}"
    )
    meaning = m.get("scores", {})
    if meaning.get("fit_probability"):  # what the numbers are, under the table
        caption += f"\nP(fit): {meaning['fit_probability']}\nscore: {meaning['score']}"
    right = {"justify": "right", "no_wrap": True}
    columns = [
        ("#", right),
        ("candidate" if id_col == "candidate_id" else "role", {"min_width": 12}),
        ("score", right),
        ("P(fit)", right),
        ("stay 12m", right),
        ("why", {"min_width": 20}),
    ]
    return table(columns, rows, title=title, caption=caption)
