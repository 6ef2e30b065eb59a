"""End to end on a tiny world: train → MLflow run → registry gate → pyfunc → evaluate → tune."""

from __future__ import annotations

import json

import pandas as pd
import pytest

# ``trained``: tests/training/conftest.py (one run per session, shared with test_audit_pack.py)


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
    # the test-period adverse-impact audit, next to the model
    assert {a.path for a in client.list_artifacts(result.run_id, "audit")} == {
        "audit/audit.json",
        "audit/audit.html",
    }
    assert 0 < run.data.metrics["audit.selection.min_impact_ratio"] <= 1
    assert result.audit is not None and result.audit["pairs"] > 0
    # the audit pack (tests/training/test_audit_pack.py checks what it holds), next to the model
    pack = {a.path for a in client.list_artifacts(result.run_id, "audit_pack")}
    assert {
        "audit_pack/model_card.md",
        "audit_pack/model_card.json",
        "audit_pack/audit",
        "audit_pack/plots",
    } <= pack
    assert {a.path for a in client.list_artifacts(result.run_id, "audit_pack/audit")} == {
        "audit_pack/audit/audit.json",
        "audit_pack/audit/audit.html",
    }
    assert "audit_pack/plots/per_category.png" in {
        a.path for a in client.list_artifacts(result.run_id, "audit_pack/plots")
    }


def test_registered_model_holds_no_candidate_pool(trained):
    root, world, config, result = trained
    files = {p.relative_to(result.bundle).as_posix() for p in result.bundle.rglob("*")}
    assert "world/skills.parquet" in files and "features/statistics.json" in files
    assert not {f for f in files if f.startswith("indexes/") or f.startswith("text/")}
    for table in ("candidates", "roles", "holdings", "history", "outcomes"):
        assert f"world/{table}.parquet" not in files
    from recsys.data import load_world

    marker = load_world(world).candidates["resume_text"].iloc[0][:60].encode()
    assert not any(marker in p.read_bytes() for p in result.bundle.rglob("*") if p.is_file())


def test_the_model_reads_technologies_its_world_does_not_name(trained, prepared_tiny):
    """Training adds O*NET technologies to the model's skills (RecommenderConfig.technologies):
    a posting's and a résumé's Kafka / Kubernetes meet in the features, though the generated
    world's ESCO skills name neither."""
    from recsys.data import load_world
    from recsys.recommender import Recommender

    root, world, config, result = trained
    assert not load_world(world).skills["skill_id"].str.startswith("onet-tech:").any()
    rec = Recommender.load(result.bundle)
    ids = set(rec.world.skills["skill_id"])
    assert {"onet-tech:apache-kafka", "onet-tech:kubernetes"} <= ids
    assert set(prepared_tiny[3].builder.skill_ids_) == ids  # trained on the same columns
    text = "Backend engineer: Kotlin services on Kafka, run on Kubernetes, Terraform for infra."
    role = rec.adhoc("roles", ["jd"], [text]).iloc[0]
    assert {"onet-tech:apache-kafka", "onet-tech:kubernetes"} <= set(role["required_skills"])
    assert {"onet-tech:apache-kafka", "onet-tech:kubernetes"} <= set(rec.extract_skills([text])[0])
    # over other data: the model's columns first, then the skills only the data has
    data = load_world(world)
    local = data.skills.iloc[:1].assign(skill_id="local:payroll", label="payroll (local)")
    data.skills = pd.concat([data.skills, local], ignore_index=True)
    over = rec.over_world(data).world.skills["skill_id"].tolist()
    assert over == [*rec.world.skills["skill_id"], "local:payroll"]


def test_champion_pyfunc_predicts_on_its_input_example(trained, tmp_path):
    import mlflow

    from recsys.data import load_world
    from recsys.ingest import load_world_into
    from recsys.recommender import Recommender
    from recsys.store import Store

    root, world, config, result = trained
    mlflow.set_tracking_uri(config.tracking.tracking_uri)
    model = mlflow.pyfunc.load_model("models:/recsys@champion")
    example = model.input_example
    assert list(example.columns) == ["candidate_id", "role_id", "candidate_text", "role_text"]
    texts = example[example["candidate_text"].notna()]
    assert len(texts) == len(example)  # the logged example: texts only
    # written for the example, not taken from the training data: the registry holds no résumé
    w = load_world(world)
    assert not set(example["candidate_id"]) & set(w.candidates["candidate_id"].astype(str))
    assert not set(example["candidate_text"]) & set(w.candidates["resume_text"])
    out = model.predict(texts)  # free text needs no data
    assert list(out.columns) == [
        "candidate_id",
        "role_id",
        "fit",
        "fit_probability",
        "retention",
        "score",
    ]
    assert out[["candidate_id", "role_id"]].equals(texts[["candidate_id", "role_id"]])
    assert out[["fit", "retention", "score"]].notna().all().all()
    with pytest.raises(KeyError, match="model bundle"):  # ids need the data: a store
        model.predict(example[["candidate_id", "role_id"]])
    rec = Recommender.from_uri(result.bundle)
    with Store.open(tmp_path / "store", create=True) as st:
        load_world_into(st, load_world(world), rec)
    served = mlflow.pyfunc.load_model(
        "models:/recsys@champion", model_config={"store": str(tmp_path / "store")}
    )
    w = load_world(world)
    ids = pd.DataFrame(
        {
            "candidate_id": w.candidates["candidate_id"].head(3).astype(str).tolist(),
            "role_id": w.roles["role_id"].head(3).astype(str).tolist(),
        }
    )
    out = served.predict(ids)
    assert len(out) == len(ids) and out["retention"].between(0, 1).all()
    # the pyfunc scores equal the recommender's own over the same store
    direct = Recommender.from_uri(result.bundle, store=tmp_path / "store").score_pairs(ids)
    pd.testing.assert_series_equal(out["fit"], direct["fit"], check_names=False)
    heavier = served.predict(ids, params={"retention_weight": 1.0})
    assert heavier["score"].tolist() == pytest.approx(out["retention"].tolist())


def test_weaker_config_does_not_move_champion(trained, prepared_tiny):
    import mlflow

    from recsys_training.train import train

    root, world, config, result = trained
    prep = prepared_tiny[3]  # the same world's embedding, split and pairs: only the fit differs
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
    second = train(weak, prepared=prep)
    d = second.decision
    assert not d.promoted and d.version == "2" and d.champion_version == "1"
    assert d.value < d.champion_value
    client = mlflow.MlflowClient(config.tracking.tracking_uri)
    assert str(client.get_model_version_by_alias("recsys", "champion").version) == "1"
    run = client.get_run(second.run_id)
    assert run.data.tags["promotion.decision"] == "kept champion"
    assert run.data.metrics["promotion.champion_value"] == pytest.approx(d.champion_value)


@pytest.mark.slow  # evaluates the whole tiny world again through the CLI (~35 s)
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
    from recsys_training.config import TrainConfig
    from recsys_training.pipeline import prepare
    from recsys_training.tune import tune, valid_ndcg

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
