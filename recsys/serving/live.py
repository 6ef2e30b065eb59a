"""``LiveRecommender``: a model served over the live store, following its changes.

    rec = Recommender.from_uri("models:/recsys@champion", store="stores/live")
    rec.shortlist(role_id="R1", k=20)          # the Recommender API, over the store's content
    rec.ingest(["resumes.json"])                # write through the model's reader and encoder
    rec.erase(["C42"])                          # erasure: store, indexes, read skills, cache

**Following the store.**  The served :class:`recsys.recommender.Recommender` is built from one
pinned store snapshot (:meth:`Recommender.over_store`).  Any call checks, at most every
``poll_seconds``, the store's write counter (``Store.version``: one indexed SQLite read); when another
process has written, a background thread takes over and calls keep being answered by what is served
meanwhile, so a store change never fails a request:

1. when the writes touched only candidates (at most ``recsys.serving.delta.DELTA_LIMIT``), it
   reads just those and serves them beside the snapshot (:mod:`recsys.serving.delta`: the same
   shortlists a full rebuild gives, in a fraction of its time);
2. it rebuilds in full (the snapshot read and the serving fast path, built before the swap so
   that no query waits for it, with the BM25 rows of unchanged texts reused from the model's row
   cache keyed by the store's text sha256) and swaps that in when no delta can serve the writes,
   when they erased someone, or when the delta served is ``rebuild_after`` seconds old (default
   30: a burst of writes costs one full rebuild, which competes with requests for the
   interpreter); the fast path's self-check against the feature builder runs after the swap.

**Erasure** is not left to the background: a call that finds someone erased since what it serves
(by another process: the change log says "erased") waits while this process drops what it
computed from texts in memory (its encoders' vectors, the BM25 rows of texts no longer stored) and
builds a view without them (a delta, else a full rebuild).  :meth:`LiveRecommender.follow` (which
``recsys serve`` starts in each worker) looks at the store every ``poll_seconds`` without waiting
for a call, so an idle worker does the same within ``poll_seconds`` of the erasure.

Writes made through this object are served before they return: :meth:`ingest` as a delta (the
full rebuild follows when due), :meth:`erase` by a full rebuild (an erased person must
vanish from every answer at once).  Both then re-lay any index that outgrew its layout in a
background thread (:mod:`recsys.store.compaction`; ``compact=False`` leaves it to ``recsys store
compact``).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

__all__ = ["LiveRecommender"]

_FOLLOW_FLOOR = 0.05  # seconds: follow() looks at the store at most 20 times a second


class LiveRecommender:
    """The :class:`~recsys.recommender.Recommender` API over a live store (see the module doc)."""

    def __init__(
        self,
        model: Any,
        store: Any,
        *,
        poll_seconds: float = 0.5,
        compact: bool = True,
        rebuild_after: float = 30.0,
        paged: bool | None = None,
    ) -> None:
        from recsys.serving.paged import PAGED_ABOVE
        from recsys.store import Store

        self.model = model
        self.compact = compact  # re-lay outgrown indexes in the background after own writes
        self._compacting: threading.Thread | None = None
        self.store = store if isinstance(store, Store) else Store.open(store)
        self.poll_seconds = float(poll_seconds)
        # how long a delta is served before the full rebuild (at once after an erasure)
        self.rebuild_after = float(rebuild_after)
        self._write = threading.Lock()  # one write (ingest/erase) of this process at a time
        self._swap = threading.Lock()
        self._erasing = threading.Lock()  # held while an erasure elsewhere is being followed
        # a full rebuild of at least this version drops the BM25 rows it does not ask for
        self._prune_from: int | None = None  # (an erasure's version)
        self._following: threading.Event | None = None  # set: follow()'s thread stops
        self._building: threading.Thread | None = None
        self._delta: threading.Thread | None = None
        self._checked = time.monotonic()
        self._version = self.store.version()
        # candidates read per query instead of held (recsys.serving.paged); default: large stores
        self.paged = self.store.count("candidates") > PAGED_ABOVE if paged is None else bool(paged)
        self._current = self._full = self._build()
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
                version = self.store.version()
                newer = version != self._version
                # erasure of someone it still serves: no call is answered until it is served
                # no more (taken before the store lock goes: no call slips in between)
                erased = newer and self._erased_since(self._version)
                if erased:
                    self._erasing.acquire()
            finally:
                self._write.release()
            if erased:
                try:
                    self._follow_erasure(version)
                finally:
                    self._erasing.release()
            # the store moved on, or a delta is served and its full rebuild is still owed
            elif newer or self._owed():
                self._start_rebuild(newer)
        elif self._erasing.locked():  # another call is following an erasure: wait for it
            with self._erasing:
                pass
        return self._current

    def _erased_since(self, version: int) -> bool:
        """Someone was erased after ``version`` (or the change log no longer tells)."""
        changes = self.store.changes(version)
        return changes is None or "erased" in changes

    def _follow_erasure(self, version: int) -> None:
        """Serve the store without the people another process erased, before answering (the
        caller holds ``_erasing``): what this process computed from texts in memory goes
        (:meth:`_forget_memory`), then a delta (or, when none can serve the writes, a full
        rebuild) is built now, not in the background."""
        if self._version >= version:  # another call followed it meanwhile
            return
        self._forget_memory(version)
        if not self._serve_delta():
            self.refresh()
        if self._owed():  # a delta: the full rebuild, which no longer holds them, follows
            self._start_rebuild(False)

    def _forget_memory(self, version: int) -> None:
        """An erasure was written (here or elsewhere; store ``version`` holds it): drop the
        vectors this process's encoders hold in memory (keyed by text hash, so which were the
        erased person's is unknown here; the eraser forgets theirs on disk too:
        ``recsys.ingest.erase_candidates``) and the BM25 rows of texts the store no longer
        holds (paged: all of them, each query reads its pool's again; held: those the first
        full rebuild of that version or later does not ask for); paged, the models of the
        pools it kept too."""
        model = self.model
        encoders = (getattr(model, "encoder", None), getattr(model._skills, "encoder", None))
        for enc in {id(e): e for e in encoders if e is not None}.values():
            clear = getattr(enc, "clear_memory", None)
            if clear is not None:
                clear()
        if self.paged:  # and the kept pools' models, which hold the rows they read
            model._row_cache["candidates"].keep()
            self._current.drop_parts()
        else:
            self._prune_from = version

    def follow(self) -> LiveRecommender:
        """Follow the store without waiting for calls: a daemon thread looks at it every
        ``poll_seconds`` (at least 0.05 s; as a call does), so an idle process drops an erased
        person as soon as a busy one does, and has the store's writes built before its next call.
        A server's lifespan starts it in each worker (threads do not cross a fork);
        :meth:`unfollow` stops it.  Returns this object."""
        if self._following is not None and not self._following.is_set():
            return self
        stop = self._following = threading.Event()
        every = max(self.poll_seconds, _FOLLOW_FLOOR)  # a tiny poll (tests) must not spin

        def poll() -> None:
            while not stop.wait(every):
                try:
                    self.current  # noqa: B018 - the look at the store
                except Exception as err:  # noqa: BLE001 - the next look tries again
                    import warnings

                    warnings.warn(f"following the store failed: {err!r}", stacklevel=1)

        self._thread(poll, "recsys-store-follow")
        return self

    def unfollow(self) -> None:
        """Stop what :meth:`follow` started (calls still look at the store)."""
        if self._following is not None:
            self._following.set()

    def _build(self) -> Any:
        """What serves the store's committed content: the model over a snapshot, or paged."""
        if not self.paged:
            return self.model.over_store(self.store)
        from recsys.serving.paged import PagedView

        return PagedView.over(self.model, self.store)

    def _owed(self) -> bool:
        """A full rebuild is due: what is served is a delta that holds an erasure or is older
        than ``rebuild_after`` (a burst of writes rebuilds once, not once per write).  Never
        when paged: every query reads the store's current candidates."""
        if self.paged or int(self._full.info["store_version"]) >= self._version:
            return False
        view = self._current
        young = time.monotonic() - getattr(view, "created", 0.0) < self.rebuild_after
        return getattr(view, "erased", True) or not young

    def _start_rebuild(self, newer: bool = True) -> None:
        """Follow the store in the background: a delta then a full rebuild, or, while a full
        rebuild is under way, a delta of the ``newer`` writes (served before that rebuild ends)."""
        with self._swap:
            if self._building is None or not self._building.is_alive():
                follow = lambda: self._follow(newer)  # noqa: E731
                self._building = self._thread(follow, "recsys-store-refresh")
            elif newer and (self._delta is None or not self._delta.is_alive()):
                self._delta = self._thread(self._serve_delta, "recsys-store-delta")

    @staticmethod
    def _thread(target: Any, name: str) -> threading.Thread:
        thread = threading.Thread(target=target, name=name, daemon=True)
        thread.start()
        return thread

    def _follow(self, newer: bool = True) -> None:
        """Serve the ``newer`` writes since the last full rebuild beside it at once (a delta,
        when they touched a few candidates only: :mod:`recsys.serving.delta`); rebuild in full
        when no delta can serve them or one is due (:meth:`_owed`)."""
        if newer and self._serve_delta() and not self._owed():
            return
        self.refresh()

    def _serve_delta(self) -> bool:
        """Serve the store's writes as a delta beside the last full rebuild, if they allow one."""
        from recsys.serving.delta import build_delta

        if self.paged:
            return self._follow_paged()
        try:
            view = build_delta(self._full, self.store)
        except Exception as err:  # noqa: BLE001 - the full rebuild below serves the write anyway
            import warnings

            warnings.warn(f"store delta not served ({err!r}); rebuilding in full", stacklevel=1)
            view = None
        if view is None:
            return False
        view.settle = self._settle
        with self._swap:
            if view.info["store_version"] > self._version:
                self._current, self._version = view, view.info["store_version"]
        return True

    def _follow_paged(self) -> bool:
        """Paged: writes that touched only candidates need nothing (each query reads the
        store); ``False`` when roles, skills, contracts or credentials changed (the roles side
        is rebuilt)."""
        with self.store.snapshot() as snap:
            version = snap.version()
            changes = snap.changes(int(self._full.info["store_version"]))
        if changes is None or set(changes) - {"candidates", "index", "erased"}:
            return False
        with self._swap:
            self._version = max(self._version, version)
        return True

    def _settle(self) -> Any:
        """The full rebuild of what a delta serves (waits for the one under way)."""
        building = self._building
        if building is not None and building is not threading.current_thread():
            building.join()
        if int(self._full.info["store_version"]) >= self._version:
            return self._full
        return self.refresh()

    def refresh(self) -> Any:
        """Rebuild over the store's committed content now and serve it; returns it."""
        rec = self._build()
        # the version of the snapshot it was built from (read on the snapshot's own connection)
        version = int(rec.info["store_version"])
        # the fast path is built here, not by the first query the new recommender answers (its
        # BM25 rows of unchanged texts come from the model's row cache), and compared with the
        # feature builder just after the swap (it stops itself on a difference)
        if self.paged:
            rec._index = self._full._index  # the loaded candidate index, while current
        else:
            rec.fast_features(check=False)
            due = self._prune_from
            if due is not None and version >= due:  # erased texts' rows go now, not when stale
                self._prune_from = None
                keys = (rec.features_.text_keys or {}).get("candidates")
                if keys is not None:
                    self.model._row_cache["candidates"].keep(keys.astype(str).tolist())
        with self._swap:
            if version >= int(self._full.info["store_version"]):
                self._full = rec
            if version >= self._version:
                self._current, self._version = rec, version
        if self.paged:
            return self._current
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
            if not self._serve_delta():  # paged: nothing to do unless roles changed  # else served now, rebuilt in full when due
                self.refresh()
            self._compact_if_due()
        return report

    def erase(self, candidate_ids: Sequence[str]) -> int:
        """Erase candidates (:func:`recsys.ingest.erase_candidates`) and stop serving them."""
        from recsys.ingest.pipeline import erase_candidates

        with self._write:
            for thread in (self._building, self._delta):  # their snapshots pin old generations
                if thread is not None and thread.is_alive():
                    thread.join()
            n = erase_candidates(
                self.store, candidate_ids, encoder=self.model.encoder, reader=self.model._skills
            )
            self._forget_memory(self.store.version())
            if not (self.paged and self._follow_paged()):  # paged: the next query reads it
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
        if name.startswith("__") or name in (
            "model",
            "store",
            "_current",
            "_full",
            "_compacting",
            "_following",
        ):
            raise AttributeError(name)
        return getattr(self.current, name)

    def __repr__(self) -> str:
        return f"LiveRecommender(store={str(self.store.folder)!r}, version={self._version})"
