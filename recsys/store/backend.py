"""The database under a :class:`recsys.store.Store`: a small protocol and the embedded SQLite one.

The store speaks a portable subset of SQL (``?`` placeholders, ``INSERT … ON CONFLICT … DO
UPDATE``, ``TEXT/INTEGER/REAL/BLOB``) through :class:`Backend`.  A client/server database
(PostgreSQL: translate ``?`` to ``%s``, ``BLOB`` to ``BYTEA``, ``write`` = ``SELECT … FOR UPDATE``
on the generation row) would implement the same five methods; nothing else in the store changes.

:class:`SQLiteBackend`: one file ``tables.sqlite`` in WAL mode (readers never block the writer nor
each other; a reader sees the last committed transaction), ``synchronous=NORMAL`` (a killed process
loses nothing committed; a power cut may lose the last transactions, never consistency),
``secure_delete=ON`` (deleted rows are overwritten with zeros in the database file).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Protocol

from recsys.forking import PerProcess


class Backend(Protocol):
    """What the store needs from a database."""

    blob_type: str

    def execute(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """Run one statement; return its rows (empty for writes)."""

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        """Run one statement for every parameter row."""

    def write(self) -> Any:
        """Context manager: one serialised write transaction, committed on exit, rolled back on
        error; only one writer (any process) at a time."""

    def read(self) -> Any:
        """Context manager: every statement inside sees one consistent committed state."""

    def vacuum(self, full: bool = True) -> None:
        """Physically overwrite deleted rows (erasure); ``full`` also gives back space (rewrites
        the whole database: minutes at millions of rows)."""

    def close(self) -> None: ...


class SQLiteBackend:
    """The embedded default: ``<folder>/tables.sqlite`` (see the module docstring)."""

    blob_type = "BLOB"
    FILE = "tables.sqlite"

    def __init__(self, folder: str | Path, *, timeout: float = 60.0) -> None:
        self.path = Path(folder) / self.FILE
        self._timeout = timeout
        self._depth = 0
        # one connection per process: a forked serving worker opens its own (recsys.forking)
        self._conn = PerProcess(self._connect)

    def _connect(self) -> sqlite3.Connection:
        db = sqlite3.connect(
            self.path, timeout=self._timeout, isolation_level=None, check_same_thread=False
        )
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")
        db.execute("PRAGMA secure_delete=ON")
        db.execute("PRAGMA foreign_keys=OFF")
        return db

    @property
    def _db(self) -> sqlite3.Connection:
        if self._depth and self._conn.forked():
            raise RuntimeError(
                f"{self.path}: this reader's transaction was opened in the parent process; a "
                "forked process cannot go on with it (open a new snapshot there)"
            )
        return self._conn.get()

    def execute(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        return self._db.execute(sql, tuple(params)).fetchall()

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        self._db.executemany(sql, rows)

    @contextmanager
    def _transaction(self, begin: str) -> Iterator[None]:
        if self._depth:  # nested: part of the outer transaction
            self._depth += 1
            try:
                yield
            finally:
                self._depth -= 1
            return
        self._db.execute(begin)
        self._depth = 1
        try:
            yield
        except BaseException:
            self._depth = 0
            self._db.execute("ROLLBACK")
            raise
        self._depth = 0
        self._db.execute("COMMIT")

    def write(self) -> Any:
        # IMMEDIATE takes the write lock now: two writers queue instead of deadlocking later
        return self._transaction("BEGIN IMMEDIATE")

    def read(self) -> Any:
        return self._transaction("BEGIN DEFERRED")

    def vacuum(self, full: bool = True) -> None:
        # secure_delete has zeroed deleted cells and freed pages in the database; TRUNCATE
        # empties the WAL, whose old frames still hold page images of deleted rows.  VACUUM
        # (``full``) rewrites the file from live rows only, giving the free pages back.  All need
        # no reader pinned to old data: wait at most 2 s for one (not the 60 s writers wait).
        self._db.execute("PRAGMA busy_timeout = 2000")
        steps = ["PRAGMA wal_checkpoint(TRUNCATE)"]
        if full:
            steps += ["VACUUM", "PRAGMA wal_checkpoint(TRUNCATE)"]
        try:
            for step in steps:
                row = self._db.execute(step).fetchone()
                if row is not None and row[0]:
                    raise RuntimeError(
                        f"{self.path}: the write-ahead log could not be emptied because a reader "
                        "holds an old snapshot; close open snapshots and run vacuum() again"
                    )
        finally:
            self._db.execute(f"PRAGMA busy_timeout = {int(self._timeout * 1000)}")

    def close(self) -> None:
        self._db.close()


def folder_of(uri: str | Path) -> Path:
    """The store folder of a plain path or an SQLAlchemy-style ``sqlite:///relative`` /
    ``sqlite:////absolute`` URI."""
    text = str(uri)
    if "://" in text:
        scheme, _, rest = text.partition("://")
        if scheme != "sqlite":
            raise ValueError(
                "The 'path_or_uri' parameter of Store.open must be a folder path or "
                f"'sqlite:///<folder>'. Got scheme {scheme!r} instead (a server database would "
                "implement recsys.store.backend.Backend)."
            )
        text = rest[1:] if rest.startswith("/") else rest
    return Path(text)
