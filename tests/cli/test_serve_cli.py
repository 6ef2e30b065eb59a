"""``recsys shortlist --json`` and ``recsys score`` through typer's CliRunner."""

from __future__ import annotations

import json
import os
import shutil

import pandas as pd
import pytest
import typer
from serving_world import pairs_frame, some_role, tiny_bundle
from typer.testing import CliRunner

from recsys.cli import serve
from recsys.recommender import Recommender


def _app() -> typer.Typer:
    app = typer.Typer()
    serve.register(app)
    return app


@pytest.fixture(scope="module")
def bundle(tmp_path_factory):
    folder = tmp_path_factory.mktemp("cli") / "bundle"
    shutil.copytree(tiny_bundle(), folder)
    return folder


def test_shortlist_json_equals_library(bundle):
    rec = Recommender.load(bundle)
    role = some_role(rec)
    got = CliRunner().invoke(
        _app(), ["shortlist", "--model", str(bundle), "--role", role, "--k", "5", "--json"]
    )
    assert got.exit_code == 0, got.output
    out = json.loads(got.output)
    want = rec.shortlist(role_id=role, k=5).to_dict()
    assert [r["candidate_id"] for r in out["results"]] == [
        r["candidate_id"] for r in want["results"]
    ]
    assert [r["rank"] for r in out["results"]] == [1, 2, 3, 4, 5]
    first = out["results"][0]
    assert {"fit", "retention", "score", "reasons"} <= set(first)
    assert {"top_features", "matched_skills", "missing_skills", "verified_credentials"} <= set(
        first["reasons"]
    )
    assert out["manifest"]["query"] == {"role_id": role}


def test_shortlist_table_and_unknown_role(bundle):
    rec = Recommender.load(bundle)
    got = CliRunner().invoke(
        _app(), ["shortlist", "--model", str(bundle), "--role", some_role(rec), "--k", "3"]
    )
    assert got.exit_code == 0, got.output
    assert "required skills" in got.output and "encoder hashing:64" in got.output
    bad = CliRunner().invoke(_app(), ["shortlist", "--model", str(bundle), "--role", "nope"])
    assert bad.exit_code != 0


def test_score_writes_output_and_summary(bundle, tmp_path):
    rec = Recommender.load(bundle)
    pairs = pairs_frame(rec, 500, seed=3)
    pairs.to_parquet(tmp_path / "pool.parquet", index=False)
    out = tmp_path / "scores.parquet"
    got = CliRunner().invoke(
        _app(),
        [
            "score",
            "--model",
            str(bundle),
            "--pool",
            str(tmp_path / "pool.parquet"),
            "--out",
            str(out),
            "--chunk-size",
            "200",
        ],
    )
    assert got.exit_code == 0, got.output
    summary = json.loads(got.output[got.output.index("{") :])
    assert summary["rows"] == 500 and summary["pairs_per_second"] > 0
    scored = pd.read_parquet(out)
    want = rec.score_pairs(pairs)
    assert scored[["candidate_id", "role_id"]].values.tolist() == pairs.values.tolist()
    pd.testing.assert_series_equal(scored["score"], want["score"], check_names=False)


def test_serve_workers_hands_the_model_to_each_worker(bundle, tmp_path, monkeypatch):
    from recsys.serving import api, workers

    calls = {}

    def fake_run_workers(factory, n, host, port, log_level, preload=None):
        calls.update(factory=factory, n=n, host=host, port=port)
        if preload is not None:  # shared: the supervisor loads, each forked worker builds an app
            calls["app"] = preload()()
            return
        calls["model"] = os.environ[api.ENV_MODEL]
        calls["key_file"] = os.environ[api.ENV_KEY_FILE]

    keys = tmp_path / "keys.txt"
    keys.write_text("k1\n", "utf-8")
    for name in (api.ENV_MODEL, api.ENV_KEY_FILE, api.ENV_CONFIG):  # restored after the test
        monkeypatch.setenv(name, "")
        monkeypatch.delenv(name)
    monkeypatch.setattr(workers, "run_workers", fake_run_workers)
    args = ["serve", "--model", str(bundle), "--key-file", str(keys), "--workers", "2"]
    args += ["--port", "8123"]
    got = CliRunner().invoke(_app(), args)  # default: one model loaded here, shared by forking
    assert got.exit_code == 0, got.output
    app = calls.pop("app")
    assert app.state.model_uri == str(bundle) and calls["factory"] == "recsys serve"
    assert not any(os.environ.get(n) for n in (api.ENV_MODEL, api.ENV_KEY_FILE))
    calls.clear()
    got = CliRunner().invoke(_app(), [*args, "--no-share-model"])  # spawned: each loads its own
    assert got.exit_code == 0, got.output
    assert calls == {
        "factory": "recsys.serving.api:app_from_env",
        "n": 2,
        "host": "127.0.0.1",
        "port": 8123,
        "model": str(bundle),
        "key_file": str(keys.resolve()),
    }
    monkeypatch.delenv("RECSYS_API_KEYS", raising=False)
    monkeypatch.setenv(api.ENV_MODEL, str(bundle))
    monkeypatch.setenv(api.ENV_KEY_FILE, str(keys))
    assert api.app_from_env().state.model_uri == str(bundle)  # each worker's app
    no_keys = CliRunner().invoke(_app(), ["serve", "--model", str(bundle), "--workers", "2"])
    assert no_keys.exit_code != 0  # refused in the parent, before any worker starts


def test_shortlist_fairness_over_a_store_with_groups(bundle, tmp_path, monkeypatch):
    from recsys.data import load_world
    from recsys.store import Store
    from recsys.store.world_io import seed_store

    monkeypatch.setenv("RECSYS_CACHE_DIR", str(tmp_path / "cache"))
    rec = Recommender.load(bundle)
    world = load_world(tiny_bundle().parent / "world")  # with its groups table
    with Store.open(tmp_path / "store", create=True) as store:
        seed_store(
            store,
            world,
            indexes=rec.indexes,
            extracted=pd.read_parquet(bundle / "text" / "resume_skills.parquet"),
            reader_id=rec.reader_id,
        )
    role = some_role(rec)
    args = ["shortlist", "--model", str(bundle), "--store", str(tmp_path / "store")]
    args += ["--role", role, "--k", "10"]
    fair = ["--fairness", "attribute=gender", "--fairness", "min_ratio=0.8"]
    got = CliRunner().invoke(_app(), [*args, *fair, "--json"])
    assert got.exit_code == 0, got.output
    out = json.loads(got.output)
    want = rec.over_world(world).shortlist(
        role_id=role, k=10, fairness={"attribute": "gender", "min_ratio": 0.8}
    )
    assert [r["candidate_id"] for r in out["results"]] == want.frame["candidate_id"].tolist()
    assert out["manifest"]["fairness"]["applied"] is True
    assert "original_rank" in out["results"][0]
    table = CliRunner().invoke(_app(), [*args, *fair])
    assert table.exit_code == 0 and "re-ranked by gender (min_ratio)" in table.output
    for bad, why in (("min_ratio", "KEY=VALUE"), ("min_ratio=high", "takes a number")):
        res = CliRunner().invoke(
            _app(), [*args, "--fairness", "attribute=gender", "--fairness", bad]
        )
        assert res.exit_code != 0 and why in res.output
    no_groups = CliRunner().invoke(
        _app(), ["shortlist", "--model", str(bundle), "--role", role, *fair]
    )
    assert no_groups.exit_code != 0
    assert "holds no groups table" in str(no_groups.exception)
