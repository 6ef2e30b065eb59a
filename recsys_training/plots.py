"""The figures a training run logs: NDCG@k curves, retention calibration, feature importance, and
for its audit pack NDCG@10 per scorer and the per-category metrics.

Every function returns a matplotlib ``Figure`` drawn through pyplot; the caller logs, saves, shows
or closes it.  Importing this module leaves the backend alone: a notebook keeps its inline backend
(``plt.show()`` renders the figure), a script on a machine without a display gets matplotlib's
headless fallback (Agg) and ``savefig`` works; ``MPLBACKEND`` overrides either.
"""

from __future__ import annotations

from collections.abc import Mapping

import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.figure import Figure

__all__ = [
    "ndcg_curve_figure",
    "calibration_figure",
    "importance_figure",
    "scorer_bars_figure",
    "per_category_figure",
]


def ndcg_curve_figure(curve: pd.DataFrame, title: str = "Test NDCG@k") -> Figure:
    """One line per scorer from :func:`recsys_training.evaluate.ndcg_curve` (rows = k)."""
    fig, ax = plt.subplots(figsize=(6, 4))
    for name in curve.columns:
        style = "--" if name == "oracle" else "-"
        ax.plot(curve.index, curve[name], style, marker="o", ms=3, label=name)
    ax.set_xlabel("k")
    ax.set_ylabel("NDCG@k (exponential gain)")
    ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    return fig


def calibration_figure(tables: Mapping[str, pd.DataFrame], horizon_days: float = 365.0) -> Figure:
    """Predicted vs Kaplan–Meier observed P(stay ≥ horizon) per decile, one series per model."""
    fig, ax = plt.subplots(figsize=(5, 5))
    ax.plot([0, 1], [0, 1], color="grey", lw=1, ls=":", label="perfect")
    for name, table in tables.items():
        ax.plot(table["predicted"], table["observed_km"], marker="o", label=name)
    ax.set_xlabel(f"predicted P(stay ≥ {horizon_days:g} days)")
    ax.set_ylabel("observed (Kaplan–Meier per decile)")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.set_title("Retention calibration (test hires)")
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    return fig


def importance_figure(
    importance: pd.Series, top: int = 25, title: str = "Feature importance (gain)"
) -> Figure:
    """Horizontal bars of the ``top`` most important features."""
    imp = importance.sort_values(ascending=True).tail(top)
    fig, ax = plt.subplots(figsize=(6, max(2.5, 0.28 * len(imp) + 1)))
    ax.barh(imp.index.astype(str), imp.to_numpy())
    ax.set_title(title)
    ax.set_xlabel(str(importance.name or "importance"))
    fig.tight_layout()
    return fig


def scorer_bars_figure(report: Mapping[str, object], metric: str = "ndcg@10") -> Figure:
    """``metric`` per scorer (ranker, simple models, baselines, oracle), one bar per evaluation of
    the report (``ranking``: applicants, ``ranking_pool``, ``ranking_text_only``)."""
    import numpy as np

    evals = {
        "applicants": "ranking",
        "pool (+ retrieved)": "ranking_pool",
        "text only": "ranking_text_only",
    }
    evals = {label: report[key] for label, key in evals.items() if key in report}
    scorers = [n for n in next(iter(evals.values()), {}) if n != "ranker_vs"]
    fig, ax = plt.subplots(figsize=(max(6, 1.1 * len(scorers) + 2), 4))
    width = 0.8 / max(len(evals), 1)
    x = np.arange(len(scorers))
    for i, (label, block) in enumerate(evals.items()):
        values = [float(block.get(s, {}).get(metric, np.nan)) for s in scorers]
        ax.bar(x + (i - (len(evals) - 1) / 2) * width, values, width, label=label)
    ax.set_xticks(x, scorers)
    ax.set_ylabel(f"{metric} (test period)")
    ax.set_ylim(0, 1.12)
    ax.set_title(f"Test {metric}: ranker vs simple models, baselines and oracle")
    ax.grid(axis="y", alpha=0.3)
    ax.legend(fontsize=8, ncol=len(evals), loc="upper center")
    fig.tight_layout()
    return fig


def per_category_figure(rows: pd.DataFrame, k: int = 10) -> Figure:
    """Per attribute (one row of panels) of the audit pack's per-category table: the ranker's
    NDCG@k within each category beside the oracle's when there is one, and the audit's selection
    rate with the four-fifths line (0.8 × the highest rate); small categories in grey."""
    import numpy as np

    attributes = list(dict.fromkeys(rows["attribute"]))
    tallest = int(rows.groupby("attribute").size().max()) if len(rows) else 1
    height = max(2.0, 0.4 * tallest + 1.2)
    fig, axes = plt.subplots(max(len(attributes), 1), 2, figsize=(10, height * len(attributes)))
    axes = np.atleast_2d(axes)
    for ax_row, attribute in zip(axes, attributes, strict=False):
        part = rows[rows["attribute"] == attribute].reset_index(drop=True)
        y = np.arange(len(part))
        small = part.get("small", pd.Series(False, index=part.index)).to_numpy(dtype=bool)
        ax = ax_row[0]
        series = [(f"ndcg@{k}", "ranker", "tab:blue")]
        if f"oracle_ndcg@{k}" in part:
            series.append((f"oracle_ndcg@{k}", "oracle", "tab:orange"))
        h = 0.8 / len(series)
        for i, (column, label, colour) in enumerate(series):
            values = pd.to_numeric(part[column], errors="coerce").to_numpy(dtype=float)
            ax.barh(
                y + (i - (len(series) - 1) / 2) * h,
                np.nan_to_num(values),
                h,
                color=colour,
                label=label,
            )
            for j in np.flatnonzero(np.isnan(values)):
                ax.text(0.01, y[j], "n/a (too few lists)", va="center", fontsize=7)
        ax.set_title(f"{attribute}: NDCG@{k} within the category", fontsize=10)
        ax = ax_row[1]
        rate = np.full(len(part), np.nan)
        if "selection_rate" in part:
            rate = pd.to_numeric(part["selection_rate"], errors="coerce").to_numpy(dtype=float)
        ax.barh(
            y, np.nan_to_num(rate), 0.6, color=["lightgrey" if s else "tab:blue" for s in small]
        )
        if np.isfinite(rate[~small]).any():
            ax.axvline(
                0.8 * np.nanmax(rate[~small]),
                color="red",
                ls="--",
                lw=1,
                label="0.8 × highest rate",
            )
        ax.set_title(f"{attribute}: selection rate (audit)", fontsize=10)
        for ax in ax_row:
            ax.set_yticks(y, part["category"].astype(str))
            ax.invert_yaxis()
            ax.grid(axis="x", alpha=0.3)
        ax_row[0].set_xlim(0, 1)
    handles = {}
    for ax in axes[0]:
        for handle, label in zip(*ax.get_legend_handles_labels(), strict=True):
            handles.setdefault(label, handle)
    fig.legend(handles.values(), handles.keys(), loc="upper right", ncol=3, fontsize=8)
    fig.suptitle(
        "Test period per category (grey: under 2% of pairs, no impact ratio)",
        x=0.02,
        ha="left",
        fontsize=10,
    )
    fig.tight_layout(rect=(0, 0, 1, 0.97))
    return fig
