"""``Store``: the live entities, their embeddings and FAISS indexes in one folder.

::

    <store>/store.json          format version (marks the folder as a store)
    <store>/tables.sqlite       entity tables, embeddings, meta (current generation, index config)
    <store>/indexes/g0000000N/  one FAISS index per embedded kind (see recsys.store.vectors)

Reads never load a whole table: ``get`` / ``holdings`` / ``history`` query by id.  Every write
(``upsert``, ``put_vectors``, ``delete_candidates``, ``rebuild_index``) is one database
transaction; one that changes an index also writes a new index generation and switches the
``generation`` pointer inside that transaction, so rows and indexes change together or not at all.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from itertools import chain
from pathlib import Path
from types import SimpleNamespace
from typing import IO, Any, Self

import numpy as np
import pandas as pd

from recsys.data.tables import WorldValidationError, validate_table
from recsys.index import VectorIndex
from recsys.index.config import IndexConfig
from recsys.index.store import IndexLoadError
from recsys.index.vector import Hits
from recsys.store import vectors as gens
from recsys.store.backend import Backend, SQLiteBackend, folder_of
from recsys.store.tables import CHILDREN, EMBEDDED, decode, encode, row_sha, spec, text_sha
from recsys.text import entity_texts

FORMAT_VERSION = 1
CHANGE_LOG_SECONDS = 24 * 3600  # how long the change log keeps an entry (see Store.changes)
_CHUNK = 500  # ids per IN (...) query (SQLite's default variable limit is 32766)


@dataclass(frozen=True)
class UpsertSummary:
    """Entity tables count rows; child tables (holdings, history, outcomes, groups) count the
    candidates whose row set was added, replaced, or found identical."""

    added: int
    updated: int
    unchanged: int


def _chunks(items: Sequence[Any], size: int = _CHUNK) -> Iterable[list[Any]]:
    for start in range(0, len(items), size):
        yield list(items[start : start + size])


def _marks(n: int) -> str:
    return ",".join("?" * n)


class _Reader:
    """The read API shared by a live :class:`Store` and a pinned :class:`Snapshot`."""

    _db: Backend
    folder: Path

    def __init__(self) -> None:
        self._indexes: dict[str, tuple[int, VectorIndex | None]] = {}

    def close(self) -> None:  # pragma: no cover - overridden
        raise NotImplementedError

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------ tables
    def generation(self) -> int:
        """The index generation this reader sees (0 = no index yet)."""
        return int(self._db.execute("SELECT value FROM meta WHERE key = 'generation'")[0][0])

    def version(self) -> int:
        """A counter every committed write raises (rows, vectors, extractions, erasures): a
        server compares it to know whether what it serves is current."""
        rows = self._db.execute("SELECT value FROM meta WHERE key = 'version'")
        return int(rows[0][0]) if rows else 0

    def get(self, kind: str, ids: Sequence[str]) -> pd.DataFrame:
        """Rows of ``ids`` (in that order; unknown ids left out) with the world tables' dtypes.
        Child tables (no id column) are fetched by candidate id (see :meth:`rows_of`)."""
        table = spec(kind)
        if table.key is None:
            return self.rows_of(kind, ids)
        ids = [str(i) for i in ids]
        cols = ", ".join(f'"{c}"' for c in table.columns)
        found: dict[str, tuple[Any, ...]] = {}
        with self._db.read():
            for chunk in _chunks(list(dict.fromkeys(ids))):
                sql = f'SELECT {cols} FROM "{kind}" WHERE "{table.key}" IN ({_marks(len(chunk))})'
                for row in self._db.execute(sql, chunk):
                    found[row[table.columns.index(table.key)]] = row
        return decode([found[i] for i in ids if i in found], table)

    def rows_of(self, kind: str, candidate_ids: Sequence[str]) -> pd.DataFrame:
        """Rows of a child table (holdings, history, outcomes, groups) of these candidates."""
        table = spec(kind)
        cols = ", ".join(f'"{c}"' for c in table.columns)
        order = "_rowid" if table.key is None else f'"{table.key}"'
        rows: list[tuple[Any, ...]] = []
        with self._db.read():
            for chunk in _chunks([str(i) for i in dict.fromkeys(candidate_ids)]):
                rows += self._db.execute(
                    f'SELECT {cols} FROM "{kind}" WHERE candidate_id IN ({_marks(len(chunk))}) '
                    f"ORDER BY {order}",
                    chunk,
                )
        return decode(rows, table)

    def latest(self, kind: str, column: str) -> Any:
        """The largest value of a column (a timestamp as ``pd.Timestamp``; ``None`` when empty):
        one indexed SQL aggregate, not a table read."""
        table = spec(kind)
        if column not in table.columns:
            raise ValueError(f"latest: {kind!r} has no column {column!r}")
        value = self._db.execute(f'SELECT MAX("{column}") FROM "{kind}"')[0][0]
        if value is None:
            return None
        codec = table.codecs[table.columns.index(column)]
        return pd.Timestamp(value, unit="ns") if codec == "time" else value

    def holdings(self, candidate_ids: Sequence[str]) -> pd.DataFrame:
        return self.rows_of("holdings", candidate_ids)

    def history(self, candidate_ids: Sequence[str]) -> pd.DataFrame:
        return self.rows_of("history", candidate_ids)

    def ids(self, kind: str) -> list[str]:
        """Every id of an entity kind (sorted)."""
        table = spec(kind)
        if table.key is None:
            raise ValueError(f"ids: {kind!r} has no id column; use rows_of(kind, candidate_ids)")
        return [r[0] for r in self._db.execute(f'SELECT "{table.key}" FROM "{kind}" ORDER BY 1')]

    def count(self, kind: str) -> int:
        spec(kind)
        return int(self._db.execute(f'SELECT COUNT(*) FROM "{kind}"')[0][0])

    def texts(self, kind: str, ids: Sequence[str]) -> pd.Series:
        """The text :func:`recsys.text.entity_texts` embeds for ``ids`` (unknown ids left out)."""
        with self._db.read():
            frame = self.get(kind, ids)
            return _texts(self, kind, frame)

    def changes(self, since: int) -> dict[str, set[str]] | None:
        """What the writes after version ``since`` changed: ``{kind: ids}`` ("candidates" covers
        their holdings, history, outcomes, groups, read skills and vectors; "index" a re-laid
        index; "erased" an erasure, without ids), or ``None`` when the log no longer reaches back
        to ``since`` (entries are kept ``CHANGE_LOG_SECONDS``)."""
        with self._db.read():
            now = self.version()
            rows = self._db.execute(
                "SELECT version, kind, entity_id FROM changes WHERE version > ?", [int(since)]
            )
        if len({r[0] for r in rows}) != now - int(since):
            return None
        out: dict[str, set[str]] = {}
        for _, kind, entity_id in rows:
            ids = out.setdefault(kind, set())
            if entity_id:
                ids.add(entity_id)
        return out

    # ------------------------------------------------------------------ embeddings
    def stale(
        self, kind: str, model_id: str | None = None, ids: Sequence[str] | None = None
    ) -> list[str]:
        """Ids of ``kind`` whose text changed since it was embedded, never embedded, or (when
        ``model_id`` is given) embedded by another model.  Sorted.  ``ids``: look at these
        only (the whole table is a scan: 3 s at 10^6 candidates)."""
        return self._outdated(kind, "embeddings", "model_id", model_id, ids)

    def vector_model(self, kind: str) -> str | None:
        """The model id most stored vectors of ``kind`` were embedded by (``None``: none)."""
        rows = self._db.execute(
            "SELECT model_id, COUNT(*) n FROM embeddings WHERE kind = ? GROUP BY model_id "
            "ORDER BY n DESC, model_id LIMIT 1",
            [kind],
        )
        return rows[0][0] if rows else None

    def vectors(self, kind: str, ids: Sequence[str]) -> tuple[list[str], np.ndarray]:
        """Stored (exact) vectors: ``(ids found, array (n, dim))``, in the order of ``ids``."""
        found: dict[str, bytes] = {}
        with self._db.read():
            for chunk in _chunks([str(i) for i in ids]):
                sql = f"SELECT entity_id, vec FROM embeddings WHERE kind = ? AND entity_id IN ({_marks(len(chunk))})"
                found.update(self._db.execute(sql, [kind, *chunk]))
        order = [str(i) for i in ids if str(i) in found]
        if not order:
            return [], np.zeros((0, 0), np.float32)
        return order, np.stack([np.frombuffer(found[i], np.float32) for i in order])

    # ------------------------------------------------------------------ extracted skills
    def unread(self, kind: str, reader_id: str) -> list[str]:
        """Ids of ``kind`` whose text changed since its skills were extracted by ``reader_id``,
        or never extracted.  Sorted."""
        return self._outdated(kind, "extracted", "reader_id", reader_id)

    def extracted(
        self, kind: str, reader_id: str | None = None, ids: Sequence[str] | None = None
    ) -> pd.DataFrame:
        """Skills read from the texts of ``kind`` (by ``reader_id`` when given; of ``ids`` when
        given, else of all): one row per (entity id, skill id), plus a row with a missing
        ``skill_id`` for a text read with none found; the id column is named as the entity's
        (``candidate_id``, ``role_id``)."""
        _embedded(kind)
        key = spec(kind).key
        sql = "SELECT entity_id, skills FROM extracted WHERE kind = ?"
        params: list[Any] = [kind]
        if reader_id is not None:
            sql += " AND reader_id = ?"
            params.append(reader_id)
        rows: list[tuple[str, str]] = []
        with self._db.read():
            if ids is None:
                rows = self._db.execute(sql + " ORDER BY 1", params)
            for chunk in _chunks([str(i) for i in dict.fromkeys(ids or [])]):
                where = f" AND entity_id IN ({_marks(len(chunk))}) ORDER BY 1"
                rows += self._db.execute(sql + where, [*params, *chunk])
        # one JSON parse of all cells and numpy object columns: a paged pool reads ~60k rows
        lists = json.loads("[" + ",".join(cell for _, cell in rows) + "]")
        counts = np.fromiter((len(x) if x else 1 for x in lists), np.int64, len(lists))
        found_ids = np.repeat(np.array([r[0] for r in rows], dtype=object), counts)
        skills = np.fromiter(
            chain.from_iterable(x or (None,) for x in lists), object, int(counts.sum())
        )
        return pd.DataFrame({key: found_ids, "skill_id": skills, "read": found_ids})

    # ------------------------------------------------------------------ term counts
    def unhashed(self, kind: str, scheme: str, ids: Sequence[str] | None = None) -> list[str]:
        """Ids of ``kind`` without term counts of their current text under ``scheme`` (never
        counted, text changed since, or counted under another scheme).  Sorted.  ``ids``: look
        at these only."""
        return self._outdated(kind, "terms", "scheme", scheme, ids)

    def _outdated(
        self,
        kind: str,
        table: str,
        column: str,
        value: str | None,
        ids: Sequence[str] | None = None,
    ) -> list[str]:
        """Ids of ``kind`` whose row in the derived ``table`` (embeddings, extracted, terms) is
        missing, made from another text, or (``value`` given) made with another ``column``
        (model, reader, scheme).  Sorted.  ``ids``: look at these only."""
        _embedded(kind)
        key = spec(kind).key
        other = f" OR x.{column} <> ?" if value is not None else ""
        sql = (
            f'SELECT t."{key}" FROM "{kind}" t LEFT JOIN {table} x '
            f'ON x.kind = ? AND x.entity_id = t."{key}" '
            f"WHERE (x.entity_id IS NULL OR x.text_sha <> t._text_sha{other})"
        )
        params = [kind] + ([value] if value is not None else [])
        if ids is None:
            return [r[0] for r in self._db.execute(sql + " ORDER BY 1", params)]
        found: list[str] = []
        for chunk in _chunks([str(i) for i in dict.fromkeys(ids)]):
            where = f' AND t."{key}" IN ({_marks(len(chunk))})'
            found += [r[0] for r in self._db.execute(sql + where, params + chunk)]
        return sorted(found)

    def terms(
        self, kind: str, ids: Sequence[str], scheme: str, width: int
    ) -> tuple[list[str], Any]:
        """Stored term counts of the current texts of ``ids`` under ``scheme``: ``(ids found,
        CSR matrix (found, width) with one row per found id)``; an id whose text changed since
        it was counted (or never was) is left out."""
        import scipy.sparse as sp

        _embedded(kind)
        key = spec(kind).key
        found: dict[str, bytes] = {}
        with self._db.read():
            for chunk in _chunks([str(i) for i in dict.fromkeys(ids)]):
                sql = (
                    f'SELECT x.entity_id, x.counts FROM terms x JOIN "{kind}" t '
                    f'ON t."{key}" = x.entity_id AND t._text_sha = x.text_sha '
                    f"WHERE x.kind = ? AND x.scheme = ? AND x.entity_id IN ({_marks(len(chunk))})"
                )
                found.update(self._db.execute(sql, [kind, scheme, *chunk]))
        order = [i for i in dict.fromkeys(str(i) for i in ids) if i in found]
        cols, vals = _unpack_counts([found[i] for i in order])
        indptr = np.zeros(len(order) + 1, np.int64)
        np.cumsum([len(c) for c in cols], out=indptr[1:])
        flat = np.concatenate(cols) if cols else np.zeros(0, np.int32)
        data = np.concatenate(vals) if vals else np.zeros(0, np.float32)
        return order, sp.csr_matrix((data, flat, indptr), shape=(len(order), width))

    def to_world(self, candidates: bool = True) -> Any:
        """Every table as a validated :class:`recsys.data.io.World` (reads the whole store: for
        exports, training snapshots and small pools; queries read by id).  ``candidates=False``:
        the candidates and their child tables left empty (what a paged server holds:
        :mod:`recsys.serving.paged`)."""
        from recsys.data.io import World
        from recsys.data.schemas import ENTITIES

        with self._db.read():
            frames = {}
            for kind in ENTITIES:
                table = spec(kind)
                cols = ", ".join(f'"{c}"' for c in table.columns)
                order = f'"{table.key}"' if table.key else "_rowid"
                where = "" if candidates or kind not in ("candidates", *CHILDREN) else " WHERE 0"
                frames[kind] = decode(
                    self._db.execute(f'SELECT {cols} FROM "{kind}"{where} ORDER BY {order}'),
                    table,
                )
        groups = frames.pop("groups")
        return World(**frames, groups=groups if len(groups) else None)

    # ------------------------------------------------------------------ indexes
    def _pin(self, gen: int) -> IO[bytes] | None:
        return gens.pin(self.folder / "indexes", gen)

    def index(self, kind: str) -> VectorIndex | None:
        """The FAISS index of ``kind`` in this reader's generation (loaded once, cached).

        Memory-mapped: every process serving the same generation shares its codes through the
        page cache (a mapping outlives the generation's collection: Linux frees the file's pages
        when the last mapping goes).  Writers change a private copy (:meth:`_writable_index`)."""
        _embedded(kind)
        cached = self._indexes.get(kind)
        if cached is not None and cached[0] == self.generation():
            return cached[1]
        gen, index = self._load_index(kind, mmap=True)
        if gen:
            self._indexes[kind] = (gen, index)
        return index

    def _load_index(self, kind: str, *, mmap: bool) -> tuple[int, VectorIndex | None]:
        """(generation, its ``kind`` index) read under a pin (0, None before any index)."""
        for _ in range(50):
            gen = self.generation()
            if gen == 0:
                return 0, None
            handle = self._pin(gen)
            if handle is None:  # collected since we read the pointer: read it again
                time.sleep(0.01)
                continue
            try:
                config = self._index_config()
                return gen, gens.load(self.folder / "indexes", gen, kind, config, mmap=mmap)
            finally:
                self._unpin(handle)
        raise RuntimeError(f"{self.folder}: could not pin an index generation (50 tries)")

    def _unpin(self, handle: IO[bytes]) -> None:
        handle.close()

    def search(
        self, kind: str, queries: np.ndarray, k: int = 10, filters: dict[str, Any] | None = None
    ) -> Hits:
        """:meth:`VectorIndex.search_batch` on this reader's ``kind`` index."""
        index = self.index(kind)
        if index is None:
            raise LookupError(f"{self.folder}: no {kind!r} index yet (put_vectors first)")
        return index.search_batch(np.atleast_2d(queries), k, filters)

    def text_keys(self, kind: str, ids: Sequence[str] | None = None) -> pd.Series:
        """sha256 of each ``kind`` entity's text (the one its vector embeds), by id (of ``ids``
        when given): what a served model keys the rows it derives from texts by
        (``recsys.features.text.RowCache``)."""
        _embedded(kind)
        key = spec(kind).key
        sql = f'SELECT "{key}", _text_sha FROM "{kind}"'
        if ids is None:
            rows = self._db.execute(sql)
        else:
            rows = []
            with self._db.read():
                for chunk in _chunks([str(i) for i in dict.fromkeys(ids)]):
                    rows += self._db.execute(
                        f'{sql} WHERE "{key}" IN ({_marks(len(chunk))})', chunk
                    )
        return pd.Series({r[0]: r[1] for r in rows}, dtype=object)

    def index_config(self) -> IndexConfig:
        """The FAISS index settings of this store (chosen at creation)."""
        return self._index_config()

    def _index_config(self) -> IndexConfig:
        rows = self._db.execute("SELECT value FROM meta WHERE key = 'index_config'")
        return IndexConfig.model_validate_json(rows[0][0]) if rows else IndexConfig()


def _embedded(kind: str) -> None:
    if kind not in EMBEDDED:
        raise ValueError(
            f"The 'kind' parameter must be one of {list(EMBEDDED)} (the embedded kinds). "
            f"Got {kind!r} instead."
        )


def _texts(reader: _Reader, kind: str, frame: pd.DataFrame) -> pd.Series:
    """entity_texts of ``frame`` with skill labels and contract names read from the store."""
    refs: dict[str, set[str]] = {"skills": set(), "contracts": set()}
    for col in spec(kind).entity.list_columns:
        target = "contracts" if col == "contracts" else "skills"
        for cell in frame[col]:
            refs[target].update(cell)
    tables = {
        "skills": reader.get("skills", sorted(refs["skills"])),
        "contracts": reader.get("contracts", sorted(refs["contracts"])),
    }
    world = SimpleNamespace(**{**tables, kind: frame})
    return entity_texts(world, kind)  # type: ignore[arg-type]


class Snapshot(_Reader):
    """A reader pinned to one committed state: tables (an open read transaction on its own
    connection) and index generation (a shared lock).  Close it (or use ``with``) to release."""

    def __init__(self, folder: Path) -> None:
        super().__init__()
        self.folder = folder
        self._stack = ExitStack()
        for _ in range(50):
            self._db = _read_transaction(folder, self._stack)
            self._gen = super().generation()
            self._handle = self._pin(self._gen) if self._gen else None
            if self._gen == 0 or self._handle is not None:
                if self._handle is not None:
                    self._stack.callback(self._handle.close)
                return
            self._stack.close()
            time.sleep(0.01)
        raise RuntimeError(f"{folder}: could not pin a generation (50 tries)")

    def generation(self) -> int:
        return self._gen

    def _pin(self, gen: int) -> IO[bytes] | None:
        if getattr(self, "_handle", None) is not None and gen == self._gen:
            return self._handle  # already pinned for the snapshot's lifetime
        return super()._pin(gen)

    def _unpin(self, handle: IO[bytes]) -> None:
        if handle is not self._handle:
            handle.close()

    def close(self) -> None:
        self._stack.close()

    def read_parallel(
        self, reads: dict[str, Callable[[_Reader], Any]], threads: int = 4
    ) -> dict[str, Any]:
        """Each ``reads[name](reader)`` run in its own thread, on a reader of this snapshot's
        committed state with a connection of its own: ``{name: result}``.

        One SQLite connection runs one statement at a time, and a pool's random row reads in a
        large store mostly wait on the disk; readers on separate connections overlap those waits
        (the reads of a 1,000-candidate pool at 10^6 candidates: ~1.8x faster, ``docs/store.md``).
        A reader opened after a later commit (its :meth:`version` differs) is not used: that read
        runs on this snapshot afterwards, so every result is of the same state."""
        from concurrent.futures import ThreadPoolExecutor

        version = self.version()

        def run(read: Callable[[_Reader], Any]) -> tuple[bool, Any]:
            with _Sibling(self.folder) as sibling:
                if sibling.version() != version:  # a commit landed since this snapshot opened
                    return False, None
                return True, read(sibling)

        with ThreadPoolExecutor(max(1, min(threads, len(reads)))) as pool:
            futures = {name: pool.submit(run, read) for name, read in reads.items()}
            done = {name: future.result() for name, future in futures.items()}
        return {name: got if ok else reads[name](self) for name, (ok, got) in done.items()}


class _Sibling(_Reader):
    """Table reads in a read transaction on a connection of its own (see
    :meth:`Snapshot.read_parallel`, which checks its state is the snapshot's)."""

    def __init__(self, folder: Path) -> None:
        super().__init__()
        self.folder = folder
        self._stack = ExitStack()
        self._db = _read_transaction(folder, self._stack)

    def close(self) -> None:
        self._stack.close()


def _read_transaction(folder: Path, stack: ExitStack) -> SQLiteBackend:
    """A connection of its own to the store in ``folder``, in a read transaction; ``stack``
    ends the transaction and closes the connection."""
    db = SQLiteBackend(folder)
    stack.callback(db.close)
    stack.enter_context(db.read())
    return db


def _read_marker(folder: Path) -> dict[str, Any]:
    return json.loads((folder / "store.json").read_text(encoding="utf-8"))


class Store(_Reader):
    """The live store (see the module docstring).  Open with :meth:`open`."""

    def __init__(self, folder: Path, backend: Backend) -> None:
        super().__init__()
        self.folder = folder
        self._db = backend

    @classmethod
    def open(
        cls,
        path_or_uri: str | Path,
        *,
        create: bool = False,
        index_config: IndexConfig | None = None,
    ) -> Store:
        """Open the store in a folder (a path or ``sqlite:///folder``); ``create=True`` makes
        it when missing.  ``index_config`` (new stores only) chooses the FAISS index."""
        folder = folder_of(path_or_uri)
        marker = folder / "store.json"
        if not marker.exists():
            if not create:
                raise FileNotFoundError(
                    f"{folder}: not a store (no store.json); pass create=True to make one"
                )
            folder.mkdir(parents=True, exist_ok=True)
        elif _read_marker(folder).get("format_version") != FORMAT_VERSION:
            raise ValueError(
                f"{marker}: unsupported format_version (this code reads {FORMAT_VERSION})"
            )
        store = cls(folder, SQLiteBackend(folder))
        store._migrate(index_config)
        if not marker.exists():  # written last: a half-created folder is not a store
            tmp = folder / ".store.json.tmp"
            tmp.write_text(json.dumps({"format_version": FORMAT_VERSION}) + "\n", encoding="utf-8")
            tmp.replace(marker)
        return store

    def _migrate(self, index_config: IndexConfig | None) -> None:
        from recsys.data.schemas import ENTITIES

        db = self._db
        with db.write():
            db.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT)")
            db.execute("INSERT OR IGNORE INTO meta VALUES ('generation', '0')")
            db.execute("INSERT OR IGNORE INTO meta VALUES ('version', '0')")
            # which entities each version changed: a server follows a few writes by serving
            # them beside its snapshot (recsys.serving.delta) instead of re-reading everything
            db.execute(
                "CREATE TABLE IF NOT EXISTS changes (version INTEGER NOT NULL, kind TEXT NOT "
                "NULL, entity_id TEXT NOT NULL, at REAL NOT NULL)"
            )
            db.execute("CREATE INDEX IF NOT EXISTS changes_version ON changes (version)")
            # every write trims the log by age and an erasure blanks the person's entries: without
            # these, each scanned the whole log (2.7M entries after a 10^6 ingest: 0.4 s a write)
            db.execute("CREATE INDEX IF NOT EXISTS changes_at ON changes (at)")
            db.execute("CREATE INDEX IF NOT EXISTS changes_entity ON changes (kind, entity_id)")
            db.execute(
                "CREATE TABLE IF NOT EXISTS extracted (kind TEXT NOT NULL, entity_id TEXT NOT "
                "NULL, reader_id TEXT NOT NULL, text_sha TEXT, skills TEXT NOT NULL, "
                "PRIMARY KEY (kind, entity_id))"
            )
            if index_config is not None or not db.execute(
                "SELECT 1 FROM meta WHERE key = 'index_config'"
            ):
                db.execute(
                    "INSERT OR REPLACE INTO meta VALUES ('index_config', ?)",
                    [(index_config or IndexConfig()).model_dump_json()],
                )
            # each text's hashed term counts (the BM25 feature's input), stored at ingest so
            # that a paged query does not tokenise the résumés of its whole pool (~0.25 ms each)
            db.execute(
                "CREATE TABLE IF NOT EXISTS terms (kind TEXT NOT NULL, entity_id TEXT NOT NULL, "
                f"scheme TEXT NOT NULL, text_sha TEXT, counts {db.blob_type} NOT NULL, "
                "PRIMARY KEY (kind, entity_id))"
            )
            db.execute(
                "CREATE TABLE IF NOT EXISTS embeddings (kind TEXT NOT NULL, entity_id TEXT NOT "
                f"NULL, model_id TEXT NOT NULL, text_sha TEXT, vec {db.blob_type} NOT NULL, "
                "PRIMARY KEY (kind, entity_id))"
            )
            for kind in ENTITIES:
                table = spec(kind)
                for ddl in table.ddl(db.blob_type):
                    db.execute(ddl)
                have = {r[1] for r in db.execute(f'PRAGMA table_info("{kind}")')}
                for col in table.columns:  # a column added to the schema since: starts NULL
                    if col not in have:
                        db.execute(f'ALTER TABLE "{kind}" ADD COLUMN "{col}"')

    def snapshot(self) -> Snapshot:
        """A reader pinned to the state committed now (see :class:`Snapshot`)."""
        return Snapshot(self.folder)

    # ------------------------------------------------------------------ writes
    def _bump(self, kind: str = "index", ids: Sequence[str] = ("",)) -> None:
        """Inside a write transaction: raise :meth:`version` (readers poll it) and log what
        changed (``kind`` and ids; "index" for a new index layout, "erased" without ids for an
        erasure: the log never keeps an erased id).  Entries older than ``CHANGE_LOG_SECONDS`` go."""
        self._db.execute("UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'version'")
        now = time.time()
        version = self.version()
        rows = [(version, kind, str(i), now) for i in ids] or [(version, kind, "", now)]
        self._db.executemany("INSERT INTO changes VALUES (?, ?, ?, ?)", rows)
        self._db.execute("DELETE FROM changes WHERE at < ?", [now - CHANGE_LOG_SECONDS])

    def _text_shas(
        self, kind: str, ids: list[str], given: Sequence[str] | None, caller: str
    ) -> list[str]:
        """Inside a write: the text hash to record per id (``given``, else the stored row's);
        every id must be a stored ``kind`` row."""
        key = spec(kind).key
        current: dict[str, str] = {}
        for chunk in _chunks(ids):
            sql = f'SELECT "{key}", _text_sha FROM "{kind}" WHERE "{key}" IN ({_marks(len(chunk))})'
            current.update(self._db.execute(sql, chunk))
        unknown = [i for i in ids if i not in current]
        if unknown:
            raise KeyError(f"{caller}: {kind} not in the store: {unknown[:5]}")
        return list(given) if given is not None else [current[i] for i in ids]

    def put_extracted(
        self,
        kind: str,
        ids: Sequence[str],
        skills: Sequence[Sequence[str]],
        reader_id: str,
        text_sha: Sequence[str] | None = None,
    ) -> None:
        """Store the skill ids read from each entity's text by ``reader_id`` (with the hash of the
        text read: the current one, or ``text_sha`` as it was when read)."""
        _embedded(kind)
        ids = [str(i) for i in ids]
        if len(skills) != len(ids):
            raise ValueError(f"put_extracted: {len(ids)} ids but {len(skills)} skill lists")
        with self._db.write():
            shas = self._text_shas(kind, ids, text_sha, "put_extracted")
            self._db.executemany(
                "INSERT OR REPLACE INTO extracted VALUES (?, ?, ?, ?, ?)",
                [
                    (kind, i, reader_id, sha, json.dumps(list(found)))
                    for i, sha, found in zip(ids, shas, skills, strict=True)
                ],
            )
            self._bump(kind, ids)

    def put_terms(
        self,
        kind: str,
        ids: Sequence[str],
        counts: Any,
        scheme: str,
        text_sha: Sequence[str] | None = None,
    ) -> None:
        """Store each entity's term counts (row ``i`` of the CSR ``counts`` for ``ids[i]``, from
        :meth:`recsys.features.text.HashedBM25.counts` of its text) under ``scheme``, with the
        hash of the text counted (the current one, or ``text_sha``)."""
        import scipy.sparse as sp

        _embedded(kind)
        ids = [str(i) for i in ids]
        counts = sp.csr_matrix(counts)
        if counts.shape[0] != len(ids):
            raise ValueError(f"put_terms: {len(ids)} ids but {counts.shape[0]} rows of counts")
        blobs = [
            _pack_counts(counts.indices[a:b], counts.data[a:b])
            for a, b in zip(counts.indptr[:-1], counts.indptr[1:], strict=True)
        ]
        with self._db.write():
            shas = self._text_shas(kind, ids, text_sha, "put_terms")
            self._db.executemany(
                "INSERT OR REPLACE INTO terms VALUES (?, ?, ?, ?, ?)",
                [(kind, i, scheme, sha, b) for i, sha, b in zip(ids, shas, blobs, strict=True)],
            )

    def upsert(self, kind: str, frame: pd.DataFrame) -> UpsertSummary:
        """Insert or replace rows of ``kind`` after validating them against its pandera model.

        Entity tables: by id.  Child tables (holdings, history, outcomes, groups): the rows given
        for a candidate replace all of that candidate's rows; the candidate must exist."""
        table = spec(kind)
        valid, problems = validate_table(frame, table.entity, f"upsert({kind!r})")
        if problems or valid is None:
            raise WorldValidationError(problems)
        rows = encode(valid, table)
        with self._db.write():
            if table.key is None:
                return self._replace_children(kind, valid, rows)
            texts = _texts(self, kind, valid).tolist() if kind in EMBEDDED else None
            key = table.columns.index(table.key)
            old: dict[str, str] = {}
            for chunk in _chunks([r[key] for r in rows]):
                sql = f'SELECT "{table.key}", _row_sha FROM "{kind}" WHERE "{table.key}" IN ({_marks(len(chunk))})'
                old.update(self._db.execute(sql, chunk))
            write, added, updated = [], 0, 0
            for i, row in enumerate(rows):
                sha = row_sha(row)
                if old.get(row[key]) == sha:
                    continue
                added += row[key] not in old
                updated += row[key] in old
                write.append((*row, sha, text_sha(texts[i]) if texts is not None else None))
            cols = [*(f'"{c}"' for c in table.columns), "_row_sha", "_text_sha"]
            sets = ", ".join(f"{c} = excluded.{c}" for c in cols)
            self._db.executemany(
                f'INSERT INTO "{kind}" ({", ".join(cols)}) VALUES ({_marks(len(cols))}) '
                f'ON CONFLICT ("{table.key}") DO UPDATE SET {sets}',
                write,
            )
            if write:
                self._bump(kind, [row[key] for row in write])
        return UpsertSummary(added, updated, len(rows) - added - updated)

    def _replace_children(
        self, kind: str, valid: pd.DataFrame, rows: list[tuple[Any, ...]]
    ) -> UpsertSummary:
        table = spec(kind)
        who = [str(c) for c in valid["candidate_id"].tolist()]
        new: dict[str, list[tuple[Any, ...]]] = {}
        for cand, row in zip(who, rows, strict=True):
            new.setdefault(cand, []).append(row)
        known = {
            r[0]
            for chunk in _chunks(list(new))
            for r in self._db.execute(
                f"SELECT candidate_id FROM candidates WHERE candidate_id IN ({_marks(len(chunk))})",
                chunk,
            )
        }
        missing = [c for c in new if c not in known]
        if missing:
            raise ValueError(
                f"upsert({kind!r}): candidate ids not in the store: {missing[:5]} "
                f"({len(missing)} in all); upsert the candidates first"
            )
        old = encode(self.rows_of(kind, list(new)), table)
        old_by: dict[str, list[str]] = {}
        for row in old:
            old_by.setdefault(row[table.columns.index("candidate_id")], []).append(row_sha(row))
        changed = [c for c in new if sorted(old_by.get(c, [])) != sorted(map(row_sha, new[c]))]
        cols = ", ".join(f'"{c}"' for c in table.columns)
        for chunk in _chunks(changed):
            self._db.execute(
                f'DELETE FROM "{kind}" WHERE candidate_id IN ({_marks(len(chunk))})', chunk
            )
        self._db.executemany(
            f'INSERT INTO "{kind}" ({cols}) VALUES ({_marks(len(table.columns))})',
            [row for c in changed for row in new[c]],
        )
        if changed:
            self._bump("candidates", changed)
        added = sum(c not in old_by for c in changed)
        return UpsertSummary(added, len(changed) - added, len(new) - len(changed))

    def _publish(self, changed: dict[str, VectorIndex | None]) -> int:
        """Inside a write transaction: write the next generation and point to it."""
        root = self.folder / "indexes"
        old = int(self._db.execute("SELECT value FROM meta WHERE key = 'generation'")[0][0])
        gens.collect(root, old)  # orphans of crashed writers, unpinned old generations
        gens.publish(root, old, old + 1, changed)
        self._db.execute("UPDATE meta SET value = ? WHERE key = 'generation'", [str(old + 1)])
        self._bump()
        for kind, index in changed.items():
            self._indexes[kind] = (old + 1, index)
        return old + 1

    @contextmanager
    def _collecting(self) -> Iterator[None]:
        """After the enclosed write commits, delete the generations no one needs any more (in a
        second short write transaction: before the commit, other readers still use the old one)."""
        yield
        with self._db.write():
            gens.collect(self.folder / "indexes", self.generation())

    def _writable_index(self, kind: str) -> VectorIndex | None:
        """The current ``kind`` index as a private, changeable copy (not the mapped one readers
        search), to be changed and published; the cache is dropped: an aborted transaction must
        not leave a changed index behind."""
        _embedded(kind)
        cached = self._indexes.pop(kind, None)
        if cached is not None and cached[0] == self.generation() and not cached[1].mapped_:
            return cached[1]  # this writer's own copy of the current generation: no re-read
        return self._load_index(kind, mmap=False)[1]

    def put_vectors(
        self,
        kind: str,
        ids: Sequence[str],
        vectors: np.ndarray,
        model_id: str,
        *,
        text_sha: Sequence[str] | None = None,
        attributes: pd.DataFrame | None = None,
    ) -> int:
        """Store embeddings of ``ids`` (with the hash of the text they were made from: the
        current one, or ``text_sha`` as returned by :meth:`texts` at embedding time) and
        add/replace them in the ``kind`` index.  A vector of another ``model_id`` than the index
        starts a new index.  Returns the new generation."""
        _embedded(kind)
        ids = [str(i) for i in ids]
        vecs = np.ascontiguousarray(vectors, dtype=np.float32)
        if vecs.ndim != 2 or len(vecs) != len(ids):
            raise ValueError(
                f"put_vectors: {len(ids)} ids need an array (n, dim). Got {vecs.shape}."
            )
        with self._collecting(), self._db.write():
            shas = self._text_shas(kind, ids, text_sha, "put_vectors")
            self._db.executemany(
                "INSERT OR REPLACE INTO embeddings VALUES (?, ?, ?, ?, ?)",
                [
                    (kind, i, model_id, s, v.tobytes())
                    for i, s, v in zip(ids, shas, vecs, strict=True)
                ],
            )
            index = self._writable_index(kind)
            if index is None or index.model_id != model_id or index.dim != vecs.shape[1]:
                index = VectorIndex.build(
                    kind, ids, vecs, model_id, attributes, self._index_config()
                )
            else:
                index.update(ids, vecs, attributes)
            self._bump(kind, ids)
            return self._publish({kind: index})

    def rebuild_index(self, kind: str, model_id: str, config: IndexConfig | None = None) -> int:
        """Build the ``kind`` index anew from every stored vector of ``model_id`` (the factory
        is chosen for the full count; ``config`` also becomes the store's index config)."""
        _embedded(kind)
        with self._collecting(), self._db.write():
            if config is not None:
                self._db.execute(
                    "UPDATE meta SET value = ? WHERE key = 'index_config'",
                    [config.model_dump_json()],
                )
            rows = self._db.execute(
                "SELECT entity_id, vec FROM embeddings WHERE kind = ? AND model_id = ? ORDER BY 1",
                [kind, model_id],
            )
            try:
                old = self._writable_index(kind)
            except IndexLoadError:  # an older format or damaged: its attributes read anew
                old = None
            if not rows:
                return self._publish({kind: None})
            ids = [r[0] for r in rows]
            vecs = np.stack([np.frombuffer(r[1], np.float32) for r in rows])
            del rows
            index = VectorIndex.build(
                kind, ids, vecs, model_id, self._attributes(kind, ids, old), self._index_config()
            )
            return self._publish({kind: index})

    def _attributes(self, kind: str, ids: list[str], old: VectorIndex | None) -> pd.DataFrame:
        """Filter attributes of ``ids``: the old index's where it has them, read from the tables
        for the rest (vectors stored without an index write, an index that was lost)."""
        from recsys.store.world_io import index_attributes

        known = old.attributes if old is not None and len(old.attributes.columns) else None
        have = known.index.intersection(ids) if known is not None else pd.Index([])
        missing = [i for i in ids if i not in have] if len(have) else list(ids)
        parts = [] if known is None else [known.loc[have]]
        for chunk in _chunks(missing, 50_000):
            parts.append(index_attributes(self, kind, chunk))
        return pd.concat(parts).reindex(ids) if len(parts) > 1 else parts[0].reindex(ids)

    def delete_candidates(self, ids: Sequence[str]) -> int:
        """Erase candidates: their rows, holdings, history, outcomes, groups, embeddings and
        index vectors, in one transaction.  Returns how many candidates existed.  Old bytes may
        remain in free pages, the write-ahead log and pinned old generations until
        :meth:`vacuum`."""
        ids = [str(i) for i in dict.fromkeys(ids)]
        n = 0
        with self._collecting(), self._db.write():
            for chunk in _chunks(ids):
                marks = _marks(len(chunk))
                n += self._db.execute(
                    f"SELECT COUNT(*) FROM candidates WHERE candidate_id IN ({marks})", chunk
                )[0][0]
                for kind in ("candidates", *CHILDREN):
                    self._db.execute(f'DELETE FROM "{kind}" WHERE candidate_id IN ({marks})', chunk)
                for derived in ("embeddings", "extracted", "terms"):
                    self._db.execute(
                        f"DELETE FROM {derived} WHERE kind = 'candidates' AND entity_id IN ({marks})",
                        chunk,
                    )
                # the log keeps every version (a reader's delta needs it whole) but not the id
                self._db.execute(
                    f"UPDATE changes SET kind = 'erased', entity_id = '' "
                    f"WHERE kind = 'candidates' AND entity_id IN ({marks})",
                    chunk,
                )
            self._bump("erased")
            index = self._writable_index("candidates")
            if index is not None and index.remove(ids):
                self._publish({"candidates": index})
            elif index is not None:
                self._indexes["candidates"] = (self.generation(), index)
        return n

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """One write transaction around several writes (upserts, read skills, vectors and the
        index generation they publish): readers see all of them or none.  It holds the store's
        write lock throughout; other writers wait for it."""
        with self._collecting(), self._db.write():
            yield

    def vacuum(self, full: bool = True) -> list[int]:
        """Delete unpinned old generations and empty the write-ahead log, so that erased rows
        leave no bytes on disk (``secure_delete`` zeroes them in the database file); ``full``
        also compacts the database (``VACUUM``: rewrites it, minutes at 10^6 candidates).
        Returns the generations deleted."""
        with self._db.write():
            gone = gens.collect(self.folder / "indexes", self.generation())
        self._db.vacuum(full=full)
        return gone

    def close(self) -> None:
        self._db.close()


def _pack_counts(cols: np.ndarray, values: np.ndarray) -> bytes:
    """One text's term counts as bytes: its hashed term columns (int32), then their counts
    (float32), little-endian."""
    return cols.astype("<i4").tobytes() + values.astype("<f4").tobytes()


def _unpack_counts(blobs: list[bytes]) -> tuple[list[np.ndarray], list[np.ndarray]]:
    cols, vals = [], []
    for blob in blobs:
        n = len(blob) // 8
        cols.append(np.frombuffer(blob, "<i4", n))
        vals.append(np.frombuffer(blob, "<f4", n, offset=4 * n))
    return cols, vals
