"""The HTTP service over a live store: writes (JSON Resume, JobPosting, rows), erasure, and
queries that follow them without a restart (issue 11)."""

from __future__ import annotations

import shutil
import threading
import time
from pathlib import Path

import pandas as pd
import pytest
from fastapi.testclient import TestClient
from serving_world import some_role, tiny_bundle

from recsys.recommender import Recommender
from recsys.serving.api import app_from_env, create_app
from recsys.serving.settings import ServeConfig

KEY = {"Authorization": "Bearer test-key"}


@pytest.fixture(scope="module", params=[False, True], ids=["held", "paged"])
def served(tmp_path_factory, request):
    """(client, model, store folder, encoder cache folder): the tiny bundle served over a store
    seeded from its world, with an on-disk embedding cache of its own; its candidates held in
    memory, or read per query (``store_paged``: recsys.serving.paged)."""
    from recsys.store import Store
    from recsys.store.world_io import seed_store

    root = tmp_path_factory.mktemp("api-store")
    bundle = root / "bundle"
    shutil.copytree(tiny_bundle(), bundle)
    cache = root / "cache"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("RECSYS_CACHE_DIR", str(cache))
        rec = Recommender.load(bundle)
        with Store.open(root / "store", create=True) as store:
            seed_store(
                store,
                rec.world,
                indexes=rec.indexes,
                extracted=pd.read_parquet(bundle / "text" / "resume_skills.parquet"),
                reader_id=rec.reader_id,
            )
        # polled often, so that queries poll the store while it is written and compacted
        settings = ServeConfig(store_poll_seconds=0.001, store_paged=request.param)
        app = create_app(
            str(bundle), api_keys=["test-key:admin"], store=root / "store", settings=settings
        )
        with TestClient(app) as client:
            yield client, rec, root / "store", cache


def _resume(rec, role_id: str, cid: str, marker: str) -> dict:
    """A JSON Resume written for ``role_id``: its title, description and required skills."""
    role = rec.world.roles.set_index("role_id").loc[role_id]
    labels = rec.world.skills.set_index("skill_id")["label"]
    names = [labels.get(s, s) for s in role["required_skills"]]
    return {
        "meta": {"id": cid},
        "basics": {
            "name": f"Test Person {marker}",
            "label": role["title"],
            "email": f"{marker.lower()}@example.org",
            "summary": f"{role['description']} {marker}",
        },
        "work": [{"position": role["title"], "name": "Acme", "startDate": "2016-03"}],
        "skills": [{"name": n} for n in names],
    }


def _shortlisted(client, role_id: str) -> list[str]:
    r = client.post("/v1/shortlist", json={"role_id": role_id, "k": 1000}, headers=KEY)
    assert r.status_code == 200, r.text
    return [row["candidate_id"] for row in r.json()["results"]]


def _files_holding(folders: list[Path], needles: list[str]) -> list[str]:
    hits = []
    for folder in folders:
        for path in folder.rglob("*"):
            if path.is_file():
                data = path.read_bytes()
                hits += [f"{path}: {n!r}" for n in needles if n.encode() in data]
    return hits


def test_posted_resume_is_shortlisted_then_erased_everywhere(served):
    client, rec, store, cache = served
    role = some_role(rec)
    cid, marker = "API-CAND-1", "ZQXMARKER9137"
    assert client.post("/v1/candidates", json=_resume(rec, role, cid, marker)).status_code == 401
    r = client.post("/v1/candidates", json=_resume(rec, role, cid, marker), headers=KEY)
    assert r.status_code == 200, r.text
    report = r.json()
    assert report["added"]["candidates"] == 1 and report["added"]["history"] == 1
    assert report["errors"] == [] and report["embedded"]["candidates"] == 1
    assert cid in _shortlisted(client, role)  # no restart
    again = client.post("/v1/candidates", json=_resume(rec, role, cid, marker), headers=KEY)
    assert again.json()["unchanged"]["candidates"] == 1  # an upsert, not a second row

    assert _files_holding([store, cache], [marker, cid])  # the check below can see them
    r = client.delete(f"/v1/candidates/{cid}", headers=KEY)
    assert r.status_code == 200 and r.json() == {"erased": cid}
    assert cid not in _shortlisted(client, role)
    assert client.delete(f"/v1/candidates/{cid}", headers=KEY).status_code == 404
    r = client.post("/v1/roles-for", json={"candidate_id": cid}, headers=KEY)
    assert r.status_code == 404
    assert any(cache.rglob("*")), "the encoder cache folder is in use"
    assert _files_holding([store, cache], [marker, cid]) == []
    assert cid not in _shortlisted(client, role)


def test_posted_job_posting_can_be_shortlisted(served):
    client, rec, _, _ = served
    cand = rec.world.candidates.iloc[0]
    posting = {
        "@context": "https://schema.org",
        "@graph": [
            {
                "@type": "JobPosting",
                "identifier": {"@type": "PropertyValue", "value": "API-ROLE-1"},
                "title": f"{cand['headline']} (platform)",
                "description": f"<p>{cand['resume_text'][:2000]}</p>",
                "datePosted": "2025-01-15",
                "jobLocation": {"address": {"addressLocality": "Berlin"}},
            }
        ],
    }
    r = client.post("/v1/roles", json=posting, headers=KEY)
    assert r.status_code == 200, r.text
    assert r.json()["added"]["roles"] == 1 and r.json()["embedded"]["roles"] == 1
    got = _shortlisted(client, "API-ROLE-1")
    assert got and str(cand["candidate_id"]) in got
    roles = client.get("/v1/role-list", params={"q": "(platform)"}, headers=KEY).json()["roles"]
    assert "API-ROLE-1" in [x["role_id"] for x in roles]
    r = client.post("/v1/roles-for", json={"candidate_id": str(cand["candidate_id"])}, headers=KEY)
    assert r.status_code == 200 and r.json()["results"]


def test_bad_record_is_reported_and_the_good_one_written(served):
    client, rec, _, _ = served
    role = some_role(rec)
    good = _resume(rec, role, "API-CAND-GOOD", "GOODMARK")
    bad = _resume(rec, role, "API-CAND-BAD", "BADMARK")
    bad["work"][0]["startDate"] = "last spring"
    r = client.post("/v1/candidates", json=[bad, good], headers=KEY)
    assert r.status_code == 200, r.text
    out = r.json()
    assert out["added"]["candidates"] == 1 and out["skipped"] == 1 and out["records"] == 2
    assert len(out["errors"]) == 1
    assert "record 1" in out["errors"][0] and "work[0].startDate" in out["errors"][0]
    assert "API-CAND-GOOD" in _shortlisted(client, role)
    assert "API-CAND-BAD" not in _shortlisted(client, role)

    rows = [
        {"candidate_id": "API-ROW-1", "headline": "Data engineer", "resume_text": "Kafka SQL"},
        {"candidate_id": "API-ROW-2", "headline": "x", "years_experience": "many"},
        {"candidate_id": "API-ROW-3", "headline": "x", "shoe_size": 44},
    ]
    out = client.post("/v1/candidates", json={"rows": rows}, headers=KEY).json()
    assert out["added"]["candidates"] == 1 and out["skipped"] == 2
    assert any("record 2" in e and "'years_experience'" in e for e in out["errors"])
    assert any("record 3" in e and "'shoe_size'" in e for e in out["errors"])
    posting = {"@type": "JobPosting", "identifier": "R-x", "title": "t", "description": "d"}
    out = client.post("/v1/candidates", json=posting, headers=KEY).json()
    assert out["skipped"] == 1 and "expected a JSON Resume" in out["errors"][0]


def test_unreadable_bodies_and_no_store(served, tmp_path):
    client, _, _, _ = served
    r = client.post("/v1/roles", content=b"{not json", headers=KEY)
    assert r.status_code == 400 and "must be JSON" in r.json()["detail"]
    r = client.post("/v1/roles", json="a string", headers=KEY)
    assert r.status_code == 422 and "Got str instead" in r.text
    r = client.post("/v1/candidates", json={"rows": {"candidate_id": "x"}}, headers=KEY)
    assert r.status_code == 422 and "'rows' field must be a list" in r.text
    small = ServeConfig(api={"max_body_bytes": 2048})
    shutil.copytree(tiny_bundle(), tmp_path / "bundle")
    app = create_app(str(tmp_path / "bundle"), api_keys=["test-key:admin"], settings=small)
    with TestClient(app) as plain:
        for method, path in (("post", "/v1/candidates"), ("delete", "/v1/candidates/C1")):
            r = getattr(plain, method)(
                path, headers=KEY, **({"json": {}} if method == "post" else {})
            )
            assert r.status_code == 409 and "live store" in r.json()["detail"]
        big = {"rows": [{"candidate_id": "x" * 4096}]}
        assert plain.post("/v1/candidates", json=big, headers=KEY).status_code == 413


def test_writes_and_erasures_while_shortlisting_fail_no_request(served):
    """Shortlists in a loop while another thread posts and erases: every request answered."""
    client, rec, _, _ = served
    role = some_role(rec)
    errors: list[str] = []
    done = threading.Event()
    queries = 0

    def shortlists() -> None:
        nonlocal queries
        while not done.is_set():
            r = client.post("/v1/shortlist", json={"role_id": role, "k": 50}, headers=KEY)
            queries += 1
            if r.status_code != 200:
                errors.append(f"shortlist {r.status_code} {r.text[:200]}")

    def writes() -> None:
        try:
            for i in range(6):
                ids = [f"API-CONC-{i}-{j}" for j in range(3)]
                batch = [_resume(rec, role, c, f"CONCMARK{c}") for c in ids]
                r = client.post("/v1/candidates", json=batch, headers=KEY)
                if r.status_code != 200 or r.json()["errors"]:
                    errors.append(f"write {r.status_code} {r.text[:200]}")
                if i < 5:  # erasure compacts the store while queries poll it
                    r = client.delete(f"/v1/candidates/{ids[0]}", headers=KEY)
                    if r.status_code != 200:
                        errors.append(f"erase {r.status_code} {r.text[:200]}")
        except Exception as err:  # a server error raised through the test client
            errors.append(f"{type(err).__name__}: {err}")
        finally:
            done.set()

    threads = [threading.Thread(target=shortlists, daemon=True) for _ in range(2)]
    threads.append(threading.Thread(target=writes, daemon=True))
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not errors
    assert queries >= 5
    listed = set(_shortlisted(client, role))
    assert {f"API-CONC-5-{j}" for j in range(3)} <= listed
    assert not {f"API-CONC-{i}-0" for i in range(5)} & listed


def test_queries_do_not_poll_the_store_during_a_write(served, monkeypatch):
    """The store's one connection runs no query of a request thread while this process writes
    (a poll during an erasure's VACUUM failed it: "SQL statements in progress")."""
    client, rec, _, _ = served
    live = client.app.state.recommender
    polls: list[int] = []
    real = live.store.version
    monkeypatch.setattr(live.store, "version", lambda: polls.append(1) or real())
    with live._write:  # what ingest / erase hold
        time.sleep(0.01)
        r = client.post("/v1/shortlist", json={"role_id": some_role(rec), "k": 5}, headers=KEY)
        assert r.status_code == 200 and polls == []
    time.sleep(0.01)
    client.post("/v1/shortlist", json={"role_id": some_role(rec), "k": 5}, headers=KEY)
    assert polls  # polled again once the write is over


def test_app_from_env_serves_the_store(served, monkeypatch):
    _, rec, store, cache = served
    monkeypatch.setenv("RECSYS_SERVE_MODEL", str(tiny_bundle()))
    monkeypatch.setenv("RECSYS_SERVE_STORE", str(store))
    monkeypatch.setenv("RECSYS_API_KEYS", "test-key:admin")
    monkeypatch.setenv("RECSYS_CACHE_DIR", str(cache))
    monkeypatch.delenv("RECSYS_SERVE_CONFIG", raising=False)
    with TestClient(app_from_env()) as client:
        role = some_role(rec)
        body = _resume(rec, role, "API-ENV-1", "ENVMARK")
        assert client.post("/v1/candidates", json=body, headers=KEY).status_code == 200
        assert "API-ENV-1" in _shortlisted(client, role)
