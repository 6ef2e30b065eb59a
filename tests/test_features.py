from __future__ import annotations

import dataclasses
import re

import numpy as np
import pandas as pd
import pytest

from recsys.data.generate import generate_world
from recsys.data.io import load_world
from recsys.embedding import HashingEncoder
from recsys.features import FEATURE_NAMES, FEATURES, FeatureBuilder
from recsys.features._sparse import expand
from recsys.models.fit import FitRanker

PROTECTED = ("gender", "sex", "age", "ethnic", "race", "religio", "disab", "marital", "nationality")


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    path = generate_world(tmp_path_factory.mktemp("w") / "world", candidates=300, roles=30, seed=7)
    return load_world(path)


@pytest.fixture(scope="module")
def encoder():
    return HashingEncoder(dim=64)


@pytest.fixture(scope="module")
def pairs(world):
    o = world.outcomes
    return pd.DataFrame(
        {"candidate_id": o["candidate_id"], "role_id": o["role_id"], "as_of": o["applied_at"]}
    )


@pytest.fixture(scope="module")
def features(world, encoder, pairs):
    return FeatureBuilder(world, encoder=encoder).transform(pairs)


def test_columns_follow_the_registry(features, pairs):
    assert list(features.columns) == FEATURE_NAMES
    assert features.index.equals(pairs.index)
    assert all(dt == np.float64 for dt in features.dtypes)
    assert features["req_cov"].between(0, 1).all()
    assert set(FEATURES) == set(FEATURE_NAMES)
    assert all(f.monotone in (-1, 0, 1) and f.meaning for f in FEATURES.values())


def test_pair_order_does_not_change_features(world, encoder, pairs, features):
    shuffled = pairs.sample(frac=1.0, random_state=3)
    again = FeatureBuilder(world, encoder=encoder).transform(shuffled)
    pd.testing.assert_frame_equal(again.loc[features.index], features)


def test_candidate_table_order_does_not_change_features(world, encoder, pairs, features):
    perm = dataclasses.replace(world, candidates=world.candidates.sample(frac=1.0, random_state=5))
    pd.testing.assert_frame_equal(FeatureBuilder(perm, encoder=encoder).transform(pairs), features)


class _NoGroups:
    """A world whose protected-attribute table explodes when touched."""

    def __init__(self, world):
        self._w = world

    def __getattr__(self, name):
        if name == "groups":
            raise AssertionError("the feature builder read world.groups")
        return getattr(self._w, name)


def test_protected_attributes_cannot_reach_features(world, encoder, pairs, features):
    assert world.groups is not None and len(world.groups)
    for name in FEATURE_NAMES:
        tokens = re.findall(r"[a-z]+", f"{name} {FEATURES[name].meaning}".lower())
        assert not any(t.startswith(PROTECTED) for t in tokens), name
    embeddings = {
        k: (t.index, encoder.encode(list(t)))
        for k, t in ((k, FeatureBuilder(world)._texts(k)) for k in ("candidates", "roles"))
    }
    # the builder does not touch groups (attribute access would fail) …
    guarded = FeatureBuilder(_NoGroups(world), embeddings=embeddings, encoder=encoder)
    guarded_x = guarded.transform(pairs)
    # … and permuting or removing groups changes nothing
    g = world.groups.copy()
    for col in g.columns.drop("candidate_id"):
        g[col] = g[col].sample(frac=1.0, random_state=1).to_numpy()
    for variant in (dataclasses.replace(world, groups=g), dataclasses.replace(world, groups=None)):
        pd.testing.assert_frame_equal(
            FeatureBuilder(variant, encoder=encoder).transform(pairs), features
        )
    pd.testing.assert_frame_equal(guarded_x, features)


def test_nothing_after_as_of_is_used(world, encoder):
    h = world.holdings.sort_values("issued_at").iloc[len(world.holdings) // 2]
    role = world.roles["role_id"].iloc[0]
    before = pd.Timestamp(h["issued_at"]) - pd.Timedelta(days=1)
    fb = FeatureBuilder(world, encoder=encoder)
    pair = pd.DataFrame({"candidate_id": [h["candidate_id"]] * 2, "role_id": [role] * 2})
    x = fb.transform(pair.assign(as_of=[before, pd.Timestamp(h["issued_at"])]))
    assert x["n_valid_creds"].iloc[1] + x["n_expired_creds"].iloc[1] == (
        x["n_valid_creds"].iloc[0] + x["n_expired_creds"].iloc[0] + 1
    )
    # history: nothing started after as_of counts
    first_job = world.history.groupby("candidate_id")["started_at"].min()
    cid = first_job.index[0]
    y = fb.transform(
        pd.DataFrame(
            {
                "candidate_id": [cid],
                "role_id": [role],
                "as_of": [first_job.iloc[0] - pd.Timedelta(days=1)],
            }
        )
    )
    assert y["n_jobs"].iloc[0] == 0 and np.isnan(y["mean_tenure_months"].iloc[0])


def test_free_text_entities_do_not_crash_and_get_nan_coverage(world, encoder):
    roles = pd.concat(
        [
            world.roles,
            world.roles.iloc[:1].assign(
                role_id="R_TEXT",
                required_skills=[[]],
                optional_skills=[[]],
                contracts=[[]],
                description="We need someone who writes Python services and loves SQL.",
            ),
        ],
        ignore_index=True,
    )
    cands = pd.concat(
        [
            world.candidates,
            world.candidates.iloc[:1].assign(
                candidate_id="C_TEXT",
                skills=[[]],
                headline="",
                current_role_id=None,
                resume_text="Backend engineer, ten years of Python and PostgreSQL.",
            ),
        ],
        ignore_index=True,
    )
    w = dataclasses.replace(world, roles=roles, candidates=cands)
    pairs = pd.DataFrame(
        {
            "candidate_id": ["C_TEXT", "C_TEXT", world.candidates["candidate_id"].iloc[0]],
            "role_id": ["R_TEXT", world.roles["role_id"].iloc[0], "R_TEXT"],
        }
    )
    x = FeatureBuilder(w, encoder=encoder).transform(pairs)
    assert np.isnan(x.loc[0, "req_cov"]) and np.isnan(x.loc[0, "contract_cov"])
    assert (
        np.isnan(x.loc[1, "req_cov"]) and x.loc[1, "req_cov_verified"] == 0
    )  # unknown vs none verified
    assert np.isnan(x.loc[2, "req_cov"]) and np.isfinite(x.loc[2, "emb_cand_role"])
    assert np.isfinite(x["bm25_cand_role"]).all()
    with pytest.raises(ValueError, match="not in the world"):
        FeatureBuilder(w).transform(
            pd.DataFrame({"candidate_id": ["nobody"], "role_id": ["R_TEXT"]})
        )


def test_expand_matches_a_loop():
    owner = np.array([2, 0, 2, 1])
    starts, counts = np.array([0, 3, 3]), np.array([3, 0, 2])
    p, r = expand(owner, starts, counts)
    expected = [
        (i, s) for i, o in enumerate(owner) for s in range(starts[o], starts[o] + counts[o])
    ]
    assert list(zip(p.tolist(), r.tolist(), strict=True)) == expected


def _add_verified_credentials(world, n_pairs=40):
    """Pairs (candidate, role) and, for each, a catalogue credential covering a required skill the
    candidate lacks; returns (pairs, world with those credentials held, verified, valid at as_of)."""
    req = world.roles[["role_id", "required_skills"]].explode("required_skills").dropna()
    cred = world.credentials[["credential_id", "skills"]].explode("skills").dropna()
    covered = req.merge(cred, left_on="required_skills", right_on="skills")
    o = world.outcomes.merge(covered, on="role_id")
    have = world.candidates[["candidate_id", "skills"]].explode("skills").dropna()
    o = o.merge(
        have,
        left_on=["candidate_id", "required_skills"],
        right_on=["candidate_id", "skills"],
        how="left",
        indicator=True,
        suffixes=("", "_c"),
    )
    o = o[o["_merge"] == "left_only"].drop_duplicates("candidate_id").head(n_pairs)
    assert len(o) >= 10
    new = pd.DataFrame(
        {
            "candidate_id": o["candidate_id"],
            "credential_id": o["credential_id"],
            "issued_at": o["applied_at"] - pd.Timedelta(days=30),
            "expires_at": pd.NaT,
            "verified": True,
        }
    )
    pairs = pd.DataFrame(
        {"candidate_id": o["candidate_id"], "role_id": o["role_id"], "as_of": o["applied_at"]}
    )
    return pairs.reset_index(drop=True), dataclasses.replace(
        world, holdings=pd.concat([world.holdings, new], ignore_index=True)
    )


@pytest.fixture(scope="module")
def ranker(world, features):
    return FitRanker(n_estimators=80, min_child_samples=5).fit(
        features, world.outcomes["stage"].to_numpy(), world.outcomes["role_id"]
    )


def test_adding_a_verified_credential_never_lowers_fit(world, encoder, ranker):
    pairs, richer = _add_verified_credentials(world)
    before = FeatureBuilder(world, encoder=encoder).transform(pairs)
    after = FeatureBuilder(richer, encoder=encoder).transform(pairs)
    gained = after["req_cov_verified"] - before["req_cov_verified"]
    assert (gained >= 0).all() and (gained > 0).mean() > 0.8
    for name, spec in FEATURES.items():  # every moved feature moves in its declared direction
        moved = ~np.isclose(after[name], before[name], equal_nan=True)
        if moved.any():
            assert spec.monotone != 0, name
            assert (np.sign(after[name] - before[name])[moved] == spec.monotone).all(), name
    assert (ranker.predict(after) >= ranker.predict(before) - 1e-12).all()


def test_shuffling_candidates_does_not_change_scores(world, encoder, pairs, features, ranker):
    perm = dataclasses.replace(world, candidates=world.candidates.sample(frac=1.0, random_state=9))
    shuffled = pairs.sample(frac=1.0, random_state=2)
    x = FeatureBuilder(perm, encoder=encoder).transform(shuffled)
    np.testing.assert_array_equal(ranker.predict(x.loc[pairs.index]), ranker.predict(features))


def test_unknown_seniority_or_years_give_nan_not_level_4(world, encoder):
    roles = world.roles.copy()
    roles.loc[0, "seniority"] = -1  # ad-hoc roles use -1 for "unknown"
    cands = world.candidates.copy()
    cands.loc[0, "years_experience"] = np.nan
    w = dataclasses.replace(world, roles=roles, candidates=cands)
    c0, c1 = cands["candidate_id"].iloc[:2]
    r0, r1 = roles["role_id"].iloc[:2]
    x = FeatureBuilder(w, encoder=encoder, bm25=False).transform(
        pd.DataFrame({"candidate_id": [c1, c0], "role_id": [r0, r1]})
    )
    gap_cols = ["seniority_gap", "overqualification", "underqualification"]
    assert x.loc[0, gap_cols + ["experience_gap_years"]].isna().all()  # unknown role level
    assert x.loc[1, gap_cols + ["years_experience"]].isna().all()  # unknown years
    assert np.isfinite(x.loc[0, "years_experience"])


def test_resume_and_history_evidence(world, encoder):
    """A required skill named only in the résumé counts for req_cov_text (not inside the
    "Certifications:" paragraph); a job in an occupation needing it raises req_hist, more with
    longer tenure, and only for jobs started by as_of."""
    from recsys.data import taxonomy

    occ = taxonomy.occupations().set_index("occupation_id")["essential_skills"]
    role = world.roles.iloc[0]
    skill = role["required_skills"][0]
    occ_id = next(o for o, ess in occ.items() if skill in set(ess))
    label = world.skills.set_index("skill_id").loc[skill, "label"]
    base = world.candidates.iloc[0]
    start = pd.Timestamp("2020-01-01")

    def person(cid, text):
        return base.to_frame().T.assign(
            candidate_id=cid, skills=[[]], headline="", resume_text=text, current_role_id=None
        )

    cands = pd.concat(
        [
            world.candidates,
            person("C_SAID", f"Engineer.\n\nSkills: {label}."),
            person("C_CERT", f"Engineer.\n\nCertifications: {label} (Vendor, 2024)"),
        ],
        ignore_index=True,
    )
    jobs = pd.DataFrame(
        {
            "candidate_id": ["C_SAID", "C_CERT"],
            "title": ["x", "x"],
            "occupation": [occ_id, "unknown"],
            "started_at": [start, start],
            "ended_at": [pd.NaT, pd.NaT],
        }
    ).astype(world.history.dtypes.to_dict())
    w = dataclasses.replace(
        world, candidates=cands, history=pd.concat([world.history, jobs], ignore_index=True)
    )
    fb = FeatureBuilder(w, encoder=encoder, bm25=False)
    as_of = [
        start - pd.Timedelta(days=1),
        start + pd.Timedelta(days=200),
        pd.Timestamp("2025-01-01"),
    ]
    x = fb.transform(
        pd.DataFrame(
            {
                "candidate_id": ["C_SAID"] * 3 + ["C_CERT"],
                "role_id": [role["role_id"]] * 4,
                "as_of": as_of + as_of[2:],
            }
        )
    )
    n_req = len(role["required_skills"])
    assert x.loc[2, "req_cov_text"] >= 1 / n_req and np.isnan(x.loc[2, "req_cov"])
    assert not x.loc[3, "req_cov_text"] > 0  # the Certifications paragraph is not evidence
    assert x.loc[0, "req_hist"] == 0  # the job had not started
    assert 0 < x.loc[1, "req_hist"] < x.loc[2, "req_hist"]  # longer in the job → likelier
    assert x.loc[3, "req_hist"] == 0 and x.loc[2, "req_cov_hist"] > 0


def test_data_dated_after_as_of_changes_no_feature(world, encoder, pairs):
    """Credentials issued, jobs started and applications made after a pair's ``as_of`` are
    invisible to that pair: every feature of every pair stays the same when they are added.  The
    world-level statistics (BM25 reference, history rates) are fitted once, on the world the model
    was trained on, and reused by later builders (``reference=``), as a served model does."""
    now = pd.Timestamp(world.outcomes["observed_until"].max())
    last = pairs.groupby("candidate_id")["as_of"].max() + pd.Timedelta(days=1)
    some = world.holdings.drop_duplicates("credential_id").head(3)["credential_id"].tolist()
    later_holdings = pd.DataFrame(
        {
            "candidate_id": np.repeat(last.index.to_numpy(), len(some)),
            "credential_id": some * len(last),
            "issued_at": np.repeat(last.to_numpy(), len(some)),
            "expires_at": pd.NaT,
            "verified": True,
        }
    )
    job = world.history.iloc[0]
    later_history = pd.DataFrame(
        {
            "candidate_id": last.index,
            "title": job["title"],
            "occupation": job["occupation"],
            "started_at": last.to_numpy(),
            "ended_at": pd.NaT,
        }
    )
    later_outcomes = world.outcomes.assign(
        applied_at=world.outcomes["candidate_id"].map(last),
        stage="applied",
        hired_at=pd.NaT,
        left_at=pd.NaT,
    )
    grown = dataclasses.replace(
        world,
        holdings=pd.concat([world.holdings, later_holdings], ignore_index=True),
        history=pd.concat([world.history, later_history], ignore_index=True),
        outcomes=pd.concat([world.outcomes, later_outcomes], ignore_index=True),
    )
    base = FeatureBuilder(world, encoder=encoder, now=now)
    later_data = FeatureBuilder(grown, encoder=encoder, now=now, reference=base)
    pd.testing.assert_frame_equal(later_data.transform(pairs), base.transform(pairs))
    # the check can fail: a day after the added rows' dates they do count
    later = pairs.assign(as_of=pairs["candidate_id"].map(last) + pd.Timedelta(days=1))
    old, new = base.transform(later), later_data.transform(later)
    assert (new["n_jobs"] == old["n_jobs"] + 1).all()
    assert (new["n_valid_creds"] > old["n_valid_creds"]).any()


def test_employee_and_team_hold_only_from_the_start_of_the_current_job(world, encoder):
    """The reference-time rule for undated profile fields: ``is_employee`` and the team describe the
    position held now, so a pair dated before that job started sees neither."""
    cands = world.candidates
    emp = cands[cands["is_employee"] & cands["current_role_id"].notna()].iloc[0]
    cid, rid = emp["candidate_id"], emp["current_role_id"]
    jobs = world.history[world.history["candidate_id"] == cid]
    start = jobs.loc[jobs["ended_at"].isna(), "started_at"].min()
    assert pd.notna(start), "the generated employee holds an open job"
    pairs = pd.DataFrame(
        {
            "candidate_id": [cid, cid],
            "role_id": [rid, rid],
            "as_of": [start - pd.Timedelta(days=1), start + pd.Timedelta(days=1)],
        }
    )
    X = FeatureBuilder(world, encoder=encoder).transform(pairs)
    assert X["is_employee"].tolist() == [0.0, 1.0]
    assert X["same_team"].tolist() == [0.0, 1.0]


def test_a_profile_captured_after_as_of_is_not_read(world, encoder, pairs):
    """Claimed skills, résumé, years, location and remote preference are as of ``profile_at``: a
    newer profile (re-captured after the pairs' dates, with other skills and text) changes no
    feature of the earlier pairs beyond hiding the profile features, and years are rolled back from
    the capture date."""
    from recsys.features.registry import PROFILE_FEATURES

    cands = world.candidates
    first = pairs.groupby("candidate_id")["as_of"].min()
    assert (cands.set_index("candidate_id")["profile_at"].loc[first.index] < first).all()
    now = pd.Timestamp(world.outcomes["observed_until"].max())
    base = FeatureBuilder(world, encoder=encoder, now=now)
    X = base.transform(pairs)
    assert X["req_cov"].notna().any() and X["emb_cand_role"].notna().all()

    # every profile re-captured a day after the candidate's last application, with other content
    last = pairs.groupby("candidate_id")["as_of"].max() + pd.Timedelta(days=1)
    other = cands.sample(frac=1.0, random_state=0)
    newer = cands.assign(
        profile_at=cands["candidate_id"].map(last).fillna(now),
        resume_text=other["resume_text"].to_numpy(),
        headline=other["headline"].to_numpy(),
        skills=other["skills"].to_numpy(),
        years_experience=cands["years_experience"] + 3.0,
    )
    rebuilt = FeatureBuilder(
        dataclasses.replace(world, candidates=newer), encoder=encoder, now=now, reference=base
    )
    Y = rebuilt.transform(pairs)
    hidden = sorted(PROFILE_FEATURES)
    assert Y[hidden].isna().all().all()
    rest = [c for c in FEATURE_NAMES if c not in PROFILE_FEATURES and c != "occ_match"]
    pd.testing.assert_frame_equal(Y[rest], X[rest])
    # after the capture date the new profile is read, with its years rolled back from that date
    after = pairs.assign(as_of=pairs["candidate_id"].map(last))
    Z = rebuilt.transform(after)
    assert Z[hidden].notna().any().all()
    np.testing.assert_allclose(
        Z["years_experience"],
        pairs["candidate_id"].map(newer.set_index("candidate_id")["years_experience"]),
    )


def test_skills_read_before_are_used_and_not_kept_as_a_frame(world, encoder):
    """``resume_known`` stands for reading the résumés: its skills are the evidence and no résumé
    is read again; the builder does not keep the frame once it is in the matrix (a served pool's
    model would hold ~9 MB of strings per 1,000 candidates)."""
    import scipy.sparse as sp

    cands = world.candidates.iloc[:3]
    ids = cands["candidate_id"].astype(str).tolist()
    skills = world.skills["skill_id"].astype(str).tolist()
    known = pd.DataFrame(
        {
            "candidate_id": [ids[0], ids[0], ids[1], None],
            "skill_id": [skills[0], skills[5], skills[5], None],
            "read": [ids[0], ids[0], ids[1], ids[2]],  # ids[2] read, nothing found
        }
    )

    class NoReading:
        def extract_frame(self, *a, **k):
            raise AssertionError("a résumé read before was read again")

    w = dataclasses.replace(world, candidates=cands)
    fb = FeatureBuilder(w, encoder=encoder, bm25=False, resume_known=known)
    fb.resume_._extractor = NoReading()
    assert fb.resume_known is None
    got = sp.csr_matrix(fb.resume_.rows(np.arange(3))).toarray()
    want = np.zeros_like(got)
    want[0, [0, 5]] = want[1, 5] = 1
    assert (got == want).all()


def test_skills_read_before_in_the_stores_layout_skip_unknown_ids(world, encoder):
    """The store's layout (``Store.extracted``: ``read`` on every row, no skill for a résumé
    with none found): a skill outside the taxonomy and a candidate outside the builder are
    left out, and every candidate named is taken as read."""
    import scipy.sparse as sp

    cands = world.candidates.iloc[:3]
    ids = cands["candidate_id"].astype(str).tolist()
    skills = world.skills["skill_id"].astype(str).tolist()
    known = pd.DataFrame(
        {
            "candidate_id": [ids[0], ids[1], ids[1], "someone-else", ids[2]],
            "skill_id": [skills[2], "http://example.org/not-a-skill", skills[7], skills[2], None],
        }
    )
    known["read"] = known["candidate_id"]
    w = dataclasses.replace(world, candidates=cands)
    fb = FeatureBuilder(w, encoder=encoder, bm25=False, resume_known=known)
    assert fb.resume_.done_.all()
    want = np.zeros((3, len(skills)))
    want[0, 2] = want[1, 7] = 1
    assert (sp.csr_matrix(fb.resume_.matrix_).toarray() == want).all()
