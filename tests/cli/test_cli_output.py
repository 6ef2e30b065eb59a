"""What the ``recsys`` command prints for people: --version, option choices, the shortlist and
roles-for tables, the URL ``serve`` listens on and a line per ``tune`` trial."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import urllib.request
from importlib.metadata import version
from pathlib import Path

import pytest
from serving_world import some_role, tiny_bundle
from typer.testing import CliRunner

from recsys.cli import choices
from recsys.cli.main import app
from recsys.cli.serve import _listening
from recsys.recommender import Recommender

runner = CliRunner()


@pytest.fixture(scope="module")
def bundle(tmp_path_factory):
    folder = tmp_path_factory.mktemp("cli-output") / "bundle"
    shutil.copytree(tiny_bundle(), folder)
    return folder


def test_version_flag_prints_the_installed_version():
    import recsys

    got = runner.invoke(app, ["--version"])
    assert got.exit_code == 0
    assert got.output.strip() == f"recsys {recsys.__version__}" == f"recsys {version('recsys')}"


def test_choices_are_the_library_sets():
    from recsys.ingest.records import KINDS as INGEST_KINDS
    from recsys.text import KINDS

    assert tuple(choices.IndexKind) == KINDS
    assert tuple(choices.IngestKind) == INGEST_KINDS


@pytest.mark.parametrize(
    ("args", "option", "allowed"),
    [
        (["generate", "--out", "w", "--format", "xml"], "--format", "'jsonl'"),
        (
            ["index", "search", "--index", "i", "--text", "t", "--kind", "people"],
            "--kind",
            "'roles'",
        ),
        (["import", "x", "--out", "w", "--from", "greenhouse"], "--from", "'ats-csv'"),
        (
            ["audit", "--scores", "s", "--groups", "g", "--out", "o", "--test", "t"],
            "--test",
            "'fisher'",
        ),
        (
            ["audit", "--scores", "s", "--groups", "g", "--out", "o", "--pool", "p"],
            "--pool",
            "'groups'",
        ),
        (["serve", "--model", "m", "--log-level", "loud"], "--log-level", "'debug'"),
        (
            ["score", "--model", "m", "--pool", "p", "--out", "o", "--engine", "dask"],
            "--engine",
            "'spark'",
        ),
        (["store", "export", "--store", "s", "--out", "o", "--format", "xml"], "--format", "'csv'"),
        (["ingest", "f.csv", "--store", "s", "--kind", "people"], "--kind", "'holdings'"),
    ],
)
def test_a_value_outside_a_choice_is_refused_naming_option_and_values(args, option, allowed):
    got = runner.invoke(app, args, env={"COLUMNS": "200"})
    assert got.exit_code == 2, got.output
    assert f"Invalid value for '{option}'" in got.output and allowed in got.output


def test_help_lists_the_choices():
    got = runner.invoke(app, ["generate", "--help"], env={"COLUMNS": "200"})
    assert "parquet|csv|jsonl" in got.output


def test_shortlist_table_names_the_role_and_each_candidates_headline(bundle):
    rec = Recommender.load(bundle)
    role = some_role(rec)
    got = runner.invoke(
        app,
        ["shortlist", "--model", str(bundle), "--role", role, "--k", "5"],
        env={"COLUMNS": "100"},
    )
    assert got.exit_code == 0, got.output
    lines = got.output.splitlines()
    title = rec.world.roles.set_index("role_id").loc[role, "title"]
    assert lines[0].strip() == f"Shortlist for {role} · {title}"
    assert max(len(line) for line in lines) <= 100  # wrapped to the terminal, not 200-char lines
    want = rec.shortlist(role_id=role, k=5).frame["candidate_id"].tolist()
    heads = rec.world.candidates.set_index("candidate_id")["headline"]
    text = " ".join(" ".join(lines).split())  # cells wrap: compare word sequences
    for rank, cid in enumerate(want, 1):
        row = next(line for line in lines if line.split()[:2] == [str(rank), cid])
        assert row  # rank and id on one row, in the library's order
        assert " ".join(heads[cid].split()[:2]) in text
    assert "required skills" in text and "encoder hashing:64" in text


def test_roles_for_table_names_each_role_title(bundle):
    rec = Recommender.load(bundle)
    cid = str(rec.world.candidates["candidate_id"].iloc[0])
    got = runner.invoke(
        app,
        ["roles-for", "--model", str(bundle), "--candidate", cid, "--k", "3"],
        env={"COLUMNS": "160"},
    )
    assert got.exit_code == 0, got.output
    assert got.output.splitlines()[0].strip() == f"Roles for {cid}"
    titles = rec.world.roles.set_index("role_id")["title"]
    for role in rec.roles_for(candidate_id=cid, k=3).frame["role_id"]:
        assert role in got.output and titles[role].split()[0] in got.output


def test_listening_line_names_a_url_to_open():
    assert "http://127.0.0.1:8000" in _listening("127.0.0.1", 8000)
    line = _listening("0.0.0.0", 8080, workers=2)
    assert line.startswith("2 workers listening on http://127.0.0.1:8080 (bound to 0.0.0.0")
    assert "http://[::1]:9000/docs" in _listening("::", 9000)


def test_serve_prints_the_url_it_listens_on_and_answers_there(bundle, tmp_path):
    env = {**os.environ, "RECSYS_API_KEYS": "secret", "COLUMNS": "200"}
    cmd = [sys.executable, "-m", "recsys.cli.main", "serve", "--model", str(bundle)]
    cmd += ["--port", "0", "--event-log", "off"]
    proc = subprocess.Popen(
        cmd, cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    try:
        line = proc.stdout.readline()
        assert "listening on http://127.0.0.1:" in line, line
        url = line.split("listening on ", 1)[1].split()[0].rstrip(":")
        assert not url.endswith(":0")  # the real port, not the one asked for
        deadline = time.monotonic() + 120
        while True:
            try:
                with urllib.request.urlopen(f"{url}/healthz", timeout=5) as res:
                    assert res.status == 200
                    break
            except OSError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise
                time.sleep(0.5)
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_tune_prints_a_line_per_trial_with_params_and_metric(monkeypatch, tmp_path):
    """The CLI's Optuna callback on a real study (a toy objective stands in for the ranker)."""
    import optuna

    from recsys_training import tune as tune_module
    from recsys_training.config import TrainConfig

    def fake_tune(config, *, trials, out, callbacks):
        study = optuna.create_study(direction="maximize")
        study.optimize(
            lambda t: 1 - (t.suggest_float("learning_rate", 0.01, 0.2) - 0.1) ** 2,
            n_trials=trials,
            callbacks=list(callbacks),
        )
        return tune_module.TuneResult(
            study.best_value, study.best_trial.number, TrainConfig(), Path(out), "run-1", []
        )

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    monkeypatch.setattr(tune_module, "tune", fake_tune)
    out = tmp_path / "best.yaml"
    got = runner.invoke(app, ["tune", "--trials", "3", "--out", str(out)], env={"COLUMNS": "200"})
    assert got.exit_code == 0, got.output
    lines = [line for line in got.output.splitlines() if line.startswith("trial ")]
    assert [line.split()[1] for line in lines] == ["1/3", "2/3", "3/3"]
    assert all("valid ndcg@10 " in line and "learning_rate=" in line for line in lines)
    assert f"wrote {out}; parent run run-1" in got.output


@pytest.mark.slow
def test_tune_on_a_tiny_world_prints_each_trial(tmp_path):
    """The real search: two trials on a tiny world, one line each, best config written."""
    import yaml
    from trained import tiny_world

    world = tiny_world(tmp_path / "world", candidates=300, roles=40)
    cfg = {
        "out": str(tmp_path / "artifacts"),
        "embedding": {"model": "hashing:64", "cache_dir": None},
        "mask": {"candidates": 0.0, "roles": 0.0, "text_only_eval": False},
        "fit": {"n_estimators": 30, "early_stopping_rounds": 10, "text_model": False},
        "tracking": {
            "tracking_uri": f"sqlite:///{tmp_path / 'mlflow.db'}",
            "artifact_location": (tmp_path / "mlartifacts").as_uri(),
        },
    }
    (tmp_path / "train.yaml").write_text(yaml.safe_dump(cfg))
    args = ["tune", "--config", str(tmp_path / "train.yaml"), "--world", str(world)]
    got = runner.invoke(app, [*args, "--trials", "2", "--out", str(tmp_path / "best.yaml")])
    assert got.exit_code == 0, got.output
    lines = [line for line in got.output.splitlines() if line.startswith("trial ")]
    assert len(lines) == 2 and all("num_leaves=" in line for line in lines)
    assert (tmp_path / "best.yaml").is_file()


def test_serve_without_api_keys_says_how_to_give_them(bundle, monkeypatch):
    monkeypatch.delenv("RECSYS_API_KEYS", raising=False)
    got = runner.invoke(app, ["serve", "--model", str(bundle), "--event-log", "off"])
    assert got.exit_code == 2
    assert "Error: No API keys configured: set RECSYS_API_KEYS" in got.output
    assert "Traceback" not in got.output


def test_evaluation_headline_shows_each_combination_rule_against_stage_and_value():
    from recsys.cli.train import _headline

    row = {"ndcg@5": 0.7, "ndcg@10": 0.8, "ndcg@20": 0.85, "recall@10": 0.5, "map": 0.6}
    combined = {
        "stage": {"fit": {"ndcg@10": 0.824}, "geometric": {"ndcg@10": 0.783}},
        "value": {"fit": {"ndcg@10": 0.788}, "geometric": {"ndcg@10": 0.804}},
    }
    lines = _headline({"ranking": {"ranker": row}, "combined": combined})
    stage = next(line for line in lines if "funnel stage" in line)
    assert "fit 0.8240" in stage and "geometric 0.7830" in stage
    value = next(line for line in lines if "planted P(stay)" in line)
    assert "geometric 0.8040" in value
    assert not any("funnel stage" in line for line in _headline({"ranking": {"ranker": row}}))
