from __future__ import annotations

import pandas as pd
import pytest

from recsys_training.split import censor_at, split_by_time, training_outcomes

T = pd.Timestamp


def _roles(n: int = 20) -> pd.DataFrame:
    dates = pd.date_range("2023-01-01", periods=n, freq="7D")
    # shuffled on purpose: the split must sort by opened_at, not trust row order
    frame = pd.DataFrame({"role_id": [f"r{i:02d}" for i in range(n)], "opened_at": dates})
    return frame.sample(frac=1.0, random_state=0).reset_index(drop=True)


def test_split_is_by_time_and_disjoint():
    roles = _roles()
    split = split_by_time(roles, test_fraction=0.25, valid_fraction=0.2)
    opened = roles.set_index("role_id")["opened_at"]
    assert len(split.test_roles) == 5 and len(split.valid_roles) == 3
    assert opened[list(split.train_roles)].max() < opened[list(split.valid_roles)].min()
    assert opened[list(split.valid_roles)].max() < opened[list(split.test_roles)].min()
    assert split.test_cutoff == opened[list(split.test_roles)].min()
    every = set(split.train_roles) | set(split.valid_roles) | set(split.test_roles)
    assert len(every) == len(roles)


def test_split_rejects_bad_fractions_and_tiny_sets():
    with pytest.raises(ValueError, match="test_fraction"):
        split_by_time(_roles(), test_fraction=1.5)
    with pytest.raises(ValueError, match="at least one role per period"):
        split_by_time(_roles(2))


def _outcomes() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "candidate_id": ["a", "b", "c", "d"],
            "role_id": ["r00", "r00", "r01", "r19"],
            "applied_at": [T("2023-01-02"), T("2023-01-03"), T("2023-01-09"), T("2023-05-10")],
            "stage": [4, 4, 4, 0],
            "hired_at": [T("2023-02-01"), T("2023-02-01"), T("2023-02-01"), pd.NaT],
            "left_at": [T("2023-03-01"), T("2024-06-01"), pd.NaT, pd.NaT],
            "observed_until": [T("2025-01-01")] * 4,
        }
    )


def test_censor_at_erases_later_exits_and_caps_follow_up():
    out = censor_at(_outcomes(), T("2024-01-01"))
    assert out.loc[0, "left_at"] == T("2023-03-01")  # exit before the cutoff is kept
    assert pd.isna(out.loc[1, "left_at"])  # exit after the cutoff is unknown at the cutoff
    assert (out["observed_until"] <= T("2024-01-01")).all()
    early = censor_at(_outcomes(), T("2023-01-15"))
    assert early["hired_at"].isna().all()  # hires after the cutoff carry no tenure


def test_training_outcomes_never_see_test_period_events():
    split = split_by_time(_roles(), test_fraction=0.25, valid_fraction=0.2)
    parts = training_outcomes(_outcomes(), split)
    train = parts["train"]
    assert set(train["role_id"]) == {"r00", "r01"}
    assert (train["observed_until"] <= split.test_cutoff).all()
    assert (train["left_at"].dropna() <= split.test_cutoff).all()
    assert list(parts["test"]["role_id"]) == ["r19"]
    raw = training_outcomes(_outcomes(), split, censor_at_cutoff=False)["train"]
    assert raw["left_at"].notna().sum() == 2
