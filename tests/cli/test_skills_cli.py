from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import typer
from typer.testing import CliRunner

from recsys.cli import skills


def _app() -> typer.Typer:
    app = typer.Typer()
    skills.register(app)

    @app.callback()
    def _root() -> None:  # keeps "skills" a sub-command
        pass

    return app


def test_extract_text_prints_json_matches():
    result = CliRunner().invoke(
        _app(),
        ["skills", "extract", "--model", "none", "--text", "Python and computer programming"],
    )
    assert result.exit_code == 0, result.output
    matches = json.loads(result.output.strip())
    labels = {m["label"] for m in matches}
    assert {"Python (computer programming)", "computer programming"} <= labels
    assert all(m["method"] == "phrase" for m in matches)


def test_extract_stdin_one_document_per_line():
    result = CliRunner().invoke(
        _app(), ["skills", "extract", "--model", "none"], input="SQL\nnothing at all\n"
    )
    assert result.exit_code == 0, result.output
    lines = result.output.strip().split("\n")
    assert len(lines) == 2 and json.loads(lines[1]) == []
    assert json.loads(lines[0])[0]["evidence"] == "SQL"


def test_extract_real_text_with_the_default_encoder():
    """The packaged encoder and its calibration read a requirement written the way people write."""
    cache = Path(__file__).parents[2] / ".cache" / "embeddings"
    text = "Ability to debug issues in a full stack environment"
    result = CliRunner().invoke(
        _app(), ["skills", "extract", "--text", text, "--cache-dir", str(cache)]
    )
    assert result.exit_code == 0, result.output
    matches = json.loads(result.stdout.strip().splitlines()[-1])
    assert "debug software" in {m["label"] for m in matches}
    assert all(0 < m["score"] <= 1 for m in matches)  # calibrated probabilities


def test_evaluate_real_reports_rp_at_k(tmp_path):
    rows = [
        ("We need strong SQL skills.", "SQL"),
        ("We need strong SQL skills.", "LABEL NOT PRESENT"),
        ("Fluent in Python.", "Python (computer programming)"),
        ("Nice people.", "UNDERSPECIFIED"),
    ]
    path = tmp_path / "ann.csv"
    pd.DataFrame(rows, columns=["sentence", "label"]).to_csv(path, index=False)
    result = CliRunner().invoke(_app(), ["skills", "evaluate-real", str(path), "--model", "none"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)[str(path)]
    assert out["sentences"] == 2  # the sentence without a gold label is dropped
    assert out["rp@5"] == 1.0 and out["mrr"] == 1.0
    assert out["set_precision"] == 1.0 and out["set_recall"] == 1.0
