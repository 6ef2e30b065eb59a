"""An append-only, tamper-evident log of the recommendations served (EU AI Act Art. 12).

One JSON line per answered request in ``<folder>/events-YYYY-MM-DD.jsonl`` (UTC day): a new file
each day, none ever rewritten, renamed or deleted by recsys (retention is the operator's: the AI
Act asks deployers to keep logs at least six months, Art. 26(6)).  A line holds the time, the kind
of request, the model (name, version, run id), the index sha256s, a sha256 of the request (never
its text: a JD or résumé appears only as its hash), the requester's key fingerprint when given,
the returned ids in rank order, and ``prev``: the sha256 of the previous line of that file, so
that an edit, insertion or deletion inside a day shows in :func:`verify`.

Several server workers may append to the same folder: each write takes an exclusive ``flock`` on
the day's file, reads its last line's hash and appends one line with ``O_APPEND``.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

__all__ = ["EventLog", "EventLogError", "request_hash", "verify"]

GENESIS = "0" * 64  # ``prev`` of a day's first line
_TAIL = 1 << 14  # bytes read per step when looking for the last line


class EventLogError(ValueError):
    """A log file that does not verify: names the file and line."""


def request_hash(request: Mapping[str, Any]) -> str:
    """sha256 of the request as canonical JSON (sorted keys): equal requests, equal hashes."""
    raw = json.dumps(request, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def _line_hash(line: bytes) -> str:
    return hashlib.sha256(line.rstrip(b"\n")).hexdigest()


@dataclass(frozen=True)
class EventLog:
    """Appends events under ``folder`` (created on first use)."""

    folder: Path

    def __post_init__(self) -> None:
        object.__setattr__(self, "folder", Path(self.folder))

    def path_for(self, when: datetime) -> Path:
        return self.folder / f"events-{when.astimezone(UTC):%Y-%m-%d}.jsonl"

    def record(
        self,
        kind: str,
        request: Mapping[str, Any],
        manifest: Mapping[str, Any],
        ids: Iterable[str],
        requester: str | None = None,
    ) -> dict[str, Any]:
        """Append one event for an answered ``request`` (the body as received) whose answer has
        ``manifest`` (a :class:`recsys.explain.Ranking`'s) and ``ids`` (rank order).  Returns the
        event written."""
        now = datetime.now(UTC)
        fairness = manifest.get("fairness") or {}
        event = {
            "time": now.isoformat(timespec="milliseconds"),
            "kind": kind,
            "model": {k: manifest.get(k) for k in ("name", "version", "run_id", "uri")},
            "encoder": manifest.get("encoder"),
            "index_sha256": manifest.get("index_sha256") or {},
            "request_sha256": request_hash(request),
            "requester": requester,
            "k": manifest.get("k"),
            "fairness_applied": bool(fairness.get("applied")),
            "returned": [str(i) for i in ids],
        }
        path = self.path_for(now)
        self.folder.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o640)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)  # one writer at a time across worker processes
            event["prev"] = _last_hash(fd)
            line = json.dumps(event, separators=(",", ":"), default=str).encode("utf-8") + b"\n"
            os.write(fd, line)
            os.fsync(fd)
        finally:
            os.close(fd)  # releases the lock
        return event


def _last_hash(fd: int) -> str:
    """Hash of the file's last line, read backwards in blocks (a day's file may be large)."""
    size = os.fstat(fd).st_size
    if size == 0:
        return GENESIS
    tail, start = b"", size
    while start > 0:
        start = max(0, start - _TAIL)
        tail = os.pread(fd, size - start, start)
        if b"\n" in tail.rstrip(b"\n"):
            break
    return _line_hash(tail.rstrip(b"\n").rsplit(b"\n", 1)[-1])


def verify(folder: str | Path) -> dict[str, int]:
    """Check every ``events-*.jsonl`` under ``folder``: each line parses and its ``prev`` is the
    hash of the line before (the first: all zeros).  Returns ``{file name: events}``; raises
    :class:`EventLogError` naming the first file and line that does not hold."""
    out: dict[str, int] = {}
    for path in sorted(Path(folder).glob("events-*.jsonl")):
        prev = GENESIS
        with path.open("rb") as fh:
            for n, line in enumerate(fh, start=1):
                try:
                    event = json.loads(line)
                except json.JSONDecodeError as err:
                    raise EventLogError(
                        f"{path}, line {n}: not a JSON event ({err.msg})."
                    ) from None
                if event.get("prev") != prev:
                    raise EventLogError(
                        f"{path}, line {n}: 'prev' is {event.get('prev')!r}, expected the hash of "
                        f"line {n - 1} ({prev}): a line was changed, inserted or removed."
                    )
                prev = _line_hash(line)
                out[path.name] = n
    return out
