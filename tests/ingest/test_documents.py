from __future__ import annotations

import pytest
from resume_files import LAYOUTS, resume_docx

from recsys.ingest.documents import DocumentError, extract_text, normalise


@pytest.mark.parametrize("layout", ["plain", "table", "two_column"])
def test_pdf_words_recovered(tmp_path, layout):
    path = tmp_path / f"{layout}.pdf"
    expected = LAYOUTS[layout](path)
    text = extract_text(path)
    words = set(text.split())
    want = " ".join(expected).split()
    assert sum(w in words for w in want) / len(want) == 1.0
    assert "\n" in text and "  " not in text


def test_pdf_reading_order_one_column(tmp_path):
    path = tmp_path / "plain.pdf"
    LAYOUTS["plain"](path)
    text = extract_text(path)
    assert text.index("Experience") < text.index("Contoso Logistics") < text.index("Education")


def test_docx_paragraphs_and_tables_in_order(tmp_path):
    path = tmp_path / "cv.docx"
    resume_docx(path)
    lines = extract_text(path).splitlines()
    assert lines[:2] == ["Renée Okafor-Lindqvist", "Senior Backend Engineer"]
    row = "2015-06 – 2019-02 | Software Engineer | Contoso Logistics"
    assert lines.index("Experience") < lines.index(row) < lines.index("Highlights")


def test_bad_files_raise_document_error(tmp_path):
    from pypdf import PdfWriter

    empty, junk, locked = tmp_path / "a.pdf", tmp_path / "b.docx", tmp_path / "c.pdf"
    empty.write_bytes(b"")
    junk.write_bytes(b"not a zip")
    writer = PdfWriter()
    writer.add_blank_page(200, 200)
    writer.encrypt("secret")
    writer.write(locked)
    blank = tmp_path / "d.pdf"
    writer = PdfWriter()
    writer.add_blank_page(200, 200)
    writer.write(blank)
    for path, said in ((empty, "empty"), (junk, "DOCX"), (locked, "password"), (blank, "OCR")):
        with pytest.raises(DocumentError, match=said):
            extract_text(path)


def test_normalise():
    assert normalise("  a \t b \r\n\n\n\nc\u00a0 d  \n") == "a b\n\nc d"
