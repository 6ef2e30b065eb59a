"""`mlflow models serve` of a registered model answers `/invocations` over HTTP.

- ``--env-manager virtualenv`` (MLflow's default): MLflow builds a fresh environment from the
  model's own ``requirements.txt`` (the project wheel logged with it, torch CPU, every runtime
  dependency pinned) with pyenv's Python and pip; the test proves the served code is the wheel's,
  not this checkout's, and that torch is the CPU build.  Minutes the first time (docs/serving.md).
- ``--env-manager local``: this process's environment, no build.

Both slow: a subprocess server, a wheel build and, for virtualenv, an environment install.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pandas as pd
import pytest
from trained import tiny_config, tiny_world

pytestmark = [pytest.mark.slow, pytest.mark.timeout(1800)]

EXAMPLE = pd.DataFrame(
    {
        "candidate_id": ["c-1", "c-2"],
        "role_id": ["r-1", "r-1"],
        "candidate_text": [
            "Data engineer: Python, SQL, Apache Kafka and Airflow pipelines, five years.",
            "Registered nurse, ICU and patient care.",
        ],
        "role_text": ["We need a data engineer with Python, SQL and Kafka."] * 2,
    }
)


@pytest.fixture(scope="module")
def registered(tmp_path_factory):
    """``(root, tracking uri, in-process predictions)`` of a tiny model bundle registered as
    ``recsys`` with ``@champion`` on it."""
    import mlflow

    from recsys.serving.pyfunc import log_recommender
    from recsys_training.train import train

    root = tmp_path_factory.mktemp("serve")
    world = tiny_world(root / "world")
    config = tiny_config(root, world, fit={"n_estimators": 20}, retention={"penalizer": 0.5})
    result = train(config, track=False)
    uri = config.tracking.tracking_uri
    mlflow.set_tracking_uri(uri)
    exp = mlflow.create_experiment("serve", artifact_location=(root / "art").as_uri())
    with mlflow.start_run(experiment_id=exp):
        info = log_recommender(result.bundle, EXAMPLE, registered_model_name="recsys")
    client = mlflow.MlflowClient(uri)
    version = client.search_model_versions("name='recsys'")[0].version
    client.set_registered_model_alias("recsys", "champion", version)
    expected = mlflow.pyfunc.load_model(info.model_uri).predict(EXAMPLE)
    return root, uri, expected


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _post(port: int, payload: dict, timeout: float = 120) -> dict:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/invocations",
        data=json.dumps(payload).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return json.loads(response.read())


def _stop(proc: subprocess.Popen) -> None:
    """End the server this test started: its process group (the mlflow CLI and the uvicorn it
    runs), SIGTERM then SIGKILL."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            break
        try:
            proc.wait(timeout=30)
            break
        except subprocess.TimeoutExpired:
            continue
    proc.wait()


def _serve(root: Path, uri: str, env_manager: str, ready_within: float) -> dict:
    """Start ``mlflow models serve -m models:/recsys@champion`` on a free port, wait for
    ``/ping``, post the example; returns timings, predictions and the environment root."""
    port = _free_port()
    env_root = root / f"envs-{env_manager}"
    venv_bin = str(Path(sys.executable).parent)
    env = {
        **os.environ,
        # local: MLflow runs `uvicorn` by name, so this environment's bin/ must be on PATH
        "PATH": os.pathsep.join([venv_bin, os.environ.get("PATH", "")]),
        "MLFLOW_TRACKING_URI": uri,
        "MLFLOW_ENV_ROOT": str(env_root),  # a fresh environment, not one cached by an earlier run
        "MLFLOW_DISABLE_TELEMETRY": "true",
        "RECSYS_CACHE_DIR": str(root / "cache"),
    }
    cmd = [str(Path(venv_bin, "mlflow")), "models", "serve", "-m", "models:/recsys@champion"]
    cmd += ["--env-manager", env_manager, "--host", "127.0.0.1", "--port", str(port)]
    log = root / f"serve-{env_manager}.log"
    t0 = time.perf_counter()
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            cmd, env=env, cwd=root, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        ready = None
        while time.perf_counter() - t0 < ready_within:
            if proc.poll() is not None:
                break
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/ping", timeout=5) as r:
                    if r.status == 200:
                        ready = time.perf_counter() - t0
                        break
            except OSError:
                time.sleep(2)
        tail = log.read_text(errors="replace")[-4000:]
        assert ready is not None, f"mlflow models serve ({env_manager}) never answered:\n{tail}"
        payload = {
            "dataframe_split": EXAMPLE.to_dict(orient="split", index=False),
            "params": {"retention_weight": 0.3},
        }
        t1 = time.perf_counter()
        answer = _post(port, payload)
        first = time.perf_counter() - t1
        t1 = time.perf_counter()
        _post(port, payload)
        warm = time.perf_counter() - t1
    finally:
        _stop(proc)
    timings = {"ready_s": ready, "first_s": first, "warm_s": warm}
    print(f"mlflow models serve --env-manager {env_manager}: {timings}")
    return {"out": pd.DataFrame(answer["predictions"]), "env_root": env_root, **timings}


def _same_scores(out: pd.DataFrame, expected: pd.DataFrame) -> None:
    assert list(out.columns) == [
        "candidate_id",
        "role_id",
        "fit",
        "fit_probability",
        "retention",
        "score",
    ]
    assert out[["candidate_id", "role_id"]].equals(expected[["candidate_id", "role_id"]])
    for col in ("fit", "fit_probability", "retention", "score"):
        assert out[col].tolist() == pytest.approx(expected[col].tolist(), rel=1e-6), col
    assert out["fit"].iloc[0] > out["fit"].iloc[1]  # the data engineer fits the data role better


def test_serve_in_a_fresh_virtualenv_built_from_the_models_requirements(registered):
    import shutil

    if shutil.which("pyenv") is None:
        pytest.fail(
            "MLflow's virtualenv env manager needs pyenv on PATH, with this Python "
            f"({sys.version.split()[0]}) installed in it: see docs/serving.md, MLflow model."
        )
    root, uri, expected = registered
    try:
        served = _serve(root, uri, "virtualenv", ready_within=1500)
        _same_scores(served["out"], expected)
        # the environment MLflow built runs the wheel logged with the model, torch's CPU build
        (python,) = served["env_root"].glob("*/bin/python")
        probe = "import recsys, torch; print(recsys.__file__); print(torch.__version__)"
        where, torch_version = subprocess.run(
            [str(python), "-c", probe], capture_output=True, text=True, check=True, cwd=root
        ).stdout.split()
        assert Path(where).is_relative_to(served["env_root"]), where
        assert torch_version == "2.13.0+cpu"
    finally:  # 2.3 GB: not left in pytest's kept temporary folders
        shutil.rmtree(root / "envs-virtualenv", ignore_errors=True)


def test_serve_in_this_environment_with_env_manager_local(registered):
    root, uri, expected = registered
    served = _serve(root, uri, "local", ready_within=300)
    _same_scores(served["out"], expected)
