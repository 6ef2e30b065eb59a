"""``VectorIndex``: FAISS behind one class for every entity kind.

- Inner product on L2-normalised vectors (= cosine).  String entity ids map to int64 ids that are
  never reused; the FAISS index stores the int64 ids (``IndexIDMap2`` around Flat/HNSW; IVF indexes
  take ids natively with a hash-table direct map, because ``IDMap2`` cannot remove from IVF).
- ``remove`` deletes from FAISS where the index type supports it; HNSW cannot, so removed vectors
  stay in the graph as tombstones that searches exclude (``compact()`` rebuilds without them).
- Filters (see :mod:`recsys.index.attributes`) restrict searches to allowed ids.  A small allowed set
  (``exact_subset_max``) is scored exactly from reconstructed vectors; a large one is searched with a
  FAISS ``IDSelectorBitmap``, and rows that come back short are retried with wider nprobe/efSearch,
  then scored exactly — so a search returns ``min(k, allowed)`` results whenever it can.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import faiss
import numpy as np
import pandas as pd

from recsys.index.attributes import filter_mask
from recsys.index.config import IndexConfig, resolve_factory
from recsys.index.shards import ShardSource

_ATTRS_LOCK = threading.Lock()  # one lazy attribute read at a time (see VectorIndex._all_attrs)


@dataclass
class Hits:
    """Batch search results: ``ids`` (m, k) object array (``None`` = no result), ``scores`` (m, k)."""

    ids: np.ndarray
    scores: np.ndarray

    def row(self, i: int) -> list[tuple[str, float]]:
        return [
            (str(e), float(s))
            for e, s in zip(self.ids[i], self.scores[i], strict=True)
            if e is not None
        ]

    def to_frame(self) -> pd.DataFrame:
        """Long frame ``query, rank, id, score`` (missing results dropped)."""
        m, k = self.ids.shape
        frame = pd.DataFrame(
            {
                "query": np.repeat(np.arange(m), k),
                "rank": np.tile(np.arange(1, k + 1), m),
                "id": self.ids.ravel(),
                "score": self.scores.ravel(),
            }
        )
        return frame[frame["id"].notna()].reset_index(drop=True)


def _check_vectors(vectors: np.ndarray, dim: int, what: str) -> np.ndarray:
    arr = np.ascontiguousarray(vectors, dtype=np.float32)
    if arr.ndim != 2 or arr.shape[1] != dim:
        raise ValueError(f"{what}: expected an array of shape (n, {dim}). Got {arr.shape}.")
    return arr


class VectorIndex:
    """One FAISS index over the vectors of one entity kind, with string ids and attributes.

    Build with :meth:`build` (chooses and trains the FAISS index) or :meth:`load`.
    """

    def __init__(self, kind: str, dim: int, model_id: str, config: IndexConfig | None = None):
        self.kind = kind
        self.dim = int(dim)
        self.model_id = model_id
        self.config = config or IndexConfig()
        if self.config.threads:
            faiss.omp_set_num_threads(self.config.threads)
        self.index_: Any = None
        self.factory_: str | None = None
        self.mapped_ = False  # FAISS codes memory-mapped from a file: search only, never change
        self._names: list[str] = []  # int id -> entity id (never shrinks)
        self._rows: dict[str, int] = {}  # live entity id -> int id
        self._attrs = pd.DataFrame(index=pd.Index([], dtype="int64", name="int_id"))
        self._tombstones = 0
        self._exploded: dict[str, pd.Series] = {}
        self._names_arr: np.ndarray | None = None  # cached object array of _names + [None]
        # the attribute files this index was loaded from or saved to (recsys.index.shards);
        # while _lazy, _attrs holds entity ids only and the other columns stay in them
        self._source: ShardSource | None = None
        self._lazy = False

    # ------------------------------------------------------------------ construction
    @classmethod
    def build(
        cls,
        kind: str,
        ids: Sequence[str],
        vectors: np.ndarray,
        model_id: str,
        attributes: pd.DataFrame | None = None,
        config: IndexConfig | None = None,
    ) -> VectorIndex:
        """Choose the FAISS index for ``len(ids)`` vectors, train it if needed, add everything."""
        vectors = np.asarray(vectors, dtype=np.float32)
        if vectors.ndim != 2:
            raise ValueError(f"build: 'vectors' must be 2-d (n, dim). Got shape {vectors.shape}.")
        self = cls(kind, vectors.shape[1], model_id, config)
        self._create(resolve_factory(len(ids), self.config, self.dim), vectors)
        self.add(ids, vectors, attributes)
        return self

    def _create(self, factory: str, train: np.ndarray) -> None:
        try:
            base = faiss.index_factory(self.dim, factory, faiss.METRIC_INNER_PRODUCT)
        except RuntimeError as err:
            raise ValueError(f"index factory {factory!r} is not valid for FAISS: {err}") from None
        hnsw = _hnsw(base)
        if hnsw is not None:
            hnsw.hnsw.efConstruction = self.config.ef_construction
        ivf = faiss.try_extract_index_ivf(base)
        if ivf is not None:
            ivf.set_direct_map_type(faiss.DirectMap.Hashtable)
            index = base
        elif isinstance(base, faiss.IndexIDMap | faiss.IndexIDMap2):
            index = base
        else:
            index = faiss.IndexIDMap2(base)
        if not index.is_trained:
            need = ivf.nlist if ivf is not None else 256
            if len(train) < need:
                raise ValueError(
                    f"index factory {factory!r} must be trained on at least {need} vectors. "
                    f"Got {len(train)}: use factory 'exact' (Flat) or a smaller nlist."
                )
            if len(train) > self.config.train_size:
                rng = np.random.default_rng(self.config.seed)
                pick = np.sort(rng.choice(len(train), self.config.train_size, replace=False))
                train = train[pick]
            index.train(np.ascontiguousarray(train, dtype=np.float32))
        self.index_, self.factory_ = index, factory

    # ------------------------------------------------------------------ mutation
    def add(
        self, ids: Sequence[str], vectors: np.ndarray, attributes: pd.DataFrame | None = None
    ) -> None:
        """Add new entities (``ids`` must not be in the index yet: use :meth:`update`)."""
        self._check_changeable("add")
        if self.index_ is None:
            self._create(
                resolve_factory(len(ids), self.config, self.dim), np.asarray(vectors, np.float32)
            )
        ids = [str(i) for i in ids]
        vectors = _check_vectors(vectors, self.dim, f"add to {self.kind!r} index")
        if len(ids) != len(vectors):
            raise ValueError(f"add: {len(ids)} ids but {len(vectors)} vectors.")
        dup = [i for i in ids if i in self._rows]
        if dup or len(set(ids)) != len(ids):
            raise ValueError(f"add: ids already present or repeated (use update): {dup[:5]}")
        start = len(self._names)
        int_ids = np.arange(start, start + len(ids), dtype=np.int64)
        self.index_.add_with_ids(vectors, int_ids)
        self._names.extend(ids)
        self._names_arr = None
        self._rows.update(zip(ids, int_ids.tolist(), strict=True))
        attrs = pd.DataFrame(index=pd.Index(ids))
        if attributes is not None:
            missing = [i for i in ids if i not in attributes.index]
            if missing:
                raise ValueError(f"add: 'attributes' has no row for ids {missing[:5]}")
            attrs = attributes.loc[ids]
        attrs = attrs.reset_index(drop=True).set_axis(pd.Index(int_ids, name="int_id"))
        attrs.insert(0, "entity_id", ids)
        if self._source is not None:
            self._source.added(attrs, int_ids, lazy=self._lazy)
            if self._lazy:
                attrs = attrs[["entity_id"]]
        self._attrs = attrs if self._attrs.empty else pd.concat([self._attrs, attrs])
        self._exploded = {}

    def remove(self, ids: Sequence[str]) -> int:
        """Remove entities by id (unknown ids are ignored); returns how many were removed."""
        self._check_changeable("remove")
        int_ids = np.array([self._rows.pop(str(i)) for i in ids if str(i) in self._rows], np.int64)
        if len(int_ids) == 0:
            return 0
        try:
            self.index_.remove_ids(int_ids)
        except RuntimeError:  # HNSW: no removal in FAISS, keep as tombstones
            self._tombstones += len(int_ids)
        self._attrs = self._attrs.drop(index=int_ids)
        if self._source is not None:
            self._source.removed(int_ids)
        self._exploded = {}
        return len(int_ids)

    def _check_changeable(self, what: str) -> None:
        if self.mapped_:  # FAISS would write into (or reallocate) memory it does not own
            raise RuntimeError(
                f"Cannot {what} on the {self.kind!r} index: it is memory-mapped for searching. "
                "Load it with mmap=False to change it."
            )

    def update(
        self, ids: Sequence[str], vectors: np.ndarray, attributes: pd.DataFrame | None = None
    ) -> None:
        """Insert or replace entities (vectors and attributes)."""
        self.remove(ids)
        self.add(ids, vectors, attributes)

    def compact(self) -> VectorIndex:
        """Rebuild the FAISS index from live vectors only (drops HNSW tombstones)."""
        live = self._attrs.index.to_numpy()
        vecs = self.index_.reconstruct_batch(live) if len(live) else np.zeros((0, self.dim))
        attrs = self._all_attrs().set_index("entity_id")
        names = attrs.index.tolist()
        self.index_, self._names, self._rows, self._tombstones = None, [], {}, 0
        self._source = None  # every int id changes: no attribute file can be kept
        self._attrs = self._attrs.iloc[:0].drop(columns="entity_id")
        self._create(self.factory_ or "Flat", vecs)
        self.add(names, vecs, attrs)
        return self

    def _all_attrs(self) -> pd.DataFrame:
        """The attribute table.  A loaded index holds its entity ids only and reads the other
        columns when first needed (a filtered search): unfiltered serving never holds them (at
        10^6 candidates their skill and credential lists are gigabytes), nor does a writer that
        changes a few rows (:mod:`recsys.index.shards`)."""
        if self._lazy:
            with _ATTRS_LOCK:
                if self._lazy:
                    assert self._source is not None
                    full = self._source.read_all()
                    self._attrs = full.loc[self._attrs.index]
                    self._source.pending = None
                    self._lazy = False
                    self._exploded = {}
        return self._attrs

    # ------------------------------------------------------------------ inspection
    def __len__(self) -> int:
        return len(self._rows)

    def __contains__(self, entity_id: object) -> bool:
        return entity_id in self._rows

    @property
    def ids(self) -> list[str]:
        return self._attrs["entity_id"].tolist() if len(self._attrs) else []

    @property
    def attributes(self) -> pd.DataFrame:
        """Attributes by entity id (a copy)."""
        return self._all_attrs().set_index("entity_id")

    def vectors(self, ids: Sequence[str]) -> np.ndarray:
        """Stored vectors of ``ids`` (approximate for SQ/PQ indexes)."""
        unknown = [i for i in ids if i not in self._rows]
        if unknown:
            raise KeyError(f"not in the {self.kind!r} index: {unknown[:5]}")
        keys = np.array([self._rows[i] for i in ids], np.int64)
        return self.index_.reconstruct_batch(keys) if len(keys) else np.zeros((0, self.dim))

    # ------------------------------------------------------------------ search
    def search(
        self, query: np.ndarray, k: int = 10, filters: Mapping[str, Any] | None = None
    ) -> list[tuple[str, float]]:
        """Top-``k`` ``(entity id, score)`` for one query vector, best first."""
        query = np.asarray(query, dtype=np.float32)
        if query.ndim != 1:
            raise ValueError(f"search: one query vector of shape ({self.dim},). Got {query.shape}.")
        return self.search_batch(query[None, :], k, filters).row(0)

    def search_batch(
        self, queries: np.ndarray, k: int = 10, filters: Mapping[str, Any] | None = None
    ) -> Hits:
        """Top-``k`` for every row of ``queries`` (m, dim) under the same ``filters``."""
        if not isinstance(k, int | np.integer) or k < 1:
            raise ValueError(f"The 'k' parameter of search must be an int >= 1. Got {k!r}.")
        q = _check_vectors(queries, self.dim, f"search the {self.kind!r} index")
        m = len(q)
        if self.index_ is None or len(self) == 0:
            return Hits(np.full((m, k), None, object), np.full((m, k), np.nan, np.float32))
        allowed: np.ndarray | None = None
        if filters:
            mask = filter_mask(self._all_attrs(), filters, self._exploded)
            allowed = self._attrs.index.to_numpy()[mask]
        elif self._tombstones:
            allowed = self._attrs.index.to_numpy()
        if allowed is None:
            dist, ids = self.index_.search(q, k, params=self._params(None, 1))
        elif len(allowed) <= max(self.config.exact_subset_max, k):
            dist, ids = self._exact(q, k, allowed)
        else:
            dist, ids = self._selective(q, k, allowed)
        return self._hits(dist, ids)

    def _params(self, selector: Any, widen: int) -> Any:
        base = self.index_.index if isinstance(self.index_, faiss.IndexIDMap2) else self.index_
        if faiss.try_extract_index_ivf(base) is not None:
            nprobe = min(self.config.nprobe * widen, faiss.try_extract_index_ivf(base).nlist)
            return faiss.SearchParametersIVF(sel=selector, nprobe=nprobe)
        if _hnsw(base) is not None:
            return faiss.SearchParametersHNSW(sel=selector, efSearch=self.config.ef_search * widen)
        return faiss.SearchParameters(sel=selector) if selector is not None else None

    def _exact(self, q: np.ndarray, k: int, allowed: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        m = len(q)
        dist = np.full((m, k), -np.inf, np.float32)
        ids = np.full((m, k), -1, np.int64)
        if len(allowed) == 0:
            return dist, ids
        scores = q @ self.index_.reconstruct_batch(allowed).T  # (m, n_allowed)
        top = min(k, len(allowed))
        part = np.argpartition(-scores, top - 1, axis=1)[:, :top]
        part_scores = np.take_along_axis(scores, part, axis=1)
        order = np.argsort(-part_scores, axis=1, kind="stable")
        dist[:, :top] = np.take_along_axis(part_scores, order, axis=1)
        ids[:, :top] = allowed[np.take_along_axis(part, order, axis=1)]
        return dist, ids

    def _selective(
        self, q: np.ndarray, k: int, allowed: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        mask = np.zeros(len(self._names), dtype=bool)
        mask[allowed] = True
        bitmap = np.packbits(mask, bitorder="little")
        selector = faiss.IDSelectorBitmap(len(bitmap), faiss.swig_ptr(bitmap))
        dist, ids = self.index_.search(q, k, params=self._params(selector, 1))
        want = min(k, len(allowed))
        for widen in (4, 16):
            short = np.flatnonzero((ids >= 0).sum(axis=1) < want)
            if len(short) == 0:
                break
            d2, i2 = self.index_.search(q[short], k, params=self._params(selector, widen))
            dist[short], ids[short] = d2, i2
        short = np.flatnonzero((ids >= 0).sum(axis=1) < want)
        if len(short):
            dist[short], ids[short] = self._exact(q[short], k, allowed)
        return dist, ids

    def _hits(self, dist: np.ndarray, ids: np.ndarray) -> Hits:
        if self._names_arr is None:
            self._names_arr = np.array([*self._names, None], dtype=object)
        names = self._names_arr
        valid = ids >= 0
        out = names[np.where(valid, ids, len(self._names))]
        scores = np.where(valid, dist, np.nan).astype(np.float32)
        return Hits(out, scores)

    def info(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "model_id": self.model_id,
            "dim": self.dim,
            "metric": "inner_product",
            "count": len(self),
            "factory": self.factory_,
            "tombstones": self._tombstones,
            "attributes": [c for c in self._all_attrs().columns if c != "entity_id"],
        }

    def __repr__(self) -> str:
        return f"VectorIndex(kind={self.kind!r}, count={len(self)}, factory={self.factory_!r})"

    # save / load live in recsys.index.store (kept out of this module for size)
    def save(self, folder: Any) -> Any:
        from recsys.index.store import save_index

        return save_index(self, folder)

    @classmethod
    def load(
        cls,
        folder: Any,
        kind: str,
        model_id: str | None = None,
        dim: int | None = None,
        config: IndexConfig | None = None,
        mmap: bool = False,
    ) -> VectorIndex:
        """See :func:`recsys.index.store.load_index`."""
        from recsys.index.store import load_index

        return load_index(folder, kind, model_id=model_id, dim=dim, config=config, mmap=mmap)


def _hnsw(index: Any) -> Any:
    """The ``IndexHNSW`` inside ``index`` (downcast), or None."""
    index = faiss.downcast_index(index)
    if isinstance(index, faiss.IndexIDMap | faiss.IndexIDMap2):
        index = faiss.downcast_index(index.index)
    return index if isinstance(index, faiss.IndexHNSW) else None
