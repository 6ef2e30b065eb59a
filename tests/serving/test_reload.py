"""``/v1/admin/reload`` picks up a new ``@champion`` from an MLflow registry while requests run."""

from __future__ import annotations

import threading

import pandas as pd
import pytest
from fastapi.testclient import TestClient
from serving_world import some_role, tiny_bundle

from recsys.recommender import Recommender
from recsys.serving.api import create_app

mlflow = pytest.importorskip("mlflow")
KEY = {"Authorization": "Bearer k"}


def _register(bundle) -> str:
    """Log ``bundle`` as a pyfunc model, register it as ``recsys`` and make it the champion."""
    from recsys.serving.pyfunc import log_recommender

    rec = Recommender.load(bundle)
    example = pd.DataFrame(
        {"candidate_id": rec.world.candidates["candidate_id"][:2], "role_id": some_role(rec)}
    )
    with mlflow.start_run():
        info = log_recommender(bundle, example, pip_requirements=["mlflow"])
    mv = mlflow.register_model(info.model_uri, "recsys")
    mlflow.MlflowClient().set_registered_model_alias("recsys", "champion", mv.version)
    return str(mv.version)


@pytest.mark.slow
def test_reload_swaps_in_new_champion_without_failing_requests(tmp_path, monkeypatch):
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
    monkeypatch.setenv("MLFLOW_DISABLE_TELEMETRY", "true")
    monkeypatch.chdir(tmp_path)
    mlflow.set_tracking_uri(uri)
    exp = mlflow.create_experiment("serve", artifact_location=(tmp_path / "art").as_uri())
    mlflow.set_experiment(experiment_id=exp)
    first = _register(tiny_bundle())
    role = some_role(Recommender.load(tiny_bundle()))
    errors: list[str] = []
    seen: set[str] = set()
    stop = threading.Event()
    app = create_app("models:/recsys@champion", api_keys=["k:admin"])
    with TestClient(app) as client:
        assert app.state.recommender.describe()["version"] == first

        def hammer() -> None:
            while not stop.is_set():
                r = client.post("/v1/shortlist", json={"role_id": role, "k": 5}, headers=KEY)
                if r.status_code != 200:
                    errors.append(f"{r.status_code} {r.text[:200]}")
                else:
                    seen.add(r.json()["manifest"]["version"])

        threads = [threading.Thread(target=hammer, daemon=True) for _ in range(2)]
        for t in threads:
            t.start()
        try:  # the hammers stop even when a step fails: pytest must not wait on them
            second = _register(tiny_bundle())  # a new champion while requests are served
            r = client.post("/v1/admin/reload", headers=KEY)
            after = client.post("/v1/shortlist", json={"role_id": role, "k": 5}, headers=KEY)
        finally:
            stop.set()
            for t in threads:
                t.join(30)
    assert r.status_code == 200, r.text
    assert second != first
    assert r.json()["previous"]["version"] == first and r.json()["current"]["version"] == second
    assert after.json()["manifest"]["version"] == second
    assert not errors
    assert first in seen
