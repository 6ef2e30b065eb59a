"""Import an applicant-tracking-system export (CSV files) as a world you can train on.

    from recsys.data.ats import import_ats_csv
    report = import_ats_csv("examples/ats-export", "worlds/ats", mapping="my-mapping.yaml")
    report.counts, report.skills, report.unresolved_skills

The export is a folder with ``candidates.csv`` (``candidate_id, resume_text``), ``roles.csv``
(``role_id, title, description``) and ``applications.csv`` (``candidate_id, role_id, applied_at,
stage[, hired_at, left_at, observed_until]``); every other column, and ``history.csv``,
``credentials.csv`` and ``holdings.csv``, are optional.  :mod:`recsys.data.ats_mapping` maps other
file names, headers and stage names onto these; ``docs/ats-import.md`` is the user guide (schema,
defaults, what is derived and how).

How it runs:

1. **Read and check cells** (file, 1-based data row, the export's own header): missing files or
   columns, dates, booleans, numbers, stage names.  Problems stop the import here.
2. **Build the world's tables** in the export's row order and validate them with the world's own
   rules (:func:`recsys.data.validate_world`: unique ids, references, date order, the funnel's
   "a hire date only at stage 4"); its problems are reported under the export's file and header
   names.  Problems stop the import before any skill is read.
3. **Skills**: named ones are resolved, missing ones read from the text (:mod:`recsys.data.ats_skills`).
4. **Write** into a temporary folder beside ``out``, add the manifest, validate once more and rename
   it into place: a failed import leaves no half world (and an existing ``out`` untouched unless the
   new one is complete and ``overwrite`` is set).

Tables an ATS does not know (contracts, and credentials, holdings or history when absent) are
written empty; ``groups`` (protected attributes) is never imported.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
import uuid
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from recsys.data.ats_mapping import COLUMNS, OPTIONAL_TABLES, AtsMapping, load_mapping
from recsys.data.ats_read import Export, read_export
from recsys.data.ats_skills import SkillResolver, read_skills, skills_table
from recsys.data.io import MANIFEST, validate_world, write_manifest
from recsys.data.schemas import ENTITIES, STAGES
from recsys.data.tables import Problem, WorldValidationError, write_table

__all__ = ["ImportReport", "empty_table", "import_ats_csv"]

IMPORTER = {"name": "recsys import --from ats-csv", "version": 1}
WORLD_OF = {"applications": "outcomes"}  # export table -> world entity (others: same name)


@dataclass
class ImportReport:
    """What an import wrote and derived (``to_dict()`` for JSON)."""

    path: Path
    counts: dict[str, int]
    stages: dict[str, int]
    observed_until: str
    skills: dict[str, int]
    unresolved_skills: list[str]
    derived: dict[str, int]
    ignored_columns: dict[str, list[str]]
    absent_tables: list[str]
    encoder: str | None
    seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["path"] = str(self.path)
        return out


def empty_table(name: str) -> pd.DataFrame:
    """A world table ``name`` with no rows and its schema's columns and dtypes."""
    schema = ENTITIES[name].model.to_schema()
    dtypes = {"bool": bool, "int64": "int64", "Int64": "Int64", "float64": float}
    cols = {}
    for col, spec in schema.columns.items():
        d = str(spec.dtype)
        dtype = "datetime64[ns]" if "datetime" in d else dtypes.get(d, object)
        cols[col] = pd.Series([], dtype=dtype)
    return pd.DataFrame(cols)


def _lists(values: list[list[str] | None]) -> list[list[str]]:
    return [list(v) if v is not None else [] for v in values]


def _build(ex: Export) -> dict[str, pd.DataFrame]:
    """The world's tables from the parsed export, row for row (skills to be read stay empty)."""
    from recsys.textparse import seniority_level, years_of_experience

    c, r, a = ex.tables["candidates"], ex.tables["roles"], ex.tables["applications"]
    n_c, n_r = len(c), len(r)
    years = c["years_experience"] if "years_experience" in c else pd.Series(np.nan, index=c.index)
    parsed = years_of_experience(c["resume_text"].tolist(), ref_year=ex.observed_until.year)
    first_applied = a.groupby("role_id")["applied_at"].min()
    opened = r["opened_at"] if "opened_at" in r else pd.Series(pd.NaT, index=r.index)
    level = r["seniority"] if "seniority" in r else pd.Series(np.nan, index=r.index)
    heads = (r["title"] + "\n" + r["description"]).tolist()
    ex.derived = {
        "years_experience_from_text": int((years.isna() & ~np.isnan(parsed)).sum()),
        "years_experience_unknown": int((years.isna() & np.isnan(parsed)).sum()),
        "seniority_from_text": int(level.isna().sum()),
        "opened_at_from_applications": int(opened.isna().sum()),
    }
    tables = {
        "candidates": pd.DataFrame(
            {
                "candidate_id": c["candidate_id"],
                "headline": c.get("headline", pd.Series("", index=c.index)),
                "resume_text": c["resume_text"],
                "skills": _lists(ex.named.get("candidates", [None] * n_c)),
                "years_experience": years.fillna(pd.Series(parsed, index=c.index)),
                "location": c.get("location", pd.Series("", index=c.index)),
                "open_to_remote": c.get("open_to_remote", pd.Series(False, index=c.index)),
                "is_employee": c.get("is_employee", pd.Series(False, index=c.index)),
                "current_role_id": c.get("current_role_id", pd.Series(None, index=c.index)),
                "profile_at": c.get("profile_at", pd.Series(pd.NaT, index=c.index)),
            }
        ),
        "roles": pd.DataFrame(
            {
                "role_id": r["role_id"],
                "title": r["title"],
                "description": r["description"],
                "required_skills": _lists(ex.named.get("roles", [None] * n_r)),
                "optional_skills": _lists(ex.named.get("roles.optional", [None] * n_r)),
                "contracts": [[] for _ in range(n_r)],
                "seniority": level.fillna(pd.Series(seniority_level(heads), index=r.index))
                .fillna(2)
                .astype(np.int64),
                "location": r.get("location", pd.Series("", index=r.index)),
                "remote": r.get("remote", pd.Series(False, index=r.index)),
                "team": r.get("team", pd.Series("", index=r.index)),
                "occupation_id": [None] * n_r,
                "opened_at": opened.fillna(r["role_id"].map(first_applied)),
            }
        ),
        "outcomes": pd.DataFrame(
            {
                "candidate_id": a["candidate_id"],
                "role_id": a["role_id"],
                "applied_at": a["applied_at"],
                "stage": a["stage"].astype("Int64"),  # NA where unreadable (reported)
                "hired_at": a.get("hired_at", pd.Series(pd.NaT, index=a.index)),
                "left_at": a.get("left_at", pd.Series(pd.NaT, index=a.index)),
                "observed_until": a.get("observed_until", pd.Series(pd.NaT, index=a.index)).fillna(
                    ex.observed_until
                ),
            }
        ),
        "contracts": empty_table("contracts"),
    }
    for name in OPTIONAL_TABLES:
        if name not in ex.tables:
            tables[name] = empty_table(name)
            continue
        t = ex.tables[name].copy()
        defaults: dict[str, Any] = {
            "history": {"ended_at": pd.NaT, "occupation": None},
            "credentials": {"issuer": "", "description": "", "level": 1, "validity_months": None},
            "holdings": {"expires_at": pd.NaT, "verified": False},
        }[name]
        for col, value in defaults.items():
            if col not in t:
                t[col] = value
        if name == "credentials":
            t["skills"] = _lists(ex.named.get("credentials", [None] * len(t)))
            t["contracts"] = [[] for _ in range(len(t))]
            t["level"] = t["level"].fillna(1).astype(np.int64)
            t["validity_months"] = t["validity_months"].astype("Int64")
        tables[name] = t[ENTITIES[name].columns]
    return tables


def _translate(problems: list[Problem], ex: Export, mapping: AtsMapping) -> list[Problem]:
    """World problems under the export's file and header names (rows are the same)."""
    files, headers = {}, {}
    for table in ex.files:
        world = WORLD_OF.get(table, table)
        for suffix in (".parquet", ".csv", ".jsonl"):
            files[world + suffix] = ex.files[table]
        headers[world] = {col: mapping.header(table, col) for col in COLUMNS[table]}
    out = []
    for p in problems:
        stem = p.file.rsplit(".", 1)[0]
        names = headers.get(stem, {})
        column = p.column
        if column is not None:
            column = "+".join(names.get(part, part) for part in column.split("+"))
        expected = p.expected
        for world_col, header in names.items():
            expected = expected.replace(f"'{world_col}'", f"'{header}'")
        for world_file, export_file in files.items():
            expected = expected.replace(world_file, export_file)
        out.append(Problem(files.get(p.file, p.file), p.row, column, expected, p.found))
    return out


def _merge(cells: list[Problem], world: list[Problem]) -> list[Problem]:
    """Cell problems, then the world's about other cells (an unreadable cell is also empty)."""
    seen = {(p.file, p.row, p.column) for p in cells}
    return cells + [p for p in world if (p.file, p.row, p.column) not in seen]


def _write(tables: dict[str, pd.DataFrame], folder: Path, fmt: str) -> None:
    for name, frame in tables.items():
        for old in folder.glob(f"{name}.*"):
            old.unlink()
        write_table(frame, folder / f"{name}.{fmt}")


def _check_out(src: Path, out: Path, overwrite: bool) -> None:
    if out.resolve() == src.resolve() or src.resolve() in out.resolve().parents:
        raise ValueError(f"The 'out' parameter must be outside the export folder {src}. Got {out}.")
    if out.exists():
        if not overwrite:
            raise FileExistsError(f"{out} already exists; pass overwrite=True to replace it")
        if not out.is_dir() or (any(out.iterdir()) and not (out / MANIFEST).is_file()):
            raise FileExistsError(f"{out} exists and is not a world folder; refusing to replace it")


def import_ats_csv(
    src: str | Path,
    out: str | Path,
    mapping: str | Path | dict[str, Any] | AtsMapping | None = None,
    *,
    encoder: Any = "default",
    cache_dir: str | Path | None = ".cache/embeddings",
    observed_until: str | pd.Timestamp | None = None,
    overwrite: bool = False,
    fmt: str = "parquet",
    complete_short_roles: bool = True,
) -> ImportReport:
    """Import the ATS export in folder ``src`` as a world at ``out`` (see the module doc).

    ``mapping``: a YAML/JSON file, dict or :class:`AtsMapping` (``None`` = the schema's names).
    ``encoder``: what the skill reader embeds with: ``"default"`` (the packaged MiniLM, as
    training uses), ``None`` (unambiguous phrases only, fast) or an encoder object.
    ``observed_until``: the export date (overrides the mapping's; default: the latest date found).
    Raises ``WorldValidationError`` listing every problem (file, row, column, expected, found).
    """
    t0 = time.perf_counter()
    src, out = Path(src), Path(out)
    if fmt not in ("parquet", "csv", "jsonl"):
        raise ValueError(f"The 'fmt' parameter must be one of parquet, csv, jsonl. Got {fmt!r}.")
    mapping = load_mapping(mapping)
    if observed_until is not None:
        mapping = mapping.model_copy(update={"observed_until": pd.Timestamp(observed_until).date()})
    _check_out(src, out, overwrite)
    resolver = SkillResolver()
    ex, cell_problems = read_export(src, mapping, resolver)  # raises on missing files/columns
    tables = _build(ex)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=out.parent, prefix=f".{out.name}.import-"))
    try:
        tables["skills"] = skills_table(_referenced(tables), resolver.local_)
        _write(tables, tmp, fmt)
        found = validate_world(tmp)
        if tables["skills"].empty:  # every skill is still to be read from the text
            found = [p for p in found if not p.file.startswith("skills.")]
        problems = _merge(cell_problems, _translate(found, ex, mapping))
        if problems:
            raise WorldValidationError(problems)
        if encoder == "default":
            from recsys.embedding import EmbeddingConfig, make_encoder

            encoder = make_encoder(EmbeddingConfig(cache_dir=cache_dir))
        counts = _read_missing_skills(tables, ex, encoder, complete_short_roles)
        tables["skills"] = skills_table(_referenced(tables), resolver.local_)
        _write(tables, tmp, fmt)
        write_manifest(tmp, generator=IMPORTER, params=_params(src, mapping, encoder, ex))
        problems = validate_world(tmp)
        if problems:  # a bug of the importer, not of the export: say so
            raise WorldValidationError(problems)
        _swap(tmp, out)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp)
    stages = tables["outcomes"]["stage"].value_counts().reindex(list(STAGES), fill_value=0)
    return ImportReport(
        path=out,
        counts={name: int(len(frame)) for name, frame in tables.items()},
        stages={STAGES[s]: int(n) for s, n in stages.items()},
        observed_until=ex.observed_until.date().isoformat(),
        skills={**counts, "world_skills": int(len(tables["skills"]))},
        unresolved_skills=sorted(resolver.local_.values()),
        derived=ex.derived,
        ignored_columns=ex.ignored,
        absent_tables=[t for t in OPTIONAL_TABLES if t not in ex.tables],
        encoder=getattr(encoder, "model_id", None),
        seconds=time.perf_counter() - t0,
    )


def _referenced(tables: dict[str, pd.DataFrame]) -> list[str]:
    cols = [
        tables["candidates"]["skills"],
        tables["roles"]["required_skills"],
        tables["roles"]["optional_skills"],
        tables["credentials"]["skills"],
    ]
    return [s for col in cols for cell in col for s in cell]


def _read_missing_skills(
    tables: dict[str, pd.DataFrame], ex: Export, encoder: Any, complete_short: bool
) -> dict[str, int]:
    """Fill the skill lists the export left blank with what the text names; counts per side."""
    cand, roles = tables["candidates"], tables["roles"]
    named_c = ex.named.get("candidates", [None] * len(cand))
    named_r = ex.named.get("roles", [None] * len(roles))
    todo_c = [i for i, v in enumerate(named_c) if v is None]
    todo_r = [i for i, v in enumerate(named_r) if v is None]
    texts_c = [
        "\n".join(t for t in (cand["headline"].iat[i], cand["resume_text"].iat[i]) if t)
        for i in todo_c
    ]
    texts_r = [f"{roles['title'].iat[i]}\n{roles['description'].iat[i]}" for i in todo_r]
    found_c = read_skills(texts_c, encoder)
    found_r = read_skills(texts_r, encoder, roles=True, complete_short=complete_short)
    skills_c, skills_r = list(cand["skills"]), list(roles["required_skills"])
    for i, found in zip(todo_c, found_c, strict=True):
        skills_c[i] = found
    for i, found in zip(todo_r, found_r, strict=True):
        skills_r[i] = found
    cand["skills"], roles["required_skills"] = skills_c, skills_r
    return {
        "candidates_named": len(cand) - len(todo_c),
        "candidates_read_from_text": len(todo_c),
        "roles_named": len(roles) - len(todo_r),
        "roles_read_from_text": len(todo_r),
    }


def _params(src: Path, mapping: AtsMapping, encoder: Any, ex: Export) -> dict[str, Any]:
    return {
        "source": src.name,
        "mapping": mapping.model_dump(mode="json"),
        "skill_reader_encoder": getattr(encoder, "model_id", None),
        "observed_until": ex.observed_until.date().isoformat(),
        "files": {t: ex.files[t] for t in sorted(ex.tables)},
    }


def _swap(tmp: Path, out: Path) -> None:
    """Put the finished ``tmp`` at ``out``; an old ``out`` is moved aside first, removed last."""
    if not out.exists():
        os.replace(tmp, out)
        return
    old = out.parent / f".{out.name}.old-{uuid.uuid4().hex[:8]}"
    os.replace(out, old)
    try:
        os.replace(tmp, out)
    except OSError:
        os.replace(old, out)
        raise
    shutil.rmtree(old)
