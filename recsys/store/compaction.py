"""When a store's indexes are rebuilt, and doing it beside the readers.

Writes update an index in place: vectors are added to (or removed from) the FAISS index the store
already has, whose layout was chosen — and, for IVF, whose centroids were trained — for the number
of vectors it had when it was built.  A pool that grows from 3,000 to 300,000 candidates keeps an
exact ``Flat`` index it no longer should, or IVF lists trained on a hundredth of its vectors.

:func:`compaction_due` names each index whose layout is no longer the one
:func:`recsys.index.resolve_factory` picks for its current size (a ``Flat`` index past
``flat_below``; IVF whose list count for the size changed, i.e. the pool grew or shrank about 4×
since training) and each index it cannot read (written by an older format, or damaged).
:func:`compact` rebuilds those from the stored vectors (centroids retrained)
and publishes them as a new generation: readers keep the generation they have pinned and move on
at their next snapshot, so a compaction never blocks a query.  ``recsys store compact`` runs it
by hand; a served :class:`recsys.serving.live.LiveRecommender` runs it in a background thread
after its own writes when it is due.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from recsys.index.config import resolve_factory
from recsys.index.store import IndexLoadError
from recsys.store.tables import EMBEDDED

__all__ = ["compact", "compact_in_background", "compaction_due"]


def compaction_due(store: Any) -> dict[str, str]:
    """``{kind: why}`` for every index whose layout no longer fits its size (see the module doc)."""
    config = store.index_config()
    due = {}
    for kind in EMBEDDED:
        try:
            index = store.index(kind)
        except IndexLoadError as err:  # an older format or damaged: rebuilt from the vectors
            due[kind] = f"unreadable: {err}"
            continue
        if index is None or not len(index):
            continue
        want = resolve_factory(len(index), config, index.dim)
        if index.factory_ != want:
            due[kind] = f"{len(index)} vectors call for {want!r}; the index is {index.factory_!r}"
    return due


def compact(store: Any, kinds: list[str] | None = None, *, vacuum: bool = True) -> dict[str, int]:
    """Rebuild the ``kinds`` indexes (default: those :func:`compaction_due` names) from every
    stored vector, then (``vacuum``) drop unpinned old generations and compact the database.
    Returns ``{kind: vectors}`` rebuilt."""
    todo = list(compaction_due(store)) if kinds is None else list(kinds)
    done = {}
    for kind in todo:
        try:
            index = store.index(kind)
            model_id = None if index is None else index.model_id
        except IndexLoadError:  # unreadable: the model of most of its stored vectors
            model_id = store.vector_model(kind)
        if model_id is None:
            continue
        store.rebuild_index(kind, model_id)
        done[kind] = len(store.index(kind) or ())
    if vacuum and done:
        store.vacuum()
    return done


def compact_in_background(folder: str | Path, *, vacuum: bool = False) -> threading.Thread:
    """:func:`compact` what is due on a connection of its own in a daemon thread (started; join
    it to wait).  No vacuum by default: a served process's pinned snapshot holds the old files."""
    from recsys.store import Store

    def run() -> None:
        with Store.open(folder) as st:
            compact(st, vacuum=vacuum)

    thread = threading.Thread(target=run, name="recsys-store-compact", daemon=True)
    thread.start()
    return thread
