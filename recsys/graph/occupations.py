"""Occupation ↔ occupation relations from the shipped taxonomy, as sparse adjacency matrices.

The shipped ESCO table keeps no occupation-to-occupation broader/narrower links; it keeps each
occupation's ISCO-08 unit group (``isco_code``), the broader concept every ESCO occupation hangs
under.  Two relations are read from it:

- ``isco``: two ESCO occupations under the same ISCO unit group (siblings under one broader concept);
- ``onet``: two ESCO occupations whose linked O*NET occupations (``onet_code``) are the same or are
  O*NET related occupations (``onet_related``, any tier, read both ways).  ESCO occupations without
  an O*NET link take no part in it.

Both are symmetric 0/1 CSR matrices over the taxonomy's occupations without the diagonal.
"""

from __future__ import annotations

import functools

import numpy as np
import pandas as pd
import scipy.sparse as sp

from recsys.features._sparse import binarize

__all__ = ["OccupationRelations", "occupation_relations"]


class OccupationRelations:
    """``ids`` (pd.Index of ESCO occupation ids) and the ``isco`` and ``onet`` adjacency matrices."""

    def __init__(self, ids: pd.Index, isco: sp.csr_matrix, onet: sp.csr_matrix) -> None:
        self.ids = ids
        self.isco = isco
        self.onet = onet

    @property
    def related(self) -> sp.csr_matrix:
        """Either relation (0/1)."""
        return binarize(self.isco + self.onet)


def _one_hot(codes: pd.Series) -> tuple[sp.csr_matrix, pd.Index]:
    vocab = pd.Index(sorted(codes.dropna().unique()))
    col = vocab.get_indexer(codes.fillna("").to_numpy())
    rows = np.flatnonzero(col >= 0)
    m = sp.csr_matrix((np.ones(len(rows)), (rows, col[rows])), shape=(len(codes), len(vocab)))
    return m, vocab


def _no_diagonal(m: sp.spmatrix) -> sp.csr_matrix:
    m = sp.csr_matrix(binarize(m)).tolil()
    m.setdiag(0)
    return binarize(m.tocsr())


@functools.cache
def occupation_relations() -> OccupationRelations:
    """The relations of the shipped taxonomy (built once per process; callers must not mutate)."""
    from recsys.data import taxonomy

    occ = taxonomy.occupations()
    ids = pd.Index(occ["occupation_id"].astype(str))
    G, _ = _one_hot(occ["isco_code"].astype(str))
    isco = _no_diagonal(G @ G.T)

    E, onet_vocab = _one_hot(occ["onet_code"])
    rel = taxonomy.onet_related()
    a = onet_vocab.get_indexer(rel["onet_code"].astype(str).to_numpy())
    b = onet_vocab.get_indexer(rel["related_code"].astype(str).to_numpy())
    keep = (a >= 0) & (b >= 0)
    n = len(onet_vocab)
    R = sp.csr_matrix((np.ones(keep.sum()), (a[keep], b[keep])), shape=(n, n))
    R = binarize(R + R.T + sp.identity(n, format="csr"))
    onet = _no_diagonal(E @ R @ E.T)
    return OccupationRelations(ids, isco, onet)
