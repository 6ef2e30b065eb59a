"""The audit pack a training run writes: every section, the ranker's features with their meanings,
per-category metrics for every category, the world's fingerprint, and nobody named in it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

# ``trained``, ``prepared_tiny``: tests/training/conftest.py (one tracked run per session)

SECTIONS = (
    "## Model",
    "## Intended use",
    "## Training data",
    "## Labels",
    "## Metrics (test period)",
    "### Per category",
    "## Fairness audit (test period)",
    "## Known limitations",
    "## Features and their meanings",
    "## Protected attributes",
)


@pytest.fixture(scope="module")
def pack(trained):
    root, world, config, result = trained
    path = result.audit_pack
    assert path == Path(config.out) / "audit_pack"
    return path, json.loads((path / "model_card.json").read_text())


def test_pack_holds_every_section_audit_and_plots(trained, pack):
    root, world, config, result = trained
    path, card = pack
    files = {p.relative_to(path).as_posix() for p in path.rglob("*") if p.is_file()}
    assert {
        "model_card.md",
        "model_card.json",
        "audit/audit.json",
        "audit/audit.html",
        "plots/ndcg_at_k.png",
        "plots/ndcg_at_10_by_scorer.png",
        "plots/per_category.png",
        "plots/importance.png",
    } <= files
    assert set(card["files"]) == files
    text = (path / "model_card.md").read_text()
    positions = [text.index(s) for s in SECTIONS]
    assert positions == sorted(positions)
    m = card["model"]
    assert (m["run_id"], m["version"], m["registered_name"]) == (result.run_id, "1", "recsys")
    assert m["promoted"] is True
    use = card["intended_use"]
    assert use["users"] and any("automated rejection" in u for u in use["out_of_scope"])
    data = card["training_data"]
    assert data["generated_example_world"] and data["world_path"] == str(world)
    test = data["periods"]["test"]
    assert test["roles"] == result.report["counts"]["test_roles"]
    assert test["applications"] == result.report["counts"]["test_applications"]
    assert data["periods"]["training"]["opened_to"] < data["periods"]["validation"]["opened_from"]
    assert {"fit", "retention", "split"} <= set(card["labels"])
    ranking = card["metrics"]["ranking"]["ranking"]
    assert ranking["ranker"]["ndcg@10"] == pytest.approx(
        result.report["ranking"]["ranker"]["ndcg@10"]
    )
    assert {"bm25", "cosine", "linear", "oracle"} <= set(ranking)
    assert len(card["limitations"]) >= 5
    assert any("generated example world" in x for x in card["limitations"])
    # the audit in the pack is the run's audit: the same summary
    audit = json.loads((path / "audit" / "audit.json").read_text())
    assert audit["summary"]["pairs"] == result.audit["pairs"] == card["audit"]["summary"]["pairs"]
    assert card["audit"]["min_impact_ratio_per_grouping"]


def test_features_table_lists_every_ranker_feature_with_its_meaning(trained, pack):
    from recsys.features import FEATURES
    from recsys.recommender import Recommender

    root, world, config, result = trained
    path, card = pack
    rec = Recommender.from_uri(result.bundle)
    rows = {f["name"]: f for f in card["features"]}
    text = (path / "model_card.md").read_text()
    for name in rec.fit_ranker.feature_names_:  # the trained model's own list, not the config's
        row = rows[name]
        assert "fit" in row["used_by"] and row["meaning"] == FEATURES[name].meaning
        assert row["group"] == FEATURES[name].group
        assert f"| {name} | {row['group']} | " in text
    protected = card["protected_attributes"]
    assert protected["attributes"] == ["gender", "age_band", "ethnicity"]
    assert protected["model_inputs"] == []
    assert any(
        "test_protected_attributes_cannot_reach_features" in x for x in protected["enforced_by"]
    )


def test_per_category_metrics_cover_every_category_of_the_test_applicants(trained, pack):
    from recsys.data import load_world
    from recsys.fairness import load_groups
    from recsys_training.split import split_by_time

    root, world, config, result = trained
    path, card = pack
    w = load_world(world)
    split = split_by_time(w.roles, config.split.test_fraction, config.split.valid_fraction)
    applied = w.outcomes[w.outcomes["role_id"].astype(str).isin(set(split.test_roles))]
    groups, attributes, _ = load_groups(w.groups)
    people = groups.set_index("candidate_id").loc[applied["candidate_id"].astype(str)]
    rows = card["metrics"]["per_category"]["rows"]
    for attribute in attributes:
        expected = people[attribute].value_counts()  # unknowns (None) are not a category
        got = {r["category"]: r for r in rows if r["attribute"] == attribute}
        assert set(got) == set(expected.index), attribute
        for category, n in expected.items():
            r = got[category]
            assert r["applications"] == n
            assert "ndcg@10" in r and "oracle_ndcg@10" in r and "mean_stage" in r
            assert 0 <= r["selection_rate"] <= 1  # the audit's row for the category
            if r["ndcg@10"] is not None:
                assert 0 <= r["ndcg@10"] <= 1 and r["roles_evaluated"] >= 1
    assert "### Per category" in (path / "model_card.md").read_text()


def test_fingerprint_is_the_worlds(trained, pack):
    import mlflow

    from recsys.data.io import read_manifest
    from recsys_training.tracking import dataset_fingerprint

    root, world, config, result = trained
    path, card = pack
    fp = dataset_fingerprint(read_manifest(world))
    assert card["training_data"]["fingerprint"] == fp
    run = mlflow.MlflowClient(config.tracking.tracking_uri).get_run(result.run_id)
    assert run.data.params["dataset.fingerprint"] == fp
    assert fp in (path / "model_card.md").read_text()


def test_no_candidate_id_or_resume_text_in_any_pack_file(trained, pack):
    from recsys.data import load_world

    root, world, config, result = trained
    path, _ = pack
    c = load_world(world).candidates
    needles = [cid.encode() for cid in c["candidate_id"].astype(str)]
    needles += [t[:60].encode() for t in c["resume_text"].astype(str) if len(t) >= 60]
    needles += [t.encode() for t in c["headline"].dropna().astype(str) if len(t) >= 20]
    for file in path.rglob("*"):
        if file.is_file():
            blob = file.read_bytes()
            leaked = [n.decode() for n in needles if n in blob]
            assert not leaked, (file.name, leaked[:3])


def test_untracked_run_writes_the_pack_to_its_out_folder(prepared_tiny):
    from recsys_training.train import train

    root, world, config, prep = prepared_tiny
    out = root / "untracked"
    (out / "audit_pack").mkdir(parents=True)
    (out / "audit_pack" / "stale.txt").write_text("from an older run")
    result = train(config.model_copy(update={"out": out}), track=False, prepared=prep)
    assert result.run_id is None and result.audit_pack == out / "audit_pack"
    card = json.loads((result.audit_pack / "model_card.json").read_text())
    assert card["model"]["run_id"] is None and card["model"]["version"] is None
    assert not (result.audit_pack / "stale.txt").exists()  # replaced whole, not merged
    assert [p.name for p in out.iterdir() if p.name.startswith(".")] == []  # no temp folder left
