"""Input files → rows of the world's entity tables, and one :class:`RecordError` per bad record.

    from recsys.ingest import read_files
    result = read_files(["candidates.csv", "resumes.json", "postings.json", "cv.pdf"])
    result.tables["candidates"], result.errors, result.counts

:func:`read_files` reads each file by its extension:

- ``.csv`` / ``.parquet`` / ``.jsonl``: rows of one entity table (``candidates``, ``roles``,
  ``history``, ``holdings``), named by ``kind`` or by the file name (``candidates.csv``,
  ``roles-2024.jsonl``: the stem, or its part before the first ``-``/``_``/``.``).  Columns the
  schema can do without get the import's defaults (:func:`blank_row`); each row is validated
  against the table's pandera model on its own, so a bad row is reported and the rest are kept.
- ``.json`` (or ``.jsonld``): a JSON Resume (:mod:`recsys.ingest.jsonresume`) or a schema.org
  JobPosting in JSON-LD (:mod:`recsys.ingest.jobposting`), alone, in an array, or (JobPosting) in ``@graph``.
- ``.pdf`` / ``.docx``: a résumé file (:mod:`recsys.ingest.documents`): one candidate whose id is
  the file stem (or ``candidate_id``), ``resume_text`` the extracted text, ``headline`` its first
  non-empty line; skills empty and years unknown (NaN): the skill reader and the free-text rules
  of :mod:`recsys.adhoc` read them later, as for any free-text candidate.

A record with any problem is left out whole (a résumé with one bad work date adds neither its
candidate row nor its history) and every problem is listed.  ``record`` in an error is the 1-based
row of a table file or the 1-based position of an object in a JSON file (1 for a lone object);
``None`` for a problem with the whole file.  Bad content never raises; a missing path or an
unknown extension raises ``FileNotFoundError`` / ``ValueError`` before anything is read.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pandera.errors

from recsys.data.ats_skills import LOCAL_PREFIX, SkillResolver
from recsys.data.schemas import ENTITIES
from recsys.data.tables import _from_schema_errors, read_raw

__all__ = [
    "KINDS",
    "SUFFIXES",
    "ReadResult",
    "RecordError",
    "blank_row",
    "empty_table",
    "parse_date",
    "read_file",
    "read_documents",
    "read_files",
    "skill_resolver",
    "to_table",
]

KINDS = ("candidates", "roles", "history", "holdings")
TABLE_SUFFIXES = (".csv", ".parquet", ".jsonl")
SUFFIXES = (*TABLE_SUFFIXES, ".json", ".jsonld", ".pdf", ".docx")

Rows = dict[str, list[dict[str, Any]]]  # table name -> rows of one record
Issue = tuple[str | None, str]  # (field, "expected …, found …")


@dataclass(frozen=True)
class RecordError:
    """One problem with one record of one input file."""

    file: str
    record: int | str | None  # 1-based row / position in the file, None = the whole file
    field: str | None  # column or JSON path (``work[0].startDate``)
    why: str  # "expected …, found …"

    def __str__(self) -> str:
        where = self.file
        if self.record is not None:
            where += f" record {self.record}"
        if self.field is not None:
            where += f" field '{self.field}'"
        return f"{where}: {self.why}"


@dataclass
class ReadResult:
    """Rows read from input files, per entity table, and what could not be read."""

    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    errors: list[RecordError] = field(default_factory=list)
    files: int = 0
    records: int = 0  # records seen (rows, JSON objects, documents), good or bad
    local_skills: dict[str, str] = field(default_factory=dict)  # ats-skill:<slug> -> name

    @property
    def rejected(self) -> int:
        """Records left out (a record with several problems counts once)."""
        return len({(e.file, e.record) for e in self.errors if e.record is not None})

    @property
    def counts(self) -> dict[str, int]:
        rows = {name: int(len(frame)) for name, frame in self.tables.items()}
        extra = {"files": self.files, "records": self.records, "rejected": self.rejected}
        return {**rows, **extra, "errors": len(self.errors)}


@functools.cache
def skill_resolver() -> SkillResolver:
    """The import's skill-name resolver (built once per process, ~2 s): names → taxonomy ids."""
    return SkillResolver()


def parse_date(value: Any) -> pd.Timestamp:
    """``YYYY``, ``YYYY-MM``, ``YYYY-MM-DD`` or an ISO date-time → a naive UTC timestamp
    (a year or month means its first day).  Raises ``ValueError`` with what was expected."""
    text = value.strip() if isinstance(value, str) else None
    if text is None or not text:
        raise ValueError(f"expected a date YYYY[-MM[-DD]], found {value!r}")
    parts = text.split("-")
    try:
        if len(text) == 4 and text.isdigit():
            return pd.Timestamp(int(text), 1, 1)
        if len(parts) == 2 and len(parts[0]) == 4 and len(parts[1]) == 2:
            return pd.Timestamp(int(parts[0]), int(parts[1]), 1)
        if len(text) == 10:
            return pd.Timestamp(int(parts[0]), int(parts[1]), int(parts[2]))
        stamp = pd.Timestamp(text)
    except (ValueError, IndexError):
        raise ValueError(f"expected a date YYYY-MM-DD, found {value!r}") from None
    if stamp.tzinfo is not None:
        stamp = stamp.tz_convert("UTC").tz_localize(None)
    return stamp


def blank_row(kind: str) -> dict[str, Any]:
    """Defaults of ``kind``'s columns that may be left out (as the ATS import fills them):
    list columns empty, nullable columns missing, flags false, free text empty.  Columns
    without a default (ids, titles, required dates and levels) are absent from the dict."""
    entity = ENTITIES[kind]
    out: dict[str, Any] = {}
    for name, col in entity.model.to_schema().columns.items():
        dtype = str(col.dtype)
        if name in entity.list_columns:
            out[name] = []
        elif col.nullable:
            out[name] = np.nan if dtype.startswith("float") else None
        elif dtype == "bool":
            out[name] = False
        elif dtype == "str" and name in entity.blank_text_columns:
            out[name] = ""
    return out


def empty_table(kind: str) -> pd.DataFrame:
    """Table ``kind`` with no rows, in its schema's column order and dtypes."""
    return ENTITIES[kind].model.validate(pd.DataFrame(columns=ENTITIES[kind].columns))


def to_table(
    frame: pd.DataFrame, kind: str, file: str, records: list[Any]
) -> tuple[pd.DataFrame, list[Any], list[RecordError]]:
    """Validate ``frame`` (rows of ``kind``; row i belongs to record ``records[i]``) row by row:
    the valid rows in the schema's dtypes, the record of each valid row, and the problems."""
    entity = ENTITIES[kind]
    frame = frame.reset_index(drop=True)
    errors: list[RecordError] = []
    bad: set[int] = set()

    def flag(i: int, column: str | None, why: str) -> None:
        bad.add(i)
        errors.append(RecordError(file, records[i], column, why))

    if entity.id_column in frame:
        ids = frame[entity.id_column]
        dup = ids.duplicated(keep="first").to_numpy() & ids.notna().to_numpy()
        for i in np.flatnonzero(dup):
            flag(int(i), entity.id_column, f"expected a unique id, found duplicate {ids[i]!r}")
    extra = [c for c in frame.columns if c not in entity.columns]
    frame = frame[[c for c in entity.columns if c in frame.columns] + extra]
    said: set[tuple[int, str | None]] = set()
    for _ in range(3):  # a cell that fails coercion also fails the column's checks: drop, retry
        try:
            entity.model.validate(frame.drop(index=sorted(bad)), lazy=True)
            break
        except pandera.errors.SchemaErrors as err:
            problems = _from_schema_errors(err, file)
        cells = [p for p in problems if p.row is not None]
        if not cells:  # a column missing or unexpected: no row of this file can be read
            errors += [RecordError(file, None, p.column, _why(p)) for p in problems]
            return empty_table(kind), [], errors
        for p in cells:
            assert p.row is not None
            if (p.row, p.column) not in said:  # one line per cell
                said.add((p.row, p.column))
                flag(p.row - 1, p.column, _why(p))
    keep = frame.drop(index=sorted(bad))
    try:
        valid = entity.model.validate(keep) if len(keep) else empty_table(kind)
    except pandera.errors.SchemaErrors as err:  # still failing after three passes: give up
        errors.append(RecordError(file, None, None, f"expected a valid {kind} table, found {err}"))
        return empty_table(kind), [], errors
    for earlier, later in entity.date_order:
        for pos in np.flatnonzero((valid[later] < valid[earlier]).to_numpy()):
            found = valid[later].iat[pos]
            flag(
                int(valid.index[pos]),
                later,
                f"expected a date on or after '{earlier}', found {found}",
            )
    kept = [i for i in valid.index if i not in bad]
    valid = valid.loc[kept, entity.columns].reset_index(drop=True)
    return valid, [records[i] for i in kept], errors


def _why(p: Any) -> str:
    return f"expected {p.expected}, found {p.found}"


Record = tuple[Any, Rows]  # (record key: 1-based row/position, its rows per table)


def _kind_of(path: Path, kind: str | None) -> str | None:
    if kind is not None:
        return kind
    stem = path.name[: -len(path.suffix)].lower()
    for sep in "-_.":
        stem = stem.split(sep)[0]
    return stem if stem in KINDS else None


def _read_table(path: Path, kind: str | None) -> tuple[list[Record], int, list[RecordError]]:
    """A table file → one record per row (columns the schema can do without filled)."""
    name = _kind_of(path, kind)
    if name is None:
        tables = ", ".join(KINDS)
        why = f"expected a file named after a table ({tables}) or a kind, found {path.name!r}"
        return [], 0, [RecordError(path.name, None, None, why)]
    raw, problems = read_raw(path, ENTITIES[name])
    errors = [RecordError(path.name, p.row, p.column, _why(p)) for p in problems]
    if raw is None:
        return [], 0, errors
    for col, value in blank_row(name).items():
        if col not in raw:
            raw[col] = [list(value) if isinstance(value, list) else value for _ in range(len(raw))]
    rows = raw.to_dict(orient="records")
    return [(n, {name: [row]}) for n, row in enumerate(rows, start=1)], len(rows), errors


def _read_json(
    path: Path, candidate_id: str | None, resolver: SkillResolver | None
) -> tuple[list[Record], int, list[RecordError]]:
    """A ``.json`` file → its JSON Resumes and JobPostings, one record per top-level object."""
    try:
        doc = json.loads(path.read_bytes().decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        why = f"expected a JSON document in UTF-8, found {type(err).__name__}: {err}"
        return [], 0, [RecordError(path.name, None, None, why[:240])]
    items = doc if isinstance(doc, list) else [doc]
    records, errors = _json_records(items, path.name, candidate_id, resolver)
    return records, len(items), errors


def _json_records(
    items: list[Any],
    file: str,
    candidate_id: str | None,
    resolver: SkillResolver | None,
    kind: str | None = None,
) -> tuple[list[Record], list[RecordError]]:
    """Parsed JSON objects → one record per JSON Resume / JobPosting; ``kind`` (``candidates`` or
    ``roles``) accepts only the documents of that table."""
    from recsys.ingest.jobposting import find_job_postings, read_job_posting
    from recsys.ingest.jsonresume import is_json_resume, read_resume

    records: list[Record] = []
    errors: list[RecordError] = []
    for n, item in enumerate(items, start=1):
        postings = find_job_postings(item)
        if postings and kind == "candidates":
            why = "expected a JSON Resume, found a schema.org JobPosting (a role)"
            errors.append(RecordError(file, n, None, why))
            continue
        if postings:  # one record per posting: ``n`` alone, or ``n`` and its path in the item
            for prefix, node in postings:
                key = n if len(postings) == 1 else f"{n}{prefix}"
                rows, issues = read_job_posting(node, resolver=resolver)
                errors += [RecordError(file, key, f, why) for f, why in issues]
                if not issues:
                    records.append((key, rows))
            continue
        if is_json_resume(item) and kind != "roles":
            explicit = candidate_id if len(items) == 1 else None
            rows, issues = read_resume(item, candidate_id=explicit, resolver=resolver)
        else:
            found = f"keys {sorted(item)[:6]}" if isinstance(item, dict) else type(item).__name__
            want = {
                "candidates": "a JSON Resume",
                "roles": "a schema.org JobPosting",
            }.get(kind or "", "a JSON Resume or a schema.org JobPosting")
            rows = {}
            issues = [(None, f"expected {want}, found {found}")]
        errors += [RecordError(file, n, f, why) for f, why in issues]
        if not issues:
            records.append((n, rows))
    return records, errors


def _read_document(
    path: Path, candidate_id: str | None
) -> tuple[list[Record], int, list[RecordError]]:
    from recsys.ingest.documents import DocumentError, extract_text

    try:
        text = extract_text(path)
    except DocumentError as err:
        return [], 1, [RecordError(path.name, None, None, str(err))]
    first = next((line.strip() for line in text.splitlines() if line.strip()), "")
    row = {**blank_row("candidates"), "candidate_id": candidate_id or path.stem}
    row.update(headline=first, resume_text=text)
    return [(1, {"candidates": [row]})], 1, []


def _check(paths: list[Path], kind: str | None) -> None:
    if kind is not None and kind not in KINDS:
        raise ValueError(f"The 'kind' parameter must be one of {', '.join(KINDS)}. Got {kind!r}.")
    for p in paths:
        if not p.is_file():
            raise FileNotFoundError(f"{p}: no such file")
        if p.suffix.lower() not in SUFFIXES:
            raise ValueError(
                f"{p}: unknown file type {p.suffix!r}; expected one of {', '.join(SUFFIXES)}"
            )


def _tables_of(
    file: str, records: list[Record], seen_ids: dict[str, dict[str, str]]
) -> tuple[dict[str, pd.DataFrame], list[RecordError]]:
    """Validate a file's records table by table; a record bad in any table is dropped from all."""
    frames: dict[str, tuple[pd.DataFrame, list[Any]]] = {}
    errors: list[RecordError] = []
    rejected: set[Any] = set()
    for kind in KINDS:
        pairs = [(key, row) for key, rows in records for row in rows.get(kind, [])]
        if not pairs:
            continue
        frame = pd.DataFrame([row for _, row in pairs])
        valid, keys, errs = to_table(frame, kind, file, [key for key, _ in pairs])
        errors += errs
        rejected |= {e.record for e in errs}
        if errs and not keys and any(e.record is None for e in errs):
            rejected |= {key for key, _ in pairs}
        id_col = ENTITIES[kind].id_column
        if id_col is not None:  # an id read from an earlier file of the same call
            earlier = seen_ids.setdefault(kind, {})
            for key, value in zip(keys, valid[id_col], strict=True):
                if value in earlier:
                    why = (
                        f"expected a unique id, found {value!r} already read from {earlier[value]}"
                    )
                    errors.append(RecordError(file, key, id_col, why))
                    rejected.add(key)
        frames[kind] = (valid, keys)
    out = {}
    for kind, (valid, keys) in frames.items():
        mask = np.array([k not in rejected for k in keys], dtype=bool)
        out[kind] = valid[mask].reset_index(drop=True) if len(keys) else valid
        id_col = ENTITIES[kind].id_column
        if id_col is not None:
            seen_ids.setdefault(kind, {}).update(dict.fromkeys(out[kind][id_col], file))
    return out, errors


def read_file(
    path: str | Path,
    *,
    kind: str | None = None,
    candidate_id: str | None = None,
    resolver: SkillResolver | None = None,
) -> ReadResult:
    """Read one file (see the module doc); ``candidate_id`` names the candidate of a résumé
    file (``.pdf``/``.docx``, or a ``.json`` holding one JSON Resume)."""
    ids = {str(path): candidate_id} if candidate_id is not None else None
    return read_files([path], kind=kind, candidate_ids=ids, resolver=resolver)


def read_files(
    paths: str | Path | Iterable[str | Path],
    *,
    kind: str | None = None,
    candidate_ids: Mapping[str, str] | None = None,
    resolver: SkillResolver | None = None,
) -> ReadResult:
    """Read every file of ``paths`` into one :class:`ReadResult` whose ``tables`` always hold
    ``candidates``, ``roles``, ``history`` and ``holdings`` (possibly empty) in the world's
    column layout and dtypes.

    ``kind``: the table of every ``.csv``/``.parquet``/``.jsonl`` file (default: each file's
    name).  ``candidate_ids``: ``{path as given: id}`` for résumé files.  ``resolver``: skill
    names → ids (default :func:`skill_resolver`, built on first use).  An id already read from an
    earlier file of the same call makes the later record an error.  Raises ``FileNotFoundError``
    or ``ValueError`` (unknown extension or ``kind``) before reading anything; never for content.
    """
    items = [paths] if isinstance(paths, str | Path) else list(paths)
    files = [Path(p) for p in items]
    _check(files, kind)
    ids = {str(k): v for k, v in (candidate_ids or {}).items()}
    result = ReadResult(files=len(files))
    collected: dict[str, list[pd.DataFrame]] = {k: [] for k in KINDS}
    seen_ids: dict[str, dict[str, str]] = {}
    for given, path in zip(items, files, strict=True):
        suffix = path.suffix.lower()
        if suffix in TABLE_SUFFIXES:
            records, n, errors = _read_table(path, kind)
        elif suffix in (".json", ".jsonld"):  # JSON-LD's own extension reads as JSON
            records, n, errors = _read_json(path, ids.get(str(given)), resolver)
        else:
            records, n, errors = _read_document(path, ids.get(str(given)))
        bad = {e.record for e in errors}
        records = [(key, rows) for key, rows in records if key not in bad]
        tables, more = _tables_of(path.name, records, seen_ids)
        result.records += n
        result.errors += errors + more
        for kind_, frame in tables.items():
            collected[kind_].append(frame)
    for name in KINDS:
        frames = [f for f in collected[name] if len(f)]
        result.tables[name] = pd.concat(frames, ignore_index=True) if frames else empty_table(name)
    result.local_skills = _local_skills(result.tables, resolver)
    return result


def read_documents(
    payload: Any,
    *,
    kind: str | None = None,
    source: str = "request body",
    candidate_id: str | None = None,
    resolver: SkillResolver | None = None,
) -> ReadResult:
    """Already-parsed JSON (an HTTP request's body) → a :class:`ReadResult`, as :func:`read_files`
    reads a ``.json`` or table file; errors name ``source`` as their file.

    ``payload``: a JSON Resume or a schema.org JobPosting (alone, in JSON-LD ``@graph``), a list
    of them, or ``{"rows": [...]}``: objects in the layout of table ``kind`` (columns the schema
    can do without get :func:`blank_row`'s defaults).  ``kind``: the table of ``rows``
    (required for them); ``candidates`` accepts only JSON Resumes and ``roles`` only
    JobPostings.  ``candidate_id`` names the candidate of a lone JSON Resume.  A bad record is
    reported and left out; raises ``ValueError`` only when nothing can be read (a top level that
    is neither an object nor a list, ``rows`` that is not a list, an unknown ``kind``).
    """
    if kind is not None and kind not in KINDS:
        raise ValueError(f"The 'kind' parameter must be one of {', '.join(KINDS)}. Got {kind!r}.")
    if isinstance(payload, Mapping) and "rows" in payload:
        extra = sorted(set(payload) - {"rows"})
        if extra:
            raise ValueError(f"A rows body holds only 'rows'. Got also {extra[:5]}.")
        if kind is None:
            raise ValueError("Rows need a table: give 'kind' (one of " + ", ".join(KINDS) + ").")
        rows = payload["rows"]
        if not isinstance(rows, list):
            raise ValueError(
                f"The 'rows' field must be a list of objects. Got {type(rows).__name__} instead."
            )
        records, errors = _row_records(rows, kind, source)
        n = len(rows)
    elif isinstance(payload, Mapping | list):
        items = list(payload) if isinstance(payload, list) else [payload]
        records, errors = _json_records(items, source, candidate_id, resolver, kind)
        n = len(items)
    else:
        raise ValueError(
            "Expected a JSON object or array (a document, a list of documents or "
            f'{{"rows": [...]}}). Got {type(payload).__name__} instead.'
        )
    bad = {e.record for e in errors}
    tables, more = _tables_of(source, [r for r in records if r[0] not in bad], {})
    result = ReadResult(files=1, records=n, errors=errors + more)
    for name in KINDS:
        frame = tables.get(name)
        result.tables[name] = frame if frame is not None and len(frame) else empty_table(name)
    result.local_skills = _local_skills(result.tables, resolver)
    return result


def _row_records(rows: list[Any], kind: str, source: str) -> tuple[list[Record], list[RecordError]]:
    """Objects in table ``kind``'s layout → one record per row, defaults filled; a row that is not
    an object or names a column the table lacks is an error of that row alone."""
    columns = ENTITIES[kind].columns
    defaults = blank_row(kind)
    records: list[Record] = []
    errors: list[RecordError] = []
    for n, row in enumerate(rows, start=1):
        if not isinstance(row, Mapping):
            why = f"expected an object with {kind} columns, found {type(row).__name__}"
            errors.append(RecordError(source, n, None, why))
            continue
        unknown = [str(c) for c in row if c not in columns]
        for c in unknown:
            errors.append(RecordError(source, n, c, f"expected a {kind} column, found {c!r}"))
        if unknown:
            continue
        full = {c: None for c in columns}  # a required column left out: that row's error
        full.update({c: list(v) if isinstance(v, list) else v for c, v in defaults.items()})
        full.update(row)
        records.append((n, {kind: [full]}))
    return records, errors


def _local_skills(
    tables: dict[str, pd.DataFrame], resolver: SkillResolver | None
) -> dict[str, str]:
    """Skill ids outside the taxonomy (``ats-skill:<slug>``) → the name first written."""
    cols = [
        tables["candidates"]["skills"],
        tables["roles"]["required_skills"],
        tables["roles"]["optional_skills"],
    ]
    local = sorted({s for col in cols for cell in col for s in cell if s.startswith(LOCAL_PREFIX)})
    if not local:
        return {}
    names = (resolver if resolver is not None else skill_resolver()).local_
    return {s: names.get(s, s[len(LOCAL_PREFIX) :]) for s in local}
