"""SkillGraph: lookups on the hand-made world, held() against a loop, near_roles against sets."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from handmade import handmade_world

from recsys.data import generate_world, load_world
from recsys.graph import NEAR_WEIGHTS, SkillGraph, occupation_relations


@pytest.fixture(scope="module")
def hand():
    world = handmade_world()
    return world, SkillGraph.from_world(world)


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    world = load_world(generate_world(tmp_path_factory.mktemp("g") / "w", candidates=80, roles=20))
    return world, SkillGraph.from_world(world)


def test_lookups(hand):
    _, g = hand
    assert g.credentials_for_skill("s:sql") == ["cr:data"]
    assert g.credentials_for_skill("s:negotiate") == []
    assert g.contracts_needing("s:kafka") == ["c:ledger"]
    assert g.roles_owning("c:ledger") == ["r:1"]
    assert g.credentials_for_contract("c:ledger") == ["cr:data"]
    with pytest.raises(KeyError, match="s:nope"):
        g.credentials_for_skill("s:nope")
    assert g.cred_skill.shape == (2, 4) and g.role_required.nnz == 3


def test_held_validity_rule(hand):
    _, g = hand
    # p:1 holds cr:data (verified) issued 2022-05-01, expiring 2024-05-01
    h = g.held(
        ["p:1", "p:1", "p:1", "p:3"], ["2022-01-01", "2023-01-01", "2024-05-01", "2024-01-01"]
    )
    f = h.to_frame(g)
    assert list(f["credentials"]) == [[], ["cr:data"], [], ["cr:py"]]
    assert list(f["verified_skills"]) == [[], ["s:kafka", "s:sql"], [], []]
    assert list(f["contracts"]) == [[], ["c:ledger"], [], []]
    assert f["certified_skills"].iloc[3] == ["s:python"]  # valid but not verified
    assert f["claimed_skills"].iloc[0] == ["s:python", "s:sql"]
    with pytest.raises(KeyError, match="p:404"):
        g.held(["p:404"], "2024-01-01")


def test_held_matches_a_loop(small):
    world, g = small
    rng = np.random.default_rng(0)
    ids = list(rng.choice(world.candidates["candidate_id"], 40))
    dates = pd.to_datetime(rng.choice(pd.date_range("2018-01-01", "2026-01-01", freq="MS"), 40))
    f = g.held(ids, dates).to_frame(g)
    creds = world.credentials.set_index("credential_id")
    for i, (cid, when) in enumerate(zip(ids, dates, strict=True)):
        h = world.holdings[world.holdings["candidate_id"] == cid]
        ok = (h["issued_at"] <= when) & (h["expires_at"].isna() | (h["expires_at"] > when))
        valid, ver = h[ok], h[ok & h["verified"]]
        assert f["credentials"].iloc[i] == sorted(set(valid["credential_id"]))
        want = {s for q in ver["credential_id"] for s in creds.at[q, "skills"]}
        assert f["verified_skills"].iloc[i] == sorted(want)
        want = {c for q in valid["credential_id"] for c in creds.at[q, "contracts"]}
        assert f["contracts"].iloc[i] == sorted(want)


def test_near_roles_score(small):
    world, g = small
    roles = world.roles.set_index("role_id")
    rel = g.occ_isco + g.occ_onet
    rid = roles.index[0]
    near = g.near_roles(rid)
    assert rid not in set(near["role_id"]) and (near["score"] > 0).all()
    assert near["score"].is_monotonic_decreasing
    assert list(g.near_roles(rid, k=3)["role_id"]) == list(near["role_id"][:3])

    def jac(a, b):
        a, b = set(a), set(b)
        return len(a & b) / len(a | b) if a | b else 0.0

    me = roles.loc[rid]
    for other, row in roles.drop(rid).iterrows():
        s = jac(me.required_skills + me.optional_skills, row.required_skills + row.optional_skills)
        c = jac(me.contracts, row.contracts)
        if me.occupation_id == row.occupation_id:
            occ = NEAR_WEIGHTS["same_occupation"]
        else:
            a, b = g.occupation_ids.get_indexer([me.occupation_id, row.occupation_id])
            occ = NEAR_WEIGHTS["related_occupation"] if rel[a, b] else 0.0
        score = s + NEAR_WEIGHTS["contract"] * c + occ
        got = near.loc[near["role_id"] == other, "score"]
        assert (got.iloc[0] if len(got) else 0.0) == pytest.approx(score)
    with pytest.raises(ValueError, match="'k' parameter"):
        g.near_roles(rid, k=0)


def test_near_roles_handmade_is_empty(hand):
    _, g = hand
    assert g.near_roles("r:1").empty  # no shared skill, contract or occupation


def test_occupation_relations():
    rel = occupation_relations()
    for m in (rel.isco, rel.onet):
        assert (m != m.T).nnz == 0 and m.diagonal().sum() == 0
    from recsys.data import taxonomy

    occ = taxonomy.occupations()
    pair = taxonomy.onet_related().iloc[0]
    a = occ.loc[occ["onet_code"] == pair["onet_code"], "occupation_id"]
    b = occ.loc[occ["onet_code"] == pair["related_code"], "occupation_id"]
    if len(a) and len(b):
        i, j = rel.ids.get_indexer([a.iloc[0], b.iloc[0]])
        assert rel.onet[i, j] == 1
    same = occ.groupby("isco_code")["occupation_id"].apply(list)
    group = next(v for v in same if len(v) > 1)
    i, j = rel.ids.get_indexer(group[:2])
    assert rel.isco[i, j] == 1


def test_related_occupations(small):
    world, g = small
    occ_id = world.roles["occupation_id"].iloc[0]
    out = g.related_occupations(occ_id)
    assert occ_id not in set(out["occupation_id"])
    assert (out["isco"] | out["onet"]).all()
