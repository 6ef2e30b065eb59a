from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from recsys.index import Hits
from recsys_training.pairs import build_pairs, retrieved_negatives


class FakeIndex:
    """Every query retrieves the same ranked candidates c0, c1, … (what matters is the exclusion)."""

    def __init__(self, n: int) -> None:
        self.ids = [f"c{i}" for i in range(n)]

    def __len__(self) -> int:
        return len(self.ids)

    def search_batch(self, queries: np.ndarray, k: int) -> Hits:
        m = len(queries)
        ids = np.array([self.ids[:k]] * m, dtype=object)
        return Hits(ids, np.tile(-np.arange(k, dtype=np.float32), (m, 1)))


def _outcomes() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "candidate_id": ["c0", "c1", "c5", "c2"],
            "role_id": ["r1", "r1", "r1", "r2"],
            "stage": [4, 0, 2, 1],
        }
    )


def test_negatives_exclude_applicants_and_respect_the_budget():
    out = _outcomes()
    neg = retrieved_negatives(
        ["r1", "r2"], np.zeros((2, 4)), FakeIndex(30), out, retrieve_k=10, negatives_per_role=4
    )
    assert (neg["label"] == 0).all() and (neg["source"] == "retrieved").all()
    assert neg.groupby("role_id").size().to_dict() == {"r1": 4, "r2": 4}
    applied = set(zip(out["role_id"], out["candidate_id"], strict=True))
    assert not applied & set(zip(neg["role_id"], neg["candidate_id"], strict=True))
    top10 = {f"c{i}" for i in range(10)}
    assert set(neg["candidate_id"]) <= top10  # only from the retrieved top-k


def test_negatives_are_seeded():
    args = (["r1", "r2"], np.zeros((2, 4)), FakeIndex(30), _outcomes())
    a = retrieved_negatives(*args, retrieve_k=20, negatives_per_role=5, seed=1)
    b = retrieved_negatives(*args, retrieve_k=20, negatives_per_role=5, seed=1)
    c = retrieved_negatives(*args, retrieve_k=20, negatives_per_role=5, seed=2)
    pd.testing.assert_frame_equal(a, b)
    assert not a.equals(c)


def test_build_pairs_keeps_stages_and_only_the_given_roles():
    pairs = build_pairs(
        _outcomes(), ["r1"], np.zeros((1, 4)), FakeIndex(30), retrieve_k=5, negatives_per_role=10
    )
    assert set(pairs["role_id"]) == {"r1"}
    labelled = pairs[pairs["source"] == "outcome"].set_index("candidate_id")["label"]
    assert labelled.to_dict() == {"c0": 4, "c1": 0, "c5": 2}
    assert (pairs["source"] == "retrieved").sum() == 3  # top-5 minus applicants c0 and c1
    assert not pairs.duplicated(["role_id", "candidate_id"]).any()


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match="retrieve_k"):
        retrieved_negatives(["r1"], np.zeros((1, 4)), FakeIndex(3), _outcomes(), retrieve_k=0)
    with pytest.raises(ValueError, match="same length"):
        retrieved_negatives(["r1", "r2"], np.zeros((1, 4)), FakeIndex(3), _outcomes())
