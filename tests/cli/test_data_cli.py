from __future__ import annotations

import json

import pandas as pd
from typer.testing import CliRunner

from recsys.cli.main import app

runner = CliRunner()


def _generate(out, seed=7):
    args = [
        "generate",
        "--out",
        str(out),
        "--candidates",
        "200",
        "--roles",
        "30",
        "--seed",
        str(seed),
    ]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    return json.loads((out / "manifest.json").read_text())


def test_generate_is_deterministic_and_validates(tmp_path):
    first = _generate(tmp_path / "a")
    second = _generate(tmp_path / "b")
    assert first["files"] == second["files"]
    assert runner.invoke(app, ["validate", str(tmp_path / "a")]).exit_code == 0
    summary = runner.invoke(app, ["summary", str(tmp_path / "a"), "--json"])
    assert json.loads(summary.output)["counts"]["candidates"] == 200


def test_validate_names_file_row_and_column_of_each_problem(tmp_path):
    world = tmp_path / "w"
    _generate(world)
    candidates = pd.read_parquet(world / "candidates.parquet")
    candidates.drop(columns=["location"]).to_parquet(world / "candidates.parquet")
    roles = pd.read_parquet(world / "roles.parquet")
    pd.concat([roles, roles.iloc[[2]]]).to_parquet(world / "roles.parquet")
    holdings = pd.read_parquet(world / "holdings.parquet")
    holdings.loc[0, "credential_id"] = "NOPE"
    holdings.to_parquet(world / "holdings.parquet")

    result = runner.invoke(app, ["validate", str(world), "--json"])
    assert result.exit_code == 1
    problems = json.loads(result.output)["problems"]
    where = {(p["file"], p["row"], p["column"]) for p in problems}
    assert ("candidates.parquet", None, "location") in where
    assert ("roles.parquet", 31, "role_id") in where
    assert ("holdings.parquet", 1, "credential_id") in where
