"""Numbers people write in résumés and job descriptions: years of experience, seniority words.

Used where an entity is known only by text (:mod:`recsys.adhoc`): a free-text candidate's
``years_experience`` and a free-text role's ``seniority`` come from here instead of staying unknown.

- :func:`years_of_experience`: an explicit statement ("8+ years of experience", "over 5 yrs in
  retail") wins; otherwise the span of the dated jobs ("2015 – 2019", "Mar 2017 - present",
  "2019-now"), from the earliest start to the latest end (``present`` = the reference year),
  overlaps counted once.  NaN when the text says neither.
- :func:`seniority_level`: the 0–4 scale of the data model from the words of a title or the first
  lines of a job description: 0 intern / trainee / apprentice / junior / graduate / entry-level,
  1 associate, 3 senior, 4 lead / principal / head / director / chief ("staff" is not read: a
  staff nurse is not a staff engineer); a plain title
  ("Data scientist") is 2 only when the text states no level at all — NaN is reserved for empty
  text.  The strongest level named in the title line wins; later lines are read only when the title
  names none.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date

import numpy as np

__all__ = ["seniority_level", "years_of_experience"]

_NUM = r"(?<![\d.])(\d{1,2}(?:\.\d)?)"
_STATED = re.compile(
    rf"(?i)(?:over|more than|at least|nearly|almost|about|~)?\s*{_NUM}\s*\+?\s*(?:years?|yrs?)\b"
    r"(?:\s+(?:of\s+)?(?:professional\s+|hands-on\s+|industry\s+|relevant\s+|work\s+)?"
    r"(?:experience|exp\b))"
)
_STATED_LOOSE = re.compile(rf"(?i)\b{_NUM}\s*\+?\s*(?:years?|yrs?)\s+(?:in|as|of)\b")
_MONTH = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?"
_YEAR = r"((?:19|20)\d{2})"
_RANGE = re.compile(
    rf"(?i)(?:{_MONTH}\s*)?(?:\d{{1,2}}/)?{_YEAR}\s*(?:-|–|—|to|until)\s*"
    rf"(?:(?:{_MONTH}\s*)?(?:\d{{1,2}}/)?{_YEAR}|(present|now|current|today|date))"
)

_LEVELS = (
    (4, r"lead|principal|head of|head|director|chief|vp|vice president|c[tei]o"),
    (3, r"senior|sr\.?|expert"),
    (1, r"associate"),
    (0, r"intern|internship|trainee|apprentice|junior|jr\.?|graduate|entry[- ]level"),
)
_LEVEL_RE = [(lvl, re.compile(rf"(?i)(?<![\w-])(?:{words})(?![\w-])")) for lvl, words in _LEVELS]


def _years_one(text: str, ref_year: int) -> float:
    stated = [float(m.group(1)) for m in _STATED.finditer(text)]
    stated = stated or [float(m.group(1)) for m in _STATED_LOOSE.finditer(text)]
    stated = [y for y in stated if 0 < y <= 50]
    if stated:
        return max(stated)
    spans = []
    for m in _RANGE.finditer(text):
        start = int(m.group(1))
        end = ref_year if m.group(3) else int(m.group(2))
        if 1950 <= start <= end <= ref_year:
            spans.append((start, end))
    if not spans:
        return float("nan")
    spans.sort()
    total, (cur_a, cur_b) = 0, spans[0]
    for a, b in spans[1:]:  # union of the job spans
        if a <= cur_b:
            cur_b = max(cur_b, b)
        else:
            total, (cur_a, cur_b) = total + cur_b - cur_a, (a, b)
    total += cur_b - cur_a
    return float(max(total, 0.5))


def years_of_experience(texts: Sequence[str], ref_year: int | None = None) -> np.ndarray:
    """Years of experience stated in (or spanned by the dates of) each text; NaN if neither."""
    year = ref_year if ref_year is not None else date.today().year
    return np.asarray([_years_one(t if isinstance(t, str) else "", year) for t in texts])


def _level_of(line: str) -> int | None:
    found = [lvl for lvl, pattern in _LEVEL_RE if pattern.search(line)]
    return max(found) if found else None


def seniority_level(texts: Sequence[str], lines: int = 3) -> np.ndarray:
    """Seniority 0–4 named by each text's title line (else its next ``lines`` lines); 2 when
    none is named, NaN for empty text."""
    out = np.full(len(texts), np.nan)
    for i, text in enumerate(texts):
        rows = [
            r.strip() for r in (text if isinstance(text, str) else "").splitlines() if r.strip()
        ]
        if not rows:
            continue
        level = _level_of(rows[0])
        for row in rows[1 : 1 + lines] if level is None else ():
            level = _level_of(row) if level is None else level
        out[i] = 2 if level is None else level
    return out
