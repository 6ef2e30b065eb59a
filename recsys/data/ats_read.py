"""Read an ATS export's CSV files into typed frames, collecting every cell problem.

Problems name the export's file, the 1-based data row (row 1 = the first line after the header,
as in :mod:`recsys.data.tables`) and the export's own header, with what was expected and found.
Only the columns of :data:`recsys.data.ats_mapping.COLUMNS` are read; the others are reported as
ignored.  Frames keep the export's row order (later problems point at the same rows).
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from recsys.data.ats_mapping import COLUMNS, OPTIONAL_TABLES, REQUIRED, AtsMapping, stage_key
from recsys.data.ats_skills import SkillResolver, split_names
from recsys.data.tables import Problem, WorldValidationError

__all__ = ["Export", "read_export"]

DATES = {
    "applied_at",
    "hired_at",
    "left_at",
    "observed_until",
    "opened_at",
    "started_at",
    "ended_at",
    "issued_at",
    "expires_at",
    "profile_at",
}
IDS = {"candidate_id", "role_id", "credential_id"}
BOOLS = {"open_to_remote", "is_employee", "remote", "verified"}
NUMBERS = {"years_experience": float, "level": int, "validity_months": int}
SKILLS = {"skills", "required_skills", "optional_skills"}
NULLABLE = {"current_role_id", "occupation"}
_BOOL = {"true": True, "yes": True, "y": True, "1": True, "t": True}
_BOOL |= {"false": False, "no": False, "n": False, "0": False, "f": False}
# where each table's named skills go in Export.named
_NAMED = {"skills": "", "required_skills": "", "optional_skills": ".optional"}


@dataclass
class Export:
    """The parsed export: typed frames with schema column names, in the export's row order."""

    files: dict[str, str]  # table -> file name (tables read)
    tables: dict[str, pd.DataFrame]
    named: dict[str, list[list[str] | None]]  # "candidates", "roles", "roles.optional", …
    observed_until: pd.Timestamp
    ignored: dict[str, list[str]] = field(default_factory=dict)
    derived: dict[str, int] = field(default_factory=dict)


def _norm(header: object) -> str:
    return " ".join(str(header).split()).lower()


def _read_csv(path: Path, file: str) -> tuple[pd.DataFrame | None, list[Problem]]:
    raw = path.read_bytes()
    if not raw.strip():
        return None, [
            Problem(file, None, None, "a CSV file with a header and rows", "an empty file")
        ]
    try:
        text = raw.decode("utf-8-sig")  # Excel's exports start with a byte-order mark
    except UnicodeDecodeError as err:
        line = raw[: err.start].count(b"\n") + 1
        found = f"byte 0x{raw[err.start]:02x} at line {line} (save the export as UTF-8)"
        return None, [Problem(file, None, None, "UTF-8 text", found)]
    try:
        frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
    except Exception as err:  # a malformed file is a problem with the file, not a crash
        found = f"{type(err).__name__}: {err}".splitlines()[0][:200]
        return None, [Problem(file, None, None, "a readable CSV table", found)]
    if frame.empty:
        return None, [Problem(file, None, None, "at least one row", "no rows")]
    return frame, []


def _dates(cells: pd.Series, fmt: str | None) -> pd.Series:
    """Naive UTC timestamps (NaT where blank or unreadable)."""
    text = cells.str.strip().replace("", None)
    parsed = pd.to_datetime(text, format=fmt or "ISO8601", utc=True, errors="coerce")
    return parsed.dt.tz_localize(None).astype("datetime64[ns]")


class _Table:
    """One export file being converted; ``problems`` collects what is wrong with it."""

    def __init__(self, table: str, file: str, frame: pd.DataFrame, mapping: AtsMapping):
        self.table, self.file, self.raw, self.mapping = table, file, frame, mapping
        self.problems: list[Problem] = []
        by_norm = {_norm(h): h for h in frame.columns}
        self.headers: dict[str, str] = {}  # schema column -> export header found
        for col in COLUMNS[table]:
            want = mapping.header(table, col)
            if _norm(want) in by_norm:
                self.headers[col] = by_norm[_norm(want)]
            elif col in REQUIRED[table]:
                mapped = want != col
                expected = f"a column '{want}'" + (
                    f" (the mapping's header for '{col}')" if mapped else " (required)"
                )
                found = "no such column; headers are " + ", ".join(repr(h) for h in frame.columns)
                self.problems.append(Problem(file, None, want, expected, found[:300]))
        used = set(self.headers.values())
        self.ignored = [h for h in frame.columns if h not in used]

    def bad(self, rows: np.ndarray, col: str, expected: str, cells: pd.Series) -> None:
        for i in rows[:200]:
            found = repr(cells.iat[i])[:80] if cells.iat[i].strip() else "empty"
            self.problems.append(Problem(self.file, int(i) + 1, self.headers[col], expected, found))

    def convert(self, resolver: SkillResolver) -> tuple[pd.DataFrame, dict[str, list]]:
        out: dict[str, Any] = {}
        named: dict[str, list] = {}
        for col, header in self.headers.items():
            cells = self.raw[header].astype(str)
            blank = (cells.str.strip() == "").to_numpy()
            required = col in REQUIRED[self.table]
            if col in DATES:
                fmt = self.mapping.date_format
                values = _dates(cells, fmt)
                how = f"date_format {fmt!r}" if fmt else "ISO 8601, e.g. 2024-03-15"
                self.bad(
                    np.flatnonzero(values.isna().to_numpy() & ~blank), col, f"a date ({how})", cells
                )
            elif col in BOOLS:
                values = cells.str.strip().str.lower().map(_BOOL)
                wrong = values.isna().to_numpy() & ~blank
                self.bad(np.flatnonzero(wrong), col, "true/false, yes/no or 1/0", cells)
                values = values.fillna(False).astype(bool)
            elif col in NUMBERS:
                values = pd.to_numeric(cells.str.strip(), errors="coerce")
                kind = NUMBERS[col]
                wrong = (values.isna().to_numpy() & ~blank) | (
                    (kind is int) & values.notna().to_numpy() & (values % 1 != 0).to_numpy()
                )
                self.bad(
                    np.flatnonzero(wrong), col, f"{'a whole' if kind is int else 'a'} number", cells
                )
                values = (
                    values.where(~wrong) if kind is float else values.where(~wrong).astype("Int64")
                )
            elif col == "stage":
                ordinal = self.mapping.stage_table()
                values = pd.Series(
                    [ordinal.get(stage_key(v)) for v in cells], index=cells.index, dtype=float
                )
                own = ", ".join(sorted(self.mapping.stages))[:120]
                expected = (
                    "a stage: 0-4, applied, screened, interviewed, offered, hired"
                    + (f", {own}" if own else "")
                    + " or a synonym in docs/ats-import.md (add others under 'stages:' "
                    "in the mapping file)"
                )
                self.bad(np.flatnonzero(values.isna().to_numpy() & ~blank), col, expected, cells)
            elif col == "seniority":
                values = self._seniority(cells, blank)
            elif col in SKILLS:
                key = self.table + _NAMED[col]
                named[key] = self._skills(cells, col, resolver)
                continue
            else:  # ids and text
                values = cells.str.strip()
                if col in NULLABLE:
                    values = values.where(~blank, None)
            if required and blank.any():
                self.bad(np.flatnonzero(blank), col, "a value (required field)", cells)
            out[col] = values
        return pd.DataFrame(out, index=self.raw.index), named

    def _seniority(self, cells: pd.Series, blank: np.ndarray) -> pd.Series:
        from recsys.textparse import seniority_level

        text = cells.str.strip()
        digit = text.where(text.isin([str(i) for i in range(5)]))
        words = seniority_level([t if not b else "" for t, b in zip(text, blank, strict=True)])
        return pd.to_numeric(digit, errors="coerce").fillna(pd.Series(words, index=text.index))

    def _skills(self, cells: pd.Series, col: str, resolver: SkillResolver) -> list:
        out: list[list[str] | None] = []
        for i, cell in enumerate(cells):
            try:
                names = split_names(cell, self.mapping.list_separators)
            except ValueError:
                self.bad(np.array([i]), col, "a JSON array of skill names", cells)
                names = None
            out.append(None if names is None else resolver.resolve(names))
        return out


def read_export(
    src: str | Path, mapping: AtsMapping, resolver: SkillResolver
) -> tuple[Export, list[Problem]]:
    """Parse the export in folder ``src``: the export and its cell problems (unreadable cells are
    left empty).  Raises ``WorldValidationError`` when a file or required column is missing or
    unreadable (nothing can be built then)."""
    src = Path(src)
    if not src.is_dir():
        raise WorldValidationError(
            [Problem(str(src), None, None, "an export folder", "no such folder")]
        )
    problems: list[Problem] = []  # files and columns: nothing can be built without them
    cells: list[Problem] = []
    files, tables, named, ignored = {}, {}, {}, {}
    for table in COLUMNS:
        file = mapping.file(table)
        path = src / file
        if not path.is_file():
            if table not in OPTIONAL_TABLES:
                problems.append(
                    Problem(file, None, None, f"a file in {src} (required)", "no such file")
                )
            continue
        frame, read_problems = _read_csv(path, file)
        problems += read_problems
        if frame is None:
            continue
        t = _Table(table, file, frame, mapping)
        if t.problems:
            problems += t.problems
            continue
        tables[table], found = t.convert(resolver)
        named.update(found)
        cells += t.problems
        files[table], ignored[table] = file, t.ignored
    if problems:
        raise WorldValidationError(problems + cells)
    return Export(files, tables, named, _observed_until(tables, mapping), ignored), cells


def _observed_until(tables: dict[str, pd.DataFrame], mapping: AtsMapping) -> pd.Timestamp:
    """The export date: the mapping's, else the latest date of the applications and roles."""
    if mapping.observed_until is not None:
        return pd.Timestamp(mapping.observed_until)
    dates = [
        tables[name][col].max()
        for name in ("applications", "roles")
        for col in tables[name].columns
        if col in DATES
    ]
    dates = [d for d in dates if pd.notna(d)]
    return pd.Timestamp(max(dates)) if dates else pd.Timestamp.now().normalize()
