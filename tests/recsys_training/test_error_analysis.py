"""recsys_training.error_analysis: per-role NDCG, false negatives and their reasons."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from recsys.metrics import ndcg_at_k
from recsys_training.error_analysis import RankerErrors, ranker_errors


def _errors() -> RankerErrors:
    # role A: the hire ranked last of four; role B: perfect order
    pairs = pd.DataFrame(
        {
            "role_id": ["A", "A", "A", "A", "B", "B", "B"],
            "candidate_id": ["c1", "c2", "c3", "c4", "c1", "c5", "c6"],
            "title": ["a"] * 4 + ["b"] * 3,
            "stage": [0, 1, 2, 4, 4, 2, 0],
            "fit": [0.9, 0.5, 0.4, 0.1, 0.9, 0.5, 0.1],
        }
    )
    by_role = pairs.groupby("role_id")
    pairs["rank"] = by_role["fit"].rank(ascending=False, method="first").astype(int)
    pairs["ideal_rank"] = by_role["stage"].rank(ascending=False, method="min").astype(int)
    pairs["applicants"] = by_role["candidate_id"].transform("size")
    features = pd.DataFrame({"x": [1.0, 2, 3, 4, 5, 6, 7], "y": [0.0, 0, 1, 1, 0, 1, 0]})
    contributions = pd.DataFrame(
        {"x": features["x"] * 0.1, "y": [-0.5, 0, 0.2, -0.3, 0, 0.2, 0], "bias": 0.0}
    )
    return RankerErrors(pairs, features, contributions, meanings={"x": "ex"})


def test_per_role_sorts_worst_first_and_matches_the_metric():
    e = _errors()
    roles = e.per_role(k=3)
    assert list(roles.index) == ["A", "B"]
    want = ndcg_at_k(e.pairs["stage"], e.pairs["fit"], e.pairs["role_id"], k=3, per_query=True)
    np.testing.assert_allclose(roles["ndcg@3"], want[["A", "B"]])
    assert roles.loc["B", "ndcg@3"] == pytest.approx(1.0)
    assert roles.loc["A", ["applicants", "interviewed", "hired", "best_hire_rank"]].tolist() == [
        4,
        2,
        1,
        4,
    ]


def test_false_negatives_are_advanced_applicants_ranked_below_k_most_misplaced_first():
    e = _errors()
    fn = e.false_negatives(min_stage=2, k=2)
    assert fn["candidate_id"].tolist() == ["c4", "c3"]  # ranks 4 and 3, ideal 1 and 2
    assert fn["misplaced"].tolist() == [3, 1]
    assert e.false_negatives(min_stage=4, k=3)["candidate_id"].tolist() == ["c4"]
    for kwargs, name in (({"min_stage": 5}, "min_stage"), ({"k": 0}, "'k'")):
        with pytest.raises(ValueError, match=name):
            e.false_negatives(**kwargs)


def test_explain_lists_what_pulled_fit_down_and_up():
    e = _errors()
    row = e.explain(e.pairs.iloc[[3]], n=1).iloc[0]
    assert row["pulled_down"] == ["y = 1: -0.300"]
    assert row["pulled_up"] == ["x = 4: +0.400"]


def test_feature_effects_rank_by_mean_absolute_contribution_with_direction():
    effects = _errors().feature_effects()
    assert list(effects.index) == ["x", "y"]
    assert effects.loc["x", "value_contribution_corr"] == pytest.approx(1.0)
    assert effects.loc["x", "meaning"] == "ex"


def test_ranker_errors_rebuilds_the_reported_test_ndcg(trained):
    """Scored from the logged bundle alone, the test applicants give back the training report's
    NDCG@10, and the reasons read the world's skills."""
    _, _, _, result = trained
    e = ranker_errors(result.bundle)
    assert set(e.pairs["stage"]) <= {0, 1, 2, 3, 4} and e.pairs["role_id"].nunique() > 3
    want = result.report["ranking"]["ranker"]["ndcg@10"]
    assert e.per_role(k=10)["ndcg@10"].mean() == pytest.approx(want, abs=1e-9)
    total = e.contributions.sum(axis=1).to_numpy()
    np.testing.assert_allclose(total, e.pairs["fit"].to_numpy(), atol=1e-6)
    fn = e.false_negatives(min_stage=2, k=3)
    assert (fn["stage"] >= 2).all() and (fn["rank"] > 3).all()
    why = e.explain(fn.head(3))
    assert {"pulled_down", "missing_skills", "matched_skills", "verified_credentials"} <= set(why)
