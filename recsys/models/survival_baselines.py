"""The two retention baselines the survival model is evaluated against (issue 4).

Both share the ``fit(X, durations, events)`` / ``predict_survival(X, horizon_days)`` interface of
:class:`recsys.models.retention.RetentionModel`:

- :class:`KaplanMeierBaseline` — one population survival curve, no features.
- :class:`NaiveRetentionClassifier` — logistic regression on "left before the horizon" that *drops
  censored hires* (``drop="censored"``: every hire without an observed exit).  It is biased on purpose:
  it is the mistake the survival model exists to avoid.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

import numpy as np
import pandas as pd

from recsys.models.fit import _as_frame
from recsys.models.retention import _check_targets, _horizons

__all__ = ["KaplanMeierBaseline", "NaiveRetentionClassifier"]


class KaplanMeierBaseline:
    """The population survival curve: the same P(stay ≥ h) for everyone (features ignored)."""

    def fit(self, X: Any, durations: Any, events: Any) -> KaplanMeierBaseline:
        from lifelines import KaplanMeierFitter

        X = _as_frame(X) if X is not None else pd.DataFrame(index=range(len(np.asarray(durations))))
        d, e = _check_targets(X, durations, events)
        self.km_ = KaplanMeierFitter().fit(d, e)
        return self

    def predict_survival(self, X: Any, horizon_days: float | Sequence[float] = 365.0) -> np.ndarray:
        if not hasattr(self, "km_"):
            raise RuntimeError("This KaplanMeierBaseline is not fitted yet: call fit(...).")
        h, scalar = _horizons(horizon_days)
        s = self.km_.survival_function_at_times(h).to_numpy()
        S = np.tile(s, (len(X), 1))
        return S[:, 0] if scalar else S


class NaiveRetentionClassifier:
    """Logistic regression on "left before h" that ignores censoring by dropping censored hires.

    ``drop="censored"`` drops every hire without an observed exit (the naive mistake the issue asks for);
    ``drop="censored_before_horizon"`` drops only those censored before h (less biased).  One classifier
    per horizon in ``horizons``; other horizons interpolate linearly (clipped at the ends), kept
    non-increasing in h.
    """

    def __init__(
        self,
        *,
        horizons: Sequence[float] = (365.0,),
        drop: Literal["censored", "censored_before_horizon"] = "censored",
        C: float = 1.0,
        random_state: int = 0,
    ) -> None:
        self.horizons = horizons
        self.drop = drop
        self.C = C
        self.random_state = random_state

    def fit(self, X: Any, durations: Any, events: Any) -> NaiveRetentionClassifier:
        from sklearn.impute import SimpleImputer
        from sklearn.linear_model import LogisticRegression
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import StandardScaler

        if self.drop not in ("censored", "censored_before_horizon"):
            raise ValueError(
                "The 'drop' parameter of NaiveRetentionClassifier must be 'censored' or "
                f"'censored_before_horizon'. Got {self.drop!r} instead."
            )
        X = _as_frame(X)
        d, e = _check_targets(X, durations, events)
        self.feature_names_ = [str(c) for c in X.columns]
        self.horizons_ = np.sort(np.asarray(self.horizons, dtype=float))
        self.models_: list[Any] = []
        for h in self.horizons_:
            keep = (e == 1) if self.drop == "censored" else ((e == 1) | (d > h))
            left = ((d <= h) & (e == 1)).astype(int)[keep]
            if len(np.unique(left)) < 2:  # one class only: a constant predictor
                self.models_.append(float(left.mean()) if len(left) else 0.5)
                continue
            clf = make_pipeline(
                SimpleImputer(strategy="median", keep_empty_features=True),
                StandardScaler(),
                LogisticRegression(C=self.C, max_iter=1000, random_state=self.random_state),
            )
            self.models_.append(clf.fit(X.to_numpy(dtype=float)[keep], left))
        return self

    def predict_survival(self, X: Any, horizon_days: float | Sequence[float] = 365.0) -> np.ndarray:
        if not hasattr(self, "models_"):
            raise RuntimeError("This NaiveRetentionClassifier is not fitted yet: call fit(...).")
        h, scalar = _horizons(horizon_days)
        A = _as_frame(X, self.feature_names_)[self.feature_names_].to_numpy(dtype=float)
        at_fitted = np.column_stack(
            [
                np.full(len(A), 1 - m) if isinstance(m, float) else m.predict_proba(A)[:, 0]
                for m in self.models_
            ]
        )
        at_fitted = np.minimum.accumulate(at_fitted, axis=1)  # survival never rises with h
        hz = self.horizons_
        hc = np.clip(h, hz[0], hz[-1])
        hi = np.clip(np.searchsorted(hz, hc, side="left"), 0, len(hz) - 1)
        lo = np.maximum(hi - 1, 0)
        span = np.where(hz[hi] > hz[lo], hz[hi] - hz[lo], 1.0)
        w = np.where(hi > lo, (hc - hz[lo]) / span, 0.0)
        S = at_fitted[:, lo] * (1 - w) + at_fitted[:, hi] * w
        return S[:, 0] if scalar else S
