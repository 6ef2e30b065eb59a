"""The serving fast path equals FeatureBuilder.transform, and path contributions add up."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from serving_world import some_role, tiny_bundle

from recsys.data import World
from recsys.explain import PathContributions
from recsys.features import FeatureBuilder
from recsys.recommender import QUERY_ID, Recommender


@pytest.fixture(scope="module")
def rec():
    return Recommender.load(tiny_bundle())


def test_fast_features_equal_builder_for_world_pairs(rec):
    fast = rec.fast_features()
    assert fast is not None and fast.check(n=2_000, seed=3) is None
    b = rec.features_
    ci = np.arange(len(b.cand_ids_))
    ri = np.full(len(ci), b.role_ids_.get_loc(some_role(rec)))
    pairs = pd.DataFrame({"candidate_id": b.cand_ids_[ci], "role_id": b.role_ids_[ri]})
    want = b.transform(pairs).to_numpy()
    np.testing.assert_allclose(fast.matrix(ci, ri), want, rtol=1e-6, atol=1e-9)


def test_fast_features_of_free_text_role_equal_builder_over_world_plus_role(rec):
    fast = rec.fast_features()
    text = "Senior Python engineer. Kafka, SQL and computer programming required."
    extra, texts = rec._adhoc("roles", [QUERY_ID], [text])
    w = rec.world
    world = World(
        skills=w.skills,
        contracts=w.contracts,
        credentials=w.credentials,
        roles=pd.concat([w.roles, extra.drop(columns="vector")], ignore_index=True),
        candidates=w.candidates,
        holdings=w.holdings,
        history=w.history,
        outcomes=w.outcomes,
        groups=None,
    )
    ids, mat = rec._embeddings["roles"]
    emb = {
        **rec._embeddings,
        "roles": (ids.append(pd.Index([QUERY_ID])), np.vstack([mat, extra["vector"].iloc[0]])),
    }
    builder = FeatureBuilder(
        world,
        embeddings=emb,
        now=rec.features_.now_,
        reference=rec.features_,
        resume_known=rec.features_.resume_.frame(rec.features_.cand_ids_),
        **rec.config.features,
    )
    cands = rec.features_.cand_ids_
    want = builder.transform(pd.DataFrame({"candidate_id": cands, "role_id": QUERY_ID}))
    side = fast.adhoc_roles(extra, texts)
    got = fast.matrix(np.arange(len(cands)), np.zeros(len(cands), dtype=int), side)
    np.testing.assert_allclose(got, want.to_numpy(), rtol=1e-6, atol=1e-9)


def test_shortlists_same_with_and_without_fast_path(rec):
    slow = Recommender.load(
        tiny_bundle(), config=rec.config.model_copy(update={"fast_path": False})
    )
    role = some_role(rec)
    a = rec.shortlist(role_id=role, k=20).to_frame()
    b = slow.shortlist(role_id=role, k=20).to_frame()
    assert a["candidate_id"].tolist() == b["candidate_id"].tolist()
    np.testing.assert_allclose(a["fit"], b["fit"], rtol=1e-9)
    np.testing.assert_allclose(a["retention"], b["retention"], rtol=1e-9)
    cand = a["candidate_id"].iloc[0]
    x = rec.roles_for(candidate_id=cand, k=10).to_frame()
    y = slow.roles_for(candidate_id=cand, k=10).to_frame()
    assert x["role_id"].tolist() == y["role_id"].tolist()


def test_tiled_clones_have_their_sources_features(rec):
    fast = rec.fast_features()
    n = len(fast.ids)
    src = np.r_[np.arange(n), np.arange(n)[::-1]]
    ids = [*fast.ids, *(f"clone{i}" for i in range(n))]
    vecs = np.vstack([fast.cand_vec, fast.cand_vec[::-1]])
    tiled = fast.tile(ids, src, vecs)
    ri = np.zeros(2 * n, dtype=int)
    got = tiled.matrix(np.arange(2 * n), ri)
    np.testing.assert_allclose(got[n:], fast.matrix(src[n:], ri[n:]), rtol=1e-9)
    assert (tiled.positions(["clone0", "nope"]) == [n, -1]).all()


def test_path_contributions_sum_to_raw_prediction_and_bias_is_expected_value(rec):
    fr = rec.fit_ranker
    b = rec.features_
    pairs = pd.DataFrame({"candidate_id": b.cand_ids_[:50], "role_id": b.role_ids_[0]})
    X = b.transform(pairs)[fr.feature_names_].to_numpy()
    paths = PathContributions(fr.booster_, fr.best_iteration_)
    c = paths.contributions(X)
    raw = fr.booster_.predict(X, num_iteration=fr.best_iteration_, raw_score=True)
    np.testing.assert_allclose(c.sum(axis=1), raw, rtol=1e-9, atol=1e-9)
    exact = fr.predict_contrib(X).to_numpy()
    np.testing.assert_allclose(c[:, -1], exact[:, -1], rtol=1e-9)


def test_default_contributions_are_exact_treeshap(rec):
    assert rec.config.contributions == "exact"
    role = some_role(rec)
    row = rec.shortlist(role_id=role, k=1).to_frame().iloc[0]
    b = rec.features_
    X = b.transform(pd.DataFrame({"candidate_id": [row["candidate_id"]], "role_id": [role]}))
    shap = rec.fit_ranker.predict_contrib(X).drop(columns="bias").iloc[0]
    top = row["top_features"][0]
    assert top["contribution"] == pytest.approx(shap[top["feature"]], abs=1e-6)
    assert abs(shap[top["feature"]]) == pytest.approx(shap.abs().max(), abs=1e-6)


def test_approximate_contributions_option_uses_path_attribution(rec):
    approx = Recommender.load(
        tiny_bundle(), config=rec.config.model_copy(update={"contributions": "approximate"})
    )
    role = some_role(rec)
    row = approx.shortlist(role_id=role, k=1).to_frame().iloc[0]
    b = approx.features_
    fr = approx.fit_ranker
    X = b.transform(pd.DataFrame({"candidate_id": [row["candidate_id"]], "role_id": [role]}))
    saabas = PathContributions(fr.booster_, fr.best_iteration_).contributions(
        X[fr.feature_names_].to_numpy()
    )[0, :-1]
    top = row["top_features"][0]
    i = fr.feature_names_.index(top["feature"])
    assert top["contribution"] == pytest.approx(saabas[i], abs=1e-6)
    assert abs(saabas[i]) == pytest.approx(np.abs(saabas).max(), abs=1e-6)


def test_many_roles_are_cut_into_blocks_with_the_same_result(rec, monkeypatch):
    import recsys.fastpath as fp

    fast = rec.fast_features()
    rng = np.random.default_rng(5)
    ci = rng.integers(len(fast.ids), size=300)
    ri = rng.integers(len(rec.features_.role_ids_), size=300)
    whole = fast.matrix(ci, ri)
    monkeypatch.setattr(fp, "_DENSE_CELLS", 500)
    np.testing.assert_allclose(fast.matrix(ci, ri), whole, rtol=1e-12)


def test_score_pairs_same_with_and_without_fast_path(rec):
    from serving_world import pairs_frame

    slow = Recommender.load(
        tiny_bundle(), config=rec.config.model_copy(update={"fast_path": False})
    )
    pairs = pairs_frame(rec, 3_000, seed=9)
    a, b = rec.score_pairs(pairs), slow.score_pairs(pairs)
    assert a[["candidate_id", "role_id"]].equals(b[["candidate_id", "role_id"]])
    for col in ("fit", "fit_probability", "retention", "score"):
        np.testing.assert_allclose(a[col], b[col], rtol=1e-9, atol=1e-12)
