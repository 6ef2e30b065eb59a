"""/v1/shortlist's ``fairness`` option (what each key scope sees) and the event log of answers."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from fastapi.testclient import TestClient
from serving_world import some_role, tiny_bundle

from recsys.eventlog import request_hash, verify
from recsys.recommender import Recommender
from recsys.serving.api import create_app
from recsys.serving.settings import ServeConfig

KEYS = {"rec-key": "recruiter", "audit-key": "auditor"}
RECRUITER = {"Authorization": "Bearer rec-key"}
AUDITOR = {"Authorization": "Bearer audit-key"}
FAIR = {"attribute": "gender", "min_ratio": 0.8}
K = 10


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """(client, recommender, event-log folder): planted groups, the top third all one gender."""
    rec = Recommender.load(tiny_bundle())
    pool = rec.shortlist(role_id=some_role(rec), k=rec.config.overfetch, explain=False).frame
    ids = pool["candidate_id"].tolist()
    rec.world.groups = pd.DataFrame(
        {
            "candidate_id": ids,
            "gender": ["male"] * (len(ids) // 3) + ["female"] * (len(ids) - len(ids) // 3),
        }
    )
    log = tmp_path_factory.mktemp("events")
    app = create_app(recommender=rec, api_keys=KEYS, settings=ServeConfig(event_log=str(log)))
    with TestClient(app) as client:
        yield client, rec, log


def _post(client, headers, **extra):
    body = {"role_id": some_role(client.app.state.recommender), "k": K, **extra}
    return client.post("/v1/shortlist", json=body, headers=headers)


def test_fairness_is_off_by_default_and_re_ranks_when_asked(served):
    client, rec, _ = served
    plain = _post(client, RECRUITER).json()
    assert "fairness" not in plain["manifest"]
    assert all("original_rank" not in r or r["original_rank"] is None for r in plain["results"])
    fair = _post(client, AUDITOR, fairness=FAIR).json()
    want = rec.shortlist(role_id=some_role(rec), k=K, fairness=FAIR)
    assert [r["candidate_id"] for r in fair["results"]] == want.frame["candidate_id"].tolist()
    assert [r["original_rank"] for r in fair["results"]] == want.frame["original_rank"].tolist()
    entry = fair["manifest"]["fairness"]
    assert entry["applied"] and entry["min_impact_ratio_after"] >= 0.8
    assert {"groups", "entered", "left"} <= set(entry)  # an auditor sees the composition


def test_a_recruiter_key_gets_the_cost_but_not_the_group_detail(served):
    client, _, _ = served
    entry = _post(client, RECRUITER, fairness=FAIR).json()["manifest"]["fairness"]
    assert entry["applied"] and entry["ndcg_cost"] is not None
    assert {"min_impact_ratio_before", "min_impact_ratio_after", "feasible"} <= set(entry)
    assert not {"groups", "entered", "left", "unmet", "unknown"} & set(entry)


@pytest.mark.parametrize(
    "option",
    [
        {"attribute": "gender"},
        {"attribute": "gender", "min_ratio": 0.8, "targets": {"female": 0.5}},
        {"attribute": "gender", "min_ratio": 1.5},
        {"attribute": "gender", "min_ratio": 0.8, "weight": 1},
        {"attribute": "shoe_size", "min_ratio": 0.8},
    ],
)
def test_bad_fairness_options_are_422(served, option):
    client, _, _ = served
    r = _post(client, RECRUITER, fairness=option)
    assert r.status_code == 422, r.text


def test_the_audit_of_a_re_ranked_shortlist_passes_where_the_plain_one_is_flagged(served):
    client, rec, _ = served
    body = {"role_id": some_role(rec), "k": K, "attributes": ["gender"]}
    plain = client.post("/v1/audit/shortlist", json=body, headers=AUDITOR).json()
    fair = client.post(
        "/v1/audit/shortlist", json={**body, "fairness": FAIR}, headers=AUDITOR
    ).json()
    assert plain["audit"]["summary"]["min_impact_ratio"]["selection"]["impact_ratio"] < 0.8
    assert fair["audit"]["summary"]["min_impact_ratio"]["selection"]["impact_ratio"] >= 0.8


def test_every_answer_is_logged_without_its_text_and_the_log_verifies(served):
    client, rec, log = served
    before = sum(verify(log).values())
    jd = "Payments engineer with Kafka and PostgreSQL, Lisbon office"
    r = client.post("/v1/shortlist", json={"job_description": jd, "k": 5}, headers=RECRUITER)
    assert r.status_code == 200
    bad = client.post("/v1/shortlist", json={"role_id": "nope", "k": 5}, headers=RECRUITER)
    assert bad.status_code == 404  # a failed request logs nothing
    cid = rec.world.candidates["candidate_id"].iloc[0]
    roles = client.post("/v1/roles-for", json={"candidate_id": cid, "k": 3}, headers=AUDITOR)
    assert roles.status_code == 200
    assert sum(verify(log).values()) == before + 2
    lines = [json.loads(x) for p in sorted(log.glob("*.jsonl")) for x in p.read_text().splitlines()]
    short, mobility = lines[-2], lines[-1]
    assert short["kind"] == "shortlist" and mobility["kind"] == "roles_for"
    assert short["returned"] == [x["candidate_id"] for x in r.json()["results"]]
    assert mobility["returned"] == [x["role_id"] for x in roles.json()["results"]]
    assert short["request_sha256"] == request_hash(
        {
            "role_id": None,
            "job_description": jd,
            "k": 5,
            "filters": None,
            "retention_weight": None,
            "fairness": None,
            "required_skills": None,
        }
    )
    assert short["index_sha256"] == r.json()["manifest"]["index_sha256"]
    assert short["requester"] != mobility["requester"]  # key fingerprints, never the keys
    text = "".join(p.read_text() for p in log.glob("*.jsonl"))
    assert "Kafka" not in text and "rec-key" not in text and "audit-key" not in text


def test_workers_built_from_the_environment_log_where_serve_said(tmp_path, monkeypatch):
    from recsys.serving import api

    monkeypatch.setenv(api.ENV_MODEL, str(tiny_bundle()))
    monkeypatch.setenv("RECSYS_API_KEYS", "k1")
    monkeypatch.setenv(api.ENV_EVENT_LOG, str(tmp_path / "ev"))
    with TestClient(api.app_from_env()) as client:
        body = {"role_id": some_role(client.app.state.recommender), "k": 3}
        assert client.post(
            "/v1/shortlist", json=body, headers={"Authorization": "Bearer k1"}
        ).is_success
    assert sum(verify(tmp_path / "ev").values()) == 1
    monkeypatch.setenv(api.ENV_EVENT_LOG, "off")
    with TestClient(api.app_from_env()) as client:
        assert client.post(
            "/v1/shortlist", json=body, headers={"Authorization": "Bearer k1"}
        ).is_success
    assert sum(verify(tmp_path / "ev").values()) == 1
