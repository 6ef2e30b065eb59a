"""Split a world by time: older requisitions train, newer ones test.

Roles are ordered by ``opened_at`` (ties broken by ``role_id`` so the split is deterministic); the
newest ``test_fraction`` form the test period, the newest ``valid_fraction`` of the remainder the
validation slice (early stopping, tuning), the rest train.  Every outcome belongs to its role's period,
so no requisition appears on both sides.  Candidates may appear on both sides, as they do in
production (the same people apply again).

What would leak: a training hire's exit that happens after the test cutoff is a test-period event.
:func:`censor_at` re-censors tenures at a date, and :func:`training_outcomes` applies it to the
training and validation periods when ``censor_at_cutoff`` is set.  Applications to training roles made
after the cutoff are dropped for the same reason.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = ["TimeSplit", "split_by_time", "censor_at", "training_outcomes"]


@dataclass(frozen=True)
class TimeSplit:
    """Role ids per period and the dates that separate them."""

    train_roles: tuple[str, ...]
    valid_roles: tuple[str, ...]
    test_roles: tuple[str, ...]
    valid_cutoff: pd.Timestamp  # first opened_at of the validation period
    test_cutoff: pd.Timestamp  # first opened_at of the test period

    def period_of(self, role_ids: pd.Series) -> pd.Series:
        """``"train" | "valid" | "test"`` per role id (NaN for unknown roles)."""
        lookup = {r: "train" for r in self.train_roles}
        lookup.update({r: "valid" for r in self.valid_roles})
        lookup.update({r: "test" for r in self.test_roles})
        return role_ids.map(lookup)

    def summary(self) -> dict[str, object]:
        return {
            "train_roles": len(self.train_roles),
            "valid_roles": len(self.valid_roles),
            "test_roles": len(self.test_roles),
            "valid_cutoff": self.valid_cutoff.isoformat(),
            "test_cutoff": self.test_cutoff.isoformat(),
        }


def split_by_time(
    roles: pd.DataFrame, test_fraction: float = 0.3, valid_fraction: float = 0.15
) -> TimeSplit:
    """Partition ``roles`` (needs ``role_id``, ``opened_at``) into train / valid / test by time."""
    for name, value in (("test_fraction", test_fraction), ("valid_fraction", valid_fraction)):
        if not 0 < value < 1:
            raise ValueError(
                f"The '{name}' parameter of split_by_time must be a float in (0, 1). Got {value!r}."
            )
    n = len(roles)
    n_test = int(round(test_fraction * n))
    n_valid = int(round(valid_fraction * (n - n_test)))
    if n < 3 or n_test < 1 or n_valid < 1 or n - n_test - n_valid < 1:
        raise ValueError(
            f"split_by_time needs at least one role per period; {n} roles with "
            f"test_fraction={test_fraction}, valid_fraction={valid_fraction} give "
            f"train={n - n_test - n_valid}, valid={n_valid}, test={n_test}."
        )
    ordered = roles[["role_id", "opened_at"]].sort_values(["opened_at", "role_id"], kind="stable")
    ids = ordered["role_id"].astype(str).to_numpy()
    opened = ordered["opened_at"].to_numpy()
    i_valid, i_test = n - n_test - n_valid, n - n_test
    return TimeSplit(
        train_roles=tuple(ids[:i_valid]),
        valid_roles=tuple(ids[i_valid:i_test]),
        test_roles=tuple(ids[i_test:]),
        valid_cutoff=pd.Timestamp(opened[i_valid]),
        test_cutoff=pd.Timestamp(opened[i_test]),
    )


def censor_at(outcomes: pd.DataFrame, cutoff: pd.Timestamp) -> pd.DataFrame:
    """Outcomes as they were known at ``cutoff``: later exits erased, ``observed_until`` capped.

    Hires made after ``cutoff`` are kept as applications (their stage stays) but lose their tenure
    (``hired_at`` = NaT), so survival models never see them.
    """
    out = outcomes.copy()
    cutoff = pd.Timestamp(cutoff)
    out["observed_until"] = out["observed_until"].where(out["observed_until"] <= cutoff, cutoff)
    out["left_at"] = out["left_at"].where(out["left_at"] <= cutoff)
    out["hired_at"] = out["hired_at"].where(out["hired_at"] <= cutoff)
    return out


def training_outcomes(
    outcomes: pd.DataFrame, split: TimeSplit, *, censor_at_cutoff: bool = True
) -> dict[str, pd.DataFrame]:
    """Outcomes per period: ``{"train", "valid", "test"}``.

    Training and validation keep only applications made before the test cutoff and, with
    ``censor_at_cutoff``, tenures re-censored there.  The test period is returned as observed.
    """
    period = split.period_of(outcomes["role_id"].astype(str))
    parts = {p: outcomes[period.to_numpy() == p] for p in ("train", "valid", "test")}
    for p in ("train", "valid"):
        part = parts[p][parts[p]["applied_at"] < split.test_cutoff]
        parts[p] = censor_at(part, split.test_cutoff) if censor_at_cutoff else part
    return {p: f.reset_index(drop=True) for p, f in parts.items()}


def roles_mask(role_ids: pd.Series | np.ndarray, roles: tuple[str, ...]) -> np.ndarray:
    """Boolean mask of ``role_ids`` that are in ``roles``."""
    return pd.Series(np.asarray(role_ids)).astype(str).isin(set(roles)).to_numpy()


def retention_periods(
    outcomes: pd.DataFrame,
    horizon_days: float = 365.0,
    test_fraction: float = 0.3,
    *,
    censor_at_cutoff: bool = True,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.Timestamp]:
    """Hires split by hire date for the retention model: ``(train, test, cutoff)``.

    A 12-month retention claim can only be checked on hires that could have been followed for 12
    months, so the test hires are the newest ``test_fraction`` of hires made at least ``horizon_days``
    before the end of observation; training hires are those hired before them, re-censored at the
    cutoff when ``censor_at_cutoff`` (exits after it are unknown at training time).
    """
    hires = outcomes[outcomes["hired_at"].notna()]
    if hires.empty:
        raise ValueError("retention_periods: the outcomes hold no hires.")
    end = hires["observed_until"].max()
    eligible = hires[hires["hired_at"] <= end - pd.Timedelta(days=float(horizon_days))]
    if len(eligible) < 10:
        raise ValueError(
            f"retention_periods: only {len(eligible)} hires were made {horizon_days:g}+ days before "
            f"the end of observation ({end.date()}); a longer history is needed."
        )
    cutoff = pd.Timestamp(eligible["hired_at"].quantile(1 - test_fraction)).normalize()
    test = eligible[eligible["hired_at"] >= cutoff]
    train = hires[hires["hired_at"] < cutoff]
    if censor_at_cutoff:
        train = censor_at(train, cutoff)
    return train.reset_index(drop=True), test.reset_index(drop=True), cutoff
