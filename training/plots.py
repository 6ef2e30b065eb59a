"""The figures a training run logs: NDCG@k curves, retention calibration, feature importance.

Every function returns a matplotlib ``Figure`` (Agg backend, no display needed); the caller logs or
saves it.
"""

from __future__ import annotations

from collections.abc import Mapping

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

__all__ = ["ndcg_curve_figure", "calibration_figure", "importance_figure"]


def ndcg_curve_figure(curve: pd.DataFrame, title: str = "Test NDCG@k") -> Figure:
    """One line per scorer from :func:`training.evaluate.ndcg_curve` (rows = k)."""
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
