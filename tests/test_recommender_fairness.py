"""``Recommender.shortlist(fairness=...)``: the opt-in representation constraint (issue 12)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest
from serving_world import some_role, tiny_bundle

from recsys.data import load_world
from recsys.recommender import Recommender

K = 10


@pytest.fixture(scope="module")
def world():
    return load_world(tiny_bundle().parent / "world")


@pytest.fixture(scope="module")
def plain(world):
    return Recommender.load(tiny_bundle()).over_world(world)


@pytest.fixture(scope="module")
def role(plain):
    return some_role(plain)


@pytest.fixture(scope="module")
def pool(plain, role):
    """The whole retrieved, scored pool of the role, best first (no constraint)."""
    return plain.shortlist(role_id=role, k=plain.config.overfetch, explain=False).frame


@pytest.fixture(scope="module")
def skewed(world, pool):
    """Group labels planted so that the unconstrained top of the list is all one gender."""
    ids = pool["candidate_id"].tolist()
    top = set(ids[: len(ids) // 3])
    rest = world.candidates["candidate_id"]
    groups = pd.DataFrame(
        {
            "candidate_id": rest,
            "gender": np.where(rest.isin(top), "male", "female"),
            "age_band": "25-34",
        }
    )
    return Recommender.load(tiny_bundle()).over_world(dataclasses.replace(world, groups=groups))


def _ratio(frame: pd.DataFrame, labels: pd.Series, pool: pd.DataFrame) -> float:
    lab = labels.reindex(pool["candidate_id"]).to_numpy()
    chosen = set(frame["candidate_id"])
    rates = {
        g: np.mean([c in chosen for c, x in zip(pool["candidate_id"], lab, strict=True) if x == g])
        for g in set(lab)
    }
    return min(rates.values()) / max(rates.values())


def test_unconstrained_shortlist_is_unchanged_and_says_nothing_of_fairness(plain, skewed, role):
    a = plain.shortlist(role_id=role, k=K, explain=False)
    b = skewed.shortlist(role_id=role, k=K, explain=False)
    assert a.frame["candidate_id"].tolist() == b.frame["candidate_id"].tolist()
    assert "fairness" not in b.manifest and "original_rank" not in b.frame


def test_min_ratio_brings_the_top_k_to_the_ratio_without_changing_any_score(skewed, role, pool):
    labels = skewed.world.groups.set_index("candidate_id")["gender"]
    before = skewed.shortlist(role_id=role, k=K)
    assert set(labels[before.frame["candidate_id"]]) == {"male"}  # planted: all one group
    after = skewed.shortlist(role_id=role, k=K, fairness={"attribute": "gender", "min_ratio": 0.8})
    got = after.frame
    assert len(got) == K and set(got["candidate_id"]) <= set(pool["candidate_id"])
    assert _ratio(got, labels, pool) >= 0.8 > _ratio(before.frame, labels, pool)
    # scores are the unconstrained ones: labels moved rows, never scores
    unconstrained = pool.set_index("candidate_id")["score"]
    np.testing.assert_allclose(got["score"], unconstrained[got["candidate_id"]].to_numpy())
    rank_of = pd.Series(np.arange(1, len(pool) + 1), index=pool["candidate_id"])
    assert got["original_rank"].tolist() == rank_of[got["candidate_id"]].tolist()
    assert got["rank"].tolist() == list(range(1, K + 1))
    assert got["matched_skills"].notna().all()  # the shown rows are explained
    fair = after.manifest["fairness"]
    assert fair["applied"] and fair["feasible"] and fair["changed"]
    assert fair["attribute"] == "gender" and fair["pool"] == len(pool)
    assert fair["min_impact_ratio_after"] >= 0.8 > fair["min_impact_ratio_before"]
    assert 0.0 < fair["ndcg_cost"] < 1.0


def test_targets_mode_and_a_pool_that_already_meets_them(skewed, role):
    r = skewed.shortlist(
        role_id=role, k=K, explain=False, fairness={"attribute": "age_band", "min_ratio": 0.8}
    )
    assert r.manifest["fairness"]["changed"] is False  # one age band: nothing to move
    assert r.manifest["fairness"]["ndcg_cost"] == 0.0
    t = skewed.shortlist(
        role_id=role,
        k=K,
        explain=False,
        fairness={"attribute": "gender", "targets": {"female": 0.5, "male": 0.5}},
    )
    labels = skewed.world.groups.set_index("candidate_id")["gender"]
    assert (labels[t.frame["candidate_id"]] == "female").sum() == K // 2


def test_free_text_jd_can_be_re_ranked_too(skewed):
    jd = "Backend engineer: Python, SQL, Kafka; payments APIs."
    r = skewed.shortlist(
        job_description=jd, k=K, explain=False, fairness={"attribute": "gender", "min_ratio": 0.8}
    )
    assert r.manifest["fairness"]["applied"] and len(r.frame) == K


@pytest.mark.parametrize(
    ("option", "message"),
    [
        ({"attribute": "gender", "min_ratio": 0.8, "weight": 2}, "unknown"),
        ({"min_ratio": 0.8}, "needs 'attribute'"),
        ("gender", "must be a mapping"),
        ({"attribute": "shoe_size", "min_ratio": 0.8}, "column of the groups table"),
        ({"attribute": "gender", "min_ratio": 1.5}, "min_ratio"),
        ({"attribute": "gender"}, "exactly one of 'min_ratio' and 'targets'"),
    ],
)
def test_bad_options_are_refused_with_the_reason(skewed, role, option, message):
    with pytest.raises(ValueError, match=message):
        skewed.shortlist(role_id=role, k=K, fairness=option)


def test_a_model_without_group_data_says_where_labels_come_from(world):
    rec = Recommender.load(tiny_bundle()).over_world(dataclasses.replace(world, groups=None))
    with pytest.raises(ValueError, match="holds no groups table"):
        rec.shortlist(
            job_description="Python developer",
            k=K,
            fairness={"attribute": "gender", "min_ratio": 0.8},
        )
