from __future__ import annotations

import pandas as pd
import pytest

from recsys.skills import SkillExtractor, evaluate_extraction, score_sets


def _pairs(rows):
    return pd.DataFrame(rows, columns=["doc_id", "skill_id"])


def test_score_sets_counts():
    pred = _pairs([("a", "x"), ("a", "y"), ("b", "x"), ("b", "x")]).assign(method="phrase")
    ref = _pairs([("a", "x"), ("b", "z"), ("b", "x"), ("c", "w")])
    s = score_sets(pred, ref)
    assert (s["n_pred"], s["n_ref"]) == (3, 4)
    assert s["precision"] == pytest.approx(2 / 3, abs=1e-4)
    assert s["recall"] == pytest.approx(2 / 4, abs=1e-4)
    assert s["f1"] == pytest.approx(2 * (2 / 3) * 0.5 / (2 / 3 + 0.5), abs=1e-4)
    # per document F1: a = 2*1/(2+1), b = 2*1/(1+2), c = 0
    assert s["doc_f1"] == pytest.approx((2 / 3 + 2 / 3 + 0) / 3, abs=1e-4)
    assert s["by_method"]["phrase"]["n_pred"] == 3
    assert score_sets(_pairs([]), ref)["recall"] == 0.0


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    from recsys.data import load_world
    from recsys.data.generate import generate_world

    path = generate_world(tmp_path_factory.mktemp("w") / "world", candidates=60, roles=12, seed=3)
    return load_world(path)


def test_evaluate_on_generated_world(world):
    result = evaluate_extraction(world)
    cands = result["candidates"]
    assert cands["docs"] == 60
    # the generator writes skill labels / alt labels into resumes: phrases must find nearly all
    assert cands["vs_mentioned_skills"]["recall"] > 0.9
    assert cands["vs_mentioned_skills"]["precision"] > 0.9
    assert result["roles"]["vs_role_skills"]["recall"] > 0.9
    assert result["n_skills"] == len(world.skills)


def test_evaluate_a_blind_extractor_scores_zero(world):
    unrelated = pd.DataFrame({"skill_id": ["zz"], "label": ["underwater basket weaving"]})
    result = evaluate_extraction(world, SkillExtractor(unrelated), sources=["roles"], limit=5)
    assert "candidates" not in result
    assert result["roles"]["docs"] == 5
    assert result["roles"]["vs_role_skills"]["recall"] == 0.0


def test_evaluate_rejects_bad_sources(world):
    with pytest.raises(ValueError, match="sources"):
        evaluate_extraction(world, sources=["contracts"])
