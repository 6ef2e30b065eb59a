"""What a training run tells in MLflow beyond its metrics: the world as a dataset input, the git
commit and config tags, descriptions of the run and of the registered model, per-iteration
learning curves, and a model whose requirements name everything it imports (the project as a
wheel logged with it, torch CPU, every runtime dependency pinned).  ``trained``:
tests/recsys_training/conftest.py (one tracked run per session)."""

from __future__ import annotations

import importlib.metadata as md
import json
import subprocess
import zipfile
from pathlib import Path

import pytest


@pytest.fixture(scope="module")
def run(trained):
    import mlflow

    root, world, config, result = trained
    client = mlflow.MlflowClient(config.tracking.tracking_uri)
    return client, client.get_run(result.run_id), trained


def test_world_is_the_runs_dataset_input_with_its_fingerprint_as_digest(run):
    from recsys.data import load_world
    from recsys_training.tracking import dataset_fingerprint

    client, r, (root, world, config, result) = run
    manifest = load_world(world).manifest
    fp = dataset_fingerprint(manifest)
    (inp,) = r.inputs.dataset_inputs
    ds = inp.dataset
    assert ds.digest == fp[:36]  # MLflow's limit on a digest; the whole one is in the profile
    assert ds.name == f"world:{Path(world).name}"
    assert ds.source_type == "local"
    assert json.loads(ds.source)["uri"] == str(Path(world).resolve())
    profile = json.loads(ds.profile)
    assert profile["fingerprint"] == fp == r.data.tags["dataset.fingerprint"]
    assert profile["rows"]["outcomes"] == manifest["files"]["outcomes"]["rows"]
    tags = {t.key: t.value for t in inp.tags}
    assert tags["mlflow.data.context"] == "training"
    assert "test: from" in tags["split"]


def test_git_commit_and_config_tags(run):
    client, r, (root, world, config, result) = run
    tags = r.data.tags
    repo = Path(__file__).resolve().parents[2]
    head = subprocess.run(["git", "-C", str(repo), "rev-parse", "HEAD"], capture_output=True)
    if head.returncode == 0:  # a git checkout (CI's fresh clone is one)
        assert tags["mlflow.source.git.commit"] == head.stdout.decode().strip()
        assert tags["recsys.git.dirty"] in ("true", "false")
    assert len(tags["config.sha256"]) == 64
    assert tags["config.embedding.model"] == "hashing:128"
    assert tags["config.fit.objective"] == config.fit.objective
    assert tags["recsys.version"] == md.version("recsys")


def test_git_info_outside_a_checkout_is_empty(tmp_path):
    from recsys_training.tracking import git_info

    assert git_info(tmp_path) == {}


def test_run_and_registered_model_say_what_the_model_is(run):
    from recsys.registry import MODEL_DESCRIPTION

    client, r, (root, world, config, result) = run
    note = r.data.tags["mlflow.note.content"]
    ndcg = result.report["ranking"]["ranker"]["ndcg@10"]
    for part in ("FitRanker", "LightGBM", "RetentionModel", "Cox", "hashing:128"):
        assert part in note, part
    assert f"**World** `{Path(world).name}`" in note
    assert f"NDCG@10 **{ndcg:.4f}** (ranker)" in note
    assert f"recsys version {result.version}: " in note
    mv = client.get_model_version(config.tracking.model_name, result.version)
    assert mv.description == note
    described = client.get_registered_model(config.tracking.model_name).description
    assert described.startswith(MODEL_DESCRIPTION)
    assert f"### @champion: version {result.version}" in described


def test_ranker_learning_curve_is_logged_per_iteration(run):
    client, r, (root, world, config, result) = run
    history = client.get_metric_history(result.run_id, "curve.ranker.valid.ndcg_at_10")
    steps = [m.step for m in history]
    assert steps == list(range(1, len(steps) + 1))
    best = int(r.data.metrics["best_iteration"])
    assert best <= len(steps) <= config.fit.n_estimators
    values = [m.value for m in history]
    assert values[best - 1] == pytest.approx(max(values))  # early stopping kept the best
    if config.fit.text_model:
        text = client.get_metric_history(result.run_id, "curve.text_ranker.valid.ndcg_at_10")
        assert len(text) >= 1
    assert not [k for k in r.data.metrics if k.startswith("curve.retention")]  # it has none


def test_model_requirements_name_the_project_wheel_torch_and_pinned_dependencies(run, tmp_path):
    import mlflow

    client, r, (root, world, config, result) = run
    mlflow.set_tracking_uri(config.tracking.tracking_uri)
    local = Path(mlflow.artifacts.download_artifacts(result.model_uri, dst_path=str(tmp_path)))
    lines = (local / "requirements.txt").read_text().splitlines()
    wheel = local / lines[0]
    assert lines[0].startswith("artifacts/recsys-wheel-") and wheel.is_file(), lines[0]
    assert wheel.name == f"recsys-{md.version('recsys')}-py3-none-any.whl"
    with zipfile.ZipFile(wheel) as zf:
        names = set(zf.namelist())
    assert {"recsys/serving/pyfunc.py", "recsys/bundle.py"} <= names
    assert any(n.startswith("recsys/data/taxonomy/") for n in names)
    assert "torch==2.13.0" in lines
    pins = dict(line.split("==") for line in lines[1:])
    assert all("+" not in v for v in pins.values())  # no local labels (2.13.0+cpu)
    for name in ("lightgbm", "mlflow", "faiss-cpu", "pandas", "lifelines", "sentence-transformers"):
        assert pins[name] == md.version(name), name
    assert "recsys" not in pins
