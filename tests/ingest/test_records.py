from __future__ import annotations

import json

import pandas as pd
import pytest
from resume_files import resume_docx

from recsys.data.schemas import ENTITIES
from recsys.ingest import RecordError, read_file, read_files
from recsys.ingest.records import KINDS, parse_date


def _layout_ok(result):
    for name in KINDS:
        frame = result.tables[name]
        assert list(frame.columns) == ENTITIES[name].columns
        ENTITIES[name].model.validate(frame)


def test_record_error_str():
    e = RecordError(
        "resumes.json", 3, "work[0].startDate", "expected a date YYYY-MM-DD, found '2020-13'"
    )
    assert (
        str(e)
        == "resumes.json record 3 field 'work[0].startDate': expected a date YYYY-MM-DD, found '2020-13'"
    )
    assert (
        str(RecordError("a.pdf", None, None, "expected x, found y")) == "a.pdf: expected x, found y"
    )


def test_parse_date():
    assert parse_date("2020") == pd.Timestamp("2020-01-01")
    assert parse_date("2020-05") == pd.Timestamp("2020-05-01")
    assert parse_date("2020-05-17") == pd.Timestamp("2020-05-17")
    for bad in ("2020-13", "", None, "soon"):
        with pytest.raises(ValueError, match="expected a date"):
            parse_date(bad)


def test_table_rows_validated_one_by_one(tmp_path):
    path = tmp_path / "candidates.csv"
    path.write_text(
        "candidate_id,resume_text,years_experience,skills\n"
        'c1,hello,3,"[""s1""]"\nc2,bye,x,\nc1,dup,1,\n,no id,2,\nc3,ok,,\n'
    )
    result = read_files(path)
    _layout_ok(result)
    assert result.tables["candidates"]["candidate_id"].tolist() == ["c1", "c3"]
    assert result.tables["candidates"]["skills"].tolist() == [["s1"], []]
    assert sorted((e.record, e.field) for e in result.errors) == [
        (2, "years_experience"), (3, "candidate_id"), (4, "candidate_id")
    ]  # fmt: skip
    assert result.counts["records"] == 5 and result.counts["rejected"] == 3


def test_kind_argument_and_missing_column(tmp_path):
    path = tmp_path / "export.jsonl"
    path.write_text(json.dumps({"candidate_id": "c1", "started_at": "2020-01-01"}) + "\n")
    result = read_files([path], kind="history")
    assert result.tables["history"].empty
    assert [(e.record, e.field) for e in result.errors] == [(None, "title")]
    unknown = read_files(path)
    assert "named after a table" in unknown.errors[0].why


def test_mixed_batch(tmp_path, resolver):
    resumes = tmp_path / "resumes.json"
    resumes.write_text(json.dumps([
        {"meta": {"id": "a"}, "basics": {"label": "Dev"}, "work": [{"position": "Dev", "startDate": "2020"}]},
        {"meta": {"id": "b"}, "work": [{"position": "Dev", "startDate": "2020-13"}]},
        {"foo": 1},
    ]))  # fmt: skip
    jobs = tmp_path / "jobs.json"
    jobs.write_text(json.dumps({"@type": "JobPosting", "identifier": "R1", "title": "Dev",
                                "description": "<p>Go</p>", "datePosted": "2024-01-01"}))  # fmt: skip
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    cv = tmp_path / "Ana Lima.docx"
    resume_docx(cv)
    again = tmp_path / "candidates.csv"
    again.write_text("candidate_id,resume_text\na,again\n")
    result = read_files([resumes, jobs, broken, cv, again], resolver=resolver)
    _layout_ok(result)
    cands = result.tables["candidates"]
    assert cands["candidate_id"].tolist() == ["a", "Ana Lima"]
    assert cands["headline"].tolist() == ["Dev", "Renée Okafor-Lindqvist"]
    assert cands["years_experience"].isna().tolist() == [False, True]
    assert result.tables["history"]["candidate_id"].tolist() == ["a"]
    assert result.tables["roles"]["role_id"].tolist() == ["R1"]
    where = sorted((e.file, str(e.record), e.field) for e in result.errors)
    assert where == [
        ("broken.json", "None", None),
        ("candidates.csv", "1", "candidate_id"),  # read from resumes.json already
        ("resumes.json", "2", "work[0].startDate"),
        ("resumes.json", "3", None),
    ]


def test_document_id_and_bad_document(tmp_path):
    cv = tmp_path / "cv.docx"
    resume_docx(cv)
    assert read_file(cv, candidate_id="C9").tables["candidates"]["candidate_id"].tolist() == ["C9"]
    bad = tmp_path / "scan.pdf"
    bad.write_bytes(b"%PDF-1.4 garbage")
    result = read_files([bad])
    assert result.tables["candidates"].empty and len(result.errors) == 1
    assert result.errors[0].file == "scan.pdf" and result.errors[0].why.startswith("expected")


def test_raises_only_on_paths(tmp_path):
    with pytest.raises(FileNotFoundError):
        read_files([tmp_path / "nope.csv"])
    odd = tmp_path / "cv.odt"
    odd.write_text("x")
    with pytest.raises(ValueError, match="unknown file type"):
        read_files([odd])
    with pytest.raises(ValueError, match="'kind' parameter"):
        read_files([], kind="skills")


def test_jsonld_extension_reads_as_json(tmp_path, resolver):
    """``postings.jsonld`` (the README's and docs/ingest.md's name) is a JobPosting file too."""
    from pathlib import Path

    src = Path(__file__).parents[2] / "examples" / "ingest" / "posting-data-engineer.json"
    path = tmp_path / "postings.jsonld"
    path.write_text(src.read_text("utf-8"), "utf-8")
    result = read_files(path, resolver=resolver)
    assert result.tables["roles"]["role_id"].tolist() == ["JP-2025-017"] and not result.errors
