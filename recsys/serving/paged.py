"""Serving a store too large to hold in memory: candidates are read per query (``paged``).

A served :class:`recsys.recommender.Recommender` over a store normally holds every candidate's
rows, read skills and vectors (``Recommender.over_store``): its memory grows with the pool, and a
full rebuild after a write re-reads the whole store.  :class:`PagedView` holds only the **roles
side** (roles, skills, contracts, credentials: ``over_store(store, candidates=False)``) and the
store's memory-mapped candidate index.  Each query:

1. retrieves its pool from the store's current candidate index (the FAISS codes are shared by
   every worker through the page cache; the index is loaded once per generation);
2. reads the pool's rows, holdings, history, outcomes, groups, read skills and vectors by id from
   the same snapshot (SQLite B-tree lookups), either one after the other on the snapshot's
   connection or overlapped on connections of their own pinned to the snapshot's state
   (:meth:`recsys.store.store.Snapshot.read_parallel`), whichever has lately been faster in this
   process (:class:`ReadChoice`);
3. builds the model over those candidates alone (:func:`recsys.serving.delta.over_candidates`,
   the delta's construction) and ranks them.

Every score is a function of its pair alone (the model's fixed reference statistics, the store's
reference day), so a paged shortlist equals the shortlist of a recommender over the whole store:
same pool, scores, order and reasons (``tests/serving/test_paged.py``).  Memory per worker is the
model, the roles side and what one query touches; a write is visible to the next query, with no
rebuild (a change to roles, skills, contracts or credentials rebuilds the roles side only).  The
price is per query: the pool's reads and the model's construction over it (measured in
``docs/store.md``).

What needs the whole pool at once is answered over the pool only: a ``fairness`` shortlist
re-ranks the retrieved pool (as it does unpaged).  Calls that need every candidate
(``world.candidates``, audits of the whole store) are not available: export the store
(``recsys store export``) and load the world instead.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections import OrderedDict
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import numpy as np
import pandas as pd

from recsys.explain import Ranking
from recsys.forking import trim_heap, trim_heap_soon
from recsys.serving.delta import PARALLEL_FROM, over_candidates

__all__ = ["PAGED_ABOVE", "PagedView", "ReadChoice"]

PAGED_ABOVE = 100_000  # candidates in a store above which a served model pages by default
# recent pools' models kept (a recruiter's next request is often on the same pool: the next page, a
# re-sort, a pathway); each is ~22 MB resident at 1,000 candidates (39 MB before the builder let go
# of its read-skills frame and decoded ids were interned: benchmarks/paged_memory.py), so a worker
# keeps few
PARTS_KEPT = 2


class ReadChoice:
    """Whether a pool's reads overlap on connections of their own or run on the snapshot's.

    Overlapping pays when the reads wait on the disk (a store larger than the page cache holds:
    at 10^6 candidates a pool built ~25% faster) and costs when the rows are in memory (decoding
    holds the GIL, and each read opens a connection: a warm 10^5 store built pools ~13% slower,
    ``docs/store.md``, "Choosing how a pool is read").  Which holds depends on the machine and
    on what the page cache holds now, so each process measures: it keeps a moving average of
    the seconds per candidate a pool took each way, takes the cheaper way, and every
    ``explore``-th pool the other one, so that a change (a cold cache warming up, a store
    outgrowing memory) is seen.  The first two pools try one way each."""

    def __init__(self, explore: int = 16, weight: float = 0.25) -> None:
        self.explore = explore
        self.weight = weight  # of the newest pool in each moving average
        self.cost: dict[bool, float | None] = {True: None, False: None}  # s per candidate
        self._picks = 0
        self._lock = threading.Lock()

    def pick(self) -> bool:
        """``True``: overlap this pool's reads."""
        with self._lock:
            self._picks += 1
            for way in (True, False):
                if self.cost[way] is None:
                    return way
            best = self.cost[True] <= self.cost[False]  # type: ignore[operator]
            return (not best) if self._picks % self.explore == 0 else best

    def describe(self) -> dict[str, float | None]:
        """The moving averages, in ms per 1,000 candidates (``None``: not tried yet)."""
        return {
            ("overlapped" if way else "one_connection"): (
                None if cost is None else round(cost * 1e6, 1)
            )
            for way, cost in self.cost.items()
        }

    def took(self, parallel: bool, seconds: float, candidates: int) -> None:
        """A pool of ``candidates`` read (and built) ``parallel`` or not took ``seconds``."""
        cost = seconds / max(candidates, 1)
        with self._lock:
            old = self.cost[parallel]
            self.cost[parallel] = cost if old is None else old + self.weight * (cost - old)


class PagedView:
    """The Recommender API over a store, candidates read per query (see the module doc)."""

    paged = True

    def __init__(self, roles_side: Any, store: Any) -> None:
        self.roles_side = roles_side  # the model over the store's roles side only
        self.store = store
        self.info = {**roles_side.info, "paged": True}
        self._index: tuple[int, Any] | None = None  # (generation, candidate index), shared
        self._loading = threading.Lock()
        # (store version, pool ids) -> the model over that pool: a pool's second request (a
        # pathway, the next page, a re-sort) reuses it, and its scored pools (PoolScores); any
        # write moves the version, so a kept part never serves data older than the query's, and
        # parts of older versions are dropped (an erased person's rows do not stay in memory)
        self._parts: OrderedDict[tuple[int, bytes], Any] = OrderedDict()
        self._parts_lock = threading.Lock()
        self.reads = ReadChoice()
        self.created = time.monotonic()

    @classmethod
    def over(cls, model: Any, store: Any) -> PagedView:
        """``model`` (a loaded :class:`~recsys.recommender.Recommender`) paging over ``store``."""
        return cls(model.over_store(store, candidates=False), store)

    # ------------------------------------------------------------------ reading
    @contextmanager
    def _read(self) -> Iterator[tuple[Any, Any]]:
        """(snapshot, its candidate index): one commit's rows and index for one query."""
        with self.store.snapshot() as snap:
            gen = snap.generation()
            cached = self._index
            if cached is None or cached[0] != gen:
                with self._loading:  # one load per generation, not one per waiting request
                    cached = self._index
                    if cached is None or cached[0] != gen:
                        cached = self._index = (gen, snap.index("candidates"))
            if cached[1] is None:
                raise LookupError(f"{self.store.folder}: the store has no candidate index")
            yield snap, cached[1]

    def _part(self, snap: Any, index: Any, ids: Sequence[str]) -> Any:
        """The model over candidates ``ids`` of ``snap`` (``None`` when none is served)."""
        version = snap.version()
        ids = [str(i) for i in ids]
        key = (version, hashlib.blake2b("\n".join(ids).encode("utf-8")).digest())
        with self._parts_lock:
            if self._parts and max(v for v, _ in self._parts) < version:
                self._parts.clear()  # a newer commit: older parts are never served again
            if key in self._parts:
                self._parts.move_to_end(key)
                return self._parts[key]
        role_keys = (self.roles_side.features_.text_keys or {}).get("roles")
        # a few ids (a profile, a card) are read on the snapshot's connection: no choice to make
        choose = len(ids) >= PARALLEL_FROM
        parallel = self.reads.pick() if choose else False
        start = time.perf_counter()
        part = over_candidates(
            self.roles_side, snap, ids, index, version, role_keys=role_keys, parallel=parallel
        )
        if choose:  # the model's construction is timed too: the same either way
            self.reads.took(parallel, time.perf_counter() - start, len(ids))
        with self._parts_lock:
            self._parts[key] = part
            while len(self._parts) > PARTS_KEPT:
                self._parts.popitem(last=False)
        # the pool's rows were read in threads (Snapshot.read_parallel), whose malloc arenas keep
        # the freed pages of each read: give them back, or a worker grows by ~70 MB (measured).
        # It costs 8-24 ms a pool on the demo store: on a thread of its own, not the request's
        trim_heap_soon()
        return part

    def part_for(self, candidate_ids: Sequence[str]) -> Any:
        """The model over these candidates as the store holds them now: it answers every
        per-candidate call (``roles_for``, cards, profile, pathways).  Unknown ids are left out;
        ``KeyError`` when none is known."""
        with self._read() as (snap, index):
            part = self._part(snap, index, [str(c) for c in candidate_ids])
        if part is None:
            shown = ", ".join(repr(str(c)) for c in list(candidate_ids)[:5])
            raise KeyError(f"Unknown candidate_id {shown}.")
        return part

    def warmup(self, encoder: bool = True) -> PagedView:
        """Warm what a query uses now, not on the first request: the roles side's lazy parts and
        encoder (:meth:`Recommender.warmup`), the candidate index, and one pool's model by role
        and by free-text JD (``recsys serve --workers N`` forks after this, so that the workers
        share what it built).  The warm-up's pool is not kept."""
        self.roles_side.warmup(encoder)
        roles = self.roles_side.world.roles
        if len(roles) and self.store.count("candidates"):
            role = roles.iloc[0]
            self.shortlist(role_id=str(role["role_id"]), k=1)
            self.shortlist(job_description=str(role.get("description") or role["title"]), k=1)
        self.drop_parts()
        trim_heap()
        return self

    def drop_parts(self) -> None:
        """Drop the kept pools' models (after an erasure: they hold the rows they read)."""
        with self._parts_lock:
            self._parts.clear()

    # ------------------------------------------------------------------ queries
    def shortlist(
        self,
        role_id: str | None = None,
        job_description: str | None = None,
        k: int = 50,
        filters: dict[str, Any] | None = None,
        retention_weight: float | None = None,
        explain: bool = True,
        fairness: dict[str, Any] | None = None,
        required_skills: list[str] | None = None,
    ) -> Ranking:
        """:meth:`Recommender.shortlist`, the pool read from the store (see the module doc)."""
        start = time.perf_counter()
        base = self.roles_side
        k = base._check_shortlist(role_id, job_description, k, fairness)
        query = base.shortlist_query(role_id, job_description, required_skills)
        with self._read() as (snap, index):
            hits = index.search_batch(query.vector[None, :], max(base.config.overfetch, k), filters)
            ids = np.asarray([i for i in hits.ids[0] if i is not None], dtype=object)
            part = self._part(snap, index, ids) if len(ids) else None
        if part is None:  # nothing retrieved: the roles side ranks the empty pool
            ranking = base.rank_pool(query, ids[:0], k, filters, retention_weight, explain)
            return self._stamp(ranking, index)
        ids = ids[pd.Index(ids).isin(part.indexes["candidates"].ids)]  # hashed, not sorted
        ranking = part.rank_pool(
            query, ids, k, filters, retention_weight, explain, fairness=fairness, start=start
        )
        return self._stamp(ranking, index)

    def roles_for(self, candidate_id: str | None = None, *args: Any, **kwargs: Any) -> Ranking:
        """:meth:`Recommender.roles_for`: a known candidate read from the store, a free-text
        résumé by the roles side."""
        rec = self.roles_side if candidate_id is None else self.part_for([candidate_id])
        return rec.roles_for(candidate_id, *args, **kwargs)

    def score_pairs(self, frame: pd.DataFrame, *args: Any, **kwargs: Any) -> pd.DataFrame:
        """:meth:`Recommender.score_pairs`, over the frame's candidates read from the store."""
        if "candidate_id" not in frame or not len(frame):
            return self.roles_side.score_pairs(frame, *args, **kwargs)
        with self._read() as (snap, index):
            ids = pd.unique(frame["candidate_id"].astype(str))
            part = self._part(snap, index, ids)
        return (part or self.roles_side).score_pairs(frame, *args, **kwargs)

    def pathway(self, candidate_id: str, role_id: str, **kwargs: Any) -> Any:
        """:meth:`Recommender.pathway`: scored over the candidate, ranked in this view's
        shortlist."""
        from recsys.pathways.plan import pathway

        return pathway(self, candidate_id, role_id, **kwargs)

    def moves(self, candidate_id: str, **kwargs: Any) -> Any:
        """:meth:`Recommender.moves` over the candidate read from the store."""
        from recsys.pathways.plan import moves

        return moves(self, candidate_id, **kwargs)

    def candidate_cards(self, candidate_ids: list[str]) -> list[dict[str, Any]]:
        """:meth:`Recommender.candidate_cards` of the candidates the store holds."""
        try:
            return self.part_for(candidate_ids).candidate_cards([str(c) for c in candidate_ids])
        except KeyError:
            return []

    def candidate_profile(self, candidate_id: str) -> dict[str, Any]:
        """:meth:`Recommender.candidate_profile`, read from the store."""
        return self.part_for([candidate_id]).candidate_profile(candidate_id)

    def describe(self) -> dict[str, Any]:
        out = self.roles_side.describe()
        cached = self._index
        sha = getattr(cached[1], "sha256_", None) if cached is not None else None
        out["index_sha256"] = {**out["index_sha256"], "candidates": sha}
        out["paged"] = True
        out["pool_reads_ms_per_1000"] = self.reads.describe()
        return out

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__") or name in ("roles_side", "store", "_index"):
            raise AttributeError(name)
        return getattr(self.roles_side, name)

    # ------------------------------------------------------------------ helpers
    def _stamp(self, ranking: Ranking, index: Any) -> Ranking:
        """The manifest names what served the answer: the store's candidate index read."""
        manifest = dict(ranking.manifest)
        described = self.describe()
        described["index_sha256"]["candidates"] = getattr(index, "sha256_", None)
        manifest.update({k: v for k, v in described.items() if k in manifest})
        return Ranking(ranking.frame, manifest)

    def __repr__(self) -> str:
        return f"PagedView(store={str(self.store.folder)!r})"
