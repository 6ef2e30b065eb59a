"""Evaluation of the ranker and the retention model against baselines, on the same pairs and hires.

Ranking (one query = one test role; labels = funnel stage, retrieved non-applicants = 0; NDCG with
exponential gain, see :mod:`recsys.metrics`): the ranker, BM25, raw embedding cosine and the oracle
(planted true fit) get the same report; the ranker is also given as a **fraction of the oracle** and a
**ratio to the best baseline** (best of BM25 and cosine at that metric).

Retention (test hires; durations in days, censored at ``observed_until``): the survival model, a
Kaplan–Meier baseline and the naive classifier that drops censored hires, all fitted on training hires:
C-index (on predicted P(stay ≥ horizon)), integrated Brier score (IPCW, censoring estimated on the
test hires), calibration per decile of predicted P(stay ≥ horizon) against Kaplan–Meier observed.
Two readings frame those numbers: the **oracle** (the planted Weibull survival of each test hire,
:class:`PlantedSurvival`, read from the world's ``truth/``: evaluation only, never a feature) is the
ceiling of the C-index; ``calibration_noise_*`` (:func:`recsys.metrics.calibration_noise`) is the decile
error a perfectly calibrated predictor would show on this many hires, the floor of the calibration target.

Combined score (:func:`combined_metrics`; test applicants): the ranker's fit probability alone and
its combination with the retention model by each rule of :mod:`recsys.models.combine`, at the
model's retention weight, ranked against the funnel stage and — where the world has a ``truth/`` —
against the **value** of an application, 1[reached the fit outcome stage] × the planted P(stay ≥
horizon) of that pair (what a combined score is for; linear gain).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from recsys import metrics

__all__ = [
    "BASELINES",
    "SIMPLE_MODELS",
    "ranking_metrics",
    "ndcg_curve",
    "retention_metrics",
    "flatten_metrics",
    "PlantedSurvival",
    "combined_metrics",
]

BASELINES = ("bm25", "cosine")
SIMPLE_MODELS = ("linear", "hand_weighted")  # the same features, linear or untrained


def ranking_metrics(
    pairs: pd.DataFrame, scores: Mapping[str, np.ndarray], ks: Sequence[int] = (5, 10, 20)
) -> dict[str, dict[str, float]]:
    """``{scorer: {"ndcg@10": …, "recall@10": …, "map": …}}`` plus ``"ranker_vs"`` ratios.

    ``scores`` maps scorer name → one score per row of ``pairs`` (``label``, ``role_id``).  When it has a
    ``"ranker"``, ``out["ranker_vs"]`` holds ``"<metric>/oracle"``, ``"<metric>/best_baseline"`` (best
    of BM25 and cosine) and ``"<metric>/best_simple_model"`` (best of the linear model and the
    hand-weighted score on the ranker's features): what training the trees adds.
    """
    y, g = pairs["label"].to_numpy(), pairs["role_id"].astype(str).to_numpy()
    out: dict[str, dict[str, float]] = {}
    for name, s in scores.items():
        s = np.asarray(s, dtype=float)
        if len(s) != len(pairs):
            raise ValueError(f"scores[{name!r}] has {len(s)} values for {len(pairs)} pairs.")
        out[name] = metrics.ranking_report(y, s, g, tuple(ks))
    if "ranker" in out:
        vs: dict[str, float] = {}
        groups = {
            "best_baseline": [b for b in BASELINES if b in out],
            "best_simple_model": [b for b in SIMPLE_MODELS if b in out],
        }
        for m, value in out["ranker"].items():
            if "oracle" in out and out["oracle"][m] > 0:
                vs[f"{m}/oracle"] = value / out["oracle"][m]
            for key, names in groups.items():
                if names:
                    best = max(out[b][m] for b in names)
                    vs[f"{m}/{key}"] = value / best if best > 0 else float("inf")
        out["ranker_vs"] = vs
    return out


def ndcg_curve(
    pairs: pd.DataFrame, scores: Mapping[str, np.ndarray], ks: Sequence[int] = range(1, 21)
) -> pd.DataFrame:
    """NDCG@k per scorer for each k (rows = k, columns = scorer): the data of the NDCG@k plot."""
    y, g = pairs["label"].to_numpy(), pairs["role_id"].astype(str).to_numpy()
    rows = {k: {n: metrics.ndcg_at_k(y, s, g, int(k)) for n, s in scores.items()} for k in ks}
    return pd.DataFrame.from_dict(rows, orient="index").rename_axis("k")


def _ibs_times(durations: np.ndarray) -> np.ndarray:
    times = metrics.default_ibs_times(durations)
    return times[times < durations.max()]


class PlantedSurvival:
    """The planted survival S(t) = exp(−(t/λ)^k · e^η) of given hires (evaluation only); ``shape``
    is one k, or one per hire (scenarios with non-proportional hazards).

    ``predict_survival(X, h)`` ignores ``X`` but for its length, which must match the hires given.
    """

    def __init__(self, log_hazard: np.ndarray, shape: Any, scale_days: float) -> None:
        self.log_hazard = np.asarray(log_hazard, dtype=float)
        self.shape = np.broadcast_to(np.asarray(shape, dtype=float), self.log_hazard.shape)
        self.scale_days = scale_days

    @classmethod
    def from_world(cls, world_dir: Any, hires: pd.DataFrame) -> PlantedSurvival:
        """η of each (candidate_id, role_id) row of ``hires`` from ``world_dir/truth``."""
        from recsys.data.truth import Truth

        truth = Truth.load(world_dir)
        out = truth.outcomes().set_index(["candidate_id", "role_id"])
        keys = pd.MultiIndex.from_frame(hires[["candidate_id", "role_id"]].astype(str))
        values = out["log_hazard"].reindex(keys).to_numpy(dtype=float)
        if np.isnan(values).any():
            raise ValueError(f"{int(np.isnan(values).sum())} hires have no planted log-hazard.")
        tenure = truth.params["tenure"]
        shape = (
            out["tenure_shape"].reindex(keys).to_numpy(dtype=float)
            if "tenure_shape" in out.columns
            else float(tenure["shape"])
        )
        return cls(values, shape, float(tenure["scale_days"]))

    def predict_survival(self, X: Any, horizon_days: Any = 365.0) -> np.ndarray:
        if len(X) != len(self.log_hazard):
            raise ValueError(
                f"PlantedSurvival holds {len(self.log_hazard)} hires; got {len(X)} rows."
            )
        h = np.atleast_1d(np.asarray(horizon_days, dtype=float))
        S = np.exp(
            -np.exp(self.log_hazard)[:, None]
            * (h[None, :] / self.scale_days) ** self.shape[:, None]
        )
        return S[:, 0] if np.ndim(horizon_days) == 0 else S


def retention_metrics(
    model: Any,
    train: tuple[pd.DataFrame, np.ndarray, np.ndarray],
    test: tuple[pd.DataFrame, np.ndarray, np.ndarray],
    *,
    horizon_days: float = 365.0,
    n_bins: int = 10,
    oracle: Any = None,
    others: Mapping[str, Any] | None = None,
) -> tuple[dict[str, dict[str, float]], dict[str, pd.DataFrame]]:
    """Metrics of ``model`` and of the KM and naive baselines fitted on ``train`` hires; ``others``
    (name → fitted model, e.g. the linear Cox model) get the same metrics.

    ``train`` and ``test`` are ``(X, durations, events)``; ``model`` is fitted already and offers
    ``predict_survival(X, horizons)``; ``oracle`` (optional, e.g. :class:`PlantedSurvival` of the test
    hires) gets the same metrics.  Returns ``(metrics, calibration tables)`` keyed by
    ``"model" | "km" | "naive" | "oracle"``.
    """
    from recsys.models.survival_baselines import KaplanMeierBaseline, NaiveRetentionClassifier

    Xtr, dtr, etr = train
    Xte, dte, ete = test
    dtr, etr = np.asarray(dtr, float), np.asarray(etr, int)
    dte, ete = np.asarray(dte, float), np.asarray(ete, int)
    if len(dte) < n_bins or ete.sum() < 2:
        raise ValueError(
            f"retention_metrics needs at least {n_bins} test hires and 2 observed exits. "
            f"Got {len(dte)} hires and {int(ete.sum())} exits: use a larger world or test period."
        )
    times = _ibs_times(dte)
    horizons = sorted({*times.tolist(), float(horizon_days)})
    models = {
        "model": model,
        "km": KaplanMeierBaseline().fit(Xtr, dtr, etr),
        "naive": NaiveRetentionClassifier(horizons=horizons).fit(Xtr, dtr, etr),
    }
    models.update(others or {})
    if oracle is not None:
        models["oracle"] = oracle
    out: dict[str, dict[str, float]] = {}
    tables: dict[str, pd.DataFrame] = {}
    for name, m in models.items():
        s_h = np.asarray(m.predict_survival(Xte, float(horizon_days)), dtype=float)
        S = np.asarray(m.predict_survival(Xte, times), dtype=float).reshape(len(dte), len(times))
        S = np.minimum.accumulate(np.clip(S, 0.0, 1.0), axis=1)
        calib = metrics.calibration_at_horizon(dte, ete, s_h, horizon_days, n_bins)
        tables[name] = calib
        out[name] = {
            "c_index": metrics.concordance_index(dte, ete, s_h) if np.ptp(s_h) > 0 else 0.5,
            # censoring weights from the test hires: training tenures are re-censored at the
            # cutoff, so their censoring curve says nothing about the test follow-up
            "ibs": metrics.integrated_brier_score(dte, ete, S, times),
            "calibration_max_abs_error": float(calib["abs_error"].max()),
            "calibration_mean_abs_error": float(calib["abs_error"].mean()),
            "mean_p_stay": float(s_h.mean()),
        }
        if np.ptp(s_h) > 0:  # floor: the decile errors of a calibrated predictor this spread
            noise = metrics.calibration_noise(s_h, n_bins, n_sim=1000, seed=0)
            out[name].update({f"calibration_noise_{k}": v for k, v in noise.items()})
    out["observed"] = {
        "km_p_stay": metrics.km_survival_at(dte, ete, horizon_days),
        "hires": float(len(dte)),
        "exits": float(ete.sum()),
        "train_hires": float(len(dtr)),
    }
    return out, tables


def flatten_metrics(report: Mapping[str, Any], prefix: str = "") -> dict[str, float]:
    """``{"test.ranker.ndcg@10": 0.71, …}`` from nested dicts (non-numeric leaves dropped)."""
    out: dict[str, float] = {}
    for key, value in report.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            out.update(flatten_metrics(value, f"{name}."))
        elif isinstance(value, int | float | np.floating | np.integer) and not isinstance(
            value, bool
        ):
            out[name] = float(value)
    return out


def combined_metrics(
    pairs: pd.DataFrame,
    fit: np.ndarray,
    retention: np.ndarray,
    combine: Any,
    ks: Sequence[int] = (5, 10, 20),
    planted: np.ndarray | None = None,
) -> dict[str, dict[str, dict[str, float]]]:
    """``{"stage": {scorer: {"ndcg@k", …}}, "value": {…}}`` for ``fit`` (the fit probability alone),
    ``geometric`` and ``blend`` (see the module doc).  ``pairs``: the test applicants (``label`` =
    stage, ``role_id``); ``planted``: their planted P(stay ≥ horizon), or None (no ``value``)."""
    from recsys.models.combine import combine_scores, fit_probability

    y, g = pairs["label"].to_numpy(), pairs["role_id"].astype(str).to_numpy()
    scores = {"fit": fit_probability(fit, combine)}
    for rule in ("geometric", "blend"):  # one request per role, as a shortlist combines them
        scores[rule] = combine_scores(
            fit, retention, group_ids=g, config=combine.model_copy(update={"rule": rule})
        )
    out = {"stage": {n: metrics.ranking_report(y, s, g, tuple(ks)) for n, s in scores.items()}}
    if planted is not None:
        value = (y >= combine.fit_outcome_stage) * np.asarray(planted, dtype=float)
        out["value"] = {
            n: {f"ndcg@{k}": metrics.ndcg_at_k(value, s, g, k, gain="linear") for k in ks}
            for n, s in scores.items()
        }
    return out
