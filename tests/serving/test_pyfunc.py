"""The pyfunc wrapper: signature + input example, sha256 verification at load, per-request weight."""

from __future__ import annotations

import shutil

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
    assert sig.outputs.input_names() == ["candidate_id", "role_id", "fit", "retention", "score"]
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
    with pytest.raises(BundleError, match="sha256"):
        mlflow.pyfunc.load_model(local)
    shutil.rmtree(tmp_path / "m")
