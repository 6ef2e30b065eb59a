"""Combine fit and retention into one ranking score, by a documented rule a recruiter can tune.

Two steps:

1. **Fit → [0, 1]** (``fit_transform``):
   - ``"sigmoid"`` (default): ``1 / (1 + exp(-(fit - fit_center) / fit_temperature))`` — comparable
     across requests (pair scoring: a pair's score never depends on the other pairs of its call).  The
     centre and temperature are the model's own, set by ``recsys train`` (``fit_scale``):

     - ``"calibrated"`` (default): Platt scaling (:func:`calibrate_fit`) on the validation period's
       applications, so the transformed fit **is a probability with a stated meaning**: P(an
       application of this candidate to this role reaches stage ``fit_outcome_stage`` or later;
       default 2 = interviewed).  The training report's ``fit_probability`` section measures it
       on the test period's applications (Brier score, decile calibration error);
     - ``"auto"``: median and standard deviation of the ranker's validation scores (a spread, no
       meaning; the fallback when the validation applications hold one class only);
     - ``"fixed"``: the values given.
   - ``"percentile"``: the within-request percentile of the fit score, ``(rank - 1) / (n - 1)`` with
     average ranks for ties (a single candidate gets 1.0); a request = one ``group_ids`` value.  Needs
     no scale, but it squeezes the top of a skewed fit distribution together: on the demo world's
     last role, candidates with 0 of 8 required skills (fit 0.27, 95th percentile of the retrieved
     pool) outranked one with 8 of 8 (fit 3.26) on retention alone.  Kept as an option.
2. **Combine with retention** ``r`` = P(stay ≥ horizon) with weight ``w = retention_weight`` in
   [0, 1] (w = 0 is pure fit, w = 1 pure retention):
   - ``"geometric"`` (default): ``f ** (1 - w) * r ** w``.  ``f`` is P(interview) and ``r`` is
     P(stay | hired): what a recruiter wants is both, their product, and at w = 0.5 the rule orders
     exactly as that product does; a smaller w tempers the retention model's say.  A poor fit stays
     poor whatever the retention: retention is learned from hires, and a candidate who would never
     be hired for the role lies outside what it saw (the demo model predicts P(stay) up to 0.94 for
     people whose résumé has nothing to do with the role).
   - ``"blend"``: ``(1 - w) * f + w * r`` (arithmetic).  It lets retention lift a poor fit: on the
     real résumés of ``examples/realtext`` ingested beside the demo store's 3,000 generated people,
     generated people of P(interview) 0.03 and retention 0.94 outranked a second ICU nurse of
     P(interview) 0.13 whose résumé gives no career record (retention: the baseline, 0.61).
     Measured in docs/retention.md ("Mixed pools"); kept for models trained with it.

Both rules are non-decreasing in fit and in retention, so raising either never lowers a candidate's
combined score.  ``retention_weight`` is per request: pass a :class:`CombineConfig` or the keyword.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "CombineConfig",
    "calibrate_fit",
    "combine_scores",
    "fit_probability",
    "score_meanings",
]


class CombineConfig(BaseModel):
    """How fit and retention are combined (per request)."""

    model_config = ConfigDict(extra="forbid")

    retention_weight: float = Field(0.3, ge=0.0, le=1.0, description="Weight of P(stay ≥ horizon).")
    rule: Literal["blend", "geometric"] = Field(
        "geometric",
        description="geometric: fit_probability ** (1 - w) * retention ** w (a poor fit stays "
        "poor); blend: (1 - w) * fit_probability + w * retention",
    )
    fit_transform: Literal["percentile", "sigmoid"] = "sigmoid"
    fit_center: float = Field(0.0, description="Sigmoid centre (fit_transform='sigmoid').")
    fit_temperature: float = Field(
        1.0, gt=0.0, description="Sigmoid scale (fit_transform='sigmoid')."
    )
    fit_scale: Literal["calibrated", "auto", "fixed"] = Field(
        "calibrated",
        description="calibrated: training fits fit_center / fit_temperature so that the sigmoid is "
        "P(reaching fit_outcome_stage) on the validation applications (Platt scaling); auto: the "
        "median and standard deviation of the ranker's validation scores; fixed: keep the values "
        "given",
    )
    fit_outcome_stage: int = Field(
        2,
        ge=1,
        le=4,
        description="the funnel stage the calibrated fit is the probability of reaching "
        "(0 applied, 1 screened, 2 interviewed, 3 offered, 4 hired)",
    )
    horizon_days: float = Field(365.0, gt=0.0, description="Retention horizon the scores refer to.")


def calibrate_fit(fit, reached, *, min_each: int = 10) -> tuple[float, float] | None:
    """Platt scaling of ranker scores: ``(fit_center, fit_temperature)`` such that
    ``sigmoid((fit - center) / temperature)`` estimates P(``reached``) — a logistic regression of
    the 0/1 outcome on the score (unpenalised, sklearn).  None when either class has fewer than
    ``min_each`` rows or the score does not rise with the outcome (a slope ≤ 0): a calibrated
    fit must stay non-decreasing in the ranker's score."""
    from sklearn.linear_model import LogisticRegression

    f = np.asarray(fit, dtype=float).reshape(-1, 1)
    y = np.asarray(reached, dtype=bool)
    if len(f) != len(y):
        raise ValueError(
            "The 'fit' and 'reached' parameters of calibrate_fit must have the same length. "
            f"Got {len(f)} and {len(y)} instead."
        )
    if min(y.sum(), (~y).sum()) < min_each:
        return None
    lr = LogisticRegression(C=np.inf, max_iter=1000).fit(f, y)  # unpenalised
    slope, intercept = float(lr.coef_[0, 0]), float(lr.intercept_[0])
    if not slope > 0:
        return None
    return -intercept / slope, 1.0 / slope


def fit_probability(fit, config: CombineConfig | None = None) -> np.ndarray:
    """The fit on [0, 1] by the model's sigmoid (with ``fit_scale: calibrated``: P(reaching
    ``fit_outcome_stage``)); pair by pair, whatever else is in the batch."""
    cfg = config or CombineConfig()
    f = np.asarray(fit, dtype=float)
    return 1.0 / (1.0 + np.exp(-(f - cfg.fit_center) / cfg.fit_temperature))


def score_meanings(config: CombineConfig | None = None) -> dict[str, str]:
    """What each number of an answer means, in words (every answer's manifest carries it)."""
    from recsys.data.schemas import STAGES

    cfg = config or CombineConfig()
    if cfg.fit_transform == "sigmoid" and cfg.fit_scale == "calibrated":
        stage = STAGES.get(cfg.fit_outcome_stage, str(cfg.fit_outcome_stage))
        prob = (
            f"P(an application of this candidate to this role reaches '{stage}' or later), "
            "the ranker's score calibrated on the validation period's applications"
        )
    elif cfg.fit_transform == "sigmoid":
        prob = "the ranker's score through a sigmoid (centre, spread of its validation scores)"
    else:
        prob = "the ranker's score as a percentile within the request"
    w = cfg.retention_weight
    rule = (
        "(1 - w) * fit_probability + w * retention"
        if cfg.rule == "blend"
        else "fit_probability ** (1 - w) * retention ** w"
    )
    return {
        "fit": "the ranker's raw score: orders candidates for a role; no unit",
        "fit_probability": prob,
        "retention": f"P(still in the role {cfg.horizon_days:g} days after the hire), Cox model",
        "score": f"{rule}, w = retention_weight (default {w:g}); per pair",
    }


def _fit_to_unit(fit: np.ndarray, group_ids, cfg: CombineConfig) -> np.ndarray:
    if cfg.fit_transform == "sigmoid":
        return fit_probability(fit, cfg)
    if group_ids is None:  # one request (a shortlist): numpy, no groupby
        from scipy.stats import rankdata

        n = len(fit)
        return (rankdata(fit, method="average") - 1) / (n - 1) if n > 1 else np.ones(n)
    groups = np.asarray(group_ids)
    if len(groups) != len(fit):
        raise ValueError(
            "The 'group_ids' parameter of combine_scores must have one value per score. "
            f"Got {len(groups)} for {len(fit)} scores instead."
        )
    s = pd.Series(fit)
    by = s.groupby(groups)
    rank = by.rank(method="average").to_numpy()
    n = by.transform("size").to_numpy()
    return np.where(n > 1, (rank - 1) / np.maximum(n - 1, 1), 1.0)


def combine_scores(
    fit,
    retention,
    retention_weight: float | None = None,
    rule: Literal["blend", "geometric"] | None = None,
    *,
    group_ids=None,
    config: CombineConfig | None = None,
) -> np.ndarray:
    """Combined score in [0, 1] for each pair (higher = better).

    ``fit``: FitRanker scores; ``retention``: P(stay ≥ horizon) in [0, 1]; ``group_ids``: the request each
    pair belongs to (for the percentile transform; None = one request).  Keywords override ``config``.
    """
    cfg = config or CombineConfig()
    w = retention_weight
    if w is not None and (isinstance(w, bool) or not isinstance(w, int | float) or not 0 <= w <= 1):
        raise ValueError(
            f"The 'retention_weight' parameter must be a float in [0, 1] or None. Got {w!r} instead."
        )
    overrides = {
        k: v for k, v in (("retention_weight", retention_weight), ("rule", rule)) if v is not None
    }
    if overrides:
        cfg = CombineConfig(**{**cfg.model_dump(), **overrides})
    f = np.asarray(fit, dtype=float)
    r = np.asarray(retention, dtype=float)
    if f.shape != r.shape or f.ndim != 1:
        raise ValueError(
            "The 'fit' and 'retention' parameters of combine_scores must be 1-d of equal length. "
            f"Got shapes {f.shape} and {r.shape} instead."
        )
    if np.isnan(f).any():
        raise ValueError("The 'fit' parameter of combine_scores contains NaN.")
    if np.isnan(r).any() or (r < 0).any() or (r > 1).any():
        raise ValueError(
            "The 'retention' parameter of combine_scores must be probabilities in [0, 1]."
        )
    u = _fit_to_unit(f, group_ids, cfg)
    w = cfg.retention_weight
    if cfg.rule == "geometric":
        return np.power(u, 1.0 - w) * np.power(r, w)
    return (1.0 - w) * u + w * r
