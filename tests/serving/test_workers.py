"""``recsys serve --workers N``: N processes with their own SO_REUSEPORT sockets, one port."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time

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
        deadline, ready = time.time() + 120, 0
        while ready < 10 and time.time() < deadline:  # several connections: both must be up
            try:
                with httpx.Client(base_url=f"http://127.0.0.1:{port}") as c:  # new connection
                    ready = ready + 1 if c.get("/readyz").status_code == 200 else 0
            except httpx.HTTPError:
                time.sleep(0.2)
        assert ready == 10, "workers did not become ready"
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
