"""An index's attribute table in shards: ``<kind>.attrs-<shard>.parquet``, one per range of
:data:`SHARD_IDS` int ids.

Why shards: a store's writer changes a few entities per write, and the table it rewrites grows
with the pool.  At 10^6 candidates one attribute file was 84 MB of skill and credential lists,
and an erasure spent 13 s reading it into pandas and 5 s writing it back, for two rows.  Int ids
are never reused and new entities take the next ones, so an add touches the last shard, a removal
the shard of the removed id, and every other shard is hard-linked from the previous generation,
its sha256 taken from the previous manifest (see :func:`write_shards`).

An index loaded from shards holds its entity ids only; the other columns are read when something
needs them (a filtered search, ``attributes``): :class:`ShardSource`.  Rows added meanwhile are held
in full (``pending``) until then, so a writer that never filters never reads a clean shard.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

SHARD_IDS = 1 << 14  # int ids per attribute file (~1.4 MB of a candidate's lists per file)
ID_COLUMNS = ["int_id", "entity_id"]


def shard_name(kind: str, shard: int) -> str:
    return f"{kind}.attrs-{shard:05d}.parquet"


@dataclass
class Shard:
    """One attribute file as a manifest lists it."""

    shard: int
    file: str
    sha256: str
    rows: int

    def entry(self) -> dict[str, Any]:
        return {"shard": self.shard, "file": self.file, "sha256": self.sha256, "rows": self.rows}


@dataclass
class ShardSource:
    """The attribute files an index was loaded from (or last saved to): what its ids-only table
    leaves on disk.  ``handles`` keep each file readable after its generation folder is deleted
    (a server's index outlives its generation); ``folder`` is where the files are for linking."""

    folder: Path
    shards: dict[int, Shard]
    handles: dict[int, IO[bytes]] = field(default_factory=dict)
    dirty: set[int] = field(default_factory=set)  # shards changed since: never linked
    pending: pd.DataFrame | None = None  # rows added since, every column (int_id index)

    def _open(self, s: int) -> Any:
        handle = self.handles.get(s)
        if handle is None:
            return self.folder / self.shards[s].file
        handle.seek(0)
        return handle

    def table(self, s: int) -> pa.Table:
        return pq.read_table(self._open(s))

    def read_all(self) -> pd.DataFrame:
        """Every row of every file (removed ones too: the caller keeps the live ones)."""
        frames = [_to_pandas(self.table(s)) for s in sorted(self.shards)]
        if self.pending is not None and len(self.pending):
            frames.append(self.pending.reset_index())
        if not frames:
            return pd.DataFrame(columns=ID_COLUMNS).set_index("int_id")
        return pd.concat(frames, ignore_index=True).set_index("int_id")

    def added(self, attrs: pd.DataFrame, int_ids: np.ndarray, *, lazy: bool) -> None:
        """Rows added to the index: their shards are dirty; held here while ``lazy``."""
        if lazy:
            self.pending = attrs if self.pending is None else pd.concat([self.pending, attrs])
        self.dirty.update(np.unique(int_ids // SHARD_IDS).tolist())

    def removed(self, int_ids: np.ndarray) -> None:
        if self.pending is not None:
            self.pending = self.pending.drop(index=int_ids, errors="ignore")
        self.dirty.update(np.unique(int_ids // SHARD_IDS).tolist())

    def close(self) -> None:
        for handle in self.handles.values():
            handle.close()
        self.handles.clear()


def _to_pandas(table: pa.Table) -> pd.DataFrame:
    """A shard as pandas, list columns as Python lists (what filters and callers expect)."""
    frame = table.to_pandas()
    for name, typ in zip(table.column_names, table.schema.types, strict=True):
        if pa.types.is_list(typ) or pa.types.is_large_list(typ):
            frame[name] = [[] if v is None else list(v) for v in table.column(name).to_pylist()]
    return frame


@dataclass
class _Seen:
    """The ids of the shards the last load of a kind read, by sha256, and their entity id ->
    int id map (exactly the union of those shards: what the next load starts from)."""

    shards: dict[str, tuple[np.ndarray, np.ndarray]]
    rows: dict[str, int]


_SEEN: dict[str, _Seen] = {}  # kind -> the last load_index of that kind in this process


def read_ids(
    kind: str, source: ShardSource, *, shared: bool = False
) -> tuple[np.ndarray, np.ndarray, dict[str, int]]:
    """``int_id`` (int64) and ``entity_id`` (object) of every file, in shard order, and the
    entity id -> int id map: the ids-only table a loaded index starts with.

    A shard whose sha256 the previous call for ``kind`` in this process read is taken from that
    call (same sha256, same bytes), and the map is that call's less the shards gone plus the new
    ones: a server loading each new generation of 10^6 candidates reads the shards a write
    changed, not 62 files into 10^6 new strings and a 10^6-entry dict (0.4 + 0.27 s here).
    ``shared``: the caller never changes the map (a memory-mapped index), so it may have the
    cached one itself; otherwise it gets a copy."""
    before = _SEEN.get(kind, _Seen({}, {}))
    shards: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for s in sorted(source.shards):
        sha = source.shards[s].sha256
        ids = before.shards.get(sha)
        if ids is None:
            table = pq.read_table(source._open(s), columns=ID_COLUMNS)
            ids = (
                table.column("int_id").to_numpy().astype(np.int64, copy=False),
                np.asarray(table.column("entity_id").to_pylist(), dtype=object),
            )
        shards[sha] = ids
    new = [ids for sha, ids in shards.items() if sha not in before.shards]
    if not new and len(shards) == len(before.shards):  # the same shards: the same map
        rows, parts = before.rows, []
    elif sum(len(i) for i, _ in new) * 2 < len(before.rows):
        rows = before.rows.copy()
        for sha, (_, entity_ids) in before.shards.items():
            if sha not in shards:
                for entity_id in entity_ids.tolist():
                    del rows[entity_id]
        parts = new
    else:
        rows, parts = {}, list(shards.values())
    for int_ids, entity_ids in parts:
        rows.update(zip(entity_ids.tolist(), int_ids.tolist(), strict=True))
    _SEEN[kind] = _Seen(shards, rows)
    if not shards:
        return np.zeros(0, np.int64), np.zeros(0, object), rows
    int_ids, entity_ids = (np.concatenate(c) for c in zip(*shards.values(), strict=True))
    return int_ids, entity_ids, rows if shared else rows.copy()


def _from_pandas(frame: pd.DataFrame, schema: pa.Schema | None) -> pa.Table:
    """Rows (``int_id`` a column) as Arrow, in ``schema`` when given: its columns in its order,
    missing ones null (a row added without attributes)."""
    table = pa.Table.from_pandas(frame, preserve_index=False).replace_schema_metadata(None)
    if schema is None:
        return table
    columns = [
        table.column(f.name).cast(f.type)
        if f.name in table.column_names
        else pa.nulls(len(table), f.type)
        for f in schema
    ]
    return pa.Table.from_arrays(columns, schema=schema.remove_metadata())


def _shard_table(
    attrs: pd.DataFrame, source: ShardSource | None, s: int, live: np.ndarray
) -> pa.Table:
    """Shard ``s`` of the live rows ``live`` (int ids): from ``attrs`` when it holds every column,
    else from the loaded file, less removed rows, plus the rows added since."""
    if source is None:
        return _from_pandas(attrs.loc[live].reset_index(), None)
    parts = []
    schema = None
    if s in source.shards:
        table = source.table(s)
        schema = table.schema.remove_metadata()
        parts.append(table.filter(pc.is_in(table.column("int_id"), pa.array(live))))
    pending = source.pending
    if pending is not None and len(pending):
        new = pending.loc[pending.index.intersection(live)]
        if len(new):
            parts.append(_from_pandas(new.reset_index(), schema))
    if schema is not None:
        parts = [p.cast(schema) if p.schema != schema else p for p in parts]
    # in int id order: the file's rows are, and rows added since have larger ids (never reused)
    return pa.concat_tables(parts, promote_options="permissive") if len(parts) > 1 else parts[0]


def write_shards(
    kind: str, attrs: pd.DataFrame, source: ShardSource | None, folder: Path, *, lazy: bool
) -> list[Shard]:
    """Write the shards of the live rows of ``attrs`` (int_id index) into ``folder``: a clean
    shard of ``source`` is hard-linked (copied across file systems) with its known sha256, the
    others written to a temp file and renamed.  ``lazy``: ``attrs`` holds ids only, the other
    columns are the source's files and pending rows."""
    from recsys.index.store import file_sha256

    live = attrs.index.to_numpy(np.int64)
    shards = []
    for s in np.unique(live // SHARD_IDS).tolist():
        ids = live[(live >= s * SHARD_IDS) & (live < (s + 1) * SHARD_IDS)]
        name = shard_name(kind, s)
        known = source.shards.get(s) if source is not None else None
        if known is not None and s not in source.dirty and known.rows == len(ids):
            src, dst = source.folder / known.file, folder / name
            if src.resolve() != dst.resolve():
                _link(src, dst)
            shards.append(Shard(s, name, known.sha256, known.rows))
            continue
        table = _shard_table(attrs, source if lazy else None, s, ids)
        fd, tmp_name = tempfile.mkstemp(dir=folder, prefix=".tmp-", suffix=".parquet")
        os.close(fd)
        tmp = Path(tmp_name)
        try:
            pq.write_table(table, tmp)
            shards.append(Shard(s, name, file_sha256(tmp), table.num_rows))
            os.replace(tmp, folder / name)
        finally:
            tmp.unlink(missing_ok=True)
    return shards


def _link(src: Path, dst: Path) -> None:
    """``dst`` as a hard link to ``src`` (atomically replacing it), or a copy across devices."""
    fd, tmp_name = tempfile.mkstemp(dir=dst.parent, prefix=".tmp-", suffix=".parquet")
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        tmp.unlink()
        try:
            os.link(src, tmp)
        except OSError:
            import shutil

            shutil.copyfile(src, tmp)
        os.replace(tmp, dst)
    finally:
        tmp.unlink(missing_ok=True)
