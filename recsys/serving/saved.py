"""Saved shortlists: a ranking kept under an id, reopened by a link that carries no key.

    book = SavedShortlists("logs/saved-shortlists")      # a folder; the SQLite file is made on use
    sid = book.save(query, rec.shortlist(**query).to_dict(), title="Data engineer, Berlin")
    book.get(sid)            # {id, title, note, created_at, owner, query, view, manifest, results}
    book.forget(["C42"])     # erasure: the candidate's rows leave every saved shortlist

The answer is stored as the server computed it (rows with scores and reasons, and the manifest:
model version, index sha256, time), so a shared link shows what was seen, not a re-ranking of
today's data; the page offers "run again" for that.  Ids are 16 random URL-safe characters
(``secrets``): a link names one shortlist and guesses none, and reading it still needs an API key.

**Storage.**  One SQLite file, ``saved-shortlists.sqlite``, in a folder of its own (``saved_shortlists``
in ``configs/serve.yaml``; ``recsys serve`` defaults it to ``logs/saved-shortlists``): the same for a
served bundle and a live store, and outside the store's folder, so a store stays exactly its
entities.  WAL mode, so the workers of ``recsys serve --workers N`` share it.  Rows are one per
candidate, so an erasure (``DELETE /v1/candidates/{id}`` calls :meth:`SavedShortlists.forget`)
deletes that candidate's rows with ``secure_delete`` on and truncates the WAL: no page of the file
keeps them.
"""

from __future__ import annotations

import json
import secrets
import sqlite3
import threading
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

__all__ = ["FILE_NAME", "SavedShortlists"]

FILE_NAME = "saved-shortlists.sqlite"
_SCHEMA = """
CREATE TABLE IF NOT EXISTS shortlists (
    id TEXT PRIMARY KEY,
    created_at TEXT NOT NULL,
    owner TEXT NOT NULL,
    title TEXT NOT NULL,
    note TEXT NOT NULL,
    query TEXT NOT NULL,
    view TEXT NOT NULL,
    manifest TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS saved_rows (
    shortlist_id TEXT NOT NULL REFERENCES shortlists(id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    candidate_id TEXT NOT NULL,
    row TEXT NOT NULL,
    PRIMARY KEY (shortlist_id, position)
);
CREATE INDEX IF NOT EXISTS saved_rows_candidate ON saved_rows (candidate_id);
"""


class SavedShortlists:
    """Shortlists saved under ids in ``folder``/``saved-shortlists.sqlite`` (see the module doc)."""

    def __init__(self, folder: str | Path) -> None:
        self.folder = Path(folder)
        self.path = self.folder / FILE_NAME
        self._lock = threading.Lock()  # one connection per object, used by one thread at a time
        self._conn: sqlite3.Connection | None = None

    def _db(self) -> sqlite3.Connection:
        if self._conn is None:
            self.folder.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(self.path, check_same_thread=False, timeout=30)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA secure_delete=ON")
            conn.execute("PRAGMA foreign_keys=ON")
            conn.executescript(_SCHEMA)
            self._conn = conn
        return self._conn

    def save(
        self,
        query: Mapping[str, Any],
        answer: Mapping[str, Any],
        *,
        title: str = "",
        note: str = "",
        view: Mapping[str, Any] | None = None,
        owner: str = "",
    ) -> str:
        """Keep ``answer`` (a ranking's ``to_dict()``) of ``query`` (the request that made it);
        returns the new id.  ``view``: how the page showed it (sort, page size), ``owner``: the
        saving key's fingerprint (never the key)."""
        sid = secrets.token_urlsafe(12)
        results = list(answer.get("results", []))
        created = datetime.now(UTC).isoformat(timespec="seconds")
        head = (
            sid,
            created,
            owner,
            title,
            note,
            json.dumps(query, default=str),
            json.dumps(dict(view or {}), default=str),
            json.dumps(answer.get("manifest", {}), default=str),
        )
        rows = [
            (sid, i, str(r["candidate_id"]), json.dumps(r, default=str))
            for i, r in enumerate(results)
        ]
        with self._lock, self._db() as db:
            db.execute("INSERT INTO shortlists VALUES (?, ?, ?, ?, ?, ?, ?, ?)", head)
            db.executemany("INSERT INTO saved_rows VALUES (?, ?, ?, ?)", rows)
        return sid

    def get(self, shortlist_id: str) -> dict[str, Any]:
        """The saved shortlist (its rows in their saved order); KeyError if there is none."""
        with self._lock:
            db = self._db()
            head = db.execute(
                "SELECT id, created_at, owner, title, note, query, view, manifest "
                "FROM shortlists WHERE id = ?",
                (shortlist_id,),
            ).fetchone()
            if head is None:
                raise KeyError(f"No saved shortlist {shortlist_id!r}.")
            rows = db.execute(
                "SELECT row FROM saved_rows WHERE shortlist_id = ? ORDER BY position",
                (shortlist_id,),
            ).fetchall()
        keys = ("id", "created_at", "owner", "title", "note")
        out: dict[str, Any] = dict(zip(keys, head[:5], strict=True))
        out["query"], out["view"], out["manifest"] = (json.loads(x) for x in head[5:])
        out["results"] = [json.loads(r[0]) for r in rows]
        return out

    def recent(self, limit: int = 50) -> list[dict[str, Any]]:
        """The newest ``limit`` saved shortlists: ``id, created_at, owner, title, rows``."""
        with self._lock:
            found = (
                self._db()
                .execute(
                    "SELECT s.id, s.created_at, s.owner, s.title, COUNT(r.position) "
                    "FROM shortlists s LEFT JOIN saved_rows r ON r.shortlist_id = s.id "
                    "GROUP BY s.id ORDER BY s.created_at DESC, s.id LIMIT ?",
                    (int(limit),),
                )
                .fetchall()
            )
        keys = ("id", "created_at", "owner", "title", "rows")
        return [dict(zip(keys, f, strict=True)) for f in found]

    def forget(self, candidate_ids: Iterable[str]) -> int:
        """Erasure: delete these candidates' rows from every saved shortlist (zeroed, WAL
        truncated); returns how many rows went."""
        ids = [(str(c),) for c in candidate_ids]
        if not ids or not self.path.exists():
            return 0
        with self._lock:
            db = self._db()
            with db:
                gone = sum(
                    db.execute("DELETE FROM saved_rows WHERE candidate_id = ?", i).rowcount
                    for i in ids
                )
            db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        return gone

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None
