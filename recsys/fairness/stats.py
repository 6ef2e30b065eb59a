"""Intervals and exact tests for rates: Wilson intervals, Fisher's exact test, Holm's adjustment.

Wilson's interval is the closed form, vectorised over categories (the same numbers as
``scipy.stats.binomtest(x, n).proportion_ci(method="wilson")``, which takes one rate at a time;
statsmodels' ``proportion_confint`` is not a dependency of this project).
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from scipy.stats import fisher_exact, norm

Adjust = Literal["holm", "none"]


def wilson(hits: np.ndarray, n: np.ndarray, confidence: float = 0.95) -> tuple[np.ndarray, ...]:
    """Wilson score interval ``(low, high)`` of ``hits / n`` per element; NaN where ``n == 0``."""
    hits = np.asarray(hits, dtype=np.float64)
    n = np.asarray(n, dtype=np.float64)
    z = norm.ppf(0.5 + confidence / 2)
    with np.errstate(divide="ignore", invalid="ignore"):
        p = hits / n
        denom = 1 + z**2 / n
        centre = (p + z**2 / (2 * n)) / denom
        half = z * np.sqrt(p * (1 - p) / n + z**2 / (4 * n**2)) / denom
    # the interval holds the rate: at 0 or 1 rounding would leave it a hair outside
    low = np.clip(np.fmin(centre - half, p), 0.0, 1.0)
    high = np.clip(np.fmax(centre + half, p), 0.0, 1.0)
    return np.where(n > 0, low, np.nan), np.where(n > 0, high, np.nan)


def fisher_vs(hits: np.ndarray, n: np.ndarray, ref: int) -> np.ndarray:
    """Two-sided Fisher exact p-value of each category's rate against category ``ref``'s
    (1 for ``ref`` itself, NaN where a category has no rows).  One 2×2 table per category."""
    out = np.full(len(hits), np.nan)
    a_ref, n_ref = int(hits[ref]), int(n[ref])
    for i, (a, m) in enumerate(zip(hits.tolist(), n.tolist(), strict=True)):
        if i == ref:
            out[i] = 1.0
        elif m > 0 and n_ref > 0:
            table = [[int(a), int(m - a)], [a_ref, n_ref - a_ref]]
            out[i] = float(fisher_exact(table, alternative="two-sided").pvalue)
    return out


def adjust(p: np.ndarray, method: Adjust = "holm") -> np.ndarray:
    """Holm–Bonferroni adjusted p-values over the finite entries of ``p`` (``none``: unchanged)."""
    p = np.asarray(p, dtype=np.float64)
    if method == "none":
        return p.copy()
    if method != "holm":
        raise ValueError(
            f"The 'adjust' parameter must be 'holm' or 'none'. Got {method!r} instead."
        )
    out = p.copy()
    ok = np.flatnonzero(np.isfinite(p))
    m = len(ok)
    if m == 0:
        return out
    order = ok[np.argsort(p[ok], kind="stable")]
    scaled = np.maximum.accumulate((m - np.arange(m)) * p[order])
    out[order] = np.minimum(scaled, 1.0)
    return out
