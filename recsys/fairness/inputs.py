"""Reading and checking the audit's two inputs: scored pairs and the groups table.

**Scored pairs** are what ``recsys score`` writes (``candidate_id, role_id, fit, retention, score``
and ``rank`` with ``--top-k``; Parquet or CSV) or what ``recsys shortlist --json`` prints
(``{"manifest": ..., "results": [{"rank", "candidate_id", "role_id", "score", ...}]}``, or a JSON
list of such shortlists): every row of a shortlist is *selected*.  Any table with ``role_id,
candidate_id, score`` (and optionally ``rank`` and a ``selected`` flag) in Parquet, CSV, JSONL or
JSON also works.

The **groups** table is the world's audit-only ``groups`` (``candidate_id`` plus one column per
protected attribute).  A missing value, an empty string or one of :data:`UNKNOWN_VALUES` (any case)
is an *unknown* demographic; so is every scored candidate without a groups row.

Every problem raises :class:`AuditInputError` naming the file, the column, what was expected and what
was found.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

SUFFIXES = (".parquet", ".csv", ".jsonl", ".json")
SCORE_COLUMNS = ("role_id", "candidate_id", "score")
UNKNOWN_VALUES = frozenset(
    {"", "unknown", "na", "n/a", "nan", "none", "null", "not disclosed", "prefer not to say"}
)
_TRUE = {"true", "1", "yes", "y", "t"}
_FALSE = {"false", "0", "no", "n", "f", ""}


class AuditInputError(ValueError):
    """A scores or groups input the audit cannot read; the message names file, column, expected
    and found."""


def read_table(path: str | Path) -> pd.DataFrame:
    """A Parquet, CSV, JSONL or JSON table (a JSON shortlist becomes its rows, all selected)."""
    path = Path(path)
    if path.suffix not in SUFFIXES:
        raise AuditInputError(
            f"{path}: expected a {', '.join(SUFFIXES)} file, found suffix {path.suffix!r}."
        )
    if not path.is_file():
        raise AuditInputError(f"{path}: expected an existing file, found none.")
    try:
        if path.suffix == ".parquet":
            return pd.read_parquet(path)
        if path.suffix == ".csv":
            return pd.read_csv(path, dtype={"candidate_id": str, "role_id": str})
        if path.suffix == ".jsonl":
            return pd.read_json(path, lines=True, dtype=False)
        return _from_json(json.loads(path.read_text("utf-8")), path)
    except AuditInputError:
        raise
    except (ValueError, OSError, UnicodeDecodeError) as err:
        raise AuditInputError(
            f"{path}: expected a readable {path.suffix} table, found: {err}"
        ) from err


def _from_json(doc: object, path: Path) -> pd.DataFrame:
    """A shortlist (``{"manifest", "results"}``), a list of shortlists, or a list of records."""
    docs = doc if isinstance(doc, list) else [doc]
    if docs and all(isinstance(d, dict) and "results" in d for d in docs):
        frames = []
        for d in docs:
            rows = pd.DataFrame(d["results"])
            role = (d.get("manifest") or {}).get("query", {}).get("role_id")
            if "role_id" not in rows and role is not None:
                rows["role_id"] = role
            rows["selected"] = True  # a shortlist is what was selected
            frames.append(rows.drop(columns=["reasons"], errors="ignore"))
        return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    if all(isinstance(d, dict) for d in docs):
        return pd.DataFrame(docs)
    raise AuditInputError(
        f"{path}: expected a shortlist ({{'manifest', 'results'}}), a list of them or a list of "
        f"records, found a JSON {type(doc).__name__}."
    )


def _source(obj: pd.DataFrame | str | Path, what: str) -> tuple[pd.DataFrame, str]:
    if isinstance(obj, pd.DataFrame):
        return obj, f"the {what} frame"
    return read_table(obj), str(obj)


def _require(frame: pd.DataFrame, columns: tuple[str, ...] | list[str], source: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise AuditInputError(
            f"{source}: expected column(s) {missing}, found columns {list(frame.columns)}."
        )


def _ids(frame: pd.DataFrame, column: str, source: str) -> np.ndarray:
    values = frame[column]
    empty = values.isna().to_numpy() | (values.to_numpy() == "")
    if empty.any():
        row = int(np.flatnonzero(empty)[0])
        raise AuditInputError(
            f"{source}, row {row}, column {column!r}: expected an id, found an empty value "
            f"({int(empty.sum())} row(s) in all)."
        )
    return values.astype(str).to_numpy(dtype=object)


def _numbers(frame: pd.DataFrame, column: str, source: str, what: str) -> np.ndarray:
    raw = frame[column]
    values = pd.to_numeric(raw, errors="coerce").to_numpy(dtype=np.float64)
    bad = ~np.isfinite(values)
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise AuditInputError(
            f"{source}, row {row}, column {column!r}: expected {what}, found {raw.iloc[row]!r} "
            f"({int(bad.sum())} row(s) in all)."
        )
    return values


def _flags(frame: pd.DataFrame, column: str, source: str) -> np.ndarray:
    raw = frame[column]
    if raw.dtype == bool:
        return raw.to_numpy()
    text = raw.astype(str).str.strip().str.lower()
    text = text.where(raw.notna(), "")
    ok = text.isin(_TRUE | _FALSE).to_numpy()
    if not ok.all():
        row = int(np.flatnonzero(~ok)[0])
        raise AuditInputError(
            f"{source}, row {row}, column {column!r}: expected true/false or 1/0, found "
            f"{raw.iloc[row]!r}."
        )
    return text.isin(_TRUE).to_numpy()


def load_scores(scores: pd.DataFrame | str | Path) -> tuple[pd.DataFrame, str]:
    """``role_id, candidate_id`` (str), ``score`` (float) and, when present, ``rank``, ``fit``
    (float) and ``selected`` (bool); one row per pair.  Returns the frame and its source name."""
    frame, source = _source(scores, "scores")
    _require(frame, SCORE_COLUMNS, source)
    out = pd.DataFrame(
        {
            "role_id": _ids(frame, "role_id", source),
            "candidate_id": _ids(frame, "candidate_id", source),
            "score": _numbers(frame, "score", source, "a finite number"),
        }
    )
    if "rank" in frame:
        out["rank"] = _numbers(frame, "rank", source, "a rank (1 = best)")
        if (out["rank"] < 1).any():
            row = int(np.flatnonzero(out["rank"].to_numpy() < 1)[0])
            raise AuditInputError(
                f"{source}, row {row}, column 'rank': expected a rank >= 1, found "
                f"{out['rank'].iloc[row]!r}."
            )
    if "fit" in frame and pd.api.types.is_numeric_dtype(frame["fit"]):
        out["fit"] = frame["fit"].to_numpy(dtype=np.float64)
    if "selected" in frame:
        out["selected"] = _flags(frame, "selected", source)
    dup = out.duplicated(["role_id", "candidate_id"]).to_numpy()
    if dup.any():
        row = int(np.flatnonzero(dup)[0])
        raise AuditInputError(
            f"{source}, row {row}, columns 'role_id', 'candidate_id': expected one row per pair, "
            f"found {int(dup.sum())} repeated pair(s), e.g. ({out['role_id'].iloc[row]!r}, "
            f"{out['candidate_id'].iloc[row]!r})."
        )
    return out, source


def load_groups(
    groups: pd.DataFrame | str | Path, attributes: list[str] | None = None
) -> tuple[pd.DataFrame, list[str], str]:
    """``candidate_id`` (str, unique) and each attribute as strings with unknowns as ``None``.
    ``attributes`` default to every column but ``candidate_id``.  Returns frame, attributes, source."""
    frame, source = _source(groups, "groups")
    _require(frame, ("candidate_id",), source)
    if attributes is None:
        attributes = [c for c in frame.columns if c != "candidate_id"]
        if not attributes:
            raise AuditInputError(
                f"{source}: expected at least one protected-attribute column besides "
                f"'candidate_id', found columns {list(frame.columns)}."
            )
    elif not attributes:
        raise AuditInputError(f"{source}: expected at least one attribute to audit, found none.")
    _require(frame, attributes, source)
    out = pd.DataFrame({"candidate_id": _ids(frame, "candidate_id", source)})
    dup = out["candidate_id"].duplicated().to_numpy()
    if dup.any():
        row = int(np.flatnonzero(dup)[0])
        raise AuditInputError(
            f"{source}, row {row}, column 'candidate_id': expected one row per candidate, found "
            f"{int(dup.sum())} repeated id(s), e.g. {out['candidate_id'].iloc[row]!r}."
        )
    for name in attributes:
        out[name] = normalise(frame[name]).to_numpy()
    return out, list(attributes), source


def normalise(values: pd.Series) -> pd.Series:
    """Values as stripped strings; missing and :data:`UNKNOWN_VALUES` (any case) become ``None``."""
    text = values.astype("string").str.strip()
    unknown = text.isna() | text.str.lower().isin(UNKNOWN_VALUES)
    return text.astype(object).where(~unknown.to_numpy(dtype=bool), None)
