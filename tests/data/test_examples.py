"""Data test: ``examples/realtext`` — the hand-written real-style pool — is complete and consistent."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from recsys.pool_eval import read_labelled_pool

POOL = Path(__file__).resolve().parents[2] / "examples" / "realtext"
JOBS = {  # role id → the profession its relevance-3 candidates are tagged with (a word of it)
    "payments-backend": "payments backend engineer",
    "data-scientist": "data scientist",
    "sre": "site reliability engineer",
    "icu-nurse": "ICU registered nurse",
    "head-chef": "chef",
    "management-accountant": "accountant",
    "graphic-designer": "graphic designer",
    "maths-teacher": "math",
}
DISTRACTORS = (  # professions that share words with a job but are not it
    "accounts payable / payments clerk",
    "data-entry clerk",
    "construction site manager",
    "DevOps engineer (Chef, Puppet)",
    "kitchen designer",
    "nurse educator",
    "finance data analyst",
)


def _csv(name: str) -> pd.DataFrame:
    return pd.read_csv(POOL / name, dtype=str, keep_default_na=False)


@pytest.fixture(scope="module")
def pool():
    cands, roles, labels = _csv("candidates.csv"), _csv("roles.csv"), _csv("labels.csv")
    meta = _csv("candidates_meta.csv")
    labels["relevance"] = labels["relevance"].astype(int)
    return cands, roles, labels, meta


def test_sizes_and_lengths(pool):
    cands, roles, _, _ = pool
    assert len(cands) >= 36 and len(roles) >= 8
    words = cands["resume_text"].str.split().str.len()
    assert words.min() >= 60 and words.max() <= 500, words.describe()
    assert words.max() >= 400 and words.min() <= 80  # short and long ones, as people write them
    assert set(JOBS) <= set(roles["role_id"])
    assert (roles["description"].str.split().str.len() >= 200).all()  # full postings
    assert cands["candidate_id"].is_unique and roles["role_id"].is_unique


def test_every_pair_labelled_once_with_known_ids(pool):
    cands, roles, labels, _ = pool
    assert set(labels["candidate_id"]) == set(cands["candidate_id"])
    assert set(labels["role_id"]) == set(roles["role_id"])
    assert not labels.duplicated(["candidate_id", "role_id"]).any()
    assert len(labels) == len(cands) * len(roles)
    assert labels["relevance"].between(0, 3).all()
    lp = read_labelled_pool(POOL, POOL / "labels.csv")  # the library's own checks pass
    assert lp.pairs["labelled"].all()


def test_every_role_has_right_and_adjacent_candidates(pool):
    _, _, labels, meta = pool
    prof = meta.set_index("candidate_id")["profession"]
    for role, group in labels.groupby("role_id"):
        counts = group["relevance"].value_counts()
        assert counts.get(3, 0) >= 2, role
        assert counts.get(2, 0) + counts.get(1, 0) >= 1, role
        best = prof[group.loc[group["relevance"] == 3, "candidate_id"]]
        assert best.str.contains(JOBS[role], case=False).all(), (role, best.tolist())


def test_profession_tags_and_distractors(pool):
    cands, roles, labels, meta = pool
    assert list(meta.columns) == ["candidate_id", "profession", "field", "distractor_for"]
    assert set(meta["candidate_id"]) == set(cands["candidate_id"])
    assert (meta["profession"].str.strip() != "").all() and (meta["field"] != "").all()
    assert set(DISTRACTORS) <= set(meta["profession"])
    rel = labels.set_index(["candidate_id", "role_id"])["relevance"]
    for cid, targets in meta.set_index("candidate_id")["distractor_for"].items():
        for role in filter(None, targets.split(";")):
            assert role in set(roles["role_id"]), (cid, role)
            assert rel[(cid, role)] <= 1, (cid, role)  # shares words, not that profession
