"""audit_shortlist: the pool a shortlist is cut from, ranked once, audited with its top k selected."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from fairness_data import hand_case

from recsys.explain import Ranking
from recsys.fairness import NoGroupDataError, audit, audit_shortlist


class FakeRecommender:
    """What audit_shortlist needs of a recommender: config, world.groups and shortlist()."""

    def __init__(self, pool: pd.DataFrame, groups: pd.DataFrame | None, overfetch: int = 100):
        self.pool = pool.sort_values("score", ascending=False).reset_index(drop=True)
        self.config = SimpleNamespace(overfetch=overfetch, max_k=1000)
        self.world = SimpleNamespace(groups=groups)
        self.calls: list[dict] = []

    def shortlist(self, **query) -> Ranking:
        self.calls.append(query)
        top = self.pool.head(query["k"]).assign(rank=lambda f: np.arange(1, len(f) + 1))
        return Ranking(top.assign(fit=top["score"]), {"query": {"role_id": query["role_id"]}})


@pytest.fixture
def case():
    scores, groups = hand_case()
    return scores[scores["role_id"] == "R1"], groups  # the men score highest


def test_the_pool_is_ranked_once_and_its_top_k_selected(case):
    pool, groups = case
    rec = FakeRecommender(pool, groups, overfetch=100)
    out = audit_shortlist(rec, role_id="R1", k=2, filters={"x": 1})
    assert rec.calls == [
        {
            "role_id": "R1",
            "job_description": None,
            "k": 100,
            "filters": {"x": 1},
            "retention_weight": None,
            "explain": False,
        }
    ]
    assert out.pool == 10 and out.k == 2
    want = audit(pool.assign(fit=pool["score"]), groups, k=2)
    pd.testing.assert_frame_equal(out.report.to_frame(), want.to_frame())
    sex = out.report.to_frame().query("grouping == 'sex' and measure == 'selection'")
    assert sex.set_index("category")["rate"].to_dict() == {"female": 0.0, "male": 0.4}
    doc = out.to_dict()
    assert doc["pool"] == 10 and doc["audit"]["params"]["groups"].startswith("the served")
    assert doc["audit"]["notes"][0].startswith("Applicants: the 10 candidates")


def test_pool_no_larger_than_k_is_said_plainly(case):
    pool, groups = case
    out = audit_shortlist(FakeRecommender(pool, groups, overfetch=5), role_id="R1", k=10)
    notes = " ".join(out.report.notes)
    assert "no larger than k = 10" in notes and "overfetch" in notes
    assert "pool='groups'" not in notes  # the file-audit advice does not apply here


def test_no_group_data_and_bad_arguments(case):
    pool, groups = case
    with pytest.raises(NoGroupDataError, match="no group data"):
        audit_shortlist(FakeRecommender(pool, None), role_id="R1", k=2)
    with pytest.raises(NoGroupDataError):
        audit_shortlist(FakeRecommender(pool, groups.iloc[:0]), role_id="R1", k=2)
    given = audit_shortlist(FakeRecommender(pool, None), role_id="R1", k=2, groups=groups)
    assert given.report.params["groups"] == "the groups frame"
    with pytest.raises(ValueError, match=r"'k' parameter of audit_shortlist .* Got 0"):
        audit_shortlist(FakeRecommender(pool, groups), role_id="R1", k=0)
    with pytest.raises(ValueError, match="religion"):
        audit_shortlist(FakeRecommender(pool, groups), role_id="R1", k=2, attributes=["religion"])
