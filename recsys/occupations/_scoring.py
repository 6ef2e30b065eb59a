"""Vectorised scoring blocks: string-level dense + lexical similarity, max per occupation.

Everything here works on one chunk of queries at a time: a dense ``(queries, strings)`` block is
at most ``chunk × n_strings`` floats (256 × 74k ≈ 76 MB), reduced at once to per-occupation maxima
with ``np.maximum.reduceat`` over strings sorted by owner.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import TfidfVectorizer

__all__ = [
    "Groups",
    "embed",
    "group_max_second",
    "lexical_vectorizer",
    "sparse_dense_dot",
    "top_k",
]

# (encoder model id, sha256 of the strings) -> matrix: a second fit in the process embeds nothing
_MATRIX_CACHE: dict[tuple[str, str], np.ndarray] = {}
_MATRIX_CACHE_SIZE = 8


def embed(encoder: Any, texts: list[str]) -> np.ndarray:
    """``encoder.encode(texts)`` as float32, memoised per (model id, strings)."""
    digest = hashlib.sha256("\x1f".join(texts).encode()).hexdigest()
    key = (str(encoder.model_id), digest)
    if key not in _MATRIX_CACHE:
        if len(_MATRIX_CACHE) >= _MATRIX_CACHE_SIZE:
            _MATRIX_CACHE.pop(next(iter(_MATRIX_CACHE)))
        _MATRIX_CACHE[key] = np.ascontiguousarray(encoder.encode(list(texts)), dtype=np.float32)
    return _MATRIX_CACHE[key]


def lexical_vectorizer() -> TfidfVectorizer:
    """TF-IDF over character 3–5-grams inside word boundaries (robust to plurals, word order,
    "developer"/"development"), sublinear tf, L2-normalised rows: a dot product is a cosine."""
    return TfidfVectorizer(
        analyzer="char_wb", ngram_range=(3, 5), sublinear_tf=True, lowercase=True, dtype=np.float32
    )


@dataclass(frozen=True)
class Groups:
    """Strings of one side sorted by owner: ``columns`` index the unique-string axis, ``starts``
    are the first position of each owner (every owner has at least one string)."""

    columns: np.ndarray
    starts: np.ndarray
    owners: np.ndarray  # owner of each position

    @classmethod
    def build(cls, owners: np.ndarray, columns: np.ndarray, n_owners: int) -> Groups:
        order = np.argsort(owners, kind="stable")
        owners, columns = owners[order], columns[order]
        present = np.unique(owners)
        if len(present) != n_owners:
            missing = sorted(set(range(n_owners)) - set(present.tolist()))[:3]
            raise ValueError(f"every occupation needs at least one title; rows {missing} have none")
        starts = np.searchsorted(owners, np.arange(n_owners))
        return cls(
            columns=columns.astype(np.int64),
            starts=starts.astype(np.int64),
            owners=owners.astype(np.int64),
        )


def group_max_second(block: np.ndarray, groups: Groups) -> tuple[np.ndarray, np.ndarray]:
    """Per-owner best and second-best value of a ``(queries, unique strings)`` block; the second
    is -inf for an owner with one string (a tie for best counts as best once)."""
    sub = block[:, groups.columns]
    best = np.maximum.reduceat(sub, groups.starts, axis=1)
    sub[sub == best[:, groups.owners]] = -np.inf
    return best, np.maximum.reduceat(sub, groups.starts, axis=1)


def sparse_dense_dot(queries: sp.csr_matrix, strings_t: sp.csr_matrix) -> np.ndarray:
    """``queries @ strings_t`` as a dense float32 block."""
    return np.asarray((queries @ strings_t).toarray(), dtype=np.float32)


def top_k(scores: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Columns and values of the ``k`` best per row, best first (ties: lower column first)."""
    k = min(k, scores.shape[1])
    if k < scores.shape[1]:
        cols = np.sort(np.argpartition(-scores, k - 1, axis=1)[:, :k], axis=1)
    else:
        cols = np.tile(np.arange(k), (len(scores), 1))
    vals = np.take_along_axis(scores, cols, axis=1)
    order = np.argsort(-vals, axis=1, kind="stable")
    return np.take_along_axis(cols, order, axis=1), np.take_along_axis(vals, order, axis=1)
