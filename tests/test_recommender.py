from __future__ import annotations

import shutil

import numpy as np
import pandas as pd
import pytest
from serving_world import pairs_frame, some_role, tiny_bundle

from recsys.bundle import BundleError, verify_bundle
from recsys.recommender import Recommender


@pytest.fixture(scope="module")
def rec():
    return Recommender.load(tiny_bundle())


def test_shortlist_ranked_with_reasons_and_manifest(rec):
    role = some_role(rec)
    res = rec.shortlist(role_id=role, k=10)
    frame = res.to_frame()
    assert len(frame) == 10
    assert frame["rank"].tolist() == list(range(1, 11))
    assert (np.diff(frame["score"].to_numpy()) <= 1e-12).all()
    assert frame["role_id"].eq(role).all() and frame["candidate_id"].is_unique
    assert frame["retention"].between(0, 1).all()
    required = rec.world.roles.set_index("role_id").loc[role, "required_skills"]
    labels = {rec._labels[s] for s in required}
    for _, row in frame.iterrows():
        assert set(row["matched_skills"]) | set(row["missing_skills"]) == labels
        assert not set(row["matched_skills"]) & set(row["missing_skills"])
        assert 1 <= len(row["top_features"]) <= rec.config.explain_top
        assert all(f["meaning"] and f["meaning"] != f["feature"] for f in row["top_features"])
    m = res.manifest
    assert m["encoder"] == "hashing:64" and m["version"] == "test"
    assert len(m["index_sha256"]["candidates"]) == 64
    assert m["query"] == {"role_id": role} and m["k"] == 10 and "time" in m
    as_dict = res.to_dict()
    assert as_dict["results"][0]["reasons"]["top_features"]
    # retention is explained beside fit: Cox contributions with meanings, > 0 keeps people longer
    assert set(m["scores"]) == {"fit", "fit_probability", "retention", "score"}
    names = set(rec.retention_model.feature_names_)
    for row in as_dict["results"]:
        factors = row["reasons"]["retention_factors"]
        baseline = "retention inputs (baseline used)" in row["reasons"]["missing_inputs"]
        assert (not factors) if baseline else (1 <= len(factors) <= rec.config.explain_top)
        assert all(f["feature"] in names and f["contribution"] != 0 for f in factors)
    assert any(r["reasons"]["retention_factors"] for r in as_dict["results"])
    # P(fit) is the fit through the model's sigmoid, pair by pair
    from recsys.models.combine import fit_probability

    np.testing.assert_allclose(
        frame["fit_probability"], fit_probability(frame["fit"], rec.config.combine)
    )


def test_verified_credentials_cover_role_contracts(rec):
    w = rec.world
    contracts = w.roles.set_index("role_id")["contracts"]
    cred_contracts = w.credentials.set_index("credential_id")["contracts"]
    names = w.credentials.set_index("credential_id")["name"]
    role = some_role(rec)
    frame = rec.shortlist(role_id=role, k=50).to_frame()
    for _, row in frame.iterrows():
        for name in row["verified_credentials"]:
            cid = names[names == name].index[0]
            assert set(cred_contracts[cid]) & set(contracts[role])


def test_filters_restrict_candidates(rec):
    role = some_role(rec)
    loc = rec.world.candidates["location"].value_counts().index[0]
    frame = rec.shortlist(role_id=role, k=20, filters={"location": loc}).to_frame()
    locs = rec.world.candidates.set_index("candidate_id").loc[frame["candidate_id"], "location"]
    assert len(frame) > 0 and (locs == loc).all()


@pytest.mark.parametrize("k", [0, 1001, 2.5, "3"])
def test_k_validated(rec, k):
    with pytest.raises(
        ValueError, match=r"The 'k' parameter of shortlist must be an int in \[1, 1000\]"
    ):
        rec.shortlist(role_id=some_role(rec), k=k)


def test_exactly_one_query(rec):
    with pytest.raises(ValueError, match="exactly one"):
        rec.shortlist(k=3)
    with pytest.raises(KeyError, match="Unknown role_id"):
        rec.shortlist(role_id="nope", k=3)


def test_free_text_jd_and_resume(rec):
    skill = rec.world.skills.iloc[0]
    jd = f"Senior role. Must have {skill['label']}. Work with the platform team."
    res = rec.shortlist(job_description=jd, k=5)
    assert len(res) == 5
    assert skill["skill_id"] in res.manifest["query"]["extracted_skills"]
    assert all(
        skill["label"] in (r["matched_skills"] + r["missing_skills"])
        for _, r in res.to_frame().iterrows()
    )
    roles = rec.roles_for(
        resume_text=f"I have years of {skill['label']} experience.", k=4
    ).to_frame()
    assert len(roles) == 4 and roles["candidate_id"].eq("__query__").all()
    cand = str(rec.world.candidates["candidate_id"].iloc[3])
    mine = rec.roles_for(candidate_id=cand, k=4).to_frame()
    assert mine["candidate_id"].eq(cand).all() and mine["role_id"].is_unique


def test_score_pairs_is_pair_local_and_matches_shortlist_parts(rec):
    pairs = pairs_frame(rec, 300)
    whole = rec.score_pairs(pairs)
    assert whole[["candidate_id", "role_id"]].equals(pairs)
    halves = pd.concat([rec.score_pairs(pairs.iloc[:120]), rec.score_pairs(pairs.iloc[120:])])
    np.testing.assert_allclose(halves["score"].to_numpy(), whole["score"].to_numpy())
    role = some_role(rec)
    sl = rec.shortlist(role_id=role, k=5).to_frame()
    sp = rec.score_pairs(sl[["candidate_id", "role_id"]])
    np.testing.assert_allclose(sp["fit"], sl["fit"])
    np.testing.assert_allclose(sp["retention"], sl["retention"])
    with pytest.raises(KeyError, match="Unknown candidate_id"):
        rec.score_pairs(pd.DataFrame({"candidate_id": ["zz"], "role_id": [role]}))


def test_bundle_roundtrip_and_tamper(rec, tmp_path):
    role = some_role(rec)
    copy = rec.save(tmp_path / "b")
    assert not (copy / "world" / "groups.parquet").exists()
    again = Recommender.from_uri(str(copy))
    a = rec.shortlist(role_id=role, k=8).to_frame()
    b = again.shortlist(role_id=role, k=8).to_frame()
    pd.testing.assert_frame_equal(a, b)
    files = verify_bundle(copy)["files"]
    assert {"models/fit.txt", "config.yaml", "world/candidates.parquet"} <= set(files)
    bad = tmp_path / "bad"
    shutil.copytree(copy, bad)
    fit = bad / "models" / "fit.txt"
    text = fit.read_bytes()
    fit.write_bytes(text[:-2] + bytes([text[-2] ^ 1]) + text[-1:])  # one flipped bit, same size
    with pytest.raises(BundleError, match="fit.txt: sha256"):
        Recommender.load(bad)
    with pytest.raises(FileExistsError):
        rec.save(copy)


def test_text_only_pairs_are_scored_by_the_text_model(tmp_path):
    """Both sides free text → ``text_ranker``; a free-text role against world candidates → the main
    model; the text model travels in the bundle."""
    from recsys.models.fit import FitRanker

    rec = Recommender.load(tiny_bundle())
    assert rec.text_ranker is None  # a bundle without one scores everything with the main model
    X = rec.features_.transform(rec.world.outcomes[["candidate_id", "role_id"]])
    flat = FitRanker(n_estimators=5, num_leaves=3, min_child_samples=5).fit(
        X, np.zeros(len(X)), rec.world.outcomes["role_id"]
    )  # constant labels: a model that predicts one value
    rec.text_ranker = flat
    cands = rec.adhoc("candidates", ["free:c"], ["Python and SQL developer, 6 years."])
    roles = rec.adhoc("roles", ["free:r"], ["Senior Python developer with SQL."])
    world_c = rec.world.candidates["candidate_id"].iloc[0]
    pairs = pd.DataFrame({"candidate_id": ["free:c", world_c], "role_id": ["free:r", "free:r"]})
    got = rec.score_pairs(pairs, extra_roles=roles, extra_candidates=cands)
    assert got.loc[0, "fit"] == pytest.approx(flat.predict(X.head(1))[0])
    assert got.loc[1, "fit"] != pytest.approx(got.loc[0, "fit"])  # the main model's
    back = Recommender.load(rec.save(tmp_path / "b"))
    assert back.text_ranker is not None
    again = back.score_pairs(pairs, extra_roles=roles, extra_candidates=cands)
    np.testing.assert_allclose(again["fit"], got["fit"])


def test_free_text_pairs_have_bm25_and_a_score_of_their_own(rec):
    """BM25 is never NaN for free text, and a pair scores the same alone or among others."""
    cands = rec.adhoc(
        "candidates",
        ["a", "b", "c"],
        ["Python and SQL developer, 6 years.", "Pastry chef, 4 years.", "Nurse on a ward."],
    )
    roles = rec.adhoc("roles", ["r"], ["Senior Python developer with SQL."])
    pairs = pd.DataFrame({"candidate_id": ["a", "b", "c"], "role_id": ["r", "r", "r"]})
    X, fit, _ = rec._score(pairs, roles, cands)
    assert X[["bm25_cand_role", "bm25_cand_role_per_term"]].notna().all().all()
    assert X.loc[0, "bm25_cand_role"] > X.loc[1, "bm25_cand_role"]
    X1, fit1, _ = rec._score(pairs.iloc[[1]], roles, cands)
    np.testing.assert_allclose(X1.to_numpy(), X.iloc[[1]].to_numpy(), equal_nan=True)
    assert fit1[0] == pytest.approx(fit[1])


@pytest.mark.parametrize(
    "call, error, words",
    [
        (lambda r, p: r.score_pairs([("C1", "R1")]), TypeError, "'frame' parameter of score_pairs"),
        (lambda r, p: r.score_pairs(p, retention_weight=5), ValueError, "'retention_weight'"),
        (lambda r, p: r.score_pairs(p, retention_weight="x"), ValueError, "'retention_weight'"),
        (lambda r, p: r.shortlist(role_id=p["role_id"][0], k="3"), ValueError, "'k' parameter"),
        (lambda r, p: r.shortlist(role_id="no-such-role", k=3), KeyError, "no-such-role"),
    ],
)
def test_wrong_arguments_are_refused_by_name(rec, call, error, words):
    pairs = pairs_frame(rec, 3, seed=1)
    with pytest.raises(error, match=words):
        call(rec, pairs)
