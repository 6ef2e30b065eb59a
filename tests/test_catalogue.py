"""Recommender look-ups for the recruiter page (recsys.catalogue) and shortlist(required_skills=)."""

from __future__ import annotations

import pandas as pd
import pytest
from serving_world import tiny_bundle

from recsys.catalogue import credential_state
from recsys.recommender import Recommender

JD = "Data engineer. We build Python and SQL pipelines and run databases for analytics teams."


@pytest.fixture(scope="module")
def rec():
    return Recommender.load(tiny_bundle())


def test_cards_keep_the_order_asked_and_leave_unknown_ids_out(rec):
    ids = rec.world.candidates["candidate_id"].tolist()
    asked = [ids[5], "no-such-id", ids[0], ids[2]]
    cards = rec.candidate_cards(asked)
    assert [c["candidate_id"] for c in cards] == [ids[5], ids[0], ids[2]]
    row = rec.world.candidates.set_index("candidate_id").loc[ids[0]]
    card = cards[1]
    assert card["headline"] == row["headline"] and card["location"] == row["location"]
    assert card["open_to_remote"] is bool(row["open_to_remote"])
    assert card["is_employee"] is bool(row["is_employee"])
    assert card["years_experience"] == pytest.approx(row["years_experience"])


def test_credential_states_follow_the_validity_rule():
    day = pd.Timestamp("2025-06-30")
    assert credential_state("2020-01-01", None, True, day) == "verified"
    assert credential_state("2020-01-01", pd.NaT, False, day) == "unverified"
    assert credential_state("2020-01-01", "2025-06-30", True, day) == "expired"  # ends that day
    assert credential_state("2020-01-01", "2025-07-01", True, day) == "verified"
    assert credential_state("2025-07-01", None, True, day) == "not_yet_valid"


def test_profile_reads_resume_credentials_and_history_as_of_the_model_day(rec):
    cid = rec.world.candidates["candidate_id"].iloc[3]
    day = pd.Timestamp(rec.features_.now_)
    creds = rec.world.credentials["credential_id"].tolist()[:3]
    planted = pd.DataFrame(
        {
            "candidate_id": [cid] * 3,
            "credential_id": creds,
            "issued_at": [day - pd.Timedelta(days=900), day - pd.Timedelta(days=30), day],
            "expires_at": [day - pd.Timedelta(days=1), pd.NaT, pd.NaT],
            "verified": [True, False, True],
        }
    )
    old = rec.world.holdings
    rec.world.holdings = pd.concat([old[old["candidate_id"] != cid], planted], ignore_index=True)
    try:
        profile = rec.candidate_profile(cid)
    finally:
        rec.world.holdings = old
    assert profile["as_of"] == day.date().isoformat()
    states = {c["credential_id"]: c["state"] for c in profile["credentials"]}
    assert states == {creds[0]: "expired", creds[1]: "unverified", creds[2]: "verified"}
    names = dict(
        zip(rec.world.credentials["credential_id"], rec.world.credentials["name"], strict=True)
    )
    assert {c["name"] for c in profile["credentials"]} == {names[c] for c in creds}
    row = rec.world.candidates.set_index("candidate_id").loc[cid]
    assert profile["resume_text"] == row["resume_text"]
    assert [s["skill_id"] for s in profile["skills"]] == list(row["skills"])
    hist = rec.world.history[rec.world.history["candidate_id"] == cid]
    assert len(profile["history"]) == len(hist)
    starts = [h["started_at"] for h in profile["history"]]
    assert starts == sorted(starts, reverse=True)  # newest first
    with pytest.raises(KeyError, match="no-such-id"):
        rec.candidate_profile("no-such-id")


def test_skill_and_credential_catalogues_search_labels(rec):
    found = rec.skill_catalogue("data", limit=20)
    assert found and all("data" in s["label"].lower() or s["skill_id"] for s in found)
    starts = [s["label"].lower().startswith("data") for s in found]
    assert starts == sorted(starts, reverse=True)  # labels starting with the query first
    assert len(rec.skill_catalogue("", limit=7)) == 7
    issuer = rec.world.credentials["issuer"].iloc[0]
    creds = rec.credential_catalogue(issuer.split()[0], limit=100)
    want = rec.world.credentials[
        rec.world.credentials["issuer"].str.contains(issuer.split()[0], case=False, regex=False)
        | rec.world.credentials["name"].str.contains(issuer.split()[0], case=False, regex=False)
    ]
    assert {c["credential_id"] for c in creds} == set(want["credential_id"])


def test_jd_skills_are_what_the_shortlist_reads_and_edited_skills_replace_them(rec):
    read = rec.jd_skills(JD)
    plain = rec.shortlist(job_description=JD, k=5, explain=False)
    assert [s["skill_id"] for s in read] == plain.manifest["query"]["extracted_skills"]
    assert {s["source"] for s in read} <= {"text", "occupation"}

    # a skill the top candidate claims, given as the only required skill: it is matched
    top = rec.candidate_profile(plain.frame["candidate_id"].iloc[0])
    chosen = top["skills"][0]
    edited = rec.shortlist(job_description=JD, k=300, required_skills=[chosen["skill_id"]])
    query = edited.manifest["query"]
    assert query["extracted_skills"] == [chosen["skill_id"]] and query["skills_edited"]
    row = edited.frame.set_index("candidate_id").loc[top["candidate_id"]]
    assert chosen["label"] in list(row["matched_skills"])
    assert list(row["missing_skills"]) == []

    with pytest.raises(ValueError, match="Unknown skill ids"):
        rec.shortlist(job_description=JD, required_skills=["not-a-skill"])
    role = rec.world.roles["role_id"].iloc[0]
    with pytest.raises(ValueError, match="job_description only"):
        rec.shortlist(role_id=role, required_skills=[chosen["skill_id"]])
