"""A hand-built, fully valid world of a few rows per entity, for unit tests of loaders and checks."""

from __future__ import annotations

import pandas as pd

from recsys.data import World

T = pd.Timestamp


def handmade_world() -> World:
    skills = pd.DataFrame(
        {
            "skill_id": ["s:python", "s:sql", "s:kafka", "s:negotiate"],
            "label": ["Python", "SQL", "Apache Kafka", "negotiate contracts"],
            "alt_labels": [["python programming"], ["structured query language"], [], []],
            "description": [
                "A programming language.",
                "A query language.",
                "A log.",
                "Agree terms.",
            ],
            "group": ["ICT", "ICT", "ICT", "management"],
        }
    )
    contracts = pd.DataFrame(
        {
            "contract_id": ["c:ledger"],
            "name": ["Ledger API"],
            "description": ["Double-entry ledger over Kafka and SQL."],
            "skills": [["s:sql", "s:kafka"]],
            "owner_team": ["payments"],
        }
    )
    credentials = pd.DataFrame(
        {
            "credential_id": ["cr:data", "cr:py"],
            "name": ["Data Streaming", "Python Associate"],
            "issuer": ["Acme Academy", "PSF Learning"],
            "description": ["Kafka and SQL.", "Python."],
            "skills": [["s:sql", "s:kafka"], ["s:python"]],
            "contracts": [["c:ledger"], []],
            "level": [2, 1],
            "validity_months": pd.array([24, pd.NA], dtype="Int64"),
        }
    )
    roles = pd.DataFrame(
        {
            "role_id": ["r:1", "r:2"],
            "title": ["software developer", "contract manager"],
            "description": ["Build the ledger in Python.", "Negotiate supplier contracts."],
            "required_skills": [["s:python", "s:sql"], ["s:negotiate"]],
            "optional_skills": [["s:kafka"], []],
            "contracts": [["c:ledger"], []],
            "seniority": [2, 3],
            "location": ["Berlin", "Lisbon"],
            "remote": [True, False],
            "team": ["payments", "legal"],
            "occupation_id": ["esco:dev", None],
            "opened_at": [T("2024-01-10"), T("2024-03-01")],
        }
    )
    candidates = pd.DataFrame(
        {
            "candidate_id": ["p:1", "p:2", "p:3"],
            "headline": ["Backend engineer", "Buyer", ""],
            "resume_text": [
                "Python and SQL for five years.",
                "Negotiated contracts.",
                "I write Kafka consumers.",
            ],
            "skills": [["s:python", "s:sql"], ["s:negotiate"], []],
            "years_experience": [5.0, 8.0, 1.5],
            "location": ["Berlin", "Lisbon", "Paris"],
            "open_to_remote": [True, False, True],
            "is_employee": [False, True, False],
            "current_role_id": [None, "r:2", None],
        }
    )
    holdings = pd.DataFrame(
        {
            "candidate_id": ["p:1", "p:3"],
            "credential_id": ["cr:data", "cr:py"],
            "issued_at": [T("2022-05-01"), T("2023-01-01")],
            "expires_at": [T("2024-05-01"), pd.NaT],
            "verified": [True, False],
        }
    )
    history = pd.DataFrame(
        {
            "candidate_id": ["p:1", "p:1", "p:2"],
            "title": ["junior developer", "software developer", "buyer"],
            "occupation": ["esco:dev", "esco:dev", None],
            "started_at": [T("2018-01-01"), T("2020-02-01"), T("2015-01-01")],
            "ended_at": [T("2020-01-31"), pd.NaT, pd.NaT],
        }
    )
    outcomes = pd.DataFrame(
        {
            "candidate_id": ["p:1", "p:3", "p:2"],
            "role_id": ["r:1", "r:1", "r:2"],
            "applied_at": [T("2024-01-20"), T("2024-01-25"), T("2024-03-05")],
            "stage": [4, 1, 4],
            "hired_at": [T("2024-03-01"), pd.NaT, T("2024-04-01")],
            "left_at": [pd.NaT, pd.NaT, T("2024-10-01")],
            "observed_until": [T("2025-06-30")] * 3,
        }
    )
    groups = pd.DataFrame(
        {
            "candidate_id": ["p:1", "p:2", "p:3"],
            "gender": ["f", "m", None],
            "age_band": ["25-34", "45-54", "18-24"],
            "ethnicity": [None, None, None],
        }
    )
    return World(
        skills, contracts, credentials, roles, candidates, holdings, history, outcomes, groups
    )
