"""The recruiter page's routes (recsys.serving.page_routes): cards, profiles, skill look-ups, a
JD's skills edited before ranking, saved shortlists (bundle and live store, erasure), offline docs."""

from __future__ import annotations

import shutil

import pandas as pd
import pytest
from fastapi.testclient import TestClient
from serving_world import some_role, tiny_bundle

from recsys.recommender import Recommender
from recsys.serving.api import create_app
from recsys.serving.saved import FILE_NAME, SavedShortlists
from recsys.serving.settings import ServeConfig

KEY = {"Authorization": "Bearer page-key"}
JD = "Data engineer. We build Python and SQL pipelines and run databases for analytics teams."


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    root = tmp_path_factory.mktemp("page-api")
    rec = Recommender.load(tiny_bundle())
    settings = ServeConfig(saved_shortlists=str(root / "saved"))
    keys = {"page-key": "recruiter", "audit-key": "auditor"}
    app = create_app(recommender=rec, api_keys=keys, settings=settings)
    with TestClient(app) as client:
        yield client, rec, root / "saved"


def test_routes_need_a_key(served):
    client, rec, _ = served
    cid = rec.world.candidates["candidate_id"].iloc[0]
    assert client.get(f"/v1/candidates/{cid}").status_code == 401
    assert client.post("/v1/candidate-cards", json={"candidate_ids": [cid]}).status_code == 401
    assert client.get("/v1/skills?q=data").status_code == 401
    assert client.get("/v1/saved-shortlists").status_code == 401


def test_cards_and_profile_are_the_library_answers(served):
    client, rec, _ = served
    ids = rec.world.candidates["candidate_id"].tolist()[:4]
    got = client.post("/v1/candidate-cards", json={"candidate_ids": [*ids, "nobody"]}, headers=KEY)
    assert got.status_code == 200, got.text
    assert got.json()["cards"] == rec.candidate_cards(ids)
    assert got.json()["unknown"] == ["nobody"]
    profile = client.get(f"/v1/candidates/{ids[2]}", headers=KEY)
    assert profile.status_code == 200, profile.text
    want = rec.candidate_profile(ids[2])
    assert profile.json()["resume_text"] == want["resume_text"]
    assert profile.json()["credentials"] == want["credentials"]
    assert profile.json()["history"] == want["history"]
    missing = client.get("/v1/candidates/nobody", headers=KEY)
    assert missing.status_code == 404 and "nobody" in missing.json()["detail"]
    too_many = client.post("/v1/candidate-cards", json={"candidate_ids": ["x"] * 1001}, headers=KEY)
    assert too_many.status_code == 422


def test_skill_lookups_and_an_edited_jd(served):
    client, rec, _ = served
    skills = client.get("/v1/skills?q=data&limit=5", headers=KEY).json()["skills"]
    assert skills == rec.skill_catalogue("data", limit=5)
    creds = client.get("/v1/credentials?q=&limit=3", headers=KEY).json()["credentials"]
    assert creds == rec.credential_catalogue("", limit=3)
    read = client.post("/v1/skills/extract", json={"job_description": JD}, headers=KEY)
    assert read.status_code == 200, read.text
    assert read.json()["skills"] == rec.jd_skills(JD)
    # the edited list is what the shortlist reads
    edited = [skills[0]["skill_id"], skills[1]["skill_id"]]
    body = {"job_description": JD, "k": 5, "required_skills": edited}
    got = client.post("/v1/shortlist", json=body, headers=KEY)
    assert got.status_code == 200, got.text
    assert got.json()["manifest"]["query"]["extracted_skills"] == edited
    want = rec.shortlist(job_description=JD, k=5, required_skills=edited).to_frame()
    assert [r["candidate_id"] for r in got.json()["results"]] == want["candidate_id"].tolist()
    bad = client.post("/v1/shortlist", json={**body, "required_skills": ["nope"]}, headers=KEY)
    assert bad.status_code == 422 and "Unknown skill ids" in bad.text
    # the audit reads a JD itself: an edited list is refused with a reason, not ignored
    audit = client.post(
        "/v1/audit/shortlist", json=body, headers={"Authorization": "Bearer audit-key"}
    )
    assert audit.status_code == 422 and "required_skills" in audit.text


def test_saved_shortlist_reopens_as_ranked(served):
    client, rec, folder = served
    role = some_role(rec)
    query = {"role_id": role, "k": 12, "filters": {"is_employee": False}}
    body = {"query": query, "title": "For Monday", "note": "call top 3", "view": {"sort": "fit"}}
    saved = client.post("/v1/saved-shortlists", json=body, headers=KEY)
    assert saved.status_code == 200, saved.text
    sid = saved.json()["id"]
    assert saved.json()["link"] == f"/?saved={sid}" and "key" not in saved.json()["link"]
    assert len(sid) >= 16 and (folder / FILE_NAME).is_file()
    again = client.get(f"/v1/saved-shortlists/{sid}", headers=KEY)
    assert again.status_code == 200, again.text
    doc = again.json()
    want = rec.shortlist(role_id=role, k=12, filters={"is_employee": False}).to_dict()
    assert [r["candidate_id"] for r in doc["results"]] == [
        r["candidate_id"] for r in want["results"]
    ]
    assert doc["results"][0]["reasons"] == want["results"][0]["reasons"]
    assert doc["title"] == "For Monday" and doc["note"] == "call top 3"
    assert doc["view"] == {"sort": "fit"} and doc["query"]["role_id"] == role
    assert doc["manifest"]["filters"] == {"is_employee": False}
    assert len(doc["owner"]) == 12 and "page-key" not in again.text  # a fingerprint only
    listed = client.get("/v1/saved-shortlists", headers=KEY).json()["saved"]
    assert {"id": sid, "title": "For Monday", "rows": len(doc["results"])}.items() <= next(
        s for s in listed if s["id"] == sid
    ).items()
    assert client.get("/v1/saved-shortlists/nope", headers=KEY).status_code == 404
    bad = client.post("/v1/saved-shortlists", json={"query": {"k": 3}}, headers=KEY)
    assert bad.status_code == 422


def test_forget_erases_a_candidate_from_saved_shortlists_and_the_file(tmp_path):
    book = SavedShortlists(tmp_path)
    rows = [{"candidate_id": c, "rank": i + 1, "score": 0.5} for i, c in enumerate("ABC")]
    rows[1]["candidate_id"] = "ERASE-ME-0042"
    sid = book.save({"role_id": "R1", "k": 3}, {"manifest": {"k": 3}, "results": rows})
    other = book.save({"role_id": "R2", "k": 1}, {"manifest": {}, "results": rows[1:2]})
    assert book.forget(["ERASE-ME-0042"]) == 2
    assert [r["candidate_id"] for r in book.get(sid)["results"]] == ["A", "C"]
    assert book.get(other)["results"] == []
    book.close()
    for path in tmp_path.iterdir():  # no page of the file (nor its WAL) keeps the id
        assert b"ERASE-ME-0042" not in path.read_bytes(), path.name


def test_saving_off_answers_409(tmp_path):
    rec = Recommender.load(tiny_bundle())
    app = create_app(
        recommender=rec, api_keys=["page-key"], settings=ServeConfig(saved_shortlists=None)
    )
    with TestClient(app) as client:
        got = client.get("/v1/saved-shortlists", headers=KEY)
    assert got.status_code == 409 and "saved_shortlists" in got.json()["detail"]


def test_docs_and_redoc_load_their_scripts_from_this_server(served):
    client, _, _ = served
    for page, assets in (
        ("/docs", ("/static/docs/swagger-ui-bundle.js", "/static/docs/swagger-ui.css")),
        ("/redoc", ("/static/docs/redoc.standalone.js",)),
    ):
        html = client.get(page)
        assert html.status_code == 200
        assert "cdn." not in html.text and "fonts.googleapis" not in html.text, page
        for asset in assets:
            assert asset in html.text
            got = client.get(asset)
            assert got.status_code == 200 and len(got.content) > 10_000, asset
    assert client.get("/static/docs/../api.py").status_code == 404
    assert client.get("/openapi.json").json()["paths"]["/v1/candidate-cards"]


def test_live_store_cards_follow_writes_and_erasure_clears_saved_shortlists(tmp_path):
    from recsys.store import Store
    from recsys.store.world_io import seed_store

    bundle = tmp_path / "bundle"
    shutil.copytree(tiny_bundle(), bundle)
    rec = Recommender.load(bundle)
    with Store.open(tmp_path / "store", create=True) as store:
        seed_store(
            store,
            rec.world,
            indexes=rec.indexes,
            extracted=pd.read_parquet(bundle / "text" / "resume_skills.parquet"),
            reader_id=rec.reader_id,
        )
    settings = ServeConfig(store_poll_seconds=0.001, saved_shortlists=str(tmp_path / "saved"))
    app = create_app(
        str(bundle), api_keys=["page-key:admin"], store=tmp_path / "store", settings=settings
    )
    role = some_role(rec)
    with TestClient(app) as client:
        row = {
            "candidate_id": "CNEW1",
            "headline": "Pipeline engineer",
            "resume_text": "Pipeline engineer. Python, SQL and databases for analytics.",
            "location": "Porto",
        }
        wrote = client.post("/v1/candidates", json={"rows": [row]}, headers=KEY)
        assert wrote.status_code == 200, wrote.text
        card = client.post("/v1/candidate-cards", json={"candidate_ids": ["CNEW1"]}, headers=KEY)
        assert card.json()["cards"][0]["location"] == "Porto", card.text
        assert client.get("/v1/candidates/CNEW1", headers=KEY).json()["headline"] == row["headline"]

        saved = client.post(
            "/v1/saved-shortlists", json={"query": {"role_id": role, "k": 30}}, headers=KEY
        )
        assert saved.status_code == 200, saved.text
        sid = saved.json()["id"]
        first = client.get(f"/v1/saved-shortlists/{sid}", headers=KEY).json()["results"][0]
        gone = first["candidate_id"]
        assert client.delete(f"/v1/candidates/{gone}", headers=KEY).status_code == 200
        after = client.get(f"/v1/saved-shortlists/{sid}", headers=KEY).json()["results"]
        assert gone not in {r["candidate_id"] for r in after} and len(after) == 29
        cards = client.post("/v1/candidate-cards", json={"candidate_ids": [gone]}, headers=KEY)
        assert cards.json() == {"cards": [], "unknown": [gone]}
    for path in (tmp_path / "saved").iterdir():
        assert gone.encode() not in path.read_bytes(), path.name
