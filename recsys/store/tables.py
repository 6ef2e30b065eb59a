"""Entity tables ↔ SQL rows: column types from the pandera models, row hashes, frames back out.

Every entity of :data:`recsys.data.schemas.ENTITIES` becomes one SQL table named after it, with one
SQL column per schema column plus bookkeeping columns that start with ``_``:

- entity tables (with an id column: candidates, roles, contracts, credentials, skills, groups):
  ``_row_sha`` (sha256 of the row: an unchanged row is not rewritten) and ``_text_sha`` (sha256 of
  the text :func:`recsys.text.entity_texts` makes of the row, for the four embedded kinds);
- child tables (holdings, history, outcomes): an integer ``_rowid`` key and an index on
  ``candidate_id``.

Cells are stored as: strings ``TEXT``; ints and bools ``INTEGER``; floats ``REAL``; timestamps
``INTEGER`` nanoseconds since the epoch (naive UTC); list columns ``TEXT`` JSON arrays.  Missing
values are ``NULL``.  :func:`decode` gives back the dtypes ``load_world`` produces.
"""

from __future__ import annotations

import hashlib
import json
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd

from recsys.data.schemas import ENTITIES, Entity

Codec = Literal["text", "int", "bool", "float", "time", "nullable_int", "list"]
_SQL_TYPE = {
    "text": "TEXT",
    "int": "INTEGER",
    "bool": "INTEGER",
    "float": "REAL",
    "time": "INTEGER",
    "nullable_int": "INTEGER",
    "list": "TEXT",
}
# the entity kinds that have a text to embed (and so a FAISS index)
EMBEDDED: tuple[str, ...] = ("candidates", "roles", "contracts", "credentials")
# child tables keyed by candidate: erased with the candidate
CHILDREN: tuple[str, ...] = ("holdings", "history", "outcomes", "groups")


@dataclass(frozen=True)
class TableSpec:
    """How one entity is laid out in SQL."""

    kind: str
    entity: Entity
    columns: tuple[str, ...]
    codecs: tuple[Codec, ...]

    @property
    def key(self) -> str | None:
        """The id column (entity tables) or None (child tables)."""
        return self.entity.id_column

    def ddl(self, blob: str = "BLOB") -> list[str]:
        cols = [f'"{c}" {_SQL_TYPE[k]}' for c, k in zip(self.columns, self.codecs, strict=True)]
        if self.key is not None:
            cols = [c + " PRIMARY KEY" if c.startswith(f'"{self.key}"') else c for c in cols]
            cols += ["_row_sha TEXT NOT NULL", "_text_sha TEXT"]
            return [f'CREATE TABLE IF NOT EXISTS "{self.kind}" ({", ".join(cols)})']
        return [
            f'CREATE TABLE IF NOT EXISTS "{self.kind}" (_rowid INTEGER PRIMARY KEY, {", ".join(cols)})',
            f'CREATE INDEX IF NOT EXISTS "{self.kind}_candidate" ON "{self.kind}" (candidate_id)',
        ]


def _codec(dtype: str, column: str, entity: Entity) -> Codec:
    if column in entity.list_columns:
        return "list"
    if dtype == "bool":
        return "bool"
    if dtype == "int64":
        return "int"
    if dtype == "Int64":
        return "nullable_int"
    if dtype.startswith("float"):
        return "float"
    if dtype.startswith("datetime64"):
        return "time"
    return "text"


def spec(kind: str) -> TableSpec:
    """The :class:`TableSpec` of entity ``kind`` (a name in ``ENTITIES``)."""
    if kind not in ENTITIES:
        raise ValueError(
            f"The 'kind' parameter must be one of {sorted(ENTITIES)}. Got {kind!r} instead."
        )
    entity = ENTITIES[kind]
    columns = entity.model.to_schema().columns
    names = tuple(columns)
    codecs = tuple(_codec(str(columns[c].dtype), c, entity) for c in names)
    return TableSpec(kind, entity, names, codecs)


def _cell(value: Any, codec: Codec) -> Any:
    if codec == "list":
        return json.dumps([str(v) for v in value], ensure_ascii=False)
    if value is None or value is pd.NaT or (isinstance(value, float) and np.isnan(value)):
        return None
    if value is pd.NA:
        return None
    if codec == "time":
        return int(pd.Timestamp(value).value)
    if codec in ("int", "bool", "nullable_int"):
        return int(value)
    if codec == "float":
        return float(value)
    return str(value)


def encode(frame: pd.DataFrame, table: TableSpec) -> list[tuple[Any, ...]]:
    """SQL rows (in ``table.columns`` order) of a validated frame."""
    cols = [
        [_cell(v, k) for v in frame[c].tolist()]
        for c, k in zip(table.columns, table.codecs, strict=True)
    ]
    return list(zip(*cols, strict=True)) if cols else []


def row_sha(row: Sequence[Any]) -> str:
    """sha256 of an encoded row (decides 'unchanged' on upsert)."""
    return hashlib.sha256(json.dumps(list(row), ensure_ascii=False).encode()).hexdigest()


def text_sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def load_ids(cell: str) -> list[Any]:
    """A JSON list of ids (skills, contracts, credentials), its strings interned: the same few
    thousand ids recur in every row.  With the builder's release of its read-skills frame, a kept
    paged pool (1,000 candidates) costs 39 → 22 MB resident (``benchmarks/paged_memory.py``), for
    ~7 ms more to read its rows."""
    return [sys.intern(v) if isinstance(v, str) else v for v in json.loads(cell)]


def decode(rows: Iterable[Sequence[Any]], table: TableSpec) -> pd.DataFrame:
    """A frame with the world tables' dtypes from SQL rows in ``table.columns`` order."""
    rows = list(rows)
    data = list(zip(*rows, strict=True)) if rows else [() for _ in table.columns]
    out: dict[str, Any] = {}
    n = len(rows)
    # numpy arrays built directly: pandas' list-to-object-array path costs ~0.3 ms a column of
    # 1,000 rows, and a paged query decodes ~20 columns of its pool's rows
    for c, k, values in zip(table.columns, table.codecs, data, strict=True):
        if k == "list":
            out[c] = np.fromiter((load_ids(v) for v in values), dtype=object, count=n)
        elif k == "time":
            ns = np.fromiter((_NAT if v is None else v for v in values), dtype=np.int64, count=n)
            out[c] = ns.view("datetime64[ns]")
        elif k == "bool":
            out[c] = np.fromiter(values, dtype=bool, count=n)
        elif k == "int":
            out[c] = np.fromiter(values, dtype=np.int64, count=n)
        elif k == "nullable_int":
            out[c] = pd.array(list(values), dtype="Int64")
        elif k == "float":
            out[c] = np.fromiter((np.nan if v is None else v for v in values), np.float64, n)
        else:
            out[c] = np.fromiter(values, dtype=object, count=n)
    return pd.DataFrame(out, columns=list(table.columns))


_NAT = np.iinfo(np.int64).min  # NaT's int64 value
