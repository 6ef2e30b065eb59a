"""Text of a résumé file: PDF (pypdf) or DOCX (python-docx).

:func:`extract_text` returns the text with whitespace normalised (runs of spaces and tabs
collapsed, one blank line at most between blocks, lines kept) and raises :class:`DocumentError`
(a ``ValueError``) for a file that gives no text: encrypted, corrupt, empty, or a scanned image
(no OCR is done).  :func:`recsys.ingest.read_files` turns that into a ``RecordError``.

pypdf was chosen over pdfplumber and PyMuPDF (``docs/ingest.md``, "Résumé files"): the same
fidelity on the measured layouts, the fastest, pure Python and BSD-licensed (PyMuPDF is AGPL).
DOCX: body paragraphs and tables in document order, a table row per line (cells joined by
`` | ``, a merged cell once).
"""

from __future__ import annotations

import logging
import re
from pathlib import Path

__all__ = ["DocumentError", "extract_text", "normalise"]

_SPACES = re.compile(r"[ \t\f\v\u00a0\u2000-\u200b\u3000]+")


class DocumentError(ValueError):
    """A document that gives no text; the message says "expected …, found …"."""


def normalise(text: str) -> str:
    """Spaces collapsed per line, at most one blank line between blocks, ends stripped."""
    lines = [_SPACES.sub(" ", line).strip() for line in text.replace("\r", "\n").split("\n")]
    out: list[str] = []
    for line in lines:
        if line or (out and out[-1]):
            out.append(line)
    return "\n".join(out).strip()


def _pdf(path: Path) -> str:
    from pypdf import PdfReader

    logging.getLogger("pypdf").setLevel(logging.ERROR)  # a damaged file is reported, not logged
    try:
        reader = PdfReader(path)
        if reader.is_encrypted and not reader.decrypt(""):
            raise DocumentError("expected an unencrypted PDF, found a password-protected one")
        pages = [page.extract_text() or "" for page in reader.pages]
    except DocumentError:
        raise
    except Exception as err:  # any parser failure is a property of the file: report it
        raise DocumentError(f"expected a readable PDF, found {type(err).__name__}: {err}") from err
    return "\n\n".join(pages)


def _docx(path: Path) -> str:
    from docx import Document
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    try:
        doc = Document(str(path))
    except Exception as err:  # not a zip, no document part, damaged XML, …
        raise DocumentError(f"expected a readable DOCX, found {type(err).__name__}: {err}") from err
    blocks = []
    for item in doc.iter_inner_content():
        if isinstance(item, Paragraph):
            blocks.append(item.text)
        elif isinstance(item, Table):
            for row in item.rows:
                cells: list[str] = []
                for cell in row.cells:
                    text = " ".join(cell.text.split())
                    if text and (not cells or cells[-1] != text):  # merged cells repeat
                        cells.append(text)
                blocks.append(" | ".join(cells))
    return "\n".join(blocks)


def extract_text(path: str | Path) -> str:
    """The text of the PDF or DOCX file ``path`` (see the module doc)."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in (".pdf", ".docx"):
        raise ValueError(f"{path}: expected a .pdf or .docx file, found {suffix!r}")
    if path.stat().st_size == 0:
        raise DocumentError("expected a document, found an empty file")
    text = normalise(_pdf(path) if suffix == ".pdf" else _docx(path))
    if not text:
        raise DocumentError("expected text, found none (a scanned image? OCR is not done)")
    return text
