"""Serving a few writes beside a snapshot, so they are visible without re-reading the store.

A served :class:`recsys.recommender.Recommender` is built from one store snapshot
(``Recommender.over_store``): the tables of every candidate are read and their serving inputs
built, which takes seconds at thousands of candidates and grows with the pool.  After a write that
touched only some candidates (an ingest, an update, an erasure), :func:`build_delta` reads just
those candidates (the store's change log, :meth:`recsys.store.Store.changes`) and builds the same
model over them alone; :class:`DeltaView` serves both:

- **shortlist**: the pool is retrieved from the store's *current* candidate index (memory-mapped,
  the write's generation), split into candidates the write touched (scored by the delta) and the
  others (scored by the snapshot's recommender), and the two ranked halves are merged.  Every score
  is a function of its pair alone (the features use the model's fixed reference statistics), so
  the merged list equals the one a full rebuild would serve: same pool, same scores, same order
  (``tests/serving/test_delta.py`` compares them).  Erased candidates are no longer in the index,
  so they never enter a pool.
- ``roles_for`` / ``score_pairs`` of touched candidates are answered by the delta, others by the
  snapshot's recommender; every other call by the snapshot's recommender.
- A ``fairness`` shortlist re-ranks the whole pool at once; it waits for the full rebuild
  (``settle``) instead of merging.

Roles, skills, credentials or contracts changed, more than ``limit`` candidates touched, or a change
log that no longer reaches back to the snapshot: no delta (``None``), the caller rebuilds in full.
The :class:`recsys.serving.live.LiveRecommender` serves a delta at once and replaces it with a full
rebuild in the background.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from recsys.explain import Ranking

__all__ = ["DELTA_LIMIT", "PARALLEL_FROM", "DeltaView", "build_delta", "over_candidates"]

DELTA_LIMIT = 2000  # most candidates a delta serves; beyond it a full rebuild is as cheap
_CHILDREN = ("holdings", "history", "outcomes", "groups")
# a pool's reads may run in parallel threads from this many candidates (below, a thread's own
# connection costs more than the reads it overlaps), on at most this many connections at once:
# at 10^6 candidates on 2 cores, 2 threads were as fast as 4, and each thread's malloc arena
# adds to a forked worker's private memory (docs/store.md, "Parallel reads")
PARALLEL_FROM = 64
_READ_THREADS = 2


def build_delta(base: Any, store: Any, limit: int = DELTA_LIMIT) -> DeltaView | None:
    """``base`` (a recommender over a snapshot of ``store``) plus the candidates written since,
    or ``None`` when a full rebuild is needed (see the module doc)."""
    since = base.info.get("store_version")
    model = base.base
    if since is None or model is None:
        return None
    with store.snapshot() as snap:
        version = snap.version()
        changes = snap.changes(int(since))
        if changes is None or set(changes) - {"candidates", "index", "erased"}:
            return None
        touched = sorted(changes.get("candidates", ()))
        if len(touched) > limit:
            return None
        index = snap.index("candidates")
        if index is None or index.model_id != model.encoder.model_id:
            return None
        delta = over_candidates(base, snap, touched, index, version)
    return DeltaView(base, delta, touched, index, version, erased="erased" in changes)


def over_candidates(
    base: Any,
    snap: Any,
    ids: Any,
    index: Any,
    version: int | None = None,
    role_keys: pd.Series | None = None,
    parallel: bool | None = None,
) -> Any:
    """``base``'s model over the candidates ``ids`` of a store snapshot ``snap`` alone (their
    rows, holdings, history, outcomes, groups, read skills and stored vectors), with ``base``'s
    roles, skills, contracts and credentials and its reference day; ``None`` when none of them is
    in ``index`` (the candidate index served: an id not in it is not searchable, so not served).
    Every score is a function of its pair alone, so a pair scores here as over the whole store.
    ``role_keys``: the roles' text keys when the caller has them (else read).  ``parallel``:
    whether the reads overlap on connections of their own (``None``: from ``PARALLEL_FROM``
    candidates; :class:`recsys.serving.paged.ReadChoice` decides for a paged server)."""
    model = base.base
    ids = [str(i) for i in dict.fromkeys(ids)]
    if parallel is None:
        parallel = len(ids) >= PARALLEL_FROM
    got = _read_pool(base, snap, ids, parallel)
    found, vectors = got["vectors"]
    keep = [i for i in found if i in index]
    if not keep:
        return None
    if len(keep) < len(ids):  # ids without a stored vector or not in the index: not served
        _keep_only(got, set(keep))
    world = copy.copy(base.world)
    world.candidates = got["candidates"]
    for kind in _CHILDREN:
        setattr(world, kind, got[kind])
    if world.groups is not None and not len(world.groups):
        world.groups = None
    known = got["known"]
    keys = {
        "candidates": got["keys"],
        "roles": snap.text_keys("roles") if role_keys is None else role_keys,
    }
    pos = pd.Index(found).get_indexer(keep)
    from recsys.index import VectorIndex

    own = VectorIndex.build("candidates", keep, vectors[pos], index.model_id)
    info = {"store": str(snap.folder), "store_version": version}
    part = model._over(
        world,
        {**base.indexes, "candidates": own},
        known if len(known) else None,
        info,
        keys,
        now=base.features_.now_,  # the snapshot's day, not these rows' own
        catalogue=base,  # the same roles, skills, contracts, credentials: their inputs are base's
    )
    part.fast_features(check=False)
    return part


def _read_pool(base: Any, snap: Any, ids: list[str], parallel: bool) -> dict[str, Any]:
    """The rows of candidates ``ids`` a model over them needs, read from one snapshot: their
    vectors, rows, child rows, read skills and text keys (and the stored term counts of texts
    ``base``'s row cache lacks, into it).  ``parallel``: in threads when the snapshot can
    (:meth:`recsys.store.store.Snapshot.read_parallel`: at 10^6 candidates these random reads
    are most of a paged query), else one after the other on the snapshot's connection."""

    def keys_and_terms(reader: Any) -> pd.Series:
        keys = reader.text_keys("candidates", ids)
        _read_terms(base, reader, keys)
        return keys

    reads: dict[str, Any] = {
        "vectors": lambda r: r.vectors("candidates", ids),
        "candidates": lambda r: r.get("candidates", ids),
        "known": lambda r: r.extracted("candidates", base.base.reader_id, ids=ids),
        "keys": keys_and_terms,
        **{kind: (lambda r, kind=kind: r.rows_of(kind, ids)) for kind in _CHILDREN},
    }
    if parallel and hasattr(snap, "read_parallel"):
        return snap.read_parallel(reads, threads=_READ_THREADS)
    return {name: read(snap) for name, read in reads.items()}


def _keep_only(got: dict[str, Any], keep: set[str]) -> None:
    """Drop the rows of candidates not in ``keep`` from what :func:`_read_pool` read (their
    order stays: that of a read of ``keep`` alone)."""
    for name in ("candidates", "known", *_CHILDREN):
        frame = got[name]
        got[name] = frame[frame["candidate_id"].astype(str).isin(keep)].reset_index(drop=True)
    got["keys"] = got["keys"][got["keys"].index.isin(keep)]


def _read_terms(base: Any, snap: Any, keys: pd.Series) -> None:
    """Put the stored term counts of these candidates' texts (``keys``: text sha by id; see
    :func:`recsys.ingest.pipeline.count_terms`) into the model's BM25 row cache, so that the
    model built over them tokenises only texts the store has no counts of (~0.25 ms a résumé
    with its text's assembly: ~250 ms of a 1,000-candidate pool, ``benchmarks/paged_text.py``)."""
    cache = (getattr(base, "_row_cache", None) or {}).get("candidates")
    feats = base.features_
    if cache is None or not feats.bm25:
        return
    todo = keys[[key not in cache for key in keys.astype(str)]]
    if not len(todo):
        return
    bm25 = feats.bm25_tables()[0]
    ids, counts = snap.terms("candidates", todo.index.astype(str), bm25.scheme, bm25.n_features)
    if ids:
        cache.put(todo.reindex(ids).astype(str).tolist(), bm25.saturate(counts))


class DeltaView:
    """The Recommender API over a snapshot's recommender plus a delta (see the module doc)."""

    def __init__(
        self,
        base: Any,
        delta: Any,
        touched: list[str],
        index: Any,
        version: int,
        settle: Callable[[], Any] | None = None,
        *,
        erased: bool = False,
    ) -> None:
        self.snapshot_recommender = base
        self.delta = delta
        self.touched = frozenset(touched)
        self._touched = np.asarray(sorted(self.touched), dtype=object)
        self.index = index  # the store's candidate index at ``version``
        self.info = {**base.info, "store_version": version}
        self.settle = settle  # returns the fully rebuilt recommender (waits for it)
        # someone was erased: the snapshot's recommender still knows them (a full rebuild is due)
        self.erased = erased
        self.created = time.monotonic()

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
        """:meth:`Recommender.shortlist` over the snapshot and the delta (see the module doc)."""
        base = self.snapshot_recommender
        if fairness is not None and self.settle is not None:
            return self.settle().shortlist(
                role_id,
                job_description,
                k,
                filters,
                retention_weight,
                explain,
                fairness,
                required_skills=required_skills,
            )
        start = time.perf_counter()
        k = base._check_shortlist(role_id, job_description, k, fairness)
        query = base.shortlist_query(role_id, job_description, required_skills)
        hits = self.index.search_batch(
            query.vector[None, :], max(base.config.overfetch, k), filters
        )
        ids = np.asarray([i for i in hits.ids[0] if i is not None], dtype=object)
        new = np.isin(ids, self._touched)
        if self.delta is None or not new.any():
            ranking = base.rank_pool(
                query,
                ids[~new],
                k,
                filters,
                retention_weight,
                explain,
                fairness=fairness,
                start=start,
            )
            return self._stamp(ranking)
        parts = [
            rec.rank_pool(query, part, k, filters, retention_weight, explain, start=start)
            for rec, part in ((base, ids[~new]), (self.delta, ids[new]))
        ]
        return self._stamp(_merge(parts, k, "candidate_id", start))

    def roles_for(self, candidate_id: str | None = None, *args: Any, **kwargs: Any) -> Ranking:
        """:meth:`Recommender.roles_for`, by the delta for a candidate the writes touched."""
        rec = self._owner(candidate_id)
        return self._stamp(rec.roles_for(candidate_id, *args, **kwargs))

    def score_pairs(self, frame: pd.DataFrame, *args: Any, **kwargs: Any) -> pd.DataFrame:
        """:meth:`Recommender.score_pairs`, touched candidates' pairs scored by the delta."""
        base = self.snapshot_recommender
        gone = self._erased(frame["candidate_id"]) if "candidate_id" in frame else []
        if gone:  # the snapshot's recommender would still score them; a full rebuild would not
            raise KeyError(f"Unknown candidate_id: {gone[:5]} (erased from the store).")
        if self.delta is None or "candidate_id" not in frame:
            return base.score_pairs(frame, *args, **kwargs)
        new = frame["candidate_id"].astype(str).isin(self.touched).to_numpy()
        if not new.any():
            return base.score_pairs(frame, *args, **kwargs)
        if new.all():
            return self.delta.score_pairs(frame, *args, **kwargs)
        frame = frame.reset_index(drop=True)
        a = base.score_pairs(frame[~new], *args, **kwargs).set_axis(np.flatnonzero(~new))
        b = self.delta.score_pairs(frame[new], *args, **kwargs).set_axis(np.flatnonzero(new))
        return pd.concat([a, b]).sort_index().reset_index(drop=True)

    def pathway(self, candidate_id: str, role_id: str, **kwargs: Any) -> Any:
        """:meth:`Recommender.pathway`: scored by the part holding the candidate, ranked in
        this view's shortlist."""
        from recsys.pathways.plan import pathway

        return pathway(self, candidate_id, role_id, **kwargs)

    def moves(self, candidate_id: str, **kwargs: Any) -> Any:
        """:meth:`Recommender.moves` by the part holding the candidate."""
        from recsys.pathways.plan import moves

        return moves(self, candidate_id, **kwargs)

    def candidate_cards(self, candidate_ids: list[str]) -> list[dict[str, Any]]:
        """:meth:`Recommender.candidate_cards`, a touched candidate's from the delta (an erased
        one: none)."""
        gone = set(self._erased(candidate_ids))
        ids = [str(c) for c in candidate_ids if str(c) not in gone]
        mine = {c for c in ids if c in self.touched}
        cards = self.snapshot_recommender.candidate_cards([c for c in ids if c not in mine])
        if mine and self.delta is not None:
            cards += self.delta.candidate_cards(sorted(mine))
        by_id = {c["candidate_id"]: c for c in cards}
        return [by_id[c] for c in ids if c in by_id]

    def candidate_profile(self, candidate_id: str) -> dict[str, Any]:
        """:meth:`Recommender.candidate_profile` by the part holding the candidate."""
        if candidate_id in self.touched and self.delta is None:
            raise KeyError(f"Unknown candidate_id {candidate_id!r}.")
        return self._owner(candidate_id).candidate_profile(candidate_id)

    def describe(self) -> dict[str, Any]:
        out = self.snapshot_recommender.describe()
        out["index_sha256"] = {
            **out["index_sha256"],
            "candidates": getattr(self.index, "sha256_", None),
        }
        return out

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__") or name in ("snapshot_recommender", "delta"):
            raise AttributeError(name)
        return getattr(self.snapshot_recommender, name)

    # ------------------------------------------------------------------ helpers
    def _owner(self, candidate_id: Any) -> Any:
        if self.delta is not None and candidate_id is not None and candidate_id in self.touched:
            return self.delta
        if candidate_id is not None and self._erased([candidate_id]):
            raise KeyError(f"Unknown candidate_id {candidate_id!r}.")
        return self.snapshot_recommender

    def _erased(self, candidate_ids: Any) -> list[str]:
        """Of ``candidate_ids``, those erased since the snapshot: its recommender still knows
        them, the store's current index does not (only after an erasure: ``erased``)."""
        if not self.erased:
            return []
        ids = dict.fromkeys(str(c) for c in candidate_ids)
        return [c for c in ids if c not in self.index and c not in self.touched]

    def _stamp(self, ranking: Ranking) -> Ranking:
        """The manifest names what served the answer: the write's version and index."""
        manifest = dict(ranking.manifest)
        manifest.update({k: v for k, v in self.describe().items() if k in manifest})
        return Ranking(ranking.frame, manifest)

    def __repr__(self) -> str:
        return f"DeltaView(store_version={self.info['store_version']}, touched={len(self.touched)})"


def _merge(parts: list[Ranking], k: int, key: str, start: float) -> Ranking:
    """Two rankings of disjoint pools as one: the order of ``Recommender._rank`` (score, then
    fit, descending; then the id), cut to ``k`` and renumbered."""
    frames = [p.frame for p in parts if len(p.frame)]
    if not frames:
        return parts[0]
    frame = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
    order = np.lexsort(
        (frame[key].to_numpy(), -frame["fit"].to_numpy(), -frame["score"].to_numpy())
    )[:k]
    frame = frame.iloc[order].reset_index(drop=True)
    frame["rank"] = np.arange(1, len(frame) + 1)
    manifest = dict(parts[0].manifest)
    manifest["elapsed_ms"] = round(1000 * (time.perf_counter() - start), 3)
    return Ranking(frame, manifest)
