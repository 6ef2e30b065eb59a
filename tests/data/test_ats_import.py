"""``recsys import --from ats-csv``: an ATS export (examples/ats-export) becomes a world.

Fast tests read skills with the phrase-only reader (``encoder=None``) and train on the
HashingEncoder; the real-encoder run of the README's commands is marked slow.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pandas as pd
import pytest
import yaml
from typer.testing import CliRunner

from recsys.cli.main import app
from recsys.data import WorldValidationError, load_world, validate_world
from recsys.data.ats import empty_table, import_ats_csv
from recsys.data.ats_mapping import load_mapping

ROOT = Path(__file__).resolve().parents[2]
EXPORT = ROOT / "examples" / "ats-export"
RENAMED = ROOT / "examples" / "ats-export-renamed"
runner = CliRunner()


def _write(folder: Path, **files: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (folder / f"{name}.csv").write_text(text.lstrip("\n"), encoding="utf-8")
    return folder


def _small(folder: Path, applications: str | None = None, **more: str) -> Path:
    """Two candidates, two roles, four applications: a minimal valid export."""
    return _write(
        folder,
        candidates="""
candidate_id,resume_text,skills
c1,"Backend engineer, 6 years of experience with Kubernetes and PostgreSQL.",
c2,"Barista and shift supervisor.","customer service; SQL; Frobnication"
""",
        roles="""
role_id,title,description
r1,Senior Backend Engineer,"Our APIs run on Kubernetes and PostgreSQL."
r2,Barista,"Serve coffee and handle the till."
""",
        applications=applications
        or """
candidate_id,role_id,applied_at,stage,hired_at,left_at
c1,r1,2024-01-05,Hired,2024-02-01,
c2,r2,2024-02-01,interview,,
c2,r1,2024-03-01,applied,,
c1,r2,2024-04-01,Screen,,
""",
        **more,
    )


def _problems(err: pytest.ExceptionInfo) -> set[tuple]:
    return {(p.file, p.row, p.column) for p in err.value.problems}


def _leftovers(parent: Path) -> list[str]:
    return [p.name for p in parent.iterdir() if p.name.startswith(".")]


# ------------------------------------------------------------------ the example export
@pytest.fixture(scope="module")
def example(tmp_path_factory):
    out = tmp_path_factory.mktemp("ats") / "world"
    report = import_ats_csv(EXPORT, out, encoder=None)
    return report, load_world(out)


def test_example_export_becomes_a_valid_world(example):
    report, world = example
    assert validate_world(report.path) == []
    assert report.counts["candidates"] == 56 and report.counts["roles"] == 10
    assert report.counts["outcomes"] == 205
    assert report.stages == {
        "applied": 137,
        "screened": 22,
        "interviewed": 19,
        "offered": 5,
        "hired": 22,
    }
    assert report.observed_until == "2025-06-30"
    assert report.absent_tables == ["history", "credentials", "holdings"]
    for name in ("contracts", "credentials", "holdings", "history"):  # nothing known: empty
        table = getattr(world, name)
        assert table.empty and list(table.columns) == list(empty_table(name).columns)
    assert world.manifest["generator"]["name"].startswith("recsys import")
    hires = world.outcomes[world.outcomes["stage"] == 4]
    assert hires["hired_at"].notna().all() and hires["left_at"].notna().sum() == 9


def test_skills_are_read_from_the_text_when_the_export_has_none(example):
    report, world = example
    assert report.skills["candidates_read_from_text"] == 56
    assert report.skills["roles_read_from_text"] == 10
    referenced = {
        s
        for col in (world.candidates["skills"], world.roles["required_skills"])
        for x in col
        for s in x
    }
    assert referenced == set(world.skills["skill_id"])  # the skills table holds what is referenced
    labels = dict(zip(world.skills["skill_id"], world.skills["label"], strict=True))
    devops = world.roles.set_index("role_id").loc["R-105", "required_skills"]
    assert {"Kubernetes", "Linux"} <= {labels[s] for s in devops}
    assert (world.candidates["skills"].str.len() > 0).all()
    # years from the résumé's dates or statements; unknown stays unknown
    years = world.candidates["years_experience"]
    assert years.notna().sum() == report.derived["years_experience_from_text"] == 51
    assert years.isna().sum() == report.derived["years_experience_unknown"]


def test_the_renamed_export_imports_into_the_same_world(example, tmp_path):
    _, world = example
    out = tmp_path / "renamed"
    import_ats_csv(RENAMED, out, RENAMED / "mapping.yaml", encoder=None)
    renamed = load_world(out)
    for name, table in world.tables().items():
        pd.testing.assert_frame_equal(renamed.tables()[name], table, check_like=False)


# ------------------------------------------------------------------ mapping
def test_mapping_defaults_and_stage_names():
    m = load_mapping(None)
    assert m.file("applications") == "applications.csv" and m.header("roles", "title") == "title"
    table = load_mapping({"stages": {"Phone_Screen": 1, "Ghosted": 0}}).stage_table()
    assert table["phone screen"] == 1 and table["ghosted"] == 0 and table["hired"] == 4
    assert (
        "applied" not in load_mapping({"default_stages": False, "stages": {"x": 0}}).stage_table()
    )


def test_mapping_file_problems_name_the_file_and_key(tmp_path):
    bad = tmp_path / "m.yaml"
    bad.write_text("columns:\n  applications: {stage_name: Status}\nstages: {Offer: 7}\n")
    with pytest.raises(ValueError) as err:
        load_mapping(bad)
    text = str(err.value)
    assert text.startswith(f"{bad}: 2 problem(s)")
    assert "columns: applications: unknown schema column(s) ['stage_name']" in text
    assert "stages: every value must be an int in [0, 4]. Got {'Offer': 7}" in text
    bad.write_text("files: {people: p.csv}\n")
    with pytest.raises(ValueError, match=r"files\.people.*found 'people'"):
        load_mapping(bad)
    with pytest.raises(ValueError, match="mapping file not found"):
        load_mapping(tmp_path / "nope.yaml")
    good = tmp_path / "m.json"
    good.write_text(json.dumps({"columns": {"applications": {"stage": "Status"}}}))
    assert load_mapping(good).header("applications", "stage") == "Status"


def test_headers_and_stages_map_without_editing_the_csvs(tmp_path):
    src = _write(
        tmp_path / "export",
        people="""
Applicant ID,Résumé
c1,"Python developer"
c2,"Barista"
""",
        roles="""
Job Req ID,Job Title,Job Description
r1,Backend Engineer,"Python APIs"
""",
        applications="""
APPLICANT ID , Job Req ID,Applied On,Status,Hire Date
c1,r1,03/15/2024,Offer Accepted,04/01/2024
c2,r1,03/16/2024,Phone-Screen,
""",
    )
    mapping = {
        "files": {"candidates": "people.csv"},
        "columns": {
            "candidates": {"candidate_id": "Applicant ID", "resume_text": "Résumé"},
            "roles": {
                "role_id": "Job Req ID",
                "title": "Job Title",
                "description": "Job Description",
            },
            "applications": {
                "candidate_id": "Applicant ID",  # headers match case- and space-insensitively
                "role_id": "Job Req ID",
                "applied_at": "Applied On",
                "stage": "Status",
                "hired_at": "Hire Date",
            },
        },
        "stages": {"Offer Accepted": 4},
        "date_format": "%m/%d/%Y",
    }
    report = import_ats_csv(src, tmp_path / "w", mapping, encoder=None)
    out = load_world(report.path).outcomes
    assert out["stage"].tolist() == [4, 1]
    assert out["hired_at"].iloc[0] == pd.Timestamp("2024-04-01")
    assert report.observed_until == "2024-04-01"  # the latest date in the export


# ------------------------------------------------------------------ validation
def test_cell_problems_name_file_row_and_the_exports_header(tmp_path):
    src = _small(
        tmp_path / "export",
        applications="""
Applicant,Req,applied_at,Status,hired_at
c1,r1,2024-01-05,Hired,2024-02-01
c2,r2,15/01/2024,interview,
c2,r1,2024-03-01,Ghosted,
,r2,2024-04-01,Screen,
""",
    )
    (src / "candidates.csv").write_text(
        'candidate_id,resume_text\nc1,"Python"\nc2,"Barista"\nc2,"again"\n', encoding="utf-8"
    )
    mapping = {
        "columns": {
            "applications": {"candidate_id": "Applicant", "role_id": "Req", "stage": "Status"}
        }
    }
    with pytest.raises(WorldValidationError) as err:
        import_ats_csv(src, tmp_path / "w", mapping, encoder=None)
    where = _problems(err)
    assert ("applications.csv", 2, "applied_at") in where
    assert ("applications.csv", 3, "Status") in where
    assert ("applications.csv", 4, "Applicant") in where
    assert ("candidates.csv", 3, "candidate_id") in where  # a duplicate id
    text = str(err.value)
    assert "applications.csv, row 3, column 'Status': expected a stage" in text
    assert "found 'Ghosted'" in text and "found '15/01/2024'" in text
    assert not (tmp_path / "w").exists() and _leftovers(tmp_path) == []


def test_world_rules_are_reported_under_the_exports_names(tmp_path):
    src = _small(
        tmp_path / "export",
        applications="""
Applicant,role_id,applied_at,stage,Hire Date,left_at
c1,r1,2024-01-05,hired,,
c2,r2,2024-02-01,interview,2024-03-01,
c9,r1,2024-03-01,applied,,
""",
    )
    mapping = {"columns": {"applications": {"candidate_id": "Applicant", "hired_at": "Hire Date"}}}
    with pytest.raises(WorldValidationError) as err:
        import_ats_csv(src, tmp_path / "w", mapping, encoder=None)
    text = str(err.value)
    assert "applications.csv, row 1, column 'Hire Date': expected a hire date for stage 4" in text
    assert "applications.csv, row 2, column 'Hire Date': expected empty below stage 4" in text
    # once those are fixed, the unknown person is named the same way
    (src / "applications.csv").write_text(
        "Applicant,role_id,applied_at,stage\nc1,r1,2024-01-05,applied\nc9,r1,2024-03-01,applied\n"
    )
    with pytest.raises(WorldValidationError) as err:
        import_ats_csv(src, tmp_path / "w", mapping, encoder=None)
    assert str(err.value).count("problem") and (
        "applications.csv, row 2, column 'Applicant': expected an id present in candidates.csv, "
        "found unknown id 'c9'"
    ) in str(err.value)


def test_missing_files_and_columns_are_named(tmp_path):
    src = _small(tmp_path / "export")
    (src / "roles.csv").unlink()
    with pytest.raises(WorldValidationError) as err:
        import_ats_csv(src, tmp_path / "w", encoder=None)
    assert ("roles.csv", None, None) in _problems(err)
    _small(src)
    mapping = {"columns": {"applications": {"stage": "Status"}}}
    with pytest.raises(WorldValidationError) as err:
        import_ats_csv(src, tmp_path / "w", mapping, encoder=None)
    assert ("applications.csv", None, "Status") in _problems(err)
    assert "the mapping's header for 'stage'" in str(err.value)


def test_encoding_problems_and_a_byte_order_mark(tmp_path):
    src = _small(tmp_path / "export")
    text = (src / "candidates.csv").read_text(encoding="utf-8")
    (src / "candidates.csv").write_bytes("\ufeff".encode() + text.encode())  # Excel's UTF-8
    import_ats_csv(src, tmp_path / "w", encoder=None)
    (src / "candidates.csv").write_bytes(text.replace("Barista", "Baristá").encode("latin-1"))
    with pytest.raises(WorldValidationError, match=r"candidates\.csv: expected UTF-8 text"):
        import_ats_csv(src, tmp_path / "w2", encoder=None)


# ------------------------------------------------------------------ skills and optional tables
def test_named_skills_resolve_and_unknown_names_stay_as_their_own(tmp_path):
    report = import_ats_csv(_small(tmp_path / "export"), tmp_path / "w", encoder=None)
    world = load_world(report.path)
    skills = world.skills.set_index("skill_id")
    c2 = world.candidates.set_index("candidate_id").loc["c2", "skills"]
    assert [skills.loc[s, "label"] for s in c2] == ["customer service", "SQL", "Frobnication"]
    assert skills.loc["ats-skill:frobnication", "group"] == "imported"
    assert report.unresolved_skills == ["Frobnication"]
    assert (
        report.skills["candidates_named"] == 1 and report.skills["candidates_read_from_text"] == 1
    )
    c1 = world.candidates.set_index("candidate_id").loc["c1", "skills"]
    assert {"Kubernetes", "PostgreSQL"} <= {skills.loc[s, "label"] for s in c1}


def test_optional_history_credentials_and_holdings_are_imported(tmp_path):
    src = _small(
        tmp_path / "export",
        history="""
candidate_id,title,started_at,ended_at
c1,Backend developer,2018-01-01,2023-12-31
c2,Barista,2020-05-01,
""",
        credentials="""
credential_id,name,skills,level
k8s,Certified Kubernetes Administrator,Kubernetes,2
""",
        holdings="""
candidate_id,credential_id,issued_at,verified
c1,k8s,2022-06-01,yes
""",
    )
    report = import_ats_csv(src, tmp_path / "w", encoder=None)
    assert report.absent_tables == []
    world = load_world(report.path)
    assert len(world.history) == 2 and world.history["ended_at"].isna().sum() == 1
    assert world.credentials["level"].tolist() == [2]
    assert world.holdings["verified"].tolist() == [True]
    assert world.skills.set_index("skill_id").loc[world.credentials["skills"][0][0], "label"] == (
        "Kubernetes"
    )


def test_zero_row_tables_are_valid_only_where_nothing_may_be_known(tmp_path, handmade):
    world, path = handmade
    for name in ("holdings", "history"):
        empty_table(name).to_parquet(path / f"{name}.parquet")
    os.remove(path / "manifest.json")
    assert validate_world(path) == []
    world.candidates.iloc[:0].to_parquet(path / "candidates.parquet")
    assert any(
        p.file == "candidates.parquet" and p.found == "no rows" for p in validate_world(path)
    )


# ------------------------------------------------------------------ writing
def test_a_failed_import_leaves_no_half_world(tmp_path, monkeypatch):
    src, out = _small(tmp_path / "export"), tmp_path / "w"
    import_ats_csv(src, out, encoder=None)
    before = (out / "manifest.json").read_bytes()

    def boom(*args, **kwargs):
        raise RuntimeError("the skill reader failed")

    monkeypatch.setattr("recsys.data.ats.read_skills", boom)
    with pytest.raises(RuntimeError):
        import_ats_csv(src, out, encoder=None, overwrite=True)
    with pytest.raises(RuntimeError):
        import_ats_csv(src, tmp_path / "new", encoder=None)
    assert (out / "manifest.json").read_bytes() == before and validate_world(out) == []
    assert not (tmp_path / "new").exists() and _leftovers(tmp_path) == []


def test_an_existing_world_is_replaced_only_with_overwrite(tmp_path):
    src, out = _small(tmp_path / "export"), tmp_path / "w"
    import_ats_csv(src, out, encoder=None)
    with pytest.raises(FileExistsError, match="overwrite"):
        import_ats_csv(src, out, encoder=None)
    import_ats_csv(src, out, encoder=None, overwrite=True, fmt="csv")
    assert (out / "candidates.csv").is_file() and not (out / "candidates.parquet").exists()
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "keep.txt").write_text("mine")
    with pytest.raises(FileExistsError, match="not a world folder"):
        import_ats_csv(src, tmp_path / "notes", encoder=None, overwrite=True)
    with pytest.raises(ValueError, match="outside the export folder"):
        import_ats_csv(src, src / "world", encoder=None)


# ------------------------------------------------------------------ CLI and the whole path
def _import_cli(src: Path, out: Path, *extra: str):
    return runner.invoke(
        app,
        ["import", "--from", "ats-csv", str(src), "--out", str(out), "--encoder", "none", *extra],
    )


def test_cli_import_reports_and_fails_with_every_problem(tmp_path):
    src = _small(tmp_path / "export")
    result = _import_cli(src, tmp_path / "w", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["counts"]["outcomes"] == 4
    (src / "applications.csv").write_text(
        "candidate_id,role_id,applied_at,stage\nc1,r1,soon,hired\n"
    )
    result = _import_cli(src, tmp_path / "w2")
    assert result.exit_code == 1
    assert "applications.csv, row 1, column 'applied_at': expected a date" in result.output
    wrong = runner.invoke(
        app, ["import", "--from", "greenhouse", str(src), "--out", str(tmp_path / "x")]
    )
    assert wrong.exit_code != 0 and "ats-csv" in wrong.output


def _small_config(tmp_path: Path, world: Path) -> Path:
    """configs/train-small.yaml on the HashingEncoder, without MLflow, writing under tmp_path."""
    cfg = yaml.safe_load((ROOT / "configs" / "train-small.yaml").read_text())
    cfg.update(world=str(world), out=str(tmp_path / "artifacts"))
    cfg["embedding"].update(model="hashing:128", cache_dir=None)
    cfg["fit"].update(n_estimators=200)
    path = tmp_path / "train.yaml"
    path.write_text(yaml.safe_dump(cfg))
    return path


def test_import_train_shortlist_on_the_example_export(tmp_path):
    world = tmp_path / "worlds" / "ats"
    imported = runner.invoke(
        app, ["import", "--from", "ats-csv", str(EXPORT), "--out", str(world), "--encoder", "none"]
    )
    assert imported.exit_code == 0, imported.output
    assert runner.invoke(app, ["validate", str(world)]).exit_code == 0
    config = _small_config(tmp_path, world)
    trained = runner.invoke(
        app, ["train", "--config", str(config), "--world", str(world), "--no-track", "--json"]
    )
    assert trained.exit_code == 0, trained.output
    report = json.loads(trained.output[trained.output.index("{") :])["report"]
    assert report["counts"]["test_roles"] == 3 and report["counts"]["test_applications"] == 51
    assert 0 < report["ranking"]["ranker"]["ndcg@10"] <= 1
    bundle = tmp_path / "artifacts" / "bundle"  # a model bundle: the data goes to a store
    store = tmp_path / "stores" / "ats"
    init = ["store", "init", "--store", str(store), "--world", str(world), "--model", str(bundle)]
    assert runner.invoke(app, init).exit_code == 0
    listed = runner.invoke(
        app,
        ["shortlist", "--model", str(bundle), "--store", str(store), "--role", "R-110", "--k", "5"]
        + ["--json"],
    )
    assert listed.exit_code == 0, listed.output
    rows = json.loads(listed.output[listed.output.index("{") :])["results"]
    assert len(rows) == 5 and len({round(r["fit"], 9) for r in rows}) > 1  # not a flat list


@pytest.mark.slow
def test_readme_quickstart_with_the_real_encoder(tmp_path, monkeypatch):
    """The README's commands as written (packaged MiniLM, configs/train-small.yaml, MLflow)."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".cache").symlink_to(ROOT / ".cache", target_is_directory=True)
    shutil.copytree(ROOT / "configs", tmp_path / "configs")
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{tmp_path / 'mlflow.db'}")
    steps = [
        ["import", "--from", "ats-csv", str(EXPORT), "--out", "worlds/ats"],
        ["train", "--config", "configs/train-small.yaml", "--world", "worlds/ats"],
        ["store", "init", "--store", "stores/ats", "--world", "worlds/ats"]
        + ["--model", "models:/recsys-ats@champion"],
        [
            "shortlist",
            "--model",
            "models:/recsys-ats@champion",
            "--store",
            "stores/ats",
            "--role",
            "R-110",
            "--k",
            "10",
            "--json",
        ],
    ]
    for args in steps:
        result = runner.invoke(app, args)
        assert result.exit_code == 0, (args, result.output)
    rows = json.loads(result.output[result.output.index("{") :])["results"]
    top = [r["candidate_id"] for r in rows[:5]]
    backend = {f"C-{i}" for i in range(1001, 1009)}  # the backend engineers of the export
    assert len(set(top) & backend) >= 4, top
