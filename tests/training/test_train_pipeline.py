"""End to end on a tiny world: train → MLflow run → registry gate → pyfunc → evaluate → tune."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from trained import tiny_config, tiny_world


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    from training.train import train

    root = tmp_path_factory.mktemp("train")
    world = tiny_world(root / "world")
    config = tiny_config(root, world)
    result = train(config)
    return root, world, config, result


def test_run_holds_params_metrics_plots_and_registered_champion(trained):
    import mlflow

    root, world, config, result = trained
    client = mlflow.MlflowClient(config.tracking.tracking_uri)
    run = client.get_run(result.run_id)
    assert run.data.params["fit.learning_rate"] == str(config.fit.learning_rate)
    assert run.data.params["split.test_fraction"] == str(config.split.test_fraction)
    assert len(run.data.params["dataset.fingerprint"]) == 64
    assert "dataset.sha256.outcomes" in run.data.params
    for key in (
        "test.ranking.ranker.ndcg_at_10",
        "test.ranking.oracle.ndcg_at_10",
        "test.ranking.bm25.map",
        "test.ranking.cosine.recall_at_10",
    ):
        assert 0.0 <= run.data.metrics[key] <= 1.0, key
    arts = {a.path for a in client.list_artifacts(result.run_id, "plots")}
    assert {"plots/ndcg_at_k.png", "plots/importance.png"} <= arts
    assert run.data.tags["promotion.decision"] == "promoted"
    mv = client.get_model_version_by_alias("recsys", "champion")
    assert str(mv.version) == result.version == "1"


def test_champion_pyfunc_predicts_on_its_input_example(trained):
    import mlflow

    root, world, config, result = trained
    mlflow.set_tracking_uri(config.tracking.tracking_uri)
    model = mlflow.pyfunc.load_model("models:/recsys@champion")
    example = model.input_example
    assert list(example.columns) == ["candidate_id", "role_id"]
    out = model.predict(example)
    assert list(out.columns) == ["candidate_id", "role_id", "fit", "retention", "score"]
    assert len(out) == len(example) and out[["fit", "retention", "score"]].notna().all().all()
    assert out["retention"].between(0, 1).all()
    # the pyfunc scores equal the ranker's own scores of the same pairs
    from recsys.recommender import Recommender

    rec = Recommender.load(result.bundle)
    direct = rec.score_pairs(example)
    pd.testing.assert_series_equal(out["fit"], direct["fit"], check_names=False)
    heavier = model.predict(example, params={"retention_weight": 1.0})
    assert heavier["score"].tolist() == pytest.approx(out["retention"].tolist())


def test_weaker_config_does_not_move_champion(trained):
    import mlflow

    from training.train import train

    root, world, config, result = trained
    weak = config.model_copy(
        update={
            "fit": config.fit.model_copy(
                update={
                    "n_estimators": 2,
                    "num_leaves": 2,
                    "early_stopping_rounds": None,
                    "features": ["bm25_cand_role"],
                }
            ),
            "out": root / "weak",
        }
    )
    second = train(weak)
    d = second.decision
    assert not d.promoted and d.version == "2" and d.champion_version == "1"
    assert d.value < d.champion_value
    client = mlflow.MlflowClient(config.tracking.tracking_uri)
    assert str(client.get_model_version_by_alias("recsys", "champion").version) == "1"
    run = client.get_run(second.run_id)
    assert run.data.tags["promotion.decision"] == "kept champion"
    assert run.data.metrics["promotion.champion_value"] == pytest.approx(d.champion_value)


def test_evaluate_cli_prints_metrics_as_json(trained, monkeypatch):
    from typer.testing import CliRunner

    from recsys.cli.main import app

    root, world, config, result = trained
    monkeypatch.setenv("MLFLOW_TRACKING_URI", config.tracking.tracking_uri)
    res = CliRunner().invoke(
        app, ["evaluate", "--model", "models:/recsys@champion", "--world", str(world), "--json"]
    )
    assert res.exit_code == 0, res.output
    out = json.loads(res.output[res.output.index("{") :])
    assert out["same_world_as_training"] is True
    got = out["report"]["ranking"]["ranker"]["ndcg@10"]
    assert got == pytest.approx(result.report["ranking"]["ranker"]["ndcg@10"])
    assert {"bm25", "cosine", "oracle", "ranker_vs"} <= set(out["report"]["ranking"])


def test_tune_logs_nested_trials_and_writes_a_reproducible_config(trained):
    import mlflow

    from recsys.config import load_config
    from training.config import TrainConfig
    from training.pipeline import prepare
    from training.tune import tune, valid_ndcg

    root, world, config, result = trained
    prep = prepare(config, world)
    res = tune(config, trials=3, out=root / "best.yaml", prepared=prep)
    client = mlflow.MlflowClient(config.tracking.tracking_uri)
    children = client.search_runs(
        [client.get_run(res.run_id).info.experiment_id],
        f"tags.mlflow.parentRunId = '{res.run_id}'",
    )
    assert len(children) == 3
    best = load_config(root / "best.yaml", TrainConfig)
    again, _ = valid_ndcg(prep, best)
    assert again == pytest.approx(res.best_value)
    assert res.best_value == max(res.values)
