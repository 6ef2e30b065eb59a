"""The pyfunc wrapper: signature + input example, sha256 verification at load, per-request weight."""

from __future__ import annotations

import shutil
from pathlib import Path

import mlflow
import pandas as pd
import pytest
from trained import tiny_config, tiny_world


@pytest.fixture(scope="module")
def logged(tmp_path_factory):
    from recsys.serving.pyfunc import log_recommender
    from recsys_training.train import train

    root = tmp_path_factory.mktemp("pyfunc")
    world = tiny_world(root / "world")
    config = tiny_config(root, world, fit={"n_estimators": 20}, retention={"penalizer": 0.5})
    result = train(config, track=False)  # a model bundle: scores free text, ids need a store
    mlflow.set_tracking_uri(config.tracking.tracking_uri)
    exp = mlflow.create_experiment("pyfunc", artifact_location=(root / "art").as_uri())
    example = pd.DataFrame(
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
    with mlflow.start_run(experiment_id=exp):
        info = log_recommender(result.bundle, example)
    return root, config, result, info, example


def test_signature_and_input_example(logged):
    root, config, result, info, example = logged
    sig = info.signature
    assert sig.inputs.input_names() == ["candidate_id", "role_id", "candidate_text", "role_text"]
    assert sig.outputs.input_names() == [
        "candidate_id",
        "role_id",
        "fit",
        "fit_probability",
        "retention",
        "score",
    ]
    assert sig.params.to_dict()[0]["name"] == "retention_weight"
    model = mlflow.pyfunc.load_model(info.model_uri)
    pd.testing.assert_frame_equal(model.input_example, example)
    out = model.predict(model.input_example)
    assert out[["candidate_id", "role_id"]].equals(example[["candidate_id", "role_id"]])
    assert out["retention"].between(0, 1).all()
    # the same texts under other ids score the same: a text row is its own entity
    again = model.predict(example.assign(candidate_id=["x", "y"], role_id=["z", "z"]))
    assert again["score"].tolist() == pytest.approx(out["score"].tolist())
    assert out["fit"].iloc[0] > out["fit"].iloc[1]  # the data engineer fits the data role better


def test_missing_columns_are_named(logged):
    model = mlflow.pyfunc.load_model(logged[3].model_uri)
    with pytest.raises(Exception, match="role_id"):
        model.predict(pd.DataFrame({"candidate_id": ["C0000001"]}))


def test_tampered_artifact_is_refused_at_load(logged, tmp_path):
    from recsys.bundle import BundleError

    root, config, result, info, example = logged
    local = mlflow.artifacts.download_artifacts(info.model_uri, dst_path=str(tmp_path / "m"))
    models = list((tmp_path / "m").rglob("*.txt"))
    target = next(p for p in models if "artifacts" in p.parts and p.suffix == ".txt")
    target.write_text(target.read_text() + "\n# altered\n")
    with pytest.raises(BundleError, match=rf"{target.name}: \d+ bytes, the manifest says"):
        mlflow.pyfunc.load_model(local)
    shutil.rmtree(tmp_path / "m")


def test_requirements_pin_torch_cpu_and_the_runtime_dependency_tree():
    import importlib.metadata as md

    from recsys.serving.pyfunc import default_pip_requirements

    reqs = default_pip_requirements(extra=["extra-thing"])
    assert reqs[0] == "torch==2.13.0" and reqs[-1] == "extra-thing"
    pins = dict(r.split("==") for r in reqs[1:-1])
    assert "recsys" not in pins and "torch" not in pins
    for name in ("lightgbm", "faiss-cpu", "mlflow", "mlflow-skinny", "scipy", "pydantic-core"):
        key = next(k for k in pins if k.lower().replace("_", "-") == name)
        assert pins[key] == md.version(name), name
    assert "pytest" not in {k.lower() for k in pins}  # extras (dev) are not runtime


def test_project_wheel_is_built_once_per_source_state(logged):
    import time

    from recsys.serving.pyfunc import project_wheel

    wheel = project_wheel()  # built by the fixture's log_recommender already
    t0 = time.perf_counter()
    assert project_wheel() == wheel and time.perf_counter() - t0 < 1.0
    assert wheel.parent.name.startswith("recsys-wheel-") and len(wheel.parent.name) == 29


def test_without_a_source_tree_the_model_names_the_installed_version(logged, monkeypatch):
    import importlib.metadata as md

    from recsys.serving import pyfunc

    root, config, result, info, example = logged
    monkeypatch.setattr(pyfunc, "_source_root", lambda: None)
    with (
        mlflow.start_run(experiment_id=mlflow.get_experiment_by_name("pyfunc").experiment_id),
        pytest.warns(UserWarning, match="without its source tree"),
    ):
        bare = pyfunc.log_recommender(result.bundle, example, name="bare")
    local = mlflow.artifacts.download_artifacts(bare.model_uri)
    lines = (Path(local) / "requirements.txt").read_text().splitlines()
    assert lines[:2] == [f"recsys=={md.version('recsys')}", "torch==2.13.0"]
    assert not list(Path(local).glob("artifacts/recsys-wheel-*"))
