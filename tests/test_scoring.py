"""recsys.scoring.PoolScores: a role's scored pool is reused, never confused with another."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from serving_world import some_role, tiny_bundle

from recsys.recommender import Recommender
from recsys.scoring import PoolScores


def test_pool_scores_score_each_pool_once_and_forget_the_oldest():
    calls: list[str] = []

    def scorer(name):
        def score():
            calls.append(name)
            return name

        return score

    pools = PoolScores(roles=2)
    a, b = np.array([3, 1, 2]), np.array([1, 2, 3])
    assert pools.get(0, a, scorer("r0a")) == "r0a"
    assert pools.get(0, a.copy(), scorer("again")) == "r0a"  # same role, same pool
    assert pools.get(0, b, scorer("r0b")) == "r0b"  # same ids in another order: another pool
    assert pools.get(1, a, scorer("r1a")) == "r1a"  # another role: r0a is the oldest, forgotten
    assert pools.get(0, a, scorer("r0a'")) == "r0a'"
    assert calls == ["r0a", "r0b", "r1a", "r0a'"]
    pools.clear()
    assert pools.get(1, a, scorer("cleared")) == "cleared"
    nothing = PoolScores(roles=0)
    nothing.get(0, a, scorer("x"))
    assert nothing.get(0, a, scorer("y")) == "y"


@pytest.fixture()
def counted(monkeypatch):
    rec = Recommender.load(tiny_bundle())
    calls = []
    real = rec._score_fast

    def spy(*args, **kwargs):
        calls.append(len(args[1]))
        return real(*args, **kwargs)

    monkeypatch.setattr(rec, "_score_fast", spy)
    return rec, calls


def test_a_repeated_shortlist_reuses_the_pool_and_answers_the_same(counted):
    rec, calls = counted
    role = some_role(rec)
    first = rec.shortlist(role_id=role, k=20).to_frame()
    again = rec.shortlist(role_id=role, k=20).to_frame()
    assert len(calls) == 1
    pd.testing.assert_frame_equal(first, again)
    # another weight re-combines the same fit and retention: no new scoring, a consistent order
    other = rec.shortlist(role_id=role, k=20, retention_weight=0.9).to_frame()
    assert len(calls) == 1
    assert (np.diff(other["score"].to_numpy()) <= 1e-12).all()


def test_another_pool_of_the_same_role_is_scored_anew(counted):
    rec, calls = counted
    role = some_role(rec)
    rec.shortlist(role_id=role, k=20)
    where = str(rec.world.candidates["location"].iloc[0])
    narrow = rec.shortlist(role_id=role, k=20, filters={"location": where}).to_frame()
    assert len(calls) == 2  # a filtered retrieval is another pool
    assert set(narrow["candidate_id"]) <= set(
        rec.world.candidates.loc[rec.world.candidates["location"] == where, "candidate_id"]
    )


def test_a_pathway_after_the_shortlist_scores_no_pool_again(counted):
    rec, calls = counted
    role = some_role(rec)
    short = rec.shortlist(role_id=role, k=rec.config.overfetch, explain=False).to_frame()
    cold = rec.pathway(str(short["candidate_id"].iloc[-1]), role)
    assert len(calls) == 1
    rec._pool_scores.clear()
    again = rec.pathway(str(short["candidate_id"].iloc[-1]), role)
    assert len(calls) == 2
    assert (cold.rank_before, cold.rank_after) == (again.rank_before, again.rank_after)
