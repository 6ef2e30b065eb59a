"""FAISS index generations inside a store folder.

``<store>/indexes/g00000007/`` holds one :class:`recsys.index.VectorIndex` per embedded kind,
written by :func:`recsys.index.store.save_index` (``<kind>.faiss``, its attribute shards
``<kind>.attrs-<shard>.parquet``, ``<kind>.json``) plus an empty ``.lock`` file.  A generation is
immutable once its folder has its final name.  A writer makes generation ``g+1`` in ``.tmp-g…``:
the kinds it changed are saved anew (their unchanged attribute shards hard-linked), the others are
hard links to generation ``g``'s files (no copy); the folder is fsynced and renamed,
and only then is ``g+1`` made current in the database, in the same transaction as the rows it goes
with.  A crash before that commit leaves a folder no one points to, removed by the next writer.

Garbage collection (:func:`collect`, run by every writer while it holds the write lock): a
generation folder other than the current one is deleted when no process holds a shared ``flock``
on its ``.lock``.  A reader takes that shared lock before it reads the folder's files and keeps it
for as long as it is pinned to the generation (a :class:`recsys.store.Snapshot` until ``close``).
Locks die with their process, so a crashed reader pins nothing.
"""

from __future__ import annotations

import fcntl
import os
import shutil
from pathlib import Path
from typing import IO

from recsys.index import VectorIndex
from recsys.index.config import IndexConfig
from recsys.index.store import IndexLoadError, files, moved, paths, save_index

LOCK = ".lock"


def folder(root: Path, gen: int) -> Path:
    return root / f"g{gen:08d}"


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def pin(root: Path, gen: int) -> IO[bytes] | None:
    """Take a shared lock on generation ``gen``; None when its folder is gone (collected)."""
    lock = folder(root, gen) / LOCK
    try:
        handle = open(lock, "rb")  # noqa: SIM115 - kept open while pinned
    except FileNotFoundError:
        return None
    fcntl.flock(handle, fcntl.LOCK_SH)
    if not lock.exists():  # collected between open and flock
        handle.close()
        return None
    return handle


def kinds(root: Path, gen: int) -> list[str]:
    """The kinds with an index in generation ``gen``."""
    if gen == 0:
        return []
    return sorted(p.name[: -len(".json")] for p in folder(root, gen).glob("*.json"))


def load(
    root: Path, gen: int, kind: str, config: IndexConfig | None = None, *, mmap: bool = False
) -> VectorIndex | None:
    """The ``kind`` index of generation ``gen`` (sha256-checked), or None when it has none;
    ``mmap``: mapped for searching (shared by processes), not to be changed."""
    if gen == 0 or not paths(folder(root, gen), kind)["manifest"].exists():
        return None
    return VectorIndex.load(folder(root, gen), kind, config=config, mmap=mmap)


def publish(root: Path, old: int, new: int, changed: dict[str, VectorIndex | None]) -> Path:
    """Write generation ``new``: ``changed`` kinds saved (None = dropped), others linked from
    ``old``.  Returns the final folder; the caller commits the pointer afterwards."""
    root.mkdir(parents=True, exist_ok=True)
    tmp = root / f".tmp-g{new:08d}"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    (tmp / LOCK).touch()
    for kind in kinds(root, old):
        if kind in changed:
            continue
        try:
            sources = files(folder(root, old), kind)
        except IndexLoadError:  # unreadable (an older format): carried over as is, to rebuild
            sources = sorted(folder(root, old).glob(f"{kind}.*"))
        for src in sources:
            os.link(src, tmp / src.name)
    for index in changed.values():
        if index is None:
            continue
        if index._tombstones:  # HNSW keeps removed vectors as tombstones: rebuild without them
            index.compact()
        save_index(index, tmp)
    for path in tmp.iterdir():
        _fsync(path)
    _fsync(tmp)
    final = folder(root, new)
    shutil.rmtree(final, ignore_errors=True)  # an orphan of a writer that crashed before commit
    os.rename(tmp, final)
    _fsync(root)
    for index in changed.values():
        if index is not None:
            moved(index, final)
    return final


def collect(root: Path, current: int) -> list[int]:
    """Delete unpinned generations other than ``current`` and unfinished ``.tmp-*`` folders.
    Call only while holding the store's write lock.  Returns the generations deleted."""
    if not root.exists():
        return []
    gone = []
    for path in sorted(root.iterdir()):
        if path.name.startswith(".tmp-"):
            shutil.rmtree(path, ignore_errors=True)
            continue
        if not path.name.startswith("g") or not path.name[1:].isdigit():
            continue
        gen = int(path.name[1:])
        if gen == current:
            continue
        try:
            handle = open(path / LOCK, "rb")  # noqa: SIM115
        except FileNotFoundError:
            shutil.rmtree(path, ignore_errors=True)
            continue
        with handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                continue  # a reader is pinned to it
            (path / LOCK).unlink()
            shutil.rmtree(path, ignore_errors=True)
            gone.append(gen)
    return gone
