"""POST /v1/pathways and /v1/moves answer what the library answers."""

from __future__ import annotations

import shutil

import pytest
from fastapi.testclient import TestClient
from serving_world import some_role, tiny_bundle

from recsys.recommender import Recommender
from recsys.serving.api import create_app

KEY = {"Authorization": "Bearer test-key"}


@pytest.fixture(scope="module")
def bundle(tmp_path_factory):
    folder = tmp_path_factory.mktemp("api-pw") / "bundle"
    shutil.copytree(tiny_bundle(), folder)
    return folder


@pytest.fixture(scope="module")
def client(bundle):
    with TestClient(create_app(str(bundle), api_keys=["test-key"])) as c:
        yield c


def test_pathways_and_moves_endpoints(client, bundle):
    rec = Recommender.load(bundle)
    role = some_role(rec)
    cid = rec.shortlist(role_id=role, k=80, explain=False).to_frame()["candidate_id"].iloc[-1]
    body = {"candidate_id": cid, "role_id": role}
    assert client.post("/v1/pathways", json=body).status_code == 401
    got = client.post("/v1/pathways", json=body, headers=KEY)
    assert got.status_code == 200, got.text
    want = rec.pathway(cid, role)
    out = got.json()
    assert (out["rank_before"], out["rank_after"]) == (want.rank_before, want.rank_after)
    assert out["credentials"] == want.advice.credentials
    missing = client.post("/v1/pathways", json={**body, "role_id": "no-role"}, headers=KEY)
    assert missing.status_code == 404 and "no-role" in missing.text
    emp = rec.world.candidates.query("is_employee")["candidate_id"].iloc[0]
    moves = client.post("/v1/moves", json={"candidate_id": emp, "k": 3}, headers=KEY)
    assert moves.status_code == 200, moves.text
    assert [m["role_id"] for m in moves.json()["moves"]] == [m.role_id for m in rec.moves(emp, k=3)]
    assert (
        client.post("/v1/moves", json={"candidate_id": emp, "k": 0}, headers=KEY).status_code == 422
    )
