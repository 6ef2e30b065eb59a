"""RetentionModel: P(still in the role at a horizon) from censored tenures, plus two baselines.

Model choice — a penalised **Cox proportional-hazards** model fitted with ``lifelines.CoxPHFitter``:

- it uses censored tenures correctly (partial likelihood: a hire still employed at ``observed_until``
  contributes "survived at least this long", never "stayed forever" nor "dropped");
- the Breslow baseline gives S(t | x) at *any* horizon, not only 12 months;
- the fitted state is a coefficient vector plus a step function, so it saves as plain JSON (lifelines and
  scikit-survival only pickle; XGBoost AFT would add a dependency and a distribution to choose; a Weibull
  AFT fixes the hazard's shape, which the planted tenure process need not follow);
- an L2 ``penalizer`` on standardised covariates keeps correlated pair features stable.

Bent effects (``derived_features=True``): a linear term cannot bend, and leaving for a better-matched
job (over-qualification) or struggling in one (under-qualification) need not grow evenly with the gap.
So each input named in ``spline_features`` (default ``seniority_gap`` and ``years_experience``) gets a
linear-spline basis: hinges max(0, x − k) at knots ``k`` placed at the training hires' quantiles
(``spline_knots`` of them, evenly spaced in probability; repeated values merged).  The knots are learned
from the data, never fixed points, and the penalised Cox fit decides how much each segment bends.
They are computed inside the model, so serving passes the same feature frame as training.

Calibration: a Cox model whose covariates act proportionally is calibrated as fitted, so the default
is ``calibration="none"``.  Measured on the 20k world (docs/retention.md): the decile errors of the raw
model are at the sampling noise of a per-decile Kaplan–Meier estimate (the planted true survival scores
no better), while ``"platt"`` and ``"isotonic"`` — fitted on a held-out fold whose training tenures are
mostly censored before 12 months — make them worse.  With ``"platt"`` (2 parameters on logit S(h)) or
``"isotonic"``, a share of the hires (``calibration_fraction``) is held out; for each horizon in
``calibration_horizons`` a map raw S(h) → observed is fitted on that fold with
inverse-probability-of-censoring weights (hires censored before h carry no label and get weight 0; the
others are reweighted by 1/G, G = Kaplan–Meier of the censoring); with ``refit=True`` the Cox model is
then refitted on all hires.  Other horizons use the raw Cox survival.  Durations are in days.

**Missing inputs.**  A pair known mostly by free text lacks most of what tenure depends on (career
history, years, seniority).  Imputing training medians for all of them and then extrapolating a
linear predictor gave probabilities from 1e-196 to 9e-3 for free-text candidates.  So: (1) every
covariate is clipped to the range seen in training, and so is the linear predictor (no prediction
is more extreme than one made for a training hire); (2) a row gets the documented **baseline**
instead of a prediction — the Kaplan–Meier survival of the training hires at the horizon, what is
known of everyone — when it lacks every one of the ``required_inputs`` (training passes the career
history features: a free-text candidate has no recorded history), or when the inputs it lacks carry
``fallback_missing`` (0.5) or more of the model's weight (|β| on standardised covariates);
(3) :meth:`RetentionModel.missing_inputs` names the inputs a row lacked.

Baselines (Kaplan–Meier, the naive classifier that drops censored hires) live in
:mod:`recsys.models.survival_baselines`.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Sequence
from numbers import Integral, Real
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator
from sklearn.utils._param_validation import Interval, StrOptions

from recsys.models.fit import _as_frame, _atomic_write_text

__all__ = ["RetentionModel", "tenure_targets", "derive_hazard_features", "spline_knots"]

_FORMAT = "recsys.RetentionModel/1"


def spline_knots(values: np.ndarray, n_knots: int) -> list[float]:
    """Knots at the quantiles j/(n+1), j = 1..n, of the known ``values``; duplicates and knots at
    the ends (a hinge there is constant or the input itself) dropped."""
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v)]
    if len(v) < 10 or n_knots < 1:
        return []
    q = np.unique(np.quantile(v, np.arange(1, n_knots + 1) / (n_knots + 1)))
    return [float(k) for k in q if v.min() < k < v.max()]


def _hinge_names(knots: dict[str, list[float]]) -> list[str]:
    return [f"{name}_above_{k:.4g}" for name, ks in knots.items() for k in ks]


def derive_hazard_features(X: pd.DataFrame, knots: dict[str, list[float]]) -> pd.DataFrame:
    """``X`` plus a hinge max(0, x − k) per knot of each named input (see the module doc)."""
    cols = {
        f"{name}_above_{k:.4g}": np.maximum(X[name].to_numpy(dtype=float) - k, 0.0)
        for name, ks in knots.items()
        for k in ks
    }
    return X.assign(**cols) if cols else X


def tenure_targets(outcomes: pd.DataFrame) -> pd.DataFrame:
    """Durations (days) and events for hires: ``left_at - hired_at`` (event) or
    ``observed_until - hired_at`` (censored).  Rows without ``hired_at`` are dropped; index kept."""
    hires = outcomes[outcomes["hired_at"].notna()]
    end = hires["left_at"].fillna(hires["observed_until"])
    duration = (end - hires["hired_at"]).dt.total_seconds() / 86400.0
    return pd.DataFrame(
        {"duration": duration.clip(lower=0.0), "event": hires["left_at"].notna().astype(int)},
        index=hires.index,
    )


def _check_targets(X: pd.DataFrame, durations: Any, events: Any) -> tuple[np.ndarray, np.ndarray]:
    d = np.asarray(durations, dtype=float)
    e = np.asarray(events).astype(int)
    if not (len(X) == len(d) == len(e)):
        raise ValueError(
            "X, durations and events must have the same length. "
            f"Got {len(X)}, {len(d)} and {len(e)} instead."
        )
    if np.isnan(d).any() or (d < 0).any():
        raise ValueError("The 'durations' parameter must be non-negative days without NaN.")
    if not set(np.unique(e)) <= {0, 1}:
        raise ValueError(
            "The 'events' parameter must hold only 0 (censored) and 1 (exit observed)."
        )
    return d, e


def _horizons(horizon_days: float | Sequence[float]) -> tuple[np.ndarray, bool]:
    h = np.atleast_1d(np.asarray(horizon_days, dtype=float))
    if np.isnan(h).any() or (h < 0).any():
        raise ValueError(
            f"The 'horizon_days' parameter must be non-negative days. Got {horizon_days!r} instead."
        )
    return h, np.ndim(horizon_days) == 0


def _ipcw_labels(d: np.ndarray, e: np.ndarray, horizon: float) -> tuple[np.ndarray, np.ndarray]:
    """(stayed past horizon, weight) with inverse-probability-of-censoring weights."""
    from lifelines import KaplanMeierFitter

    g = KaplanMeierFitter().fit(d, 1 - e)
    g_h = float(g.survival_function_at_times(horizon).iloc[0])
    g_t = g.survival_function_at_times(np.maximum(d - 1e-6, 0)).to_numpy()
    stayed = (d > horizon).astype(float)
    w = np.where(d > horizon, 1.0 / max(g_h, 1e-3), 0.0)
    left = (d <= horizon) & (e == 1)
    w[left] = 1.0 / np.maximum(g_t[left], 1e-3)
    return stayed, w


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(p, 1e-6, 1 - 1e-6)
    return np.log(p / (1 - p))


def _fit_calibrator(kind: str, raw: np.ndarray, y: np.ndarray, w: np.ndarray) -> dict[str, Any]:
    """A JSON-able map raw S(h) → calibrated S(h), fitted with weights ``w``."""
    if kind == "isotonic":
        from sklearn.isotonic import IsotonicRegression

        iso = IsotonicRegression(y_min=0.0, y_max=1.0, out_of_bounds="clip")
        iso.fit(raw, y, sample_weight=w)
        return {
            "kind": "isotonic",
            "x": iso.X_thresholds_.tolist(),
            "y": iso.y_thresholds_.tolist(),
        }
    from sklearn.linear_model import LogisticRegression

    lr = LogisticRegression(C=1e4).fit(_logit(raw)[:, None], y.astype(int), sample_weight=w)
    return {"kind": "platt", "a": float(lr.coef_[0, 0]), "b": float(lr.intercept_[0])}


def _apply_calibrator(cal: dict[str, Any], raw: np.ndarray) -> np.ndarray:
    if cal["kind"] == "isotonic":
        return np.interp(raw, cal["x"], cal["y"])
    return 1.0 / (1.0 + np.exp(-(cal["a"] * _logit(raw) + cal["b"])))


class RetentionModel(BaseEstimator):
    """Penalised Cox model of time-to-exit, with optional recalibration per horizon.

    Parameters
    ----------
    penalizer, l1_ratio : lifelines ``CoxPHFitter`` regularisation (on standardised features).
        ``penalizer="cv"`` picks it from ``penalizer_grid`` by ``cv_folds``-fold cross-validated
        partial log-likelihood on the training hires (the chosen value is ``penalizer_``, every
        candidate's mean held-out score ``cv_scores_``): a few hundred hires need far stronger
        shrinkage than tens of thousands, and the data, not a constant, should say how much.
    penalizer_grid, cv_folds : the values tried and the folds (``penalizer="cv"`` only).
    calibration : ``"none"``, ``"platt"`` or ``"isotonic"`` (the latter two hold out
        ``calibration_fraction`` of hires to fit the map; ``refit`` then refits the Cox on all).
    calibration_horizons : horizons (days) that get a calibration map.
    derived_features : add the linear-spline hinges of ``spline_features`` (module doc).
    spline_features, spline_knots : the inputs that get hinges, and how many knots each (at the
        training quantiles).
    fallback_missing : share of the model's weight whose inputs may be missing before a row gets
        the Kaplan–Meier baseline instead of a prediction (see the module doc); 1.0 = never.
    required_inputs : features of which a row needs at least one (else: the baseline).
    random_state : seed of the calibration split.

    Parameters follow scikit-learn's estimator contract (``get_params(deep=...)``, ``set_params``,
    ``sklearn.base.clone``); ``fit`` takes durations and events instead of ``y``.
    """

    # checked when fit starts, in sklearn's words ("The 'l1_ratio' parameter of RetentionModel
    # must be a float in the range [0.0, 1.0]. Got 2 instead."); the grid by _check_penalizer
    _parameter_constraints: dict = {  # noqa: RUF012 - sklearn reads it from the class
        "penalizer": [Interval(Real, 0, None, closed="left"), StrOptions({"cv"})],
        "penalizer_grid": ["array-like"],
        "cv_folds": [Interval(Integral, 2, None, closed="left")],
        "l1_ratio": [Interval(Real, 0, 1, closed="both")],
        "calibration": [StrOptions({"none", "platt", "isotonic"})],
        "calibration_horizons": ["array-like"],
        "calibration_fraction": [Interval(Real, 0, 1, closed="neither")],
        "refit": ["boolean"],
        "derived_features": ["boolean"],
        "spline_features": ["array-like"],
        "spline_knots": [Interval(Integral, 0, None, closed="left")],
        "fallback_missing": [Interval(Real, 0, 1, closed="both")],
        "required_inputs": ["array-like"],
        "random_state": ["random_state"],
    }

    def __init__(
        self,
        *,
        penalizer: float | Literal["cv"] = 0.01,
        penalizer_grid: Sequence[float] = (0.01, 0.03, 0.1, 0.3, 1.0),
        cv_folds: int = 5,
        l1_ratio: float = 0.0,
        calibration: Literal["none", "platt", "isotonic"] = "none",
        calibration_horizons: Sequence[float] = (365.0,),
        calibration_fraction: float = 0.25,
        refit: bool = True,
        derived_features: bool = True,
        spline_features: Sequence[str] = ("seniority_gap", "years_experience"),
        spline_knots: int = 3,
        fallback_missing: float = 0.5,
        required_inputs: Sequence[str] = (),
        random_state: int = 0,
    ) -> None:
        self.fallback_missing = fallback_missing
        self.required_inputs = required_inputs
        self.refit = refit
        self.derived_features = derived_features
        self.spline_features = spline_features
        self.spline_knots = spline_knots
        self.penalizer = penalizer
        self.penalizer_grid = penalizer_grid
        self.cv_folds = cv_folds
        self.l1_ratio = l1_ratio
        self.calibration = calibration
        self.calibration_horizons = calibration_horizons
        self.calibration_fraction = calibration_fraction
        self.random_state = random_state

    def _saved_params(self) -> dict[str, Any]:
        """The parameters as the JSON file stores them (lists of plain floats and strings)."""
        return {
            "penalizer": self.penalizer,
            "penalizer_grid": [float(x) for x in self.penalizer_grid],
            "cv_folds": self.cv_folds,
            "l1_ratio": self.l1_ratio,
            "calibration": self.calibration,
            "calibration_horizons": [float(h) for h in self.calibration_horizons],
            "calibration_fraction": self.calibration_fraction,
            "refit": self.refit,
            "derived_features": self.derived_features,
            "spline_features": [str(x) for x in self.spline_features],
            "spline_knots": self.spline_knots,
            "fallback_missing": self.fallback_missing,
            "required_inputs": [str(x) for x in self.required_inputs],
            "random_state": self.random_state,
        }

    # ------------------------------------------------------------------------------------ fit
    def fit(self, X: pd.DataFrame | np.ndarray, durations: Any, events: Any) -> RetentionModel:
        """Fit on one row per hire: features ``X``, tenure ``durations`` (days), ``events`` (1 = left)."""
        self._validate_params()
        if self.calibration not in ("platt", "isotonic", "none"):
            raise ValueError(
                "The 'calibration' parameter of RetentionModel must be 'platt', 'isotonic' or 'none'. "
                f"Got {self.calibration!r} instead."
            )
        if not 0.0 < self.calibration_fraction < 1.0:
            raise ValueError(
                "The 'calibration_fraction' parameter of RetentionModel must be in (0, 1). "
                f"Got {self.calibration_fraction!r} instead."
            )
        self._check_penalizer()
        X = _as_frame(X)
        d, e = _check_targets(X, durations, events)
        if e.sum() < 2:
            raise ValueError("RetentionModel.fit needs at least 2 observed exits (events == 1).")
        self.feature_names_ = [str(c) for c in X.columns]
        X = X.set_axis(self.feature_names_, axis=1)
        self.knots_: dict[str, list[float]] = {}
        if self.derived_features:
            for name in self.spline_features:
                if name in X.columns:
                    ks = spline_knots(X[name].to_numpy(dtype=float), self.spline_knots)
                    if ks:
                        self.knots_[name] = ks
            X = derive_hazard_features(X, self.knots_)
        self.model_features_ = [str(c) for c in X.columns]
        A = X.to_numpy(dtype=float)
        with warnings.catch_warnings():  # an all-NaN column imputes to 0 (and is then constant)
            warnings.simplefilter("ignore", RuntimeWarning)
            self.medians_ = (
                np.nan_to_num(np.nanmedian(A, axis=0)) if len(A) else np.zeros(A.shape[1])
            )
        A = np.where(np.isnan(A), self.medians_, A)
        self.lows_, self.highs_ = (A.min(axis=0), A.max(axis=0)) if len(A) else (None, None)
        from lifelines import KaplanMeierFitter

        km = KaplanMeierFitter().fit(d, e)
        self.km_times_ = km.survival_function_.index.to_numpy(dtype=float)
        self.km_survival_ = km.survival_function_.iloc[:, 0].to_numpy(dtype=float)
        self.means_ = A.mean(axis=0)
        sd = A.std(axis=0)
        self.scales_ = np.where(sd > 1e-12, sd, 1.0)
        Z = (A - self.means_) / self.scales_
        varying = sd > 1e-12

        rng = np.random.default_rng(self.random_state)
        calib = np.zeros(len(Z), dtype=bool)
        if self.calibration != "none":
            calib[rng.permutation(len(Z))[: int(round(self.calibration_fraction * len(Z)))]] = True
        fit_rows = ~calib

        unknown = sorted(set(self.required_inputs) - set(self.feature_names_))
        if unknown:
            raise ValueError(
                f"The 'required_inputs' parameter of RetentionModel names features not in X: {unknown}."
            )
        self.penalizer_, self.cv_scores_ = self._choose_penalizer(
            Z[fit_rows], d[fit_rows], e[fit_rows], varying
        )
        self._fit_cox(Z[fit_rows], d[fit_rows], e[fit_rows], varying)
        self.calibrators_: dict[float, dict[str, list[float]]] = {}
        if calib.any():
            for h in self.calibration_horizons:
                raw = self._raw_survival(Z[calib], np.array([float(h)]))[:, 0]
                y, w = _ipcw_labels(d[calib], e[calib], float(h))
                keep = w > 0
                if keep.sum() >= 10 and 0 < y[keep].mean() < 1:
                    self.calibrators_[float(h)] = _fit_calibrator(
                        self.calibration, raw[keep], y[keep], w[keep]
                    )
            if self.refit:
                self._fit_cox(Z, d, e, varying)
        return self

    def _check_penalizer(self) -> None:
        grid = self.penalizer_grid if self.penalizer == "cv" else [self.penalizer]
        if isinstance(self.penalizer, str) and self.penalizer != "cv":
            raise ValueError(
                "The 'penalizer' parameter of RetentionModel must be a float >= 0 or 'cv'. "
                f"Got {self.penalizer!r} instead."
            )
        if not len(grid) or any(
            isinstance(x, bool) or not isinstance(x, (int, float)) or not x >= 0 for x in grid
        ):
            raise ValueError(
                "The 'penalizer' and 'penalizer_grid' parameters of RetentionModel must be floats "
                f">= 0 (a non-empty grid). Got {self.penalizer!r} and {self.penalizer_grid!r}."
            )
        if self.penalizer == "cv" and not (isinstance(self.cv_folds, int) and self.cv_folds >= 2):
            raise ValueError(
                "The 'cv_folds' parameter of RetentionModel must be an int >= 2. "
                f"Got {self.cv_folds!r} instead."
            )

    def _choose_penalizer(
        self, Z: np.ndarray, d: np.ndarray, e: np.ndarray, varying: np.ndarray
    ) -> tuple[float, dict[float, float]]:
        """``(penalizer, {value: mean held-out partial log-likelihood per hire})``: the given
        penalizer, or with ``"cv"`` the grid's best by stratified (exit / stay) k-fold CV."""
        if self.penalizer != "cv":
            return float(self.penalizer), {}
        from sklearn.model_selection import StratifiedKFold

        folds = min(self.cv_folds, int(e.sum()), int((e == 0).sum()))
        if folds < 2:  # too few exits to hold any out: the least shrinkage is no safer a guess
            return float(max(self.penalizer_grid)), {}
        split = StratifiedKFold(folds, shuffle=True, random_state=self.random_state)
        scores: dict[float, float] = {}
        for pen in sorted(float(x) for x in self.penalizer_grid):
            held = []
            for train, test in split.split(Z, e):
                if e[train].sum() < 2 or e[test].sum() < 1:
                    continue
                cph = self._cox(Z[train], d[train], e[train], varying, pen)
                held.append(cph.score(self._cox_frame(Z[test], d[test], e[test], varying)))
            if held:
                scores[pen] = float(np.mean(held))
        if not scores:
            return float(max(self.penalizer_grid)), {}
        best = max(scores, key=lambda p: (scores[p], p))  # ties: the stronger shrinkage
        return best, scores

    @staticmethod
    def _cox_frame(
        Z: np.ndarray, d: np.ndarray, e: np.ndarray, varying: np.ndarray
    ) -> pd.DataFrame:
        df = pd.DataFrame(Z[:, varying], columns=[f"x{i}" for i in np.flatnonzero(varying)])
        df["duration"] = np.maximum(d, 1e-3)
        df["event"] = e
        return df

    def _cox(self, Z, d, e, varying, penalizer: float) -> Any:
        from lifelines import CoxPHFitter

        cph = CoxPHFitter(penalizer=penalizer, l1_ratio=self.l1_ratio)
        return cph.fit(
            self._cox_frame(Z, d, e, varying), duration_col="duration", event_col="event"
        )

    def _fit_cox(self, Z: np.ndarray, d: np.ndarray, e: np.ndarray, varying: np.ndarray) -> None:
        cols = [f"x{i}" for i in np.flatnonzero(varying)]
        cph = self._cox(Z, d, e, varying, self.penalizer_)
        self.coef_ = np.zeros(Z.shape[1])
        self.coef_[varying] = cph.params_.to_numpy()
        lp = Z @ self.coef_
        self.lp_range_ = np.array([lp.min(), lp.max()]) if len(lp) else None
        # baseline cumulative hazard at Z = 0 (public API: predict on an all-zero row)
        H0 = cph.predict_cumulative_hazard(pd.DataFrame(np.zeros((1, len(cols))), columns=cols))
        self.baseline_times_ = H0.index.to_numpy(dtype=float)
        self.baseline_cumhaz_ = H0.iloc[:, 0].to_numpy(dtype=float)

    # -------------------------------------------------------------------------------- predict
    def _z(self, X: Any) -> np.ndarray:
        return self._design(X)[0]

    def _design(self, X: Any) -> tuple[np.ndarray, np.ndarray]:
        """``(Z, missing)``: standardised inputs and where each was unknown.  Nothing is kept on
        the model: one fitted model serves concurrent requests."""
        if not hasattr(self, "coef_"):
            raise RuntimeError(
                "This RetentionModel is not fitted yet: call fit(...) or RetentionModel.load(path)."
            )
        X = _as_frame(X, self.feature_names_)
        missing = [c for c in self.feature_names_ if c not in X.columns]
        if missing:
            raise ValueError(
                f"The 'X' parameter lacks features the model was trained on: {missing}."
            )
        names = list(self.feature_names_)
        knots = getattr(self, "knots_", {})
        idx = X.columns.get_indexer(names) if X.columns.is_unique else None
        if idx is not None and (idx >= 0).all():
            A = X.to_numpy(dtype=float)[:, idx]  # serving: no intermediate frames
            hinges = [  # derive_hazard_features, on the array
                np.maximum(A[:, names.index(name)] - k, 0.0)
                for name, ks in knots.items()
                for k in ks
            ]
            if hinges:
                A = np.column_stack([A, *hinges])
        else:
            A = derive_hazard_features(X[names], knots).to_numpy(dtype=float)
        missing = np.isnan(A)
        A = np.where(missing, self.medians_, A)
        if getattr(self, "lows_", None) is not None:  # no extrapolation beyond training
            A = np.clip(A, self.lows_, self.highs_)
        return (A - self.means_) / self.scales_, missing

    def _missing_share(self, missing: np.ndarray) -> np.ndarray:
        weight = np.abs(self.coef_)
        total = weight.sum()
        return (missing * weight).sum(axis=1) / total if total > 0 else np.zeros(len(missing))

    def missing_inputs(self, X: Any) -> tuple[np.ndarray, list[list[str]]]:
        """Per row: the missing share of the model's weight and the inputs (with weight) missing."""
        missing = self._design(X)[1]
        names = list(self.feature_names_) + _hinge_names(getattr(self, "knots_", {}))
        used = np.abs(self.coef_) > 0
        lists = [[names[j] for j in np.flatnonzero(row & used)] for row in missing]
        return self._missing_share(missing), lists

    def contributions(self, X: Any) -> tuple[list[str], np.ndarray]:
        """``(inputs, C)``: each input's share of a row's log relative hazard, ``C[i, j]`` =
        Σ β·z over input j's own column and its hinges (z standardised on the training hires,
        so 0 = an average hire).  Positive = leaves sooner (lowers P(stay)); a row's total is
        ``log predict_risk``.  Missing inputs sit at the training median (their share is
        what that median contributes)."""
        Z = self._z(X)
        names = list(self.feature_names_)
        owner = list(range(len(names)))
        for name, ks in getattr(self, "knots_", {}).items():
            owner += [names.index(name)] * len(ks)
        C = np.zeros((len(Z), len(names)))
        np.add.at(C.T, np.asarray(owner), (Z * self.coef_).T)
        return names, C

    def baseline_rows(self, X: Any) -> np.ndarray:
        """Rows of ``X`` that get the baseline (see the module doc)."""
        return self._thin(self._design(X)[1])

    def _thin(self, missing: np.ndarray) -> np.ndarray:
        thin = self._missing_share(missing) >= self.fallback_missing
        req = [self.feature_names_.index(n) for n in self.required_inputs]
        if req:
            thin |= missing[:, req].all(axis=1)
        return thin

    def baseline_survival(self, h: np.ndarray) -> np.ndarray:
        """Kaplan–Meier survival of the training hires at ``h`` (the fallback)."""
        if getattr(self, "km_times_", None) is None:  # files written before the fallback
            return self._raw_survival(np.zeros((1, len(self.coef_))), h)[0]
        idx = np.searchsorted(self.km_times_, h, side="right") - 1
        return np.where(idx >= 0, self.km_survival_[np.maximum(idx, 0)], 1.0)

    def _raw_survival(self, Z: np.ndarray, h: np.ndarray) -> np.ndarray:
        idx = np.searchsorted(self.baseline_times_, h, side="right") - 1
        H0 = np.where(idx >= 0, self.baseline_cumhaz_[np.maximum(idx, 0)], 0.0)
        bounds = getattr(self, "lp_range_", None)  # the training hires' range (older files: none)
        lo, hi = (-50.0, 50.0) if bounds is None else bounds
        risk = np.exp(np.clip(Z @ self.coef_, lo, hi))
        return np.exp(-np.outer(risk, H0))

    def predict_risk(self, X: Any) -> np.ndarray:
        """Relative hazard exp(x·β) (higher = leaves sooner)."""
        return np.exp(self._z(X) @ self.coef_)

    def predict_survival(
        self, X: Any, horizon_days: float | Sequence[float] = 365.0, *, calibrated: bool = True
    ) -> np.ndarray:
        """P(still employed at ``horizon_days``): shape (n,) for a scalar horizon, (n, len(h)) for many.

        Beyond the longest tenure seen in training the last baseline value is held (no extrapolation).
        """
        h, scalar = _horizons(horizon_days)
        Z, missing = self._design(X)
        S = self._raw_survival(Z, h)
        if calibrated:
            for j, hj in enumerate(h):
                cal = self.calibrators_.get(float(hj))
                if cal is not None:
                    S[:, j] = _apply_calibrator(cal, S[:, j])
        thin = self._thin(missing)
        if thin.any():  # too little known to predict: the documented baseline
            S[thin] = self.baseline_survival(h)[None, :]
        return S[:, 0] if scalar else S

    # ---------------------------------------------------------------------------- persistence
    def save(self, path: str | Path) -> Path:
        """Write the fitted parameters as JSON (atomic)."""
        self._z(np.zeros((0, len(getattr(self, "feature_names_", [])))))  # raises when unfitted
        path = Path(path)
        state = {
            "format": _FORMAT,
            "params": self._saved_params(),
            "feature_names": self.feature_names_,
            "medians": self.medians_.tolist(),
            "means": self.means_.tolist(),
            "scales": self.scales_.tolist(),
            "coef": self.coef_.tolist(),
            "baseline_times": self.baseline_times_.tolist(),
            "baseline_cumhaz": self.baseline_cumhaz_.tolist(),
            "calibrators": [{"horizon": h, **c} for h, c in self.calibrators_.items()],
            "lows": self.lows_.tolist(),
            "highs": self.highs_.tolist(),
            "km_times": self.km_times_.tolist(),
            "km_survival": self.km_survival_.tolist(),
            "lp_range": self.lp_range_.tolist(),
            "knots": self.knots_,
            "penalizer_used": self.penalizer_,
            "cv_scores": [[p, v] for p, v in self.cv_scores_.items()],
        }
        _atomic_write_text(path, json.dumps(state))
        return path

    @classmethod
    def load(cls, path: str | Path) -> RetentionModel:
        state = json.loads(Path(path).read_text(encoding="utf-8"))
        if state.get("format") != _FORMAT:
            raise ValueError(f"{path} is not a {_FORMAT} file.")
        # Files written before the learned knots used fixed seniority-gap hinges: not readable
        # as such any more (retrain); files before any hinge were fitted without them.
        if state["params"].get("derived_features") and "knots" not in state:
            raise ValueError(
                f"{path} was written with the fixed seniority-gap hinges of earlier versions; "
                "retrain the model (recsys train) to get learned knots."
            )
        self = cls(**{"derived_features": False, **state["params"]})
        self.feature_names_ = list(state["feature_names"])
        self.knots_ = {k: list(map(float, v)) for k, v in state.get("knots", {}).items()}
        # older files: the penalizer parameter was the one used
        self.penalizer_ = float(state.get("penalizer_used", self.penalizer))
        self.cv_scores_ = {float(p): float(v) for p, v in state.get("cv_scores", [])}
        for key in ("medians", "means", "scales", "coef", "baseline_times", "baseline_cumhaz"):
            setattr(self, f"{key}_", np.asarray(state[key], dtype=float))
        for key in (
            "lows",
            "highs",
            "km_times",
            "km_survival",
            "lp_range",
        ):  # absent in older files
            setattr(self, f"{key}_", np.asarray(state[key], float) if key in state else None)
        if "fallback_missing" not in state["params"]:
            self.fallback_missing = 1.0  # older files: predictions as they were
        self.calibrators_ = {
            float(c.pop("horizon")): c for c in (dict(c) for c in state["calibrators"])
        }
        return self
