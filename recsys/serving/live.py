"""``LiveRecommender``: a model served over the live store, following its changes.

    rec = Recommender.from_uri("models:/recsys@champion", store="stores/live")
    rec.shortlist(role_id="R1", k=20)          # the Recommender API, over the store's content
    rec.ingest(["resumes.json"])                # write through the model's reader and encoder
    rec.erase(["C42"])                          # erasure: store, indexes, read skills, cache

**Following the store.**  The served :class:`recsys.recommender.Recommender` is built from one
pinned store snapshot (:meth:`Recommender.over_store`).  Any call checks, at most every
``poll_seconds``, the store's write counter (``Store.version``: one indexed SQLite read); when another
process has written, a new recommender is built in a background thread and swapped in when ready.
Calls keep being answered by the previous one meanwhile, so a store change never fails a request:
a write becomes visible within ``poll_seconds`` plus one rebuild: the snapshot read and the
serving fast path, built before the swap so that no query waits for it, with the BM25 rows of
unchanged texts reused from the model's row cache (keyed by the store's text sha256); its
self-check against the feature builder runs just after the swap.  Writes made through this object
(:meth:`ingest`, :meth:`erase`) rebuild before they return, so the caller sees them at once, and
then re-lay any index that outgrew its layout in a background thread
(:mod:`recsys.store.compaction`; ``compact=False`` leaves it to ``recsys store compact``).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

__all__ = ["LiveRecommender"]


class LiveRecommender:
    """The :class:`~recsys.recommender.Recommender` API over a live store (see the module doc)."""

    def __init__(
        self, model: Any, store: Any, *, poll_seconds: float = 0.5, compact: bool = True
    ) -> None:
        from recsys.store import Store

        self.model = model
        self.compact = compact  # re-lay outgrown indexes in the background after own writes
        self._compacting: threading.Thread | None = None
        self.store = store if isinstance(store, Store) else Store.open(store)
        self.poll_seconds = float(poll_seconds)
        self._write = threading.Lock()  # one write (ingest/erase) of this process at a time
        self._swap = threading.Lock()
        self._building: threading.Thread | None = None
        self._checked = time.monotonic()
        self._version = self.store.version()
        self._current = model.over_store(self.store)
        self._ingestor: Any = None

    # ------------------------------------------------------------------ following the store
    @property
    def current(self) -> Any:
        """The recommender serving now (a background rebuild starts when the store moved on)."""
        now = time.monotonic()
        # not while this object writes: the write refreshes when it ends, and the store's one
        # connection must not run a query beside it (VACUUM fails with "SQL statements in
        # progress" when a request thread polls at that moment)
        if now - self._checked >= self.poll_seconds and self._write.acquire(blocking=False):
            try:
                self._checked = now
                moved = self.store.version() != self._version
            finally:
                self._write.release()
            if moved:
                self._start_rebuild()
        return self._current

    def _start_rebuild(self) -> None:
        with self._swap:
            if self._building is not None and self._building.is_alive():
                return
            self._building = threading.Thread(target=self.refresh, name="recsys-store-refresh")
            self._building.daemon = True
            self._building.start()

    def refresh(self) -> Any:
        """Rebuild over the store's committed content now and serve it; returns it."""
        rec = self.model.over_store(self.store)
        # the version of the snapshot it was built from (read on the snapshot's own connection)
        version = int(rec.info["store_version"])
        # the fast path is built here, not by the first query the new recommender answers (its
        # BM25 rows of unchanged texts come from the model's row cache), and compared with the
        # feature builder just after the swap (it stops itself on a difference)
        rec.fast_features(check=False)
        with self._swap:
            if version >= self._version:
                self._current, self._version = rec, version
        # the check runs on its own thread, so the next store version's rebuild need not wait
        threading.Thread(
            target=rec.verify_fast_path, name="recsys-fastpath-check", daemon=True
        ).start()
        return self._current

    @property
    def version(self) -> int:
        """The store version being served."""
        return self._version

    # ------------------------------------------------------------------ writes
    def ingest(self, inputs: Sequence[str | Path] | Any, *, kind: str | None = None) -> Any:
        """:func:`recsys.ingest.ingest` with this model's reader and encoder, then serve the result.
        Returns the :class:`recsys.ingest.IngestReport`."""
        from recsys.ingest.pipeline import Ingestor, ingest

        with self._write:
            if self._ingestor is None:
                self._ingestor = Ingestor(recommender=self.model)
            report = ingest(self.store, inputs, kind=kind, ingestor=self._ingestor)
            self.refresh()
            self._compact_if_due()
        return report

    def erase(self, candidate_ids: Sequence[str]) -> int:
        """Erase candidates (:func:`recsys.ingest.erase_candidates`) and stop serving them."""
        from recsys.ingest.pipeline import erase_candidates

        with self._write:
            n = erase_candidates(self.store, candidate_ids, encoder=self.model.encoder)
            self.refresh()
            self._compact_if_due()
        return n

    def _compact_if_due(self) -> None:
        """Re-lay indexes that outgrew their layout (:mod:`recsys.store.compaction`) in a
        background thread; the served view follows when it publishes (the version moves)."""
        from recsys.store.compaction import compact_in_background, compaction_due

        running = self._compacting is not None and self._compacting.is_alive()
        if not running and self.compact and compaction_due(self.store):
            self._compacting = compact_in_background(self.store.folder)

    # ------------------------------------------------------------------ the Recommender API
    def warmup(self, encoder: bool = True) -> LiveRecommender:
        """Warm the recommender serving now (:meth:`Recommender.warmup`); returns this object,
        not the inner recommender, so a chained ``.warmup()`` keeps following the store."""
        self.current.warmup(encoder)
        return self

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__") or name in ("model", "store", "_current", "_compacting"):
            raise AttributeError(name)
        return getattr(self.current, name)

    def __repr__(self) -> str:
        return f"LiveRecommender(store={str(self.store.folder)!r}, version={self._version})"
