"""Vectorised helpers for the feature builder: id lists → sparse matrices, ragged expansions."""

from __future__ import annotations

import numpy as np
import pandas as pd
import scipy.sparse as sp


def list_matrix(lists: pd.Series, vocab: pd.Index) -> sp.csr_matrix:
    """Binary (len(lists), len(vocab)) CSR matrix from a column of id lists (unknown ids dropped)."""
    lengths = lists.map(lambda v: len(v) if isinstance(v, list | tuple | np.ndarray) else 0)
    lengths = lengths.astype(np.int64)  # an empty column maps to object dtype
    flat = lists[lengths > 0].explode()
    rows = np.repeat(np.flatnonzero(lengths.to_numpy() > 0), lengths[lengths > 0].to_numpy())
    cols = vocab.get_indexer(flat.astype(str).to_numpy()) if len(flat) else np.zeros(0, int)
    keep = cols >= 0
    m = sp.csr_matrix(
        (np.ones(keep.sum()), (rows[keep], cols[keep])), shape=(len(lists), len(vocab))
    )
    m.data[:] = 1.0  # duplicates in a list count once
    return m


def binarize(m: sp.spmatrix) -> sp.csr_matrix:
    m = sp.csr_matrix(m)
    m.data = (m.data > 0).astype(np.float64)
    m.eliminate_zeros()
    return m


def row_sums(m: sp.spmatrix) -> np.ndarray:
    return np.asarray(m.sum(axis=1)).ravel()


def expand(
    owner_of_pair: np.ndarray, starts: np.ndarray, counts: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """For pairs whose owner has rows ``starts[o]:starts[o]+counts[o]`` in a table sorted by owner,
    return (pair index, table row) for every (pair, row) combination — no Python loop."""
    c = counts[owner_of_pair]
    pair = np.repeat(np.arange(len(owner_of_pair)), c)
    if pair.size == 0:
        return pair, np.zeros(0, dtype=np.int64)
    first = np.repeat(starts[owner_of_pair], c)
    offset = np.arange(pair.size) - np.repeat(np.cumsum(c) - c, c)
    return pair, first + offset


def grouped_table(
    owner_codes: np.ndarray, n_owners: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(order, starts, counts) to read a table grouped by ``owner_codes`` (codes < 0 are dropped)."""
    order = np.argsort(owner_codes, kind="stable")
    order = order[owner_codes[order] >= 0]
    counts = np.bincount(owner_codes[order], minlength=n_owners)
    starts = np.cumsum(counts) - counts
    return order, starts, counts


def group_max(keys: np.ndarray, values: np.ndarray, n: int, fill: float) -> np.ndarray:
    out = np.full(n, -np.inf)
    np.maximum.at(out, keys, values)
    out[np.isneginf(out)] = fill
    return out
