"""Ranking and survival metrics, grouped by query where that applies.

Ranking (one query = one role; ``y_true`` = graded stage 0–4, ``y_score`` = any score, higher = better):

- :func:`ndcg_at_k` — **exponential gain** ``2**rel - 1`` by default (the definition LightGBM's lambdarank
  optimises, and Burges et al.'s); ``gain="linear"`` gives sklearn's ``ndcg_score`` definition.  Computed
  with ``sklearn.metrics.ndcg_score`` (ties in ``y_score`` are averaged, so constant baselines are not
  flattered by lucky ordering).  Queries with no relevant item (all gains 0) are *excluded* from the mean.
- :func:`recall_at_k` — |relevant ∩ top-k| / |relevant|, relevant = ``y_true >= relevant_min``.
- :func:`mean_average_precision` — mean over queries of average precision (relevant = ``y_true >=
  relevant_min``).  Both count score ties by expectation over the orderings of the tied items
  (McSherry & Najork, ECIR 2008), as ``ndcg_score`` does: never by id or input order, so a constant
  scorer gets the value of a random order.  Without ties they are the usual definitions (AP equals
  sklearn's ``average_precision_score``).

Survival (``durations`` in days, ``events`` = 1 if the exit was observed, 0 if censored):

- :func:`concordance_index` — Harrell's C on predicted survival (higher = expected to stay longer),
  via ``lifelines.utils.concordance_index``.
- :func:`integrated_brier_score` — IPCW integrated Brier score via ``sksurv.metrics`` (Graf et al.);
  censoring distribution estimated on the training outcomes when given.
- :func:`calibration_at_horizon` — predicted P(stay ≥ horizon) per decile of prediction against the
  Kaplan–Meier observed survival of that decile (``lifelines.KaplanMeierFitter``).
- :func:`calibration_noise` — what those decile errors would be for a *perfectly calibrated* predictor,
  by simulation: the sampling-noise floor the headline number must be read against.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd

__all__ = [
    "ndcg_at_k",
    "recall_at_k",
    "mean_average_precision",
    "ranking_report",
    "concordance_index",
    "integrated_brier_score",
    "calibration_at_horizon",
    "km_survival_at",
    "calibration_noise",
]


# --------------------------------------------------------------------------------------- ranking
def _check_k(k: int, fn: str) -> None:
    if not isinstance(k, int | np.integer) or isinstance(k, bool) or k < 1:
        raise ValueError(f"The 'k' parameter of {fn} must be an int >= 1. Got {k!r} instead.")


def _frame(y_true, y_score, group_ids) -> pd.DataFrame:
    y_true = np.asarray(y_true, dtype=float)
    y_score = np.asarray(y_score, dtype=float)
    groups = np.zeros(len(y_true), dtype=int) if group_ids is None else np.asarray(group_ids)
    if not (len(y_true) == len(y_score) == len(groups)):
        raise ValueError(
            "y_true, y_score and group_ids must have the same length. "
            f"Got {len(y_true)}, {len(y_score)} and {len(groups)} instead."
        )
    if np.isnan(y_score).any():
        raise ValueError("The 'y_score' parameter contains NaN; score every pair.")
    return pd.DataFrame({"g": groups, "y": y_true, "s": y_score})


def _padded(df: pd.DataFrame, fill_score: float) -> tuple[np.ndarray, np.ndarray]:
    """(n_queries, max_size) matrices of labels and scores; padding has label 0 and the lowest score."""
    codes, _ = pd.factorize(df["g"], sort=True)
    pos = df.groupby(codes).cumcount().to_numpy()
    n_q, width = codes.max() + 1, pos.max() + 1
    Y = np.zeros((n_q, width))
    S = np.full((n_q, width), fill_score)
    Y[codes, pos] = df["y"].to_numpy()
    S[codes, pos] = df["s"].to_numpy()
    return Y, S


def ndcg_at_k(
    y_true,
    y_score,
    group_ids=None,
    k: int = 10,
    *,
    gain: Literal["exponential", "linear"] = "exponential",
    per_query: bool = False,
) -> float | pd.Series:
    """Mean NDCG@k over queries that have at least one relevant (gain > 0) item.

    ``per_query=True`` returns a Series indexed by query id instead (NaN for queries with no gain).
    """
    from sklearn.metrics import ndcg_score

    _check_k(k, "ndcg_at_k")
    if gain not in ("exponential", "linear"):
        raise ValueError(
            f"The 'gain' parameter of ndcg_at_k must be 'exponential' or 'linear'. Got {gain!r} instead."
        )
    df = _frame(y_true, y_score, group_ids)
    if df.empty:
        return pd.Series(dtype=float) if per_query else float("nan")
    if gain == "exponential":
        df["y"] = np.exp2(df["y"]) - 1.0
    Y, S = _padded(df, fill_score=float(df["s"].min()) - 1.0)
    has_gain = Y.max(axis=1) > 0
    scores = np.full(len(Y), np.nan)
    for i in np.flatnonzero(has_gain):  # one call per query (queries, not pairs)
        scores[i] = ndcg_score(Y[i : i + 1], S[i : i + 1], k=k, ignore_ties=False)
    if per_query:
        return pd.Series(scores, index=np.sort(df["g"].unique()), name=f"ndcg@{k}")
    return float(np.nanmean(scores)) if has_gain.any() else float("nan")


def _tie_groups(rel: np.ndarray, score: np.ndarray) -> tuple[np.ndarray, ...]:
    """Per group of equal scores, best first: size n, relevant r, items and relevant before it."""
    _, inv = np.unique(-score, return_inverse=True)
    n = np.bincount(inv).astype(float)
    r = np.bincount(inv, weights=rel.astype(float))
    return n, r, np.cumsum(n) - n, np.cumsum(r) - r


def _recall_one(rel: np.ndarray, score: np.ndarray, k: int) -> float:
    """Expected |relevant in top k| / |relevant| over the orderings of tied scores."""
    n, r, n_before, _ = _tie_groups(rel, score)
    inside = np.clip(k - n_before, 0, n)  # positions of each group within the top k
    return float((r * inside / n).sum() / r.sum())


def _average_precision_one(rel: np.ndarray, score: np.ndarray, k: int | None) -> float:
    """Expected AP (AP@k) over the orderings of tied scores: at each position, P(relevant) times
    the expected precision there given it is relevant."""
    n, r, n_before, r_before = _tie_groups(rel, score)
    sizes = n.astype(int)
    g = np.repeat(np.arange(len(n)), sizes)  # group of each position
    p = np.arange(len(g)) - np.repeat(n_before, sizes) + 1  # 1-based place in its group
    ng, rg = n[g], r[g]
    others = np.where(ng > 1, (p - 1) * (rg - 1) / np.maximum(ng - 1, 1), 0.0)
    term = rg / ng * (r_before[g] + 1 + others) / (n_before[g] + p)
    total = r.sum()
    if k is None:
        return float(term.sum() / total)
    return float(term[:k].sum() / min(k, total))


def _per_query(df: pd.DataFrame, relevant_min: float, fn) -> float:
    """Mean of ``fn(relevant, scores)`` over queries with at least one relevant item."""
    values = []
    for idx in df.groupby("g", sort=True).indices.values():
        rel = df["y"].to_numpy()[idx] >= relevant_min
        if rel.any():
            values.append(fn(rel, df["s"].to_numpy()[idx]))
    return float(np.mean(values)) if values else float("nan")


def recall_at_k(y_true, y_score, group_ids=None, k: int = 10, *, relevant_min: float = 1) -> float:
    """Mean over queries with ≥1 relevant item of |relevant in top-k| / |relevant| (ties: expected)."""
    _check_k(k, "recall_at_k")
    df = _frame(y_true, y_score, group_ids)
    return _per_query(df, relevant_min, lambda rel, s: _recall_one(rel, s, int(k)))


def mean_average_precision(
    y_true, y_score, group_ids=None, *, relevant_min: float = 1, k: int | None = None
) -> float:
    """MAP (MAP@k when ``k`` is given: precision summed over the top k, divided by min(k, |relevant|));
    ties count by expectation over their orderings."""
    if k is not None:
        _check_k(k, "mean_average_precision")
    df = _frame(y_true, y_score, group_ids)
    top = None if k is None else int(k)
    return _per_query(df, relevant_min, lambda rel, s: _average_precision_one(rel, s, top))


def ranking_report(
    y_true, y_score, group_ids, ks: tuple[int, ...] = (5, 10, 20), *, relevant_min: float = 1
) -> dict[str, float]:
    """``{"ndcg@5": …, "recall@5": …, …, "map": …}`` — the evaluation block for one scorer."""
    out: dict[str, float] = {}
    for k in ks:
        out[f"ndcg@{k}"] = ndcg_at_k(y_true, y_score, group_ids, k)
    for k in ks:
        out[f"recall@{k}"] = recall_at_k(y_true, y_score, group_ids, k, relevant_min=relevant_min)
    out["map"] = mean_average_precision(y_true, y_score, group_ids, relevant_min=relevant_min)
    return out


# -------------------------------------------------------------------------------------- survival
def _surv_inputs(durations, events) -> tuple[np.ndarray, np.ndarray]:
    d = np.asarray(durations, dtype=float)
    e = np.asarray(events).astype(bool)
    if d.shape != e.shape or d.ndim != 1:
        raise ValueError(
            f"durations and events must be 1-d of the same length. Got {d.shape} and {e.shape} instead."
        )
    if np.isnan(d).any() or (d < 0).any():
        raise ValueError("The 'durations' parameter must be non-negative numbers without NaN.")
    return d, e


def concordance_index(durations, events, predicted_survival) -> float:
    """Harrell's C: P(the one predicted to stay longer did stay longer) over comparable pairs."""
    from lifelines.utils import concordance_index as _ci

    d, e = _surv_inputs(durations, events)
    return float(_ci(d, np.asarray(predicted_survival, dtype=float), e))


def integrated_brier_score(
    durations,
    events,
    survival: np.ndarray,
    times,
    *,
    train_durations=None,
    train_events=None,
) -> float:
    """IPCW integrated Brier score of ``survival[i, j]`` = predicted S(times[j]) for person i.

    ``times`` must lie inside the test follow-up (strictly below the largest test duration); lower is
    better.  The censoring distribution is estimated on the training outcomes if given, else on the test.
    """
    from sksurv.metrics import integrated_brier_score as _ibs
    from sksurv.util import Surv

    d, e = _surv_inputs(durations, events)
    test = Surv.from_arrays(e, d)
    if train_durations is None:
        train = test
    else:
        td, te = _surv_inputs(train_durations, train_events)
        train = Surv.from_arrays(te, td)
    times = np.asarray(times, dtype=float)
    survival = np.asarray(survival, dtype=float)
    if survival.shape != (len(d), len(times)):
        raise ValueError(
            f"The 'survival' parameter must have shape (n, len(times)) = {(len(d), len(times))}. "
            f"Got {survival.shape} instead."
        )
    return float(_ibs(train, test, survival, times))


def default_ibs_times(
    durations, n: int = 20, quantiles: tuple[float, float] = (0.05, 0.8)
) -> np.ndarray:
    """A grid of ``n`` horizons between two quantiles of the observed durations (valid for IBS)."""
    d = np.asarray(durations, dtype=float)
    lo, hi = np.quantile(d, quantiles)
    return np.unique(np.linspace(max(lo, 1.0), hi, n).round())


def km_survival_at(durations, events, horizon: float) -> float:
    """Kaplan–Meier estimate of S(horizon)."""
    from lifelines import KaplanMeierFitter

    d, e = _surv_inputs(durations, events)
    km = KaplanMeierFitter().fit(d, e)
    return float(km.survival_function_at_times(horizon).iloc[0])


def calibration_at_horizon(
    durations, events, predicted_survival, horizon: float = 365.0, n_bins: int = 10
) -> pd.DataFrame:
    """Per bin of predicted P(stay ≥ horizon) (quantile bins): n, mean predicted, KM observed, |error|.

    ``result["abs_error"].max()`` is the headline number (target ≤ 0.05).
    """
    d, e = _surv_inputs(durations, events)
    p = np.asarray(predicted_survival, dtype=float)
    if p.shape != d.shape:
        raise ValueError("The 'predicted_survival' parameter must have one value per duration.")
    if not isinstance(n_bins, int) or n_bins < 1:
        raise ValueError(f"The 'n_bins' parameter must be an int >= 1. Got {n_bins!r} instead.")
    bins = _quantile_bins(p, n_bins)
    rows = []
    for b in range(n_bins):
        m = bins == b
        if not m.any():
            continue
        obs = km_survival_at(d[m], e[m], horizon)
        rows.append(
            {
                "bin": b,
                "n": int(m.sum()),
                "predicted": float(p[m].mean()),
                "observed_km": obs,
                "abs_error": abs(float(p[m].mean()) - obs),
            }
        )
    return pd.DataFrame(rows)


def _quantile_bins(p: np.ndarray, n_bins: int) -> np.ndarray:
    ranks = pd.Series(p).rank(method="first").to_numpy()
    return np.minimum((ranks - 1) * n_bins // len(p), n_bins - 1).astype(int)


def calibration_noise(
    predicted_survival, n_bins: int = 10, *, n_sim: int = 2000, seed: int = 0
) -> dict[str, float]:
    """Decile errors of a perfectly calibrated predictor: the noise floor of :func:`calibration_at_horizon`.

    Draws "stayed past the horizon" ~ Bernoulli(p_i) for every person ``n_sim`` times, bins by ``p`` as
    :func:`calibration_at_horizon` does and measures |mean p − observed share| per bin.  Assumes every
    person is followed to the horizon (true of ``recsys_training.split.retention_periods`` test hires), so the
    per-bin Kaplan–Meier estimate is the observed share.  Returns the median and 95th percentile of the
    max and of the mean error over bins.
    """
    p = np.clip(np.asarray(predicted_survival, dtype=float), 0.0, 1.0)
    if p.ndim != 1 or len(p) < n_bins:
        raise ValueError(
            f"The 'predicted_survival' parameter must be 1-d with at least n_bins={n_bins} values. "
            f"Got shape {p.shape} instead."
        )
    bins = _quantile_bins(p, n_bins)
    onehot = np.zeros((len(p), n_bins))
    onehot[np.arange(len(p)), bins] = 1.0
    size = onehot.sum(axis=0)
    rng = np.random.default_rng(seed)
    err = np.empty((n_sim, n_bins))
    for start in range(0, n_sim, 250):  # bounded memory: 250 x n draws at a time
        stop = min(start + 250, n_sim)
        stayed = (rng.random((stop - start, len(p))) < p).astype(float)
        err[start:stop] = np.abs((stayed - p) @ onehot) / size
    mx, mean = err.max(axis=1), err.mean(axis=1)
    return {
        "max_abs_error_p50": float(np.median(mx)),
        "max_abs_error_p95": float(np.quantile(mx, 0.95)),
        "mean_abs_error_p50": float(np.median(mean)),
        "mean_abs_error_p95": float(np.quantile(mean, 0.95)),
    }
