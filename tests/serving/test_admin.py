"""Administrative routes: only ``admin`` keys reload or write, a reload loads only what it may,
and a bad bundle never replaces (or kills) the model being served."""

from __future__ import annotations

import json
import shutil
import threading

import pytest
from fastapi.testclient import TestClient
from serving_world import some_role, tiny_bundle

from recsys.recommender import Recommender
from recsys.serving.api import create_app
from recsys.serving.settings import ServeConfig

ADMIN = {"Authorization": "Bearer admin-key"}
RECRUITER = {"Authorization": "Bearer recruiter-key"}
KEYS = ["admin-key:admin", "recruiter-key"]


@pytest.fixture
def roots(tmp_path):
    """``(served, allowed_root)``: the served bundle, and a model root holding a good copy."""
    served = tmp_path / "served"
    shutil.copytree(tiny_bundle(), served)
    root = tmp_path / "models"
    shutil.copytree(tiny_bundle(), root / "good")
    return served, root


@pytest.fixture
def client(roots):
    served, root = roots
    settings = ServeConfig(api={"model_roots": [root]}, saved_shortlists=None)
    with TestClient(create_app(str(served), api_keys=KEYS, settings=settings)) as c:
        yield c


def test_a_recruiter_key_may_not_reload_or_write(client):
    r = client.post("/v1/admin/reload", headers=RECRUITER)
    assert r.status_code == 403 and "'admin' scope" in r.json()["detail"]
    for method, path in (("post", "/v1/candidates"), ("post", "/v1/roles")):
        assert getattr(client, method)(path, json=[], headers=RECRUITER).status_code == 403
    assert client.delete("/v1/candidates/C1", headers=RECRUITER).status_code == 403
    assert client.post("/v1/admin/reload", headers=ADMIN).status_code == 200


@pytest.mark.parametrize(
    "where",
    ["outside", "missing", "/etc", "file:///etc", "http://example.org/b", "s3://b/m", "../models"],
)
def test_reload_loads_no_location_outside_the_roots_and_says_the_same_either_way(
    client, roots, tmp_path, where
):
    served, root = roots
    outside = tmp_path / "outside"
    shutil.copytree(tiny_bundle(), outside)
    uri = {"outside": str(outside), "missing": str(tmp_path / "nowhere")}.get(where, where)
    r = client.post("/v1/admin/reload", json={"model": uri}, headers=ADMIN)
    assert r.status_code == 403, r.text
    assert r.json()["detail"].endswith("Got another location.")  # no word on existence
    link = root / "link"  # a link inside a root that leads out of it
    link.symlink_to(outside, target_is_directory=True)
    r = client.post("/v1/admin/reload", json={"model": str(link)}, headers=ADMIN)
    assert r.status_code == 403


def _tamper_unlisted(bundle):
    """The case that once aborted the server: fit.txt modified and dropped from the manifest."""
    manifest = json.loads((bundle / "manifest.json").read_text("utf-8"))
    del manifest["files"]["models/fit.txt"]
    (bundle / "manifest.json").write_text(json.dumps(manifest), "utf-8")
    (bundle / "models" / "fit.txt").write_text("tree\nversion=v4\n\nTree=0\n", "utf-8")


def _truncate(bundle):
    path = bundle / "models" / "fit.txt"
    path.write_bytes(path.read_bytes()[:100])


def _flip_index(bundle):
    path = next((bundle / "indexes").glob("*.faiss"))
    raw = bytearray(path.read_bytes())
    raw[len(raw) // 3] ^= 0xFF
    path.write_bytes(bytes(raw))


@pytest.mark.parametrize("damage", [_tamper_unlisted, _truncate, _flip_index])
def test_a_bad_bundle_is_refused_while_the_old_model_keeps_answering(client, roots, damage):
    served, root = roots
    bad = root / "bad"
    shutil.copytree(tiny_bundle(), bad)
    damage(bad)
    role = some_role(Recommender.load(served))
    before = client.get("/readyz").json()
    errors: list[str] = []
    answered = 0
    stop = threading.Event()

    def hammer() -> None:
        nonlocal answered
        while not stop.is_set():
            r = client.post("/v1/shortlist", json={"role_id": role, "k": 5}, headers=RECRUITER)
            answered += 1
            if r.status_code != 200:
                errors.append(f"{r.status_code} {r.text[:200]}")

    thread = threading.Thread(target=hammer, daemon=True)
    thread.start()
    try:
        r = client.post("/v1/admin/reload", json={"model": str(bad)}, headers=ADMIN)
    finally:
        stop.set()
        thread.join(30)
    assert r.status_code == 422, r.text
    detail = r.json()["detail"][0]["msg"]
    assert "Reload refused, the current model keeps serving" in detail
    assert "models/fit.txt" in detail or "indexes/" in detail  # the file is named
    after = client.post("/v1/shortlist", json={"role_id": role, "k": 5}, headers=RECRUITER)
    assert after.status_code == 200 and answered >= 1 and not errors
    assert client.get("/readyz").json() == before
    good = client.post("/v1/admin/reload", json={"model": str(root / "good")}, headers=ADMIN)
    assert good.status_code == 200, good.text


def _forge(bundle):
    """Altered files under a manifest rewritten to match them: every sha256 checks out, and only
    parsing the files shows they are bad (what a malicious bundle would do)."""
    from recsys.bundle import MANIFEST, sha256_file

    (bundle / "models" / "fit.txt").write_text("tree\nversion=v4\n\nTree=0\n", "utf-8")
    manifest = json.loads((bundle / MANIFEST).read_text("utf-8"))
    for rel in manifest["files"]:
        path = bundle / rel
        manifest["files"][rel] = {"sha256": sha256_file(path), "bytes": path.stat().st_size}
    (bundle / MANIFEST).write_text(json.dumps(manifest), "utf-8")


def test_a_forged_bundle_fails_its_trial_parse_in_a_child_process(client, roots):
    from recsys.bundle import BundleError, trial_parse, verify_bundle

    served, root = roots
    forged = root / "forged"
    shutil.copytree(tiny_bundle(), forged)
    _forge(forged)
    verify_bundle(forged)  # the checksums cannot tell
    with pytest.raises(BundleError, match="failed its trial parse in a separate process"):
        trial_parse(forged)
    r = client.post("/v1/admin/reload", json={"model": str(forged)}, headers=ADMIN)
    assert r.status_code == 422 and "trial parse" in r.text
    role = some_role(Recommender.load(served))
    ok = client.post("/v1/shortlist", json={"role_id": role, "k": 3}, headers=RECRUITER)
    assert ok.status_code == 200
