from __future__ import annotations

import json
import shutil

import pandas as pd
import pytest

from recsys.data import WorldValidationError, load_world, validate_world, write_world
from recsys.data.tables import write_table


def test_round_trip_each_format(handmade, tmp_path):
    world, _ = handmade
    for fmt in ("parquet", "csv", "jsonl"):
        path = write_world(world, tmp_path / fmt, fmt=fmt, seed=3)
        loaded = load_world(path)
        assert loaded.manifest["seed"] == 3
        pd.testing.assert_frame_equal(
            loaded.roles.reset_index(drop=True), world.roles, check_dtype=False
        )
        assert loaded.candidates["skills"].tolist() == world.candidates["skills"].tolist()
        assert loaded.holdings["expires_at"].isna().tolist() == [False, True]


def test_manifest_records_counts_and_hashes(handmade):
    _, path = handmade
    manifest = json.loads((path / "manifest.json").read_text())
    assert manifest["counts"]["candidates"] == 3
    assert len(manifest["files"]["roles"]["sha256"]) == 64


def test_summary_reports_funnel_and_censoring(handmade):
    world, _ = handmade
    summary = world.summary()
    assert summary["stages"] == {
        "applied": 0,
        "screened": 1,
        "interviewed": 0,
        "offered": 0,
        "hired": 2,
    }
    assert summary["censoring_rate"] == pytest.approx(0.5)


def _problems(path):
    return [str(p) for p in validate_world(path)]


def test_missing_column_is_named(handmade):
    world, path = handmade
    write_table(world.candidates.drop(columns=["location"]), path / "candidates.parquet")
    (path / "manifest.json").unlink()
    problems = _problems(path)
    assert any("candidates.parquet" in p and "'location'" in p for p in problems), problems


def test_duplicate_id_names_rows(handmade):
    world, path = handmade
    roles = pd.concat([world.roles, world.roles.iloc[[0]]], ignore_index=True)
    write_table(roles, path / "roles.parquet")
    (path / "manifest.json").unlink()
    problems = _problems(path)
    assert any(
        "roles.parquet, row 3, column 'role_id'" in p and "duplicate" in p for p in problems
    ), problems


def test_dangling_credential_and_every_problem_reported(handmade):
    world, path = handmade
    holdings = world.holdings.copy()
    holdings.loc[1, "credential_id"] = "cr:nope"
    write_table(holdings, path / "holdings.parquet")
    outcomes = world.outcomes.copy()
    outcomes.loc[0, "stage"] = 9
    write_table(outcomes, path / "outcomes.parquet")
    (path / "manifest.json").unlink()
    with pytest.raises(WorldValidationError) as err:
        load_world(path)
    text = str(err.value)
    assert "holdings.parquet, row 2, column 'credential_id'" in text and "cr:nope" in text
    assert "outcomes.parquet, row 1, column 'stage'" in text


def test_dates_out_of_order_and_funnel_rules(handmade):
    world, path = handmade
    history = world.history.copy()
    history.loc[0, "ended_at"] = pd.Timestamp("2010-01-01")
    write_table(history, path / "history.parquet")
    outcomes = world.outcomes.copy()
    outcomes.loc[1, "hired_at"] = pd.Timestamp("2024-02-01")  # stage 1 with a hire date
    write_table(outcomes, path / "outcomes.parquet")
    (path / "manifest.json").unlink()
    problems = _problems(path)
    assert any("history.parquet, row 1, column 'ended_at'" in p for p in problems), problems
    assert any("outcomes.parquet, row 2, column 'hired_at'" in p for p in problems), problems


def test_nan_in_required_field_and_bad_type_in_csv(handmade, tmp_path):
    world, _ = handmade
    path = write_world(world, tmp_path / "csv", fmt="csv")
    text = (path / "candidates.csv").read_text().replace("5.0", "five", 1)
    (path / "candidates.csv").write_text(text)
    roles = (path / "roles.csv").read_text().replace("software developer", "", 1)
    (path / "roles.csv").write_text(roles)
    problems = _problems(path)
    assert any(
        "candidates.csv, row 1, column 'years_experience'" in p and "five" in p for p in problems
    ), problems
    assert any("roles.csv, row 1, column 'title'" in p for p in problems), problems


def test_empty_and_non_utf8_files(handmade):
    _, path = handmade
    shutil.copy(path / "skills.parquet", path / "skills.bak")
    (path / "skills.parquet").unlink()
    (path / "skills.csv").write_bytes(b"")
    (path / "history.parquet").unlink()
    (path / "history.csv").write_bytes(b"candidate_id,title\np:1,caf\xe9\n")
    problems = _problems(path)
    assert any("skills.csv" in p and "empty file" in p for p in problems), problems
    assert any("history.csv" in p and "UTF-8" in p and "line 2" in p for p in problems), problems


def test_tampered_file_fails_manifest_check(handmade):
    world, path = handmade
    write_table(world.roles.assign(team="x"), path / "roles.parquet")
    assert any("sha256" in p for p in _problems(path))


def test_write_world_refuses_to_clobber(handmade):
    world, path = handmade
    with pytest.raises(FileExistsError):
        write_world(world, path)
