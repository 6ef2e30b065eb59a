"""Vectorised string helpers of realistic résumés, and their education and extra lines.

Strings are numpy object arrays; ``+`` concatenates them element-wise and
``np.add.reduceat`` joins ragged groups, so a chunk's texts are built without a Python loop over
candidates.
"""

from __future__ import annotations

import functools
import re
from typing import TYPE_CHECKING

import numpy as np

from recsys.data import text_words as W

if TYPE_CHECKING:
    from recsys.data.resume_real import Career, ResumeWriter

FIELD_LIST = sorted({f for v in W.FIELDS.values() for f in v} | set(W.FIELDS_DEFAULT))
FIELD_IX = {f: i for i, f in enumerate(FIELD_LIST)}


def header(word: str, style: int) -> str:
    kind = W.HEADER_STYLES[style]
    if kind == "upper":
        return word.upper()
    if kind == "colon":
        return word + ":"
    if kind == "underline":
        return word + "\n" + "-" * len(word)
    return word


def headers(words: tuple[str, ...], wording: np.ndarray, style: np.ndarray) -> np.ndarray:
    """Per résumé: its header for a section (a wording in a style)."""
    table = [[header(wd, st) for st in range(len(W.HEADER_STYLES))] for wd in words]
    return np.array(table, dtype=object)[wording % len(words), style]


def strings(values) -> np.ndarray:
    return np.array(list(values), dtype=object)


def split_template(templates: tuple[str, ...], slot: str = "{L}") -> tuple[np.ndarray, np.ndarray]:
    """Text before and after ``slot`` in each template."""
    pre, suf = zip(*(t.split(slot, 1) for t in templates), strict=True)
    return strings(pre), strings(suf)


def unique(x: np.ndarray) -> np.ndarray:
    """Sorted distinct values (by sorting: numpy 2's hash-based ``np.unique`` is slower here)."""
    x = np.sort(x)
    keep = np.ones(len(x), dtype=bool)
    keep[1:] = x[1:] != x[:-1]
    return x[keep]


def bounds(owner: np.ndarray, n: int) -> np.ndarray:
    b = np.zeros(n + 1, dtype=np.int64)
    b[1:] = np.cumsum(np.bincount(owner, minlength=n))
    return b


def csr_pick(
    indptr: np.ndarray, indices: np.ndarray, rows: np.ndarray, u: np.ndarray
) -> np.ndarray:
    """A uniform entry of each CSR row (-1 where the row is empty)."""
    cnt = indptr[rows + 1] - indptr[rows]
    if not len(indices):
        return np.full(len(rows), -1, dtype=np.int64)
    pos = np.minimum(indptr[rows] + (u * cnt).astype(np.int64), len(indices) - 1)
    return np.where(cnt > 0, indices[pos], -1)


def choice(rng: np.random.Generator, p: tuple[float, ...], size: int) -> np.ndarray:
    return rng.choice(len(p), size=size, p=np.asarray(p) / np.sum(p))


def ragged_join(
    items, owner: np.ndarray, n: int, sep=", ", last_sep: str | None = None, lead=""
) -> np.ndarray:
    """Per owner 0..n-1: ``lead`` + its ``items`` (sorted by owner) joined by ``sep`` (a string,
    or one per owner), the last pair by ``last_sep`` when given ("a, b and c"); "" for owners
    without items.  ``lead`` (a string or one per owner) also goes before every later item when
    ``sep`` is per owner (bullet lists)."""
    b = bounds(owner, n).tolist()
    items = items.tolist() if isinstance(items, np.ndarray) else list(items)
    starts, ends = b[:-1], b[1:]
    if isinstance(sep, str) and isinstance(lead, str):
        glue = lead + sep if lead else sep
        if last_sep is None:
            out = [
                lead + glue.join(items[a:c]) if c > a else ""
                for a, c in zip(starts, ends, strict=True)
            ]
        else:
            out = [
                sep.join(items[a : c - 1]) + last_sep + items[c - 1]
                if c - a > 1
                else (items[a] if c > a else "")
                for a, c in zip(starts, ends, strict=True)
            ]
    else:
        seps = sep.tolist() if isinstance(sep, np.ndarray) else [sep] * n
        leads = lead.tolist() if isinstance(lead, np.ndarray) else [lead] * n
        out = [
            ld + (s + ld).join(items[a:c]) if c > a else ""
            for s, ld, a, c in zip(seps, leads, starts, ends, strict=True)
        ]
    return np.array(out, dtype=object)


@functools.cache
def _compiled(template: str, fields: tuple[str, ...]):
    """``template`` ("{title} at {company}") as a function of ``fields`` that concatenates.
    The templates are this package's constants (``text_words``), never user input."""
    parts = re.split(r"\{(\w+)\}", template)
    expr = " + ".join(repr(p) if i % 2 == 0 else p for i, p in enumerate(parts) if p) or "''"
    return eval(f"lambda {', '.join(fields)}: {expr}")  # noqa: S307


def fill_each(templates: tuple[str, ...], which, cols: dict[str, list]) -> list[str]:
    """Row i: ``templates[which[i]]`` filled from row i of ``cols`` (lists or arrays)."""
    fields = tuple(cols)
    fns = [_compiled(t, fields) for t in templates]
    which = which.tolist() if isinstance(which, np.ndarray) else which
    lists = [v.tolist() if isinstance(v, np.ndarray) else v for v in cols.values()]
    return [fns[k](*row) for k, row in zip(which, zip(*lists, strict=True), strict=True)]


def _month_tables() -> np.ndarray:
    """[style 0-3, month 0-11, year - 1900] -> "2019", "Mar 2019", "03/2019", "March 2019"."""
    years = range(1900, 2101)
    return np.array(
        [
            [[str(y) for y in years]] * 12,
            [[f"{m} {y}" for y in years] for m in W.MONTHS],
            [[f"{k + 1:02d}/{y}" for y in years] for k in range(12)],
            [[f"{m} {y}" for y in years] for m in W.MONTHS_LONG],
        ],
        dtype=object,
    )


_MONTH_YEAR = _month_tables()
_YEAR = strings(str(y) for y in range(1900, 2101))


def month(days: np.ndarray) -> np.ndarray:
    return days.astype("datetime64[D]").astype("datetime64[M]").astype(np.int64)


def dates(car: Career, style: np.ndarray, dash: np.ndarray, present: np.ndarray) -> np.ndarray:
    """Per history row: "2019 – present", "Mar 2017 - Jun 2019", "03/2017-06/2019",
    "March 2017 to June 2019", "since May 2021" (``style`` 0-3, per row)."""
    s, e = month(car.h_start), month(car.h_end)
    start = _MONTH_YEAR[style, s % 12, np.clip(s // 12 + 70, 0, 200)]
    stop = _MONTH_YEAR[style, e % 12, np.clip(e // 12 + 70, 0, 200)]
    is_open = car.h_open
    plain = start + dash + np.where(is_open, present, stop)
    spelt = np.where(is_open, "since " + start, start + " to " + stop)
    return np.where(style == 3, spelt, plain)


class Named:
    """(candidate, skill) pairs the pieces of a text name."""

    def __init__(self) -> None:
        self.c: list[np.ndarray] = []
        self.s: list[np.ndarray] = []

    def add(self, c: np.ndarray, s: np.ndarray) -> None:
        self.c.append(np.asarray(c, dtype=np.int64))
        self.s.append(np.asarray(s, dtype=np.int64))

    def book(self, book, keys: np.ndarray, owner: np.ndarray) -> None:
        self.add(*book.named(keys, owner))

    def arrays(self) -> tuple[np.ndarray, np.ndarray]:
        if not self.c:
            return np.zeros(0, np.int64), np.zeros(0, np.int64)
        return np.concatenate(self.c), np.concatenate(self.s)


def education(
    w: ResumeWriter,
    car: Career,
    last: np.ndarray,
    occ0: np.ndarray,
    head: np.ndarray,
    rng: np.random.Generator,
    named: Named,
) -> np.ndarray:
    """An education line (degree level by the ISCO major group of the latest job, field by the
    sub-major group of the first one), for 85% of the candidates; ``head``: section headers."""
    n = len(car.years)
    keep = rng.random(n) < 0.85
    cum = np.cumsum(w.degree_p[w.major[occ0]], axis=1)
    level = np.minimum((rng.random(n)[:, None] > cum).sum(axis=1), len(W.DEGREES) - 1)
    degree = w.degrees[level, rng.integers(0, 60, n) % w.degree_n[level]]
    f_start, f_cnt = w.field_indptr[car.ho[last]], np.diff(w.field_indptr)[car.ho[last]]
    field_key = w.field_indices[f_start + (rng.random(n) * f_cnt).astype(np.int64)]
    pick = rng.integers(0, 360, (3, n))
    year = np.clip(
        (car.h_start[last] // 365.25).astype(np.int64) + 70 - rng.integers(0, 2, n), 0, 200
    )
    cols = {
        "degree": degree,
        "field": strings(w.fields.texts(field_key)),
        "uni": w.universities[pick[0] % len(w.universities)],
        "year": _YEAR[year],
    }
    line = strings(fill_each(W.EDUCATION_LINES, pick[2] % len(W.EDUCATION_LINES), cols))
    named.book(w.fields, field_key[keep], np.flatnonzero(keep))
    return np.where(keep, head + "\n" + line, "")


def extras(
    w: ResumeWriter, car: Career, head: np.ndarray, rng: np.random.Generator, named: Named
) -> np.ndarray:
    """Languages, interests, volunteering, a course, a line such as "References on request";
    each with p ``resume_extras_rate`` (x 1, 0.8, 0.4, 0.4, 0.8), under a header half the time."""
    n = len(car.years)
    rate = w.cfg.resume_extras_rate * np.array([[1.0], [0.8], [0.4], [0.4], [0.8]])
    has = rng.random((5, n)) < rate
    pick = rng.integers(0, 360, (8, n))
    titled = rng.random(n) < 0.5
    lines = np.full((5, n), "", dtype=object)
    r = np.flatnonzero(has[0])  # 1-3 distinct languages (steps of 3 through 8) with levels
    langs, levels = strings(W.LANGUAGES), strings(W.LANGUAGE_LEVELS)
    n_lang, p1, p3 = 1 + pick[0][r] % 3, pick[1][r], pick[3][r]
    lang = "Languages: " + langs[p1 % 8] + " (" + levels[p3 % 6] + ")"
    for k in (1, 2):
        more = ", " + langs[(p1 + 3 * k) % 8] + " (" + levels[(p3 + k) % 6] + ")"
        lang = np.where(n_lang > k, lang + more, lang)
    lines[0, r] = lang
    n_hob = 2 + pick[5] % 2
    hob = (pick[4][:, None] + 5 * np.arange(3)) % len(W.HOBBIES)  # distinct: steps of 5 in 16
    r = np.flatnonzero(has[1])
    hob_txt = strings(w.hobbies.texts(hob[r].ravel())).reshape(len(r), 3)
    lines[1, r] = np.where(
        n_hob[r] == 3,
        "Interests: " + hob_txt[:, 0] + ", " + hob_txt[:, 1] + " and " + hob_txt[:, 2],
        "Interests: " + hob_txt[:, 0] + " and " + hob_txt[:, 1],
    )
    vol = pick[6] % len(W.VOLUNTEER)
    lines[2, has[2]] = strings(w.volunteer.texts(vol[has[2]]))
    course = pick[7] % len(W.COURSES)
    course_pre, course_suf = split_template(W.COURSES, "{year}")
    r = np.flatnonzero(has[3])
    lines[3, r] = course_pre[course[r]] + _YEAR[125 - pick[6][r] % 8] + course_suf[course[r]]
    lines[4, has[4]] = strings(W.MISC_LINES)[pick[2][has[4]] % len(W.MISC_LINES)]
    owner = np.nonzero(has.T)  # (candidate, line kind), candidate-major
    body = ragged_join(lines[owner[1], owner[0]], owner[0], n, "\n")
    hob_owner = np.repeat(np.arange(n), 3)[(np.arange(3)[None, :] < n_hob[:, None]).ravel()]
    hob_keys = hob[np.arange(3)[None, :] < n_hob[:, None]]
    h = np.isin(hob_owner, np.flatnonzero(has[1]))
    named.book(w.hobbies, hob_keys[h], hob_owner[h])
    w.courses.texts(course[has[3]])
    named.book(w.volunteer, vol[has[2]], np.flatnonzero(has[2]))
    named.book(w.courses, course[has[3]], np.flatnonzero(has[3]))
    return np.where(body == "", "", np.where(titled, head + "\n" + body, body))


def article(word: str) -> str:
    """ "a" or "an" before ``word`` (by its first letter)."""
    return "an" if word[:1].lower() in "aeiou" else "a"
