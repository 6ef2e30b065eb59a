"""Pathways and moves over a served recommender (a model's world or a live store)."""

from __future__ import annotations

import numpy as np
import pytest
from serving_world import some_role, tiny_bundle

from recsys.recommender import Recommender
from recsys.store import Store
from recsys.store.world_io import seed_store


@pytest.fixture(scope="module")
def rec():
    return Recommender.from_uri(tiny_bundle())


def _outside_top(rec, role: str, n: int = 5) -> list[str]:
    short = rec.shortlist(role_id=role, k=200, explain=False).to_frame()
    return short["candidate_id"].iloc[50 : 50 + n].tolist()


def test_a_pathway_covers_the_gaps_and_is_rescored(rec):
    role = some_role(rec)
    short = rec.shortlist(role_id=role, k=200, explain=False).to_frame()
    catalogue = set(rec.world.credentials["credential_id"])
    moved = 0
    for cid in _outside_top(rec, role):
        p = rec.pathway(cid, role)
        a = p.advice
        assert set(a.credentials) <= catalogue
        certified = set()
        for skills in rec.world.credentials.set_index("credential_id").loc[a.credentials, "skills"]:
            certified |= set(skills)
        assert set(a.claimed_unverified + a.absent) - set(a.uncovered_skills) <= certified
        assert p.rank_before == int(short.loc[short["candidate_id"] == cid, "rank"].iloc[0])
        assert p.fit_after >= p.fit_before - 1e-12
        moved += p.rank_after < p.rank_before
        out = p.to_dict()
        assert {"rank_before", "rank_after", "credentials", "labels"} <= set(out)
        assert all(c in out["labels"] for c in a.credentials)
    assert moved >= 3


def test_moves_list_reachable_roles_best_value_first(rec):
    emp = rec.world.candidates.query("is_employee").iloc[0]
    found = rec.moves(emp["candidate_id"], max_new=2, k=50)
    assert found
    catalogue = set(rec.world.credentials["credential_id"])
    values = [m.value for m in found]
    assert values == sorted(values, reverse=True)
    for m in found:
        assert m.role_id != emp["current_role_id"]
        assert len(m.credentials) <= 2 and set(m.credentials) <= catalogue
        assert 0.0 <= m.value <= 1.0 and np.isfinite(m.fit)
    none = rec.moves(emp["candidate_id"], max_new=0, k=50)
    assert all(not m.credentials for m in none)
    assert len(none) < len(found)
    with pytest.raises(KeyError, match="nobody"):
        rec.moves("nobody")


def test_pathways_read_the_live_store(tmp_path, rec):
    store = Store.open(tmp_path / "store", create=True)
    seed_store(store, rec.world, indexes=rec.indexes)
    live = Recommender.from_uri(tiny_bundle(), store=store.folder)
    role = some_role(rec)
    cid = _outside_top(rec, role, 1)[0]
    a, b = live.pathway(cid, role), rec.pathway(cid, role)
    assert a.advice.credentials == b.advice.credentials
    assert (a.rank_before, a.rank_after) == (b.rank_before, b.rank_after)
    assert a.fit_after == pytest.approx(b.fit_after, abs=1e-9)
    store.close()
