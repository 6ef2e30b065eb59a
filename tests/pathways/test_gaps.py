"""gap_advice on a small generated world with hand-built candidates and credentials."""

from __future__ import annotations

import dataclasses
import json

import pandas as pd
import pytest

from recsys.data import generate_world, load_world
from recsys.graph import SkillGraph
from recsys.pathways import GapAdvice, gap_advice

T = pd.Timestamp
AS_OF = T("2024-06-01")


@pytest.fixture(scope="module")
def base(tmp_path_factory):
    return load_world(generate_world(tmp_path_factory.mktemp("gw") / "w", candidates=60, roles=12))


def _role(world):
    roles = world.roles[
        (world.roles["required_skills"].map(len) >= 5) & (world.roles["contracts"].map(len) >= 1)
    ]
    return roles.iloc[0]


def _with(world, credentials, candidates, holdings):
    """``world`` with extra catalogue credentials, candidates and holdings appended."""
    cred = pd.DataFrame(credentials).assign(
        issuer="Test", description="", validity_months=pd.array([pd.NA] * len(credentials), "Int64")
    )
    cand = pd.DataFrame(candidates).assign(
        headline="",
        resume_text="",
        years_experience=1.0,
        location="Berlin",
        open_to_remote=True,
        is_employee=False,
        current_role_id=None,
    )
    return dataclasses.replace(
        world,
        credentials=pd.concat([world.credentials, cred], ignore_index=True),
        candidates=pd.concat([world.candidates, cand], ignore_index=True),
        holdings=pd.concat([world.holdings, pd.DataFrame(holdings)], ignore_index=True),
    )


@pytest.fixture(scope="module")
def hand(base):
    role = _role(base)
    req, con = list(role["required_skills"]), list(role["contracts"])
    creds = [
        {
            "credential_id": "X:ver",
            "name": "v",
            "skills": [req[0]],
            "contracts": [con[0]],
            "level": 1,
        },
        {"credential_id": "X:unver", "name": "u", "skills": [req[1]], "contracts": [], "level": 1},
        {"credential_id": "X:old", "name": "o", "skills": [req[2]], "contracts": [], "level": 1},
        {"credential_id": "X:soon", "name": "s", "skills": [req[3]], "contracts": [], "level": 1},
        {"credential_id": "X:all", "name": "a", "skills": req, "contracts": con, "level": 3},
    ]
    cands = [
        {"candidate_id": "P:hand", "skills": [req[4]], "profile_at": T("2024-01-01")},
        {"candidate_id": "P:done", "skills": [], "profile_at": T("2024-01-01")},
    ]
    hold = [
        ("P:hand", "X:ver", "2023-01-01", None, True),
        ("P:hand", "X:unver", "2023-01-01", None, False),
        ("P:hand", "X:old", "2020-01-01", "2024-06-01", True),  # expired at as_of (not > as_of)
        ("P:hand", "X:soon", "2024-07-01", None, True),  # not yet issued
        ("P:done", "X:all", "2024-01-01", "2026-01-01", True),
    ]
    holdings = pd.DataFrame(
        hold, columns=["candidate_id", "credential_id", "issued_at", "expires_at", "verified"]
    ).assign(
        issued_at=lambda d: pd.to_datetime(d["issued_at"]),
        expires_at=lambda d: pd.to_datetime(d["expires_at"]),
    )
    world = _with(base, creds, cands, holdings)
    return world, SkillGraph.from_world(world), role


def test_split_for_a_hand_built_candidate(hand):
    world, g, role = hand
    req, con = list(role["required_skills"]), list(role["contracts"])
    a = gap_advice(g, world, "P:hand", role["role_id"], as_of=AS_OF)
    assert isinstance(a, GapAdvice)
    assert a.verified == [req[0]]
    assert a.claimed_unverified == [req[1], req[4]]
    # expired (X:old) and unissued (X:soon) credentials count for nothing
    assert a.absent == [req[2], req[3]] + req[5:]
    assert a.missing_contracts == con[1:]
    assert "X:ver" not in a.credentials and "X:unver" not in a.credentials
    # a day before X:old expires it verifies req[2]
    earlier = gap_advice(g, world, "P:hand", role["role_id"], as_of="2024-05-31")
    assert req[2] in earlier.verified


def test_suggested_set_covers_everything_coverable(hand):
    world, g, role = hand
    for cid in ["P:hand", *world.candidates["candidate_id"][:20]]:
        a = gap_advice(g, world, cid, role["role_id"], as_of=AS_OF)
        creds = world.credentials.set_index("credential_id")
        got_s = {s for q in a.credentials for s in creds.at[q, "skills"]}
        got_c = {c for q in a.credentials for c in creds.at[q, "contracts"]}
        missing = set(a.claimed_unverified + a.absent)
        assert missing - got_s == set(a.uncovered_skills)
        assert set(a.missing_contracts) - got_c == set(a.uncovered_contracts)
        assert a.cost == pytest.approx(sum(creds.loc[a.credentials, "level"]))
        assert a.cost <= a.greedy_cost + 1e-9 and a.method == "exact"
        held = g.held([cid], AS_OF).to_frame(g)["credentials"].iloc[0]
        assert not set(held) & set(a.credentials)


def test_candidate_with_everything_gets_nothing(hand):
    world, g, role = hand
    a = gap_advice(g, world, "P:done", role["role_id"], as_of=AS_OF)
    assert a.verified == list(role["required_skills"])
    assert a.claimed_unverified == a.absent == a.missing_contracts == []
    assert a.credentials == [] and a.cost == 0.0
    after = gap_advice(g, world, "P:done", role["role_id"], as_of="2026-01-01")  # expired
    assert after.verified == [] and after.credentials and after.cost > 0


def test_cost_column_and_errors(hand):
    world, g, role = hand
    priced = dataclasses.replace(
        world, credentials=world.credentials.assign(cost=100.0 * world.credentials["level"])
    )
    a = gap_advice(g, priced, "P:hand", role["role_id"], as_of=AS_OF)
    assert a.cost_source == "cost" and a.cost == pytest.approx(
        100 * gap_advice(g, world, "P:hand", role["role_id"], as_of=AS_OF).cost
    )
    bad = priced.credentials.copy()
    bad.loc[bad["credential_id"] == "X:all", "cost"] = 0.0
    with pytest.raises(ValueError, match="X:all"):
        gap_advice(g, dataclasses.replace(priced, credentials=bad), "P:hand", role["role_id"])
    with pytest.raises(KeyError, match="R:none"):
        gap_advice(g, world, "P:hand", "R:none")
    with pytest.raises(KeyError, match="P:none"):
        gap_advice(g, world, "P:none", role["role_id"])


def test_greedy_option_and_json(hand):
    world, g, role = hand
    a = gap_advice(g, world, "P:hand", role["role_id"], as_of=AS_OF, exact_max=0)
    assert a.method == "greedy" and a.cost == a.greedy_cost
    d = json.loads(json.dumps(a.to_dict()))
    assert d["as_of"].startswith("2024-06-01") and d["candidate_id"] == "P:hand"
    assert set(d) >= {"verified", "claimed_unverified", "absent", "credentials", "cost", "bound"}
