"""ingest / erase through the live store, with the tiny serving model's reader and encoder."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import pandas as pd
import pytest
from resume_files import FONT, resume_docx

sys.path.insert(0, str(Path(__file__).parents[1]))
from serving_world import tiny_bundle  # noqa: E402

from recsys.features.evidence import read_resume_skills  # noqa: E402
from recsys.ingest import erase_candidates, ingest  # noqa: E402
from recsys.recommender import Recommender  # noqa: E402
from recsys.store import Store  # noqa: E402
from recsys.store.world_io import seed_store  # noqa: E402

RESUME = {
    "basics": {
        "name": "Ada Example",
        "label": "Data Engineer",
        "summary": "Builds pipelines in Python and SQL. UNIQUEMARKERQ7",
        "location": {"city": "Berlin"},
    },
    "work": [{"name": "Acme", "position": "Data Engineer", "startDate": "2019-02"}],
    "skills": [{"name": "Python"}, {"name": "SQL"}],
    "meta": {"id": "jr-ada"},
}


@pytest.fixture(scope="module")
def rec():
    return Recommender.from_uri(tiny_bundle())


@pytest.fixture
def store(tmp_path, rec):
    st = Store.open(tmp_path / "store", create=True)
    seed_store(st, rec.world, indexes=rec.indexes)
    yield st
    st.close()


def test_json_resume_is_read_embedded_and_indexed(tmp_path, store, rec):
    path = tmp_path / "ada.json"
    path.write_text(json.dumps(RESUME))
    report = ingest(store, [path], recommender=rec)
    assert report.errors == [] and report.added["candidates"] == 1 and report.added["history"] == 1
    assert report.embedded["candidates"] == 1  # only the new text: the seeded ones were reused
    row = store.get("candidates", ["jr-ada"]).iloc[0]
    assert len(row["skills"]) == 2 and row["headline"] == "Data Engineer"
    assert "jr-ada" in store.index("candidates")
    read = store.extracted("candidates", rec.reader_id)
    assert "jr-ada" in set(read["read"])
    # its text's term counts (BM25's input) are stored; the seeded ones are left for a scan
    from recsys.features.text import HashedBM25

    bm25 = HashedBM25()
    assert store.terms("candidates", ["jr-ada"], bm25.scheme, bm25.n_features)[0] == ["jr-ada"]
    assert "jr-ada" not in store.unhashed("candidates", bm25.scheme)
    # the same file again: nothing changes, nothing is embedded or read into a new version
    again = ingest(store, [path], recommender=rec)
    assert again.unchanged["candidates"] == 1 and again.embedded["candidates"] == 0


LINES = [
    "Maria Example",
    "Backend Engineer",
    "Experience",
    "Software Engineer, Northwind, 2019-03 - present",
    "- Designed REST APIs in Java and Python",
    "- Ran PostgreSQL databases on Kubernetes",
    "- Wrote unit tests and managed releases with Git",
    "Skills: Java, Python, SQL, Docker, project management",
]


def _pdf(path: Path, lines: list[str]) -> None:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_font("body", "", str(FONT))
    pdf.set_font("body", size=11)
    pdf.add_page()
    for line in lines:  # short lines: no wrapping, the page holds exactly the text
        pdf.cell(0, 7, line, new_x="LMARGIN", new_y="NEXT")
    pdf.output(str(path))


def test_pdf_and_docx_resumes_give_the_skills_of_their_text(tmp_path, store, rec):
    pdf, docx = tmp_path / "cv-pdf.pdf", tmp_path / "cv-docx.docx"
    _pdf(pdf, LINES)
    lines_docx = resume_docx(docx)
    report = ingest(store, [pdf, docx], recommender=rec)
    assert report.errors == [] and report.added["candidates"] == 2
    got = store.get("candidates", ["cv-pdf", "cv-docx"]).set_index("candidate_id")["skills"]
    for cid, lines in (("cv-pdf", LINES), ("cv-docx", lines_docx)):
        from_text = read_resume_skills(rec._skills, ["\n".join(lines)])[0]
        assert len(from_text) >= 3, "the test résumé names skills"
        assert sorted(got[cid]) == sorted(from_text), cid


def test_bad_records_are_reported_and_skipped(tmp_path, store, rec):
    cand = rec.world.candidates.iloc[0]["candidate_id"]
    holdings = pd.DataFrame(
        {
            "candidate_id": [cand, "nobody"],
            "credential_id": [rec.world.credentials.iloc[0]["credential_id"]] * 2,
            "issued_at": ["2020-01-01", "2020-01-01"],
            "expires_at": ["", ""],
            "verified": ["true", "true"],
        }
    )
    path = tmp_path / "holdings.csv"
    holdings.to_csv(path, index=False)
    report = ingest(store, [path], recommender=rec)
    assert report.skipped == 1 and "nobody" in str(report.errors[0])
    assert report.updated.get("holdings", 0) + report.added.get("holdings", 0) == 1


def test_erasure_leaves_no_trace_in_store_or_cache(tmp_path, rec):
    from recsys.embedding import HashingEncoder

    encoder = HashingEncoder(dim=64, cache_dir=tmp_path / "cache")
    st = Store.open(tmp_path / "store", create=True)
    seed_store(st, rec.world, indexes=rec.indexes)
    path = tmp_path / "ada.json"
    path.write_text(json.dumps(RESUME))
    ingest(st, [path], recommender=rec)
    text = st.texts("candidates", ["jr-ada"]).tolist()
    encoder.encode(text)  # the cache now holds the vector of this person's text
    assert encoder._disk.count() == 1
    assert erase_candidates(st, ["jr-ada"], encoder=encoder) == 1
    assert encoder._disk.count() == 0
    assert st.get("candidates", ["jr-ada"]).empty and "jr-ada" not in st.index("candidates")
    assert "jr-ada" not in set(st.extracted("candidates")["read"])
    st.close()
    for folder in (tmp_path / "store", tmp_path / "cache"):
        for file in folder.rglob("*"):
            if file.is_file():
                data = file.read_bytes()
                assert b"UNIQUEMARKERQ7" not in data and b"jr-ada" not in data, file
    shutil.rmtree(tmp_path / "store")


def test_erasure_forgets_the_sentences_the_skill_reader_embedded(tmp_path, rec):
    """Reading a résumé's skills embeds its sentences and spans, so the encoder's cache holds
    vectors keyed by them; erasing the person with the reader forgets those too."""
    from recsys.embedding import HashingEncoder, text_key
    from recsys.features.evidence import resume_reader_texts
    from recsys.skills import SkillExtractor

    encoder = HashingEncoder(dim=64, cache_dir=tmp_path / "cache")
    reader = SkillExtractor(rec.world.skills, encoder=encoder).fit()
    st = Store.open(tmp_path / "store", create=True)
    seed_store(st, rec.world, indexes=rec.indexes)
    path = tmp_path / "ada.json"
    path.write_text(json.dumps(RESUME))
    ingest(st, [path], recommender=rec)
    resume = st.get("candidates", ["jr-ada"])["resume_text"].tolist()
    read_resume_skills(reader, resume)
    sentences = resume_reader_texts(reader, resume)
    assert any("UNIQUEMARKERQ7" in s for s in sentences)
    keys = [text_key(s) for s in sentences]
    assert len(encoder._disk.get(encoder.model_id, keys, 64)) == len(keys)
    other = "Another person runs payroll for a bakery."
    encoder.encode([other])
    assert erase_candidates(st, ["jr-ada"], encoder=encoder, reader=reader) == 1
    assert encoder._disk.get(encoder.model_id, keys, 64) == {}
    assert len(encoder._disk.get(encoder.model_id, [text_key(other)], 64)) == 1  # not theirs
    st.close()


def test_replacing_a_resume_forgets_the_old_texts_cached_vectors(tmp_path, rec):
    """An upsert with another résumé text drops the cached vectors of the old one (its entity
    text, sentences and spans), so that the person's erasure later leaves none behind."""
    from recsys.embedding import text_key
    from recsys.features.evidence import resume_reader_texts

    st = Store.open(tmp_path / "store", create=True)
    seed_store(st, rec.world, indexes=rec.indexes)
    enc, reader = rec.encoder, rec._skills
    assert enc._disk is not None and reader.encoder is enc

    def cached(texts: list[str]) -> int:
        return len(enc._disk.get(enc.model_id, [text_key(t) for t in texts], enc.dim))

    def stored_texts() -> list[str]:
        resume = st.get("candidates", ["jr-ada"])["resume_text"].tolist()
        return st.texts("candidates", ["jr-ada"]).tolist() + resume_reader_texts(reader, resume)

    path = tmp_path / "ada.json"
    path.write_text(json.dumps(RESUME))
    ingest(st, [path], recommender=rec)
    old = stored_texts()
    assert cached(old) == len(set(old))
    path.write_text(json.dumps(RESUME).replace("UNIQUEMARKERQ7", "Now also runs Spark."))
    report = ingest(st, [path], recommender=rec)
    assert report.updated["candidates"] == 1
    new = stored_texts()
    gone = set(old) - set(new)
    assert any("UNIQUEMARKERQ7" in t for t in gone)
    assert cached(sorted(gone)) == 0 and cached(new) == len(set(new))
    unchanged = ingest(st, [path], recommender=rec)  # the same résumé again: nothing forgotten
    assert unchanged.unchanged["candidates"] == 1 and cached(new) == len(set(new))
    st.close()
