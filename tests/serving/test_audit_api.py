"""POST /v1/audit/shortlist and GET /v1/whoami: scopes, the audit of a planted bias, errors."""

from __future__ import annotations

import pandas as pd
import pytest
from fastapi.testclient import TestClient
from serving_world import some_role, tiny_bundle

from recsys.recommender import Recommender
from recsys.serving.api import create_app
from recsys.serving.keys import ApiKeyError

KEYS = {"rec-key": "recruiter", "audit-key": "auditor", "admin-key": "admin"}
RECRUITER = {"Authorization": "Bearer rec-key"}
AUDITOR = {"Authorization": "Bearer audit-key"}
K = 20


@pytest.fixture(scope="module")
def rec():
    return Recommender.load(tiny_bundle())


@pytest.fixture(scope="module")
def client(rec):
    with TestClient(create_app(recommender=rec, api_keys=KEYS)) as c:
        yield c


@pytest.fixture(scope="module")
def pool(rec) -> list[str]:
    """The role's retrieved pool, best first (what the audit ranks)."""
    size = max(rec.config.overfetch, K)
    ranked = rec.shortlist(role_id=some_role(rec), k=size, explain=False)
    return ranked.frame["candidate_id"].tolist()


def groups_of(pool: list[str], gender: list[str]) -> pd.DataFrame:
    """Groups rows for the pool: ``gender`` by rank, an unbiased age band, one unknown."""
    frame = pd.DataFrame(
        {
            "candidate_id": pool,
            "gender": gender,
            "age_band": ["<40", "40+"] * (len(pool) // 2) + ["<40"] * (len(pool) % 2),
        }
    )
    frame.loc[len(frame) - 1, "gender"] = "prefer not to say"
    return frame


def audit(client, rec, groups, headers=AUDITOR, **body):
    rec.world.groups = groups
    return client.post(
        "/v1/audit/shortlist", json={"role_id": some_role(rec), "k": K, **body}, headers=headers
    )


def gender_rows(answer: dict) -> dict[str, dict]:
    rows = answer["audit"]["rows"]
    return {
        r["category"]: r for r in rows if r["grouping"] == "gender" and r["measure"] == "selection"
    }


def test_only_auditor_keys_may_audit(client, rec, pool):
    groups = groups_of(pool, ["female", "male"] * (len(pool) // 2) + ["male"] * (len(pool) % 2))
    rec.world.groups = groups
    body = {"role_id": some_role(rec), "k": K}
    assert client.post("/v1/audit/shortlist", json=body).status_code == 401
    bad = client.post("/v1/audit/shortlist", json=body, headers={"Authorization": "Bearer x"})
    assert bad.status_code == 401
    for key in ("rec-key", "admin-key"):
        r = client.post(
            "/v1/audit/shortlist", json=body, headers={"Authorization": f"Bearer {key}"}
        )
        assert r.status_code == 403, r.text
        assert "'auditor' scope" in r.json()["detail"]
    r = client.post("/v1/audit/shortlist", json=body, headers=AUDITOR)
    assert r.status_code == 200, r.text
    assert r.json()["pool"] == len(pool) and r.json()["k"] == K
    assert all(v["impact_ratio"] is not None for v in gender_rows(r.json()).values())


def test_an_auditor_key_may_call_what_a_recruiter_key_may(client, rec):
    for key in KEYS:
        r = client.post(
            "/v1/shortlist",
            json={"role_id": some_role(rec), "k": 3},
            headers={"Authorization": f"Bearer {key}"},
        )
        assert r.status_code == 200, (key, r.text)


def test_whoami_gives_scopes_never_the_key(client):
    assert client.get("/v1/whoami").status_code == 401
    assert client.get("/v1/whoami", headers=RECRUITER).json() == {"scopes": ["recruiter"]}
    r = client.get("/v1/whoami", headers=AUDITOR)
    assert r.json() == {"scopes": ["auditor", "recruiter"]} and "audit-key" not in r.text


def test_planted_bias_is_flagged_a_balanced_pool_is_not(client, rec, pool):
    rest = len(pool) - K
    biased = audit(client, rec, groups_of(pool, ["male"] * K + ["female"] * rest))
    assert biased.status_code == 200, biased.text
    rows = gender_rows(biased.json())
    assert rows["female"]["rate"] == 0 and rows["female"]["impact_ratio"] == 0
    assert rows["female"]["four_fifths"] and rows["female"]["flagged"]
    assert rows["male"]["reference"] and rows["male"]["rate"] == pytest.approx(1.0)
    summary = biased.json()["audit"]["summary"]
    assert summary["min_impact_ratio"]["selection"]["category"] == "female"
    unknown = {u["grouping"]: u for u in biased.json()["audit"]["unknown"]}
    assert unknown["gender"]["pairs"] == 1  # the 'prefer not to say' row

    balanced = audit(
        client,
        rec,
        groups_of(pool, ["female", "male"] * (len(pool) // 2) + ["male"] * (len(pool) % 2)),
    )
    rows = gender_rows(balanced.json())
    assert {r["flagged"] for r in rows.values()} == {False}
    assert min(r["impact_ratio"] for r in rows.values()) > 0.8


def test_small_categories_are_excluded_and_attributes_picked(client, rec, pool):
    gender = ["female", "male"] * (len(pool) // 2) + ["male"] * (len(pool) % 2)
    gender[1] = "non-binary"  # 1 of ~200: under 2%
    r = audit(client, rec, groups_of(pool, gender), attributes=["gender"])
    assert r.status_code == 200, r.text
    answer = r.json()["audit"]
    assert {row["grouping"] for row in answer["rows"]} == {"gender"}
    assert [e["category"] for e in answer["excluded"]] == ["non-binary"]
    assert gender_rows(r.json())["non-binary"]["impact_ratio"] is None


def test_errors_say_what_was_expected(client, rec, pool):
    groups = groups_of(pool, ["female", "male"] * (len(pool) // 2) + ["male"] * (len(pool) % 2))
    r = audit(client, rec, groups, attributes=["religion"])
    assert r.status_code == 422 and "religion" in r.text
    r = audit(client, rec, groups, k=1001)
    assert r.status_code == 422 and "[1, 1000]" in r.text
    r = audit(client, rec, groups, job_description="Python developer")
    assert r.status_code == 422 and "exactly one" in r.text
    r = audit(client, rec, None)
    assert r.status_code == 409 and "no group data" in r.json()["detail"]
    r = audit(client, rec, groups.iloc[:0])
    assert r.status_code == 409
    rec.world.groups = groups
    r = client.post("/v1/audit/shortlist", json={"role_id": "no-such-role"}, headers=AUDITOR)
    assert r.status_code == 404


def test_bad_scopes_stop_the_service_from_starting(rec, monkeypatch):
    with pytest.raises(ApiKeyError, match=r"api_keys entry 2 \(key ke…\).*found 'superuser'"):
        create_app(recommender=rec, api_keys=["a-recruiter-key", "key-of-an-auditor:superuser"])
    monkeypatch.setenv("RECSYS_API_KEYS", "a-recruiter-key,key-of-an-auditor:auditr")
    with pytest.raises(ApiKeyError, match="RECSYS_API_KEYS entry 2") as err:
        create_app(recommender=rec)
    assert "key-of-an-auditor" not in str(err.value)
    monkeypatch.setenv("RECSYS_API_KEYS", "old-key-1,old-key-2")  # the old format, unchanged
    with TestClient(create_app(recommender=rec)) as c:
        r = c.get("/v1/whoami", headers={"Authorization": "Bearer old-key-2"})
        assert r.json() == {"scopes": ["recruiter"]}
