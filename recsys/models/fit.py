"""FitRanker: how well a candidate fits a role, learned from graded funnel stages.

A LightGBM model over pair features (see :mod:`recsys.features`).  Labels are the funnel stage reached
(0 applied … 4 hired); queries are roles (one requisition = one ranking).  ``objective="lambdarank"``
optimises NDCG with *exponential* gain (``2**stage - 1``), the same definition
:func:`recsys.metrics.ndcg_at_k` uses by default; ``objective="regression"`` fits the expected stage
pointwise (least squares), which ranked better on the example world, whose stages are thresholds of a
noisy fit (docs/training.md, Results).  Either way early stopping watches the validation NDCG@k per role.

Monotone constraints: every feature whose registry entry (:data:`recsys.features.FEATURES`) declares a
direction is constrained in that direction (coverage of required skills, verified coverage, contract
coverage by held credentials, credential similarity, …).  So "adding a required skill backed by a verified
credential never lowers fit" holds by construction, not by luck of training.

Persistence: ``save(path)`` writes ``path`` (LightGBM text model) and ``path.with_suffix(".json")``
(feature names, parameters, monotone directions).  No pickle.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Mapping, Sequence
from numbers import Integral, Real
from pathlib import Path
from typing import Any, Literal

import lightgbm as lgb
import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator
from sklearn.utils._param_validation import Interval, Options, StrOptions

__all__ = ["FitRanker", "resolve_monotone"]

_FORMAT = "recsys.FitRanker/1"


def resolve_monotone(
    feature_names: Sequence[str], monotone: Mapping[str, int] | str | None
) -> list[int]:
    """Per-feature monotone directions (+1, 0, -1) in the order of ``feature_names``.

    ``monotone="auto"`` reads the directions declared in :data:`recsys.features.FEATURES`;
    a mapping gives them explicitly (names not in it are unconstrained); ``None`` constrains nothing.
    """
    if monotone is None:
        return [0] * len(feature_names)
    if isinstance(monotone, str):
        if monotone != "auto":
            raise ValueError(
                "The 'monotone' parameter of FitRanker must be 'auto', a mapping or None. "
                f"Got {monotone!r} instead."
            )
        from recsys.features import FEATURES

        monotone = {name: spec.monotone for name, spec in FEATURES.items()}
    out = []
    for name in feature_names:
        d = int(monotone.get(name, 0))
        if d not in (-1, 0, 1):
            raise ValueError(
                f"The monotone direction of feature {name!r} must be -1, 0 or 1. Got {d} instead."
            )
        out.append(d)
    return out


def _atomic_write_text(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _as_frame(X: Any, feature_names: Sequence[str] | None = None) -> pd.DataFrame:
    if isinstance(X, pd.DataFrame):
        return X
    arr = np.asarray(X, dtype=float)
    if arr.ndim != 2:
        raise ValueError(f"The 'X' parameter must be 2-dimensional. Got shape {arr.shape} instead.")
    names = (
        list(feature_names) if feature_names is not None else [f"f{i}" for i in range(arr.shape[1])]
    )
    return pd.DataFrame(arr, columns=names)


def _sort_by_group(
    X: pd.DataFrame, y: np.ndarray, group_ids: Any
) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    g = pd.Series(np.asarray(group_ids)).astype(str).to_numpy()
    if len(g) != len(X) or len(y) != len(X):
        raise ValueError(
            "X, y and group_ids must have the same length. "
            f"Got {len(X)}, {len(y)} and {len(g)} instead."
        )
    # sort by group, then by (label, features) so the fit does not depend on the input row order
    keys = [X[c].to_numpy(dtype=float) for c in reversed(X.columns)]
    order = np.lexsort([*keys, y, g])
    g_sorted = g[order]
    _, sizes = np.unique(g_sorted, return_counts=True)  # np.unique sorts: same order as argsort
    return X.iloc[order].reset_index(drop=True), y[order], sizes


class FitRanker(BaseEstimator):
    """LightGBM lambdarank over pair features, grouped by role.

    Parameters
    ----------
    n_estimators, learning_rate, num_leaves, min_child_samples, subsample, colsample_bytree,
    reg_lambda : LightGBM hyper-parameters (see ``lightgbm.LGBMRanker``).
    monotone : ``"auto"`` (directions from the feature registry), a mapping name → direction, or None.
    eval_at : the NDCG cut-offs LightGBM reports while training (early stopping uses the first).
    n_jobs : threads (default 1: the project runs on shared small machines).
    random_state : the one seed.
    objective : ``"lambdarank"`` (listwise NDCG) or ``"regression"`` (pointwise expected stage).

    A scikit-learn estimator as far as parameters go (``get_params(deep=...)``, ``set_params``,
    ``sklearn.base.clone``; tests/models/test_estimator_contract.py), so hyper-parameter tools and
    notebooks can copy and vary it.  ``fit`` takes role ids besides ``X, y``.
    """

    # checked when fit starts (sklearn's own validation: "The 'learning_rate' parameter of
    # FitRanker must be a float in the range (0.0, inf). Got 'fast' instead.")
    _parameter_constraints: dict = {  # noqa: RUF012 - sklearn reads it from the class
        "n_estimators": [Interval(Integral, 1, None, closed="left")],
        "learning_rate": [Interval(Real, 0.0, None, closed="neither")],
        "num_leaves": [Interval(Integral, 2, None, closed="left")],
        "min_child_samples": [Interval(Integral, 1, None, closed="left")],
        "subsample": [Interval(Real, 0.0, 1.0, closed="right")],
        "colsample_bytree": [Interval(Real, 0.0, 1.0, closed="right")],
        "reg_lambda": [Interval(Real, 0.0, None, closed="left")],
        "monotone": [dict, StrOptions({"auto"}), None],
        "eval_at": ["array-like"],
        "n_jobs": [Interval(Integral, 1, None, closed="left"), Options(Integral, {-1})],
        "random_state": ["random_state"],
        "objective": [StrOptions({"lambdarank", "regression"})],
    }

    def __init__(
        self,
        *,
        n_estimators: int = 400,
        learning_rate: float = 0.05,
        num_leaves: int = 31,
        min_child_samples: int = 20,
        subsample: float = 0.8,
        colsample_bytree: float = 0.8,
        reg_lambda: float = 1.0,
        monotone: Mapping[str, int] | str | None = "auto",
        eval_at: Sequence[int] = (10,),
        n_jobs: int = 1,
        random_state: int = 0,
        objective: Literal["lambdarank", "regression"] = "lambdarank",
    ) -> None:
        self.n_estimators = n_estimators
        self.learning_rate = learning_rate
        self.num_leaves = num_leaves
        self.min_child_samples = min_child_samples
        self.subsample = subsample
        self.colsample_bytree = colsample_bytree
        self.reg_lambda = reg_lambda
        self.monotone = monotone
        self.eval_at = eval_at
        self.n_jobs = n_jobs
        self.random_state = random_state
        self.objective = objective

    # ------------------------------------------------------------------ fit
    def fit(
        self,
        X: pd.DataFrame | np.ndarray,
        y: Any,
        group_ids: Any,
        *,
        eval_set: tuple[Any, Any, Any] | None = None,
        early_stopping_rounds: int | None = None,
    ) -> FitRanker:
        """Fit on pairs ``X`` with stage labels ``y`` (ints 0–4), one query per distinct ``group_ids``.

        Rows need not be contiguous by group: they are sorted inside.  ``eval_set=(X, y, group_ids)``
        with ``early_stopping_rounds`` stops on the validation NDCG at ``eval_at[0]``.
        """
        self._validate_params()
        X = _as_frame(X)
        y = np.asarray(y)
        if y.size and (not np.issubdtype(y.dtype, np.number) or (y < 0).any() or (y > 30).any()):
            raise ValueError("The 'y' parameter of FitRanker.fit must be small non-negative ints.")
        y = y.astype(int)
        if self.objective not in ("lambdarank", "regression"):
            raise ValueError(
                "The 'objective' parameter of FitRanker must be 'lambdarank' or 'regression'. "
                f"Got {self.objective!r} instead."
            )
        Xs, ys, sizes = _sort_by_group(X, y, group_ids)
        self.feature_names_ = [str(c) for c in X.columns]
        self.monotone_constraints_ = resolve_monotone(self.feature_names_, self.monotone)
        constrained = any(self.monotone_constraints_)
        params: dict[str, Any] = {
            "objective": self.objective,
            "metric": "ndcg",
            "eval_at": list(self.eval_at),
            "learning_rate": self.learning_rate,
            "num_leaves": self.num_leaves,
            "min_child_samples": self.min_child_samples,
            "subsample": self.subsample,
            "subsample_freq": 1 if self.subsample < 1 else 0,
            "colsample_bytree": self.colsample_bytree,
            "reg_lambda": self.reg_lambda,
            "num_threads": self.n_jobs,
            "seed": self.random_state,
            "verbosity": -1,
        }
        if constrained:
            params.update(
                monotone_constraints=self.monotone_constraints_,
                monotone_constraints_method="advanced",
            )
        train_set = lgb.Dataset(Xs, ys, group=sizes, feature_name=self.feature_names_)
        valid_sets, callbacks, record = [], [], {}
        if eval_set is not None:
            Xv, yv, gv = eval_set
            Xv = _as_frame(Xv, self.feature_names_)[self.feature_names_]
            Xvs, yvs, sizes_v = _sort_by_group(Xv, np.asarray(yv).astype(int), gv)
            valid_sets = [lgb.Dataset(Xvs, yvs, group=sizes_v, reference=train_set)]
            callbacks.append(lgb.record_evaluation(record))
            if early_stopping_rounds:
                callbacks.append(
                    lgb.early_stopping(early_stopping_rounds, first_metric_only=True, verbose=False)
                )
        elif early_stopping_rounds:
            raise ValueError(
                "The 'early_stopping_rounds' parameter of FitRanker.fit needs an 'eval_set'. "
                "Got eval_set=None instead."
            )
        self.booster_ = lgb.train(
            params,
            train_set,
            num_boost_round=self.n_estimators,
            valid_sets=valid_sets,
            valid_names=["valid_0"][: len(valid_sets)],
            callbacks=callbacks,
        )
        self.best_iteration_ = int(
            self.booster_.best_iteration or self.booster_.current_iteration()
        )
        self.evals_result_ = {k: dict(v) for k, v in record.items()}
        return self

    # -------------------------------------------------------------- predict
    def _check(self, X: Any) -> pd.DataFrame:
        if not hasattr(self, "booster_"):
            raise RuntimeError(
                "This FitRanker is not fitted yet: call fit(...) or FitRanker.load(path)."
            )
        X = _as_frame(X, self.feature_names_)
        missing = [c for c in self.feature_names_ if c not in X.columns]
        if missing:
            raise ValueError(
                f"The 'X' parameter lacks features the model was trained on: {missing}. "
                f"Expected columns {self.feature_names_}."
            )
        return X[self.feature_names_]

    def predict(self, X: pd.DataFrame | np.ndarray) -> np.ndarray:
        """Fit scores (higher = better fit; comparable within and across roles, unbounded)."""
        X = self._check(X)
        return self.booster_.predict(
            X.to_numpy(dtype=np.float64),
            num_iteration=self.best_iteration_,
            num_threads=self.n_jobs,
        )

    def predict_contrib(self, X: pd.DataFrame | np.ndarray) -> pd.DataFrame:
        """Per-feature SHAP contributions (columns = features, plus ``bias``); rows sum to predict(X)."""
        X = self._check(X)
        out = self.booster_.predict(
            X.to_numpy(dtype=np.float64),
            num_iteration=self.best_iteration_,
            pred_contrib=True,
            num_threads=self.n_jobs,
        )
        return pd.DataFrame(out, columns=[*self.feature_names_, "bias"], index=X.index)

    def feature_importance(self, importance_type: str = "gain") -> pd.Series:
        """Importance per feature (``"gain"`` or ``"split"``), sorted descending."""
        if importance_type not in ("gain", "split"):
            raise ValueError(
                "The 'importance_type' parameter of feature_importance must be 'gain' or 'split'. "
                f"Got {importance_type!r} instead."
            )
        self._check(np.zeros((0, len(getattr(self, "feature_names_", [])))))
        imp = self.booster_.feature_importance(
            importance_type=importance_type, iteration=self.best_iteration_
        )
        return pd.Series(imp, index=self.feature_names_, name=importance_type).sort_values(
            ascending=False
        )

    # ---------------------------------------------------------- persistence
    def save(self, path: str | Path) -> Path:
        """Write the LightGBM text model to ``path`` and a JSON sidecar beside it; returns ``path``."""
        self._check(np.zeros((0, len(getattr(self, "feature_names_", [])))))
        path = Path(path)
        params = self.get_params()
        params["eval_at"] = list(params["eval_at"])
        if isinstance(params["monotone"], Mapping):
            params["monotone"] = dict(params["monotone"])
        meta = {
            "format": _FORMAT,
            "feature_names": self.feature_names_,
            "monotone_constraints": self.monotone_constraints_,
            "best_iteration": self.best_iteration_,
            "params": params,
            "lightgbm_version": lgb.__version__,
        }
        _atomic_write_text(path, self.booster_.model_to_string(num_iteration=self.best_iteration_))
        _atomic_write_text(path.with_suffix(".json"), json.dumps(meta, indent=2))
        return path

    @classmethod
    def load(cls, path: str | Path) -> FitRanker:
        """Read a model written by :meth:`save`."""
        path = Path(path)
        meta = json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))
        if meta.get("format") != _FORMAT:
            raise ValueError(f"{path.with_suffix('.json')} is not a {_FORMAT} sidecar.")
        self = cls(**meta["params"])
        self.booster_ = lgb.Booster(model_str=path.read_text(encoding="utf-8"))
        self.feature_names_ = list(meta["feature_names"])
        self.monotone_constraints_ = list(meta["monotone_constraints"])
        self.best_iteration_ = int(meta["best_iteration"])
        self.evals_result_ = {}
        return self
