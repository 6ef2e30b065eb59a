"""Reading and writing one entity table (CSV, Parquet or JSONL), collecting problems instead of failing.

List-valued columns are JSON arrays in CSV (``["a", "b"]``), native lists in Parquet and JSONL.
Row numbers in problems are 1-based data rows (row 1 is the first record after a CSV header).
"""

from __future__ import annotations

import io
import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pandera.errors

from recsys.data.schemas import ENTITIES, Entity

SUFFIXES = (".parquet", ".csv", ".jsonl")
_BOOLS = {"true": True, "1": True, "yes": True, "false": False, "0": False, "no": False}


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input, precise enough to find and fix it."""

    file: str
    row: int | None
    column: str | None
    expected: str
    found: str

    def __str__(self) -> str:
        where = self.file
        if self.row is not None:
            where += f", row {self.row}"
        if self.column is not None:
            where += f", column '{self.column}'"
        return f"{where}: expected {self.expected}, found {self.found}"


class WorldValidationError(ValueError):
    """Raised with every problem found, so one run of `validate` tells the whole story."""

    def __init__(self, problems: list[Problem], max_shown: int = 50):
        self.problems = problems
        shown = "\n".join(f"  - {p}" for p in problems[:max_shown])
        more = f"\n  … and {len(problems) - max_shown} more" if len(problems) > max_shown else ""
        super().__init__(f"{len(problems)} problem(s) found:\n{shown}{more}")


class AmbiguousTableError(ValueError):
    """Two files for one table (``roles.csv`` and ``roles.parquet``): which one is meant?"""


def find_table(folder: Path, name: str) -> Path | None:
    """The file holding entity ``name`` in ``folder`` (.parquet, .csv or .jsonl), if any.

    Two or more of them raise :class:`AmbiguousTableError`: reading one and ignoring the other
    would answer from data the user may not have meant."""
    found = [folder / f"{name}{s}" for s in SUFFIXES if (folder / f"{name}{s}").exists()]
    if len(found) > 1:
        raise AmbiguousTableError(
            f"{folder}: expected one file for the '{name}' table. Got "
            f"{', '.join(p.name for p in found)}; remove all but one."
        )
    return found[0] if found else None


def _bool_problems(frame: pd.DataFrame, entity: Entity, file: str) -> list[Problem]:
    """Boolean columns from text hold a fixed vocabulary (true/false, yes/no, 1/0, any case);
    any other word is a problem (a plain cast would read "maybe" or "Flase" as true)."""
    problems: list[Problem] = []
    for col in entity.bool_columns:
        if col not in frame:
            continue
        values = []
        for i, v in enumerate(frame[col].tolist()):
            if (
                isinstance(v, bool | np.bool_)
                or v is None
                or (isinstance(v, float) and np.isnan(v))
            ):
                values.append(v)
                continue
            word = _BOOLS.get(str(v).strip().lower())
            if word is None:
                problems.append(
                    Problem(file, i + 1, col, "true/false, yes/no or 1/0", repr(v)[:80])
                )
            values.append(word)
        frame[col] = pd.Series(values, index=frame.index, dtype=object)
    return problems


def _decode_text(path: Path) -> tuple[str | None, Problem | None]:
    raw = path.read_bytes()
    try:
        return raw.decode("utf-8"), None
    except UnicodeDecodeError as err:
        line = raw[: err.start].count(b"\n") + 1
        found = f"byte 0x{raw[err.start]:02x} at line {line}, offset {err.start}"
        return None, Problem(path.name, None, None, "UTF-8 text", found)


def _parse_lists(frame: pd.DataFrame, entity: Entity, file: str) -> list[Problem]:
    """CSV cells of list columns are JSON arrays; turn them into lists in place."""
    problems: list[Problem] = []
    for col in entity.list_columns:
        if col not in frame:
            continue
        parsed = []
        for i, cell in enumerate(frame[col].tolist()):
            if isinstance(cell, list):
                parsed.append(cell)
                continue
            if cell is None or (isinstance(cell, float) and np.isnan(cell)) or cell == "":
                parsed.append([])
                continue
            try:
                value = json.loads(cell)
            except (TypeError, json.JSONDecodeError):
                value = None
            if not isinstance(value, list):
                problems.append(Problem(file, i + 1, col, "a JSON array of ids", repr(cell)[:80]))
                value = []
            parsed.append(value)
        frame[col] = parsed
    return problems


def _normalise_arrays(frame: pd.DataFrame, entity: Entity) -> None:
    """Parquet gives numpy arrays for list columns; the schemas expect Python lists."""
    for col in entity.list_columns:
        if col in frame:
            frame[col] = [list(v) if isinstance(v, np.ndarray | list) else v for v in frame[col]]


def read_raw(path: Path, entity: Entity) -> tuple[pd.DataFrame | None, list[Problem]]:
    """Read ``path`` into an un-validated frame, or report why it cannot be read."""
    name = path.name
    if path.stat().st_size == 0:
        return None, [Problem(name, None, None, "a non-empty file", "an empty file")]
    try:
        if path.suffix == ".parquet":
            frame = pd.read_parquet(path)
            _normalise_arrays(frame, entity)
            problems: list[Problem] = []
        else:
            text, problem = _decode_text(path)
            if problem:
                return None, [problem]
            if path.suffix == ".csv":
                frame = pd.read_csv(
                    io.StringIO(text), dtype=str, keep_default_na=False, na_values=[""]
                )
                problems = _parse_lists(frame, entity, name)
                for col in entity.blank_text_columns:
                    if col in frame:
                        frame[col] = frame[col].fillna("")
                problems += _bool_problems(frame, entity, name)
            else:
                frame = pd.read_json(io.StringIO(text), lines=True, dtype=False)
                _normalise_arrays(frame, entity)
                problems = _bool_problems(frame, entity, name)
    except Exception as err:  # any reader failure is a problem with the file, not a crash
        return None, [
            Problem(
                name,
                None,
                None,
                f"a readable {path.suffix[1:]} table",
                f"{type(err).__name__}: {err}".splitlines()[0][:200],
            )
        ]
    if frame.empty and not entity.may_be_empty:
        return None, [Problem(name, None, None, "at least one row", "no rows")]
    return frame.reset_index(drop=True), problems


def _from_schema_errors(err: pandera.errors.SchemaErrors, file: str) -> list[Problem]:
    problems = []
    cases = err.failure_cases
    for case in cases.itertuples(index=False):
        check = str(case.check)
        if check == "column_in_dataframe":
            problems.append(
                Problem(file, None, str(case.failure_case), "this column", "it missing")
            )
        elif check == "column_in_schema":
            problems.append(
                Problem(
                    file, None, str(case.failure_case), "no such column", "an unexpected column"
                )
            )
        else:
            row = None if pd.isna(case.index) else int(case.index) + 1
            column = None if pd.isna(case.column) else str(case.column)
            expected = {
                "not_nullable": "a value (required field)",
                "field_uniqueness": "a unique id",
            }.get(check, check)
            if check.startswith("coerce_dtype") or check.startswith("dtype"):
                expected = f"type {check.split('(', 1)[-1].rstrip(')')}"
            found = "empty / NaN" if check == "not_nullable" else repr(case.failure_case)[:80]
            if check == "field_uniqueness":
                found = f"duplicate {case.failure_case!r}"
            problems.append(Problem(file, row, column, expected, found))
    return problems


def validate_table(
    frame: pd.DataFrame, entity: Entity, file: str
) -> tuple[pd.DataFrame | None, list[Problem]]:
    """Check one table against its schema; return the coerced frame or the problems."""
    absent = [c for c in entity.optional_columns if c not in frame.columns]
    if absent:  # an optional column left out of a file means "unknown" on every row
        frame = frame.assign(**{c: None for c in absent})
    try:
        valid = entity.model.validate(frame, lazy=True)
    except pandera.errors.SchemaErrors as err:
        return None, _from_schema_errors(err, file)
    problems = _check_rows(valid, entity, file)
    return (None if problems else valid), problems


def _rows(mask: np.ndarray) -> list[int]:
    return (np.flatnonzero(mask) + 1).tolist()


def _check_rows(frame: pd.DataFrame, entity: Entity, file: str) -> list[Problem]:
    """Within-table rules the column schema cannot say: date order, composite keys, funnel."""
    problems = []
    for earlier, later in entity.date_order:
        bad = (frame[later] < frame[earlier]).to_numpy()
        for row in _rows(bad):
            problems.append(
                Problem(
                    file,
                    row,
                    later,
                    f"a date on or after '{earlier}'",
                    f"{frame[later].iloc[row - 1]} < {frame[earlier].iloc[row - 1]}",
                )
            )
    if entity.unique_together:
        dup = frame.duplicated(list(entity.unique_together)).to_numpy()
        for row in _rows(dup):
            key = ", ".join(str(frame[c].iloc[row - 1]) for c in entity.unique_together)
            problems.append(
                Problem(
                    file,
                    row,
                    "+".join(entity.unique_together),
                    "a unique combination",
                    f"duplicate ({key})",
                )
            )
    if entity.name == "outcomes":
        hired = (frame["stage"] == 4).to_numpy()
        has_hire = frame["hired_at"].notna().to_numpy()
        for row in _rows(hired & ~has_hire):
            problems.append(Problem(file, row, "hired_at", "a hire date for stage 4", "empty"))
        for row in _rows(~hired & has_hire):
            problems.append(
                Problem(
                    file,
                    row,
                    "hired_at",
                    "empty below stage 4 (hired)",
                    str(frame["hired_at"].iloc[row - 1]),
                )
            )
        orphan_exit = (frame["left_at"].notna() & frame["hired_at"].isna()).to_numpy()
        for row in _rows(orphan_exit):
            problems.append(
                Problem(
                    file,
                    row,
                    "left_at",
                    "empty when not hired",
                    str(frame["left_at"].iloc[row - 1]),
                )
            )
        late_exit = (frame["left_at"] > frame["observed_until"]).to_numpy()
        for row in _rows(late_exit):
            problems.append(
                Problem(
                    file,
                    row,
                    "left_at",
                    "a date on or before 'observed_until'",
                    str(frame["left_at"].iloc[row - 1]),
                )
            )
    return problems


def _to_csv_cells(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    for col in out.columns:
        if out[col].map(lambda v: isinstance(v, list | np.ndarray)).astype(bool).any():
            out[col] = [json.dumps(list(v), ensure_ascii=False) for v in out[col]]
    return out


def write_table(frame: pd.DataFrame, path: str | Path) -> Path:
    """Write ``frame`` to ``path`` (format by suffix) atomically: temp file, then rename."""
    path = Path(path)
    if path.suffix not in SUFFIXES:
        raise ValueError(
            f"Unsupported table format '{path.suffix}' for {path}; "
            f"expected one of {', '.join(SUFFIXES)}"
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    try:
        if path.suffix == ".parquet":
            frame.to_parquet(tmp, index=False, compression="zstd")
        elif path.suffix == ".csv":
            _to_csv_cells(frame).to_csv(tmp, index=False, date_format="%Y-%m-%dT%H:%M:%S")
        else:
            frame.to_json(tmp, orient="records", lines=True, date_format="iso", force_ascii=False)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return path


def entity_for(name: str) -> Entity:
    try:
        return ENTITIES[name]
    except KeyError:
        raise ValueError(
            f"Unknown entity '{name}'; expected one of {', '.join(ENTITIES)}"
        ) from None
