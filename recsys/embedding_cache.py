"""The on-disk embedding cache: ``(model_id, sha256(text)) → float32 vector`` in one SQLite file.

WAL mode, so several processes (index builds, serving workers) can share it; reads and writes are
batched (500 keys per query); vectors are raw float32 BLOBs (no pickle).  Used by
:class:`recsys.embedding.Encoder` when ``cache_dir`` is set.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from recsys.forking import PerProcess

_WRITE_BATCH = 2000  # rows per write transaction (see EmbeddingCache.put)


class EmbeddingCache:
    """``(model_id, key) → float32 vector`` in one SQLite file (WAL mode, batched reads/writes)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # one connection per process: a forked serving worker opens its own (recsys.forking)
        self._conn = PerProcess(self._connect)

    def _connect(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, timeout=60, check_same_thread=False)
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")
        db.execute(
            "CREATE TABLE IF NOT EXISTS emb (model TEXT NOT NULL, key BLOB NOT NULL, "
            "vec BLOB NOT NULL, PRIMARY KEY (model, key)) WITHOUT ROWID"
        )
        db.commit()
        return db

    @property
    def _db(self) -> sqlite3.Connection:
        return self._conn.get()

    def get(
        self, model_id: str, keys: Sequence[bytes], dim: int | None = None
    ) -> dict[bytes, np.ndarray]:
        """Cached vectors of ``keys`` (those found); rows of another ``dim`` are ignored."""
        found: dict[bytes, np.ndarray] = {}
        for start in range(0, len(keys), 500):
            chunk = list(keys[start : start + 500])
            marks = ",".join("?" * len(chunk))
            rows = self._db.execute(
                f"SELECT key, vec FROM emb WHERE model = ? AND key IN ({marks})", [model_id, *chunk]
            )
            for key, blob in rows:
                if dim is None or len(blob) == 4 * dim:
                    found[key] = np.frombuffer(blob, dtype=np.float32)
        return found

    def put(self, model_id: str, keys: Sequence[bytes], vectors: np.ndarray) -> None:
        """Store vectors, committing every ``_WRITE_BATCH`` rows: one transaction for a whole
        encode (385k skill-reader spans of a 20k-résumé world) held SQLite's write lock for
        minutes, and a second process sharing the cache failed with "database is locked"."""
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        if len(keys) != len(vectors):
            raise ValueError(f"{len(keys)} keys for {len(vectors)} vectors")
        for start in range(0, len(keys), _WRITE_BATCH):
            stop = start + _WRITE_BATCH
            rows = [
                (model_id, k, v.tobytes())
                for k, v in zip(keys[start:stop], vectors[start:stop], strict=True)
            ]
            with self._db:
                self._db.executemany("INSERT OR REPLACE INTO emb VALUES (?, ?, ?)", rows)

    def delete(self, model_id: str, keys: Sequence[bytes]) -> int:
        """Delete ``keys`` of ``model_id`` so that no byte of them stays in the file: deleted
        content is zeroed (``secure_delete``) and the write-ahead log is emptied.  Returns rows
        deleted."""
        gone = 0
        self._db.execute("PRAGMA secure_delete = ON")
        with self._db:
            for start in range(0, len(keys), 500):
                chunk = list(keys[start : start + 500])
                marks = ",".join("?" * len(chunk))
                gone += self._db.execute(
                    f"DELETE FROM emb WHERE model = ? AND key IN ({marks})", [model_id, *chunk]
                ).rowcount
        if gone:
            self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        return gone

    def count(self, model_id: str | None = None) -> int:
        if model_id is None:
            return self._db.execute("SELECT COUNT(*) FROM emb").fetchone()[0]
        return self._db.execute("SELECT COUNT(*) FROM emb WHERE model = ?", [model_id]).fetchone()[
            0
        ]

    def close(self) -> None:
        self._db.close()
