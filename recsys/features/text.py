"""Pair features read from text: BM25 against fixed statistics, whole-text cosine, soft skill overlap.

These are the features that carry signal when a side is known only by free text, so they are
defined for **every** pair (never NaN by design, except where a side has no text at all):

- **BM25** (:class:`HashedBM25`): the role text as query, the candidate text as document, with
  IDF and average document length from a fixed **reference corpus** (the model's world candidates,
  rebuilt identically at load).  A pair's score therefore never depends on which other pairs share
  its request, chunk or engine (batch, HTTP and Spark agree), and a free-text pool gets the same
  scale the ranker was trained on.  Terms are hashed (scikit-learn ``HashingVectorizer``, 2^20
  buckets), so words the reference never saw still count, with the largest IDF.
  ``bm25_cand_role_per_term`` divides by the query's total IDF: the share of the query's weight the
  document matches (comparable across short and long job descriptions).
- **Whole-text cosine** of the candidate's and the role's embeddings.
- **Soft skill overlap** (:func:`soft_overlap`): for each skill the role asks for, the best cosine
  to any skill the candidate has (skill-label embeddings), averaged — "Kubernetes" answers
  "container orchestration" in part, where exact-id coverage sees nothing — and the mirror, how
  much of the candidate's profile the role's skills use.

Every function here is vectorised over pairs; the loops are over the distinct roles of a batch.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np
import scipy.sparse as sp

__all__ = ["HashedBM25", "cosine_pairs", "soft_coverage", "soft_overlap"]

_TOKENS = r"(?u)\b\w[\w+#]*"


class HashedBM25:
    """Okapi BM25 with corpus statistics fixed at :meth:`fit` (see the module doc).

    Parameters
    ----------
    k1, b : the usual BM25 parameters (bm25s / Lucene defaults).
    n_features : hash buckets of the term space.
    """

    def __init__(self, k1: float = 1.5, b: float = 0.75, n_features: int = 2**20) -> None:
        self.k1 = k1
        self.b = b
        self.n_features = n_features

    @property
    def scheme(self) -> str:
        """What :meth:`counts` of a text depends on (bucket count, token pattern, stop words):
        term counts stored under one scheme (:meth:`recsys.store.Store.put_terms`) are reused
        only by a model of the same scheme."""
        import hashlib

        from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

        rules = "\n".join([_TOKENS, *sorted(ENGLISH_STOP_WORDS)])
        return f"hashed:{self.n_features}:{hashlib.sha256(rules.encode()).hexdigest()[:16]}"

    def counts(self, texts: list[str]) -> sp.csr_matrix:
        """Term counts per text (rows) over the hashed term space: what :meth:`documents`
        saturates; independent of the fitted statistics, so they can be computed once per text
        (at ingest) and stored."""
        texts = list(texts)
        if not len(texts):  # HashingVectorizer cannot transform nothing
            return sp.csr_matrix((0, self.n_features), dtype=np.float32)
        from sklearn.feature_extraction.text import HashingVectorizer

        vec = HashingVectorizer(
            n_features=self.n_features,
            token_pattern=_TOKENS,
            stop_words="english",
            alternate_sign=False,
            norm=None,
            dtype=np.float32,
        )
        return sp.csr_matrix(vec.transform(["" if t is None else str(t) for t in texts]))

    def fit(self, corpus: list[str]) -> HashedBM25:
        """Document frequencies, corpus size and mean document length of ``corpus``."""
        counts = self.counts(corpus)
        self.n_docs_ = counts.shape[0]
        self.df_ = np.bincount(counts.indices, minlength=self.n_features).astype(np.float32)
        lengths = np.asarray(counts.sum(axis=1)).ravel()
        self.avgdl_ = float(lengths.mean()) if len(lengths) and lengths.mean() > 0 else 1.0
        return self

    def documents(self, texts: list[str]) -> sp.csr_matrix:
        """Per document and term, BM25's saturated term frequency ``tf (k1+1) / (tf + k1 K)``."""
        return self.saturate(self.counts(texts))

    def saturate(self, counts: sp.csr_matrix) -> sp.csr_matrix:
        """:meth:`documents` of texts whose :meth:`counts` are ``counts`` (not changed)."""
        counts = sp.csr_matrix(counts, dtype=np.float32, copy=True)
        lengths = np.asarray(counts.sum(axis=1)).ravel()
        norm = self.k1 * (1 - self.b + self.b * lengths / self.avgdl_)
        tf = counts.data
        rows = np.repeat(np.arange(counts.shape[0]), np.diff(counts.indptr))
        counts.data = (tf * (self.k1 + 1) / (tf + norm[rows])).astype(np.float32)
        return counts

    def queries(self, texts: list[str]) -> sp.csr_matrix:
        """Per query and distinct term, its IDF ``log(1 + (N - df + 0.5) / (df + 0.5))``."""
        q = self.counts(texts)
        df = self.df_[q.indices]
        q.data = np.log1p((self.n_docs_ - df + 0.5) / (df + 0.5)).astype(np.float32)
        return q

    @staticmethod
    def scores(
        docs: sp.csr_matrix, queries: sp.csr_matrix, ci: np.ndarray, ri: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """``(score, score / query IDF mass)`` of document ``ci[p]`` for query ``ri[p]``."""
        score = np.zeros(len(ci))
        mass = np.asarray(queries.sum(axis=1)).ravel()
        for r in np.unique(ri):  # one sparse product per distinct query of the batch
            rows = np.flatnonzero(ri == r)
            q = queries[int(r)]
            if q.nnz:  # only the query's columns of the documents
                score[rows] = docs[ci[rows]][:, q.indices] @ q.data
        with np.errstate(invalid="ignore", divide="ignore"):
            per_term = np.where(mass[ri] > 0, score / mass[ri], 0.0)
        return score, per_term


def cosine_pairs(a: np.ndarray | None, b: np.ndarray | None) -> np.ndarray | None:
    """Row-wise dot products of aligned (L2-normalised) vectors; NaN rows stay NaN."""
    if a is None or b is None:
        return None
    return np.einsum("ij,ij->i", a, b)


# Cosines are snapped to this grid: the float64 dot product of two skill vectors may differ in
# its last bit between a matrix product and a row-wise one, and snapping makes both paths (and
# every batch) give bit-identical features.  Sums of grid values stay exact in float64.
_COSINE_GRID = 2.0**24
# Up to this many distinct roles in a batch, one matrix product per role (a shortlist: one role,
# many candidates); above it, every pair's skill combinations laid out flat (a moves query: one
# person, a thousand roles).  Both give the same values; only their cost differs.
_GROUP_LOOP_MAX = 32
# Flat layout: all cosines between the distinct skills on each side in one product when there are
# at most this many (32 MB of float64), else only the skill pairs that occur, row by row.
_DENSE_MAX = 4_000_000


def _snapped(sim: np.ndarray) -> np.ndarray:
    return np.round(np.clip(sim, 0.0, 1.0) * _COSINE_GRID) / _COSINE_GRID


def soft_overlap(
    R: sp.csr_matrix,
    H: sp.csr_matrix,
    E: np.ndarray,
    groups: np.ndarray | None = None,
    chunk: int = 8192,
) -> tuple[np.ndarray, np.ndarray]:
    """``(coverage, relevance)`` of each pair, with skill vectors ``E`` (skills × dim):

    - coverage: mean over the role's skills (rows of ``R``, pairs × skills) of the best cosine to a
      skill the candidate has (rows of ``H``, pairs × skills);
    - relevance, its mirror: mean over the candidate's skills of the best cosine to a skill the role
      asks for — how much of the profile the role uses.  Coverage alone rates a role that asks for
      one generic skill a perfect match for anyone who has it; relevance does not.

    NaN where a side has no skill.  Cosines are clipped to [0, 1].  Coverage takes the best match
    over the candidate's skills, so one more skill (e.g. from a new credential) never lowers it: it
    may carry a +1 monotone constraint (relevance may fall: it is unconstrained).

    ``groups`` (optional, one label per pair) marks pairs whose ``R`` rows are the same (the role
    index): with few groups each is one matrix product.  Otherwise, and always without it, every
    pair's (role skill, candidate skill) combinations are laid out flat and the cosine of each
    distinct skill pair is taken once, ``chunk`` at a time.  Either way a pair's values never depend
    on the other pairs of its batch (cosines in float64, snapped to a 2^-24 grid).
    """
    R, H = sp.csr_matrix(R), sp.csr_matrix(H)
    if groups is not None and len(np.unique(groups)) <= _GROUP_LOOP_MAX:
        return _overlap_by_group(R, H, E, np.asarray(groups))
    return _overlap_by_pair(R, H, E, chunk)


def _overlap_by_group(R, H, E, groups) -> tuple[np.ndarray, np.ndarray]:
    n = R.shape[0]
    cov, rel = np.full(n, np.nan), np.full(n, np.nan)
    for g in np.unique(groups):  # pairs of one group share their role skills
        rows = np.flatnonzero(groups == g)
        want = R[rows[0]].indices
        if not len(want):
            continue
        Hr = H[rows]
        present = np.zeros(H.shape[1], dtype=bool)
        present[Hr.indices] = True
        have = np.flatnonzero(present)
        if not len(have):
            continue
        sim = _snapped(E[have].astype(np.float64) @ E[want].astype(np.float64).T)
        # (nnz, role skills), one row per held skill: segments of rows are a pair's skills.
        # Grid values are exact in float32 (k / 2^24, k <= 2^24), so maxima are too; sums are
        # taken in float64 as before
        vals = sim.astype(np.float32)[(np.cumsum(present) - 1)[Hr.indices]]
        lens = np.diff(Hr.indptr)
        ok = lens > 0
        starts = Hr.indptr[:-1][ok]
        best = np.maximum.reduceat(vals, starts, axis=0)
        cov[rows[ok]] = best.sum(axis=1, dtype=np.float64) / len(want)
        rel[rows[ok]] = np.add.reduceat(vals.max(axis=1).astype(np.float64), starts) / lens[ok]
    return cov, rel


def _overlap_by_pair(R, H, E, chunk) -> tuple[np.ndarray, np.ndarray]:
    n = R.shape[0]
    cov, rel = np.full(n, np.nan), np.full(n, np.nan)
    rlen, hlen = np.diff(R.indptr), np.diff(H.indptr)
    pairs = np.flatnonzero((rlen > 0) & (hlen > 0))
    if not len(pairs):
        return cov, rel
    rl, hl = rlen[pairs], hlen[pairs]
    size = rl * hl
    pair = np.repeat(np.arange(len(pairs)), size)
    k = np.arange(size.sum()) - np.repeat(np.cumsum(size) - size, size)

    def combos(outer_ptr, outer_ix, inner_len, inner_ptr, inner_ix):
        o = outer_ix[outer_ptr[pairs][pair] + k // inner_len[pair]]
        i = inner_ix[inner_ptr[pairs][pair] + k % inner_len[pair]]
        return o, i

    # role-skill major: segments of length hl (one per role skill) → coverage
    ra, hb = combos(R.indptr, R.indices, hl, H.indptr, H.indices)
    # candidate-skill major: segments of length rl (one per candidate skill) → relevance
    hb2, ra2 = combos(H.indptr, H.indices, rl, R.indptr, R.indices)
    m = max(R.shape[1], H.shape[1], len(E))
    key, key2 = ra.astype(np.int64) * m + hb, ra2.astype(np.int64) * m + hb2
    uniq, inv = np.unique(key, return_inverse=True)
    ua, ub = uniq // m, uniq % m
    sa, ia = np.unique(ua, return_inverse=True)
    sb, ib = np.unique(ub, return_inverse=True)
    if len(sa) * len(sb) <= _DENSE_MAX:  # e.g. one person's skills against a thousand roles'
        sim = (E[sa].astype(np.float64) @ E[sb].astype(np.float64).T)[ia, ib]
    else:  # many people and many roles: only the skill pairs that occur
        sim = np.empty(len(uniq))
        for s in range(0, len(uniq), chunk):
            a = E[ua[s : s + chunk]].astype(np.float64)
            b = E[ub[s : s + chunk]].astype(np.float64)
            sim[s : s + chunk] = np.einsum("ij,ij->i", a, b)
    sim = _snapped(sim)
    vals, vals2 = sim[inv], sim[np.searchsorted(uniq, key2)]
    seg = np.repeat(hl, rl)  # coverage segments: per (pair, role skill)
    best = np.maximum.reduceat(vals, np.cumsum(seg) - seg)
    cov[pairs] = np.add.reduceat(best, np.cumsum(rl) - rl) / rl
    seg2 = np.repeat(rl, hl)  # relevance segments: per (pair, candidate skill)
    best2 = np.maximum.reduceat(vals2, np.cumsum(seg2) - seg2)
    rel[pairs] = np.add.reduceat(best2, np.cumsum(hl) - hl) / hl
    return cov, rel


def soft_coverage(
    R: sp.csr_matrix, H: sp.csr_matrix, E: np.ndarray, groups: np.ndarray | None = None
) -> np.ndarray:
    """The coverage half of :func:`soft_overlap`."""
    return soft_overlap(R, H, E, groups)[0]


class RowCache:
    """Rows of a sparse matrix by content key (a text's sha256), kept across builders.

    A served model rebuilds its features for every new store generation; a candidate's BM25
    document row depends only on its text and the model's fixed statistics, so rows of unchanged
    texts are reused and only new or changed texts are tokenised.  Rows of keys no longer asked
    for are dropped when they make up a tenth of the cache (an erased person's row does not
    outlive the next rebuild by much).  Thread-safe."""

    def __init__(self) -> None:
        import threading

        self._lock = threading.Lock()
        self._pos: dict[str, int] = {}
        self._matrix: sp.csr_matrix | None = None

    def rows(self, keys: list[str], make: Any) -> sp.csr_matrix:
        """Rows for ``keys`` in order; ``make(positions)`` builds those of unknown keys (the
        positions are into ``keys``) as a CSR matrix."""
        with self._lock:
            todo = self._unknown(keys)
            if todo:
                self._append(list(todo), make(np.fromiter(todo.values(), np.int64, len(todo))))
            pos = np.fromiter((self._pos[k] for k in keys), np.int64, len(keys))
            out = self._matrix[pos] if self._matrix is not None else sp.csr_matrix((0, 0))
            if len(self._pos) > 1.1 * len(set(keys)) + 100:  # drop rows no one asks for
                live = dict.fromkeys(keys)
                keep = np.fromiter((self._pos[k] for k in live), np.int64, len(live))
                self._matrix = self._matrix[keep]
                self._pos = {k: j for j, k in enumerate(live)}
            return out

    def put(self, keys: list[str], rows: sp.csr_matrix) -> None:
        """Remember ``rows`` (row ``i`` for ``keys[i]``: rows made elsewhere, e.g. from term
        counts a store holds) for the keys not held yet."""
        with self._lock:
            first = self._unknown(keys)
            if first:
                take = np.fromiter(first.values(), np.int64, len(first))
                self._append(list(first), sp.csr_matrix(rows)[take])

    def keep(self, keys: Iterable[str] = ()) -> None:
        """Drop every row but those of ``keys`` (after an erasure: the rows of texts the store
        no longer holds go at once, not when they make up a tenth of the cache)."""
        with self._lock:
            live = [k for k in dict.fromkeys(keys) if k in self._pos]
            if self._matrix is None or len(live) == len(self._pos):
                return
            take = np.fromiter((self._pos[k] for k in live), np.int64, len(live))
            self._matrix = self._matrix[take]
            self._pos = {k: j for j, k in enumerate(live)}

    def __contains__(self, key: object) -> bool:
        return key in self._pos

    def _unknown(self, keys: list[str]) -> dict[str, int]:
        """The keys not held, each with its first position in ``keys``."""
        first: dict[str, int] = {}
        for i, key in enumerate(keys):
            if key not in self._pos and key not in first:
                first[key] = i
        return first

    def _append(self, keys: list[str], new: Any) -> None:
        new = sp.csr_matrix(new)
        start = 0 if self._matrix is None else self._matrix.shape[0]
        self._matrix = new if self._matrix is None else sp.vstack([self._matrix, new]).tocsr()
        self._pos.update({k: start + j for j, k in enumerate(keys)})

    def __len__(self) -> int:
        return len(self._pos)
