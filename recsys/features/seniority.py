"""Years of experience on the roles' seniority scale, learned from the data (no fixed year bins).

Roles state a seniority level (0..4 in the world format); candidates state years of experience.
To compare the two, :func:`fit_seniority_scale` matches their distributions by quantiles: if a share
``p`` of the roles sit at level ``L`` or below, the candidates with years below the ``p``-quantile of
candidate years are read as level ``L`` or below.  A candidate's level is then interpolated between
the **typical years** of consecutive levels (the median years of the candidates read at that level),
so it is continuous and never jumps at a fixed number of years.  No constant of any generator is
involved: the scale is whatever the organisation's roles and applicants make it, and the ranker gets
the raw years and role level besides, free to learn any other shape.

>>> scale = fit_seniority_scale(candidate_years, role_levels)
>>> scale.level(np.array([1.0, 6.0, 20.0]))        # e.g. [0.2, 1.9, 4.0]
>>> scale.typical_years(np.array([0, 2, np.nan]))   # NaN for an unknown level
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["SeniorityScale", "fit_seniority_scale", "role_levels"]


def role_levels(values) -> np.ndarray:  # noqa: ANN001 - any array-like or Series
    """Role seniority levels as floats; unknown (negative, e.g. -1 for ad-hoc roles, or not a
    number) → NaN, never a silent level."""
    import pandas as pd

    sen = pd.to_numeric(pd.Series(np.asarray(values, dtype=object)), errors="coerce")
    sen = sen.to_numpy(dtype=float)
    return np.where(sen >= 0, sen, np.nan)


@dataclass(frozen=True)
class SeniorityScale:
    """Typical years of experience per role level (levels sorted, typical years non-decreasing)."""

    levels: np.ndarray
    typical: np.ndarray

    def level(self, years: np.ndarray) -> np.ndarray:
        """Continuous level of each number of years (NaN stays NaN); flat beyond the ends."""
        years = np.asarray(years, dtype=np.float64)
        out = np.interp(years, self.typical, self.levels.astype(np.float64))
        out[np.isnan(years)] = np.nan
        return out

    def typical_years(self, role_level: np.ndarray) -> np.ndarray:
        """Typical years of each role level (interpolated between known levels; NaN if unknown)."""
        lv = np.asarray(role_level, dtype=np.float64)
        out = np.interp(lv, self.levels.astype(np.float64), self.typical)
        out[np.isnan(lv)] = np.nan
        return out

    def to_dict(self) -> dict[str, list[float]]:
        return {"levels": self.levels.tolist(), "typical_years": self.typical.tolist()}


def fit_seniority_scale(
    candidate_years: np.ndarray, role_levels: np.ndarray, *, min_candidates: int = 20
) -> SeniorityScale | None:
    """Quantile-matched scale (module doc); ``None`` with fewer than ``min_candidates`` known years
    or no known role level (the level features are then NaN and the model falls back on raw years)."""
    years = np.asarray(candidate_years, dtype=np.float64)
    years = np.sort(years[np.isfinite(years)])
    lv = np.asarray(role_levels, dtype=np.float64)
    lv = lv[np.isfinite(lv)]
    if len(years) < min_candidates or len(lv) == 0:
        return None
    levels, counts = np.unique(lv, return_counts=True)
    upper = np.cumsum(counts) / counts.sum()
    lower = upper - counts / counts.sum()
    # the median candidate of each level's slice of the years distribution
    typical = np.quantile(years, (lower + upper) / 2.0)
    return SeniorityScale(levels=levels, typical=np.maximum.accumulate(typical))
