"""PDF text extraction for résumé files: pypdf vs pdfplumber vs PyMuPDF, fidelity and speed.

    python benchmarks/document_text.py --repeat 5 --json

Writes four résumé PDFs (``tests/ingest/resume_files.py``: one column with header and footer,
two columns, a table, three dense pages) into a temporary folder and extracts each with every
library installed.  Per library and layout it prints:

- ``in_order``: the share of the expected words (the file's lines in reading order, split on
  whitespace) recovered in that order — the longest common subsequence of the expected and the
  extracted word sequences (``difflib.SequenceMatcher`` matching blocks), divided by the
  expected word count;
- ``recall``: the share of expected words present at all (multiset overlap);
- ``ms``: median milliseconds per file over ``--repeat`` runs.
"""

from __future__ import annotations

import argparse
import difflib
import json
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "ingest"))

from resume_files import LAYOUTS  # noqa: E402


def _pypdf(path: Path) -> str:
    from pypdf import PdfReader

    return "\n".join(page.extract_text() or "" for page in PdfReader(path).pages)


def _pypdf_layout(path: Path) -> str:
    from pypdf import PdfReader

    pages = PdfReader(path).pages
    return "\n".join(page.extract_text(extraction_mode="layout") or "" for page in pages)


def _pdfplumber(path: Path) -> str:
    import pdfplumber

    with pdfplumber.open(path) as pdf:
        return "\n".join(page.extract_text() or "" for page in pdf.pages)


def _pymupdf(path: Path) -> str:
    import pymupdf

    with pymupdf.open(path) as doc:
        return "\n".join(page.get_text(sort=True) for page in doc)


def _recsys(path: Path) -> str:
    from recsys.ingest.documents import extract_text

    return extract_text(path)


READERS: dict[str, tuple[str, Callable[[Path], str]]] = {
    "pypdf": ("BSD-3-Clause", _pypdf),
    "pypdf-layout": ("BSD-3-Clause", _pypdf_layout),
    "pdfplumber": ("MIT (pdfminer.six: MIT)", _pdfplumber),
    "pymupdf": ("AGPL-3.0 or commercial", _pymupdf),
    "recsys.ingest.documents": ("(the chosen reader as shipped)", _recsys),
}


def fidelity(expected: list[str], text: str) -> dict[str, float]:
    want = " ".join(expected).split()
    got = text.split()
    blocks = difflib.SequenceMatcher(None, want, got, autojunk=False).get_matching_blocks()
    in_order = sum(b.size for b in blocks) / len(want)
    recall = sum((Counter(want) & Counter(got)).values()) / len(want)
    return {"in_order": round(in_order, 3), "recall": round(recall, 3)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=5, help="timed runs per file")
    parser.add_argument("--json", action="store_true", help="print JSON (the only output format)")
    args = parser.parse_args()
    out: dict[str, object] = {
        "method": "in_order = LCS(expected words, extracted words) / expected"
    }
    results: dict[str, dict[str, object]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        files = {}
        for layout, write in LAYOUTS.items():
            path = Path(tmp) / f"{layout}.pdf"
            files[layout] = (path, write(path))
        for name, (licence, read) in READERS.items():
            try:
                read(files["plain"][0])
            except ImportError:
                continue
            per: dict[str, object] = {}
            for layout, (path, expected) in files.items():
                times = []
                for _ in range(args.repeat):
                    t0 = time.perf_counter()
                    text = read(path)
                    times.append((time.perf_counter() - t0) * 1000)
                per[layout] = {**fidelity(expected, text), "ms": round(statistics.median(times), 2)}
            mean = statistics.mean(v["in_order"] for v in per.values())  # type: ignore[index]
            results[name] = {"licence": licence, "mean_in_order": round(mean, 3), **per}
    out["results"] = results
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
