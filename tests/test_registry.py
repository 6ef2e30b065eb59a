"""The promotion gate on a throwaway MLflow store (trivial models, so it runs in seconds)."""

from __future__ import annotations

import mlflow
import pandas as pd
import pytest

from recsys.registry import champion, promote_if_better, register_model


class Echo(mlflow.pyfunc.PythonModel):
    def predict(self, context, model_input, params=None):
        return model_input


@pytest.fixture
def store(tmp_path):
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    mlflow.set_tracking_uri(uri)
    exp = mlflow.create_experiment("gate", artifact_location=(tmp_path / "art").as_uri())
    mlflow.set_experiment(experiment_id=exp)
    return uri


def _version(value: float) -> tuple[str, str]:
    with mlflow.start_run() as run:
        mlflow.log_metric("test.ranking.ranker.ndcg_at_10", value)
        info = mlflow.pyfunc.log_model(
            name="model",
            python_model=Echo(),
            input_example=pd.DataFrame({"a": [1]}),
            pip_requirements=["mlflow"],
        )
    return register_model(info.model_uri, "recsys"), run.info.run_id


def test_first_version_becomes_champion_and_only_better_ones_replace_it(store):
    assert champion("recsys") is None
    v1, run1 = _version(0.70)
    d1 = promote_if_better(v1, 0.70, run_id=run1)
    assert d1.promoted and d1.champion_version is None
    assert champion("recsys") == ("1", pytest.approx(0.70))

    v2, run2 = _version(0.65)
    d2 = promote_if_better(v2, 0.65, run_id=run2)
    assert not d2.promoted and d2.champion_value == pytest.approx(0.70)
    assert champion("recsys")[0] == "1"

    v3, run3 = _version(0.70)  # a tie is not an improvement
    assert not promote_if_better(v3, 0.70, run_id=run3).promoted

    v4, run4 = _version(0.75)
    d4 = promote_if_better(v4, 0.75, run_id=run4)
    assert d4.promoted and d4.champion_version == "1"
    assert champion("recsys")[0] == v4 == "4"


def test_decision_and_both_numbers_are_recorded(store):
    client = mlflow.MlflowClient()
    v1, run1 = _version(0.8)
    promote_if_better(v1, 0.8, run_id=run1)
    v2, run2 = _version(0.6)
    promote_if_better(v2, 0.6, run_id=run2)
    tags = client.get_model_version("recsys", v2).tags
    assert tags["gate.decision"] == "kept champion"
    assert float(tags["gate.value"]) == 0.6 and float(tags["gate.champion_value"]) == 0.8
    run = client.get_run(run2)
    assert run.data.metrics["promotion.value"] == 0.6
    assert run.data.metrics["promotion.champion_value"] == 0.8
    assert run.data.tags["promotion.decision"] == "kept champion"
    assert "promotion/decision.json" in {a.path for a in client.list_artifacts(run2, "promotion")}


def test_gate_rejects_a_missing_number(store):
    with pytest.raises(ValueError, match="finite"):
        promote_if_better("1", float("nan"))


def test_a_refused_version_is_not_promoted_even_when_better(store):
    v1, run1 = _version(0.70)
    promote_if_better(v1, 0.70, run_id=run1)
    v2, run2 = _version(0.90)
    d2 = promote_if_better(v2, 0.90, run_id=run2, refuse="impact ratio 0.5 of 'F' (gender)")
    assert not d2.promoted and "refused" in d2.reason and "'F'" in d2.reason
    assert champion("recsys")[0] == "1"
    client = mlflow.MlflowClient()
    assert client.get_run(run2).data.tags["promotion.decision"] == "refused"
