from __future__ import annotations

import shutil
import threading

import pytest
from fastapi.testclient import TestClient
from serving_world import some_role, tiny_bundle

from recsys.recommender import Recommender
from recsys.serving.api import create_app
from recsys.serving.settings import ServeConfig

KEY = {"Authorization": "Bearer test-key"}


@pytest.fixture(scope="module")
def bundle(tmp_path_factory):
    folder = tmp_path_factory.mktemp("api") / "bundle"
    shutil.copytree(tiny_bundle(), folder)
    return folder


@pytest.fixture(scope="module")
def client(bundle):
    with TestClient(create_app(str(bundle), api_keys=["test-key:admin", "other"])) as c:
        yield c


def test_shortlist_same_as_library_and_needs_key(client, bundle):
    rec = Recommender.load(bundle)
    role = some_role(rec)
    body = {"role_id": role, "k": 7}
    assert client.post("/v1/shortlist", json=body).status_code == 401
    bad = client.post("/v1/shortlist", json=body, headers={"Authorization": "Bearer nope"})
    assert bad.status_code == 401
    got = client.post("/v1/shortlist", json=body, headers=KEY)
    assert got.status_code == 200, got.text
    want = rec.shortlist(role_id=role, k=7).to_dict()
    assert [r["candidate_id"] for r in got.json()["results"]] == [
        r["candidate_id"] for r in want["results"]
    ]
    assert got.json()["results"][0]["reasons"]["top_features"][0]["meaning"]
    assert got.json()["manifest"]["index_sha256"] == want["manifest"]["index_sha256"]


def test_free_text_roles_and_score(client, bundle):
    rec = Recommender.load(bundle)
    r = client.post(
        "/v1/shortlist", json={"job_description": "Python developer", "k": 3}, headers=KEY
    )
    assert r.status_code == 200 and len(r.json()["results"]) == 3
    cand = str(rec.world.candidates["candidate_id"].iloc[0])
    r = client.post("/v1/roles-for", json={"candidate_id": cand, "k": 4}, headers=KEY)
    assert r.status_code == 200 and len(r.json()["results"]) == 4
    pairs = [{"candidate_id": cand, "role_id": some_role(rec)}]
    r = client.post("/v1/score", json={"pairs": pairs}, headers=KEY)
    assert r.status_code == 200
    assert r.json()["results"][0]["score"] == pytest.approx(
        float(rec.score_pairs(__import__("pandas").DataFrame(pairs))["score"].iloc[0])
    )


def test_limits_have_clear_messages(client, bundle):
    role = some_role(Recommender.load(bundle))
    r = client.post("/v1/shortlist", json={"role_id": role, "k": 1001}, headers=KEY)
    assert r.status_code == 422 and "[1, 1000]" in r.text
    r = client.post("/v1/shortlist", json={"role_id": role, "k": 0}, headers=KEY)
    assert r.status_code == 422
    r = client.post("/v1/shortlist", json={"job_description": "x" * 50_001}, headers=KEY)
    assert r.status_code == 413 and "at most 50000 characters" in r.json()["detail"]
    pairs = [{"candidate_id": "a", "role_id": "b"}] * 10_001
    r = client.post("/v1/score", json={"pairs": pairs}, headers=KEY)
    assert r.status_code == 413 and "at most 10000 pairs" in r.json()["detail"]
    r = client.post("/v1/shortlist", json={"role_id": role, "job_description": "x"}, headers=KEY)
    assert r.status_code == 422 and "exactly one" in r.text
    r = client.post("/v1/shortlist", json={"role_id": "no-such-role"}, headers=KEY)
    assert r.status_code == 404


def test_health_ready_metrics_docs_page(client):
    assert client.get("/healthz").json() == {"status": "ok"}
    assert client.get("/readyz").json()["status"] == "ready"
    client.post("/v1/shortlist", json={"job_description": "Python", "k": 1}, headers=KEY)
    text = client.get("/metrics").text
    assert 'recsys_requests_total{route="/v1/shortlist",status="200"}' in text
    assert client.get("/docs").status_code == 200
    assert "Shortlist" in client.get("/").text and client.get("/static/app.js").status_code == 200
    assert client.get("/v1/role-list", headers=KEY).json()["roles"]


def test_reload_swaps_model_without_dropping_requests(client, bundle):
    role = some_role(Recommender.load(bundle))
    errors: list[int] = []
    stop = threading.Event()

    def hammer() -> None:
        while not stop.is_set():
            r = client.post("/v1/shortlist", json={"role_id": role, "k": 5}, headers=KEY)
            if r.status_code != 200:
                errors.append(r.status_code)

    threads = [threading.Thread(target=hammer, daemon=True) for _ in range(2)]
    for t in threads:
        t.start()
    before = client.app.state.recommender
    try:  # the hammers stop even when the reload raises: pytest must not wait on them
        r = client.post("/v1/admin/reload", headers=KEY)
    finally:
        stop.set()
        for t in threads:
            t.join(30)
    assert r.status_code == 200 and not errors
    assert client.app.state.recommender is not before
    assert "recsys_model_reloads_total 1.0" in client.get("/metrics").text


def test_no_keys_refuses_to_start(bundle, monkeypatch):
    monkeypatch.delenv("RECSYS_API_KEYS", raising=False)
    with pytest.raises(ValueError, match="No API keys configured"):
        create_app(str(bundle))
    monkeypatch.setenv("RECSYS_API_KEYS", "a, b")
    assert create_app(str(bundle)) is not None


def test_oversize_body_refused_and_counted(bundle):
    settings = ServeConfig(api={"max_body_bytes": 2048})
    app = create_app(str(bundle), api_keys=["test-key"], settings=settings)
    with TestClient(app) as c:
        r = c.post("/v1/shortlist", content=b"{" + b" " * 4096 + b"}", headers=KEY)
        assert r.status_code == 413
        assert r.json()["detail"] == "Request body must be at most 2048 bytes. Got 4098 instead."
        assert (
            c.post("/v1/shortlist", json={"role_id": "no-such-role"}, headers=KEY).status_code
            == 404
        )
        text = c.get("/metrics").text
    assert 'recsys_requests_total{route="/v1/shortlist",status="404"} 1.0' in text


def test_probes_and_reload_do_not_wait_for_a_busy_request_thread(bundle):
    """One request thread per worker (the default): a long request must not stall the probes,
    the metrics or a reload, and it is still answered."""
    rec = Recommender.load(bundle)
    started, release = threading.Event(), threading.Event()
    real = rec.shortlist

    def slow_shortlist(**kwargs):
        started.set()
        release.wait(10)
        return real(**kwargs)

    rec.shortlist = slow_shortlist
    app = create_app(recommender=rec, api_keys=["test-key:admin"])
    app.state.model_uri = str(bundle)
    assert ServeConfig().api.request_threads == 1
    with TestClient(app) as client:
        out: dict[str, int] = {}
        busy = threading.Thread(
            daemon=True,
            target=lambda: out.update(
                code=client.post(
                    "/v1/shortlist", json={"role_id": some_role(rec), "k": 3}, headers=KEY
                ).status_code
            ),
        )
        busy.start()
        assert started.wait(10)
        try:
            assert client.get("/healthz").status_code == 200
            assert client.get("/readyz").status_code == 200
            assert client.get("/metrics").status_code == 200
            swapped = client.post("/v1/admin/reload", headers=KEY)
            assert swapped.status_code == 200, swapped.text
            assert app.state.recommender is not rec
            assert busy.is_alive()  # all of the above was answered while the request waited
        finally:
            release.set()
            busy.join(10)
        assert out["code"] == 200
