"""``recsys serve --workers N``: N processes with their own SO_REUSEPORT sockets, one port."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from serving_world import some_role, tiny_bundle

from recsys.recommender import Recommender
from recsys.serving import api
from recsys.serving.workers import reuseport_socket, run_workers


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_two_workers_serve_one_port_and_stop_cleanly(tmp_path):
    bundle = tmp_path / "bundle"
    shutil.copytree(tiny_bundle(), bundle)
    port = _free_port()
    env = dict(os.environ, **{api.ENV_MODEL: str(bundle)}, RECSYS_API_KEYS="k1")
    code = (
        "from recsys.serving.workers import run_workers; "
        f"run_workers('recsys.serving.api:app_from_env', 2, '127.0.0.1', {port}, 'error')"
    )
    proc = subprocess.Popen([sys.executable, "-c", code], env=env)
    try:
        _ready(port, time.time() + 120)
        rec = Recommender.load(bundle)
        role = some_role(rec)
        want = [r["candidate_id"] for r in rec.shortlist(role_id=role, k=5).to_dict()["results"]]
        for _ in range(6):
            with httpx.Client(base_url=f"http://127.0.0.1:{port}") as c:
                got = c.post(
                    "/v1/shortlist",
                    json={"role_id": role, "k": 5},
                    headers={"Authorization": "Bearer k1"},
                )
                assert got.status_code == 200, got.text
                assert [r["candidate_id"] for r in got.json()["results"]] == want
                assert c.post("/v1/shortlist", json={"role_id": role}).status_code == 401
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=60)
    assert proc.returncode == 0


def test_bad_arguments_fail_early():
    with pytest.raises(ValueError, match="'workers' parameter must be an int >= 1. Got 0"):
        run_workers("recsys.serving.api:app_from_env", 0)
    with pytest.raises(ValueError, match="'module:function'"):
        from recsys.serving.workers import _import

        _import("recsys.serving.api")
    port = _free_port()
    with socket.socket() as taken:  # a plain listener (no SO_REUSEPORT) owns the port
        taken.bind(("127.0.0.1", port))
        taken.listen()
        with pytest.raises(OSError):
            reuseport_socket("127.0.0.1", port)


def test_app_from_env_needs_a_model(monkeypatch):
    monkeypatch.delenv(api.ENV_MODEL, raising=False)
    with pytest.raises(ValueError, match="RECSYS_SERVE_MODEL"):
        api.app_from_env()


def _ready(port: int, deadline: float) -> None:
    ready = 0
    while ready < 10 and time.time() < deadline:  # several connections: every worker is up
        try:
            with httpx.Client(base_url=f"http://127.0.0.1:{port}") as c:  # new connection
                ready = ready + 1 if c.get("/readyz").status_code == 200 else 0
        except httpx.HTTPError:
            time.sleep(0.2)
    assert ready == 10, "workers did not become ready"


def _shortlisted_everywhere(port: int, role: str, connections: int = 8) -> list[list[str]]:
    """The shortlist of ``role`` through ``connections`` new connections (spread over workers)."""
    got = []
    for _ in range(connections):
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", headers=ADMIN) as c:
            r = c.post("/v1/shortlist", json={"role_id": role, "k": 1000})
            assert r.status_code == 200, r.text
            got.append([row["candidate_id"] for row in r.json()["results"]])
    return got


ADMIN = {"Authorization": "Bearer k1"}


def test_forked_workers_share_one_loaded_model_and_follow_the_store(tmp_path):
    """``recsys serve --workers 2 --store``: the model is loaded once and the workers forked from
    it (recsys.serving.workers), then the supervisor becomes a small watcher; each worker opens
    its own store connection and follows the other's writes."""
    from serving_world import tiny_store

    bundle, store = tmp_path / "bundle", tiny_store(tmp_path / "store")
    shutil.copytree(tiny_bundle(), bundle)
    keys = tmp_path / "keys.txt"
    keys.write_text("k1:admin\n", "utf-8")
    port = _free_port()
    args = ["serve", "--model", str(bundle), "--store", str(store), "--workers", "2"]
    args += ["--port", str(port), "--key-file", str(keys), "--event-log", "off"]
    code = "import sys; from recsys.cli.main import app; sys.argv[0] = 'recsys'; app()"
    env = dict(os.environ, RECSYS_CACHE_DIR=str(tmp_path / "cache"))
    env.pop("RECSYS_API_KEYS", None)
    proc = subprocess.Popen([sys.executable, "-c", code, *args], env=env)
    try:
        _ready(port, time.time() + 180)
        children = subprocess.run(
            ["pgrep", "-P", str(proc.pid)], capture_output=True, text=True, check=False
        ).stdout.split()
        assert len(children) >= 2, "two worker processes under the supervisor"
        status = Path(f"/proc/{proc.pid}/status").read_text().splitlines()
        rss = next(int(ln.split()[1]) for ln in status if ln.startswith("VmRSS:"))
        print("supervisor", Path(f"/proc/{proc.pid}/cmdline").read_bytes(), "RSS kB", rss)
        assert rss < 60_000, "the supervisor handed over to the watcher, the model given back"
        for pid in children:  # the model's pages, written by the supervisor, shared (not copies)
            rollup = Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()
            shared = next(int(ln.split()[1]) for ln in rollup if ln.startswith("Shared_Dirty:"))
            print("worker", pid, "shared dirty kB", shared)
            assert shared > 50_000, f"worker {pid} shares {shared} kB of its parent's memory"
        rec = Recommender.load(bundle)
        role = some_role(rec)
        want = [r["candidate_id"] for r in rec.shortlist(role_id=role, k=1000).to_dict()["results"]]
        assert all(got == want for got in _shortlisted_everywhere(port, role))

        row = rec.world.roles.set_index("role_id").loc[role]
        resume = {
            "meta": {"id": "FORK-1"},
            "basics": {"name": "Fork Test", "label": row["title"], "summary": row["description"]},
            "work": [{"position": row["title"], "name": "Acme", "startDate": "2015-01"}],
            "skills": [
                {"name": s}
                for s in rec.world.skills.set_index("skill_id").loc[
                    list(row["required_skills"]), "label"
                ]
            ],
        }
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", headers=ADMIN) as c:
            assert c.post("/v1/candidates", json=resume).status_code == 200
        deadline = time.time() + 30  # the worker that did not write follows within its poll
        while not all("FORK-1" in got for got in _shortlisted_everywhere(port, role)):
            assert time.time() < deadline, "a worker never served the other's write"
            time.sleep(0.5)
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", headers=ADMIN) as c:
            assert c.delete("/v1/candidates/FORK-1").status_code == 200
        deadline = time.time() + 30
        while any("FORK-1" in got for got in _shortlisted_everywhere(port, role)):
            assert time.time() < deadline, "a worker kept serving an erased candidate"
            time.sleep(0.5)
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=60)
    assert proc.returncode == 0
