"""``recsys evaluate --pool … --labels …`` through typer's CliRunner, on ``examples/realtext``.

Structure only: the trained model here is a tiny hashing-encoder one, so ranking quality is not
asserted (``recsys.pool_eval`` is tested against hand-computed values in tests/test_pool_eval.py).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import typer
from serving_world import tiny_bundle
from typer.testing import CliRunner

from recsys.cli import train
from recsys.pool_eval import SCORERS

POOL = Path(__file__).resolve().parents[2] / "examples" / "realtext"


def _app() -> typer.Typer:
    app = typer.Typer()
    train.register(app)
    return app


@pytest.fixture(scope="module")
def bundle(tmp_path_factory):
    folder = tmp_path_factory.mktemp("cli-pool") / "bundle"
    shutil.copytree(tiny_bundle(), folder)
    return folder


def _run(*args: str):
    return CliRunner().invoke(_app(), ["evaluate", *args])


def _flat(output: str) -> str:
    """Output with rich's error box and line wrapping undone."""
    return " ".join(output.replace("│", " ").split())


def test_json_report(bundle):
    got = _run(
        "--model",
        str(bundle),
        "--pool",
        str(POOL),
        "--labels",
        str(POOL / "labels.csv"),
        "--k",
        "15",
        "--json",
    )
    assert got.exit_code == 0, got.output
    report = json.loads(got.output)
    assert set(report["scorers"]) == set(SCORERS)
    for name, m in report["scorers"].items():
        assert {"ndcg@5", "ndcg@10", "ndcg@20", "recall@15", "map"} <= set(m), name
        assert all(0.0 <= v <= 1.0 for v in m.values()), (name, m)
    p = report["pool"]
    assert p["candidates"] >= 36 and p["roles"] >= 8
    assert p["pairs"] == p["labelled_pairs"] == p["candidates"] * p["roles"]
    fd = report["fit_distinct"]
    assert 1 <= fd["distinct"] <= fd["pairs"] and len(fd["per_role"]) == p["roles"]
    assert set(report["per_role"]["bm25"]) == set(fd["per_role"])


def test_table(bundle):
    got = _run("--model", str(bundle), "--pool", str(POOL), "--labels", str(POOL / "labels.csv"))
    assert got.exit_code == 0, got.output
    lines = got.output.splitlines()
    header = next(ln for ln in lines if ln.startswith("scorer"))
    assert header.split() == ["scorer", "ndcg@5", "ndcg@10", "ndcg@20", "map", "recall@10"]
    for name in ("ranker fit", "ranker score", "bm25", "tfidf", "cosine"):
        row = next(ln for ln in lines if ln.startswith(name + " "))
        values = [float(v) for v in row[len(name) :].split()]
        assert len(values) == 5 and all(0 <= v <= 1 for v in values), row
    assert any(ln.startswith("ranker fit: ") and "distinct values over" in ln for ln in lines)


def test_pool_needs_labels_and_bad_labels_fail_clearly(bundle, tmp_path):
    got = _run("--model", str(bundle), "--pool", str(POOL))
    assert got.exit_code == 2
    assert "needs --labels" in _flat(got.output) and "labels.csv" in _flat(got.output)
    bad = tmp_path / "labels.csv"
    bad.write_text("candidate_id,role_id,relevance\nc01,no-such-role,3\n")
    got = _run("--model", str(bundle), "--pool", str(POOL), "--labels", str(bad))
    assert got.exit_code == 1
    assert "row 1, column 'role_id': expected an id present in" in got.output
    got = _run("--model", str(bundle), "--labels", str(bad))
    assert got.exit_code == 2 and "--labels needs --pool" in _flat(got.output)
