"""Occupation distributions as features: softmax rows, pairwise similarity, expected skills."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import scipy.sparse as sp

from recsys.occupations._scoring import top_k

if TYPE_CHECKING:
    from recsys.occupations.matcher import OccupationMatcher

__all__ = ["expected_skills", "isco_onehot", "similarity", "skill_matrices", "softmax_rows"]

SIMILARITY_METHODS = ("embedding", "isco")


def softmax_rows(
    cols: np.ndarray, vals: np.ndarray, temperature: float, empty: Sequence[bool], n_cols: int
) -> sp.csr_matrix:
    """CSR rows holding ``softmax(vals / temperature)`` at ``cols``; rows flagged empty are zero."""
    z = (vals - vals[:, :1]) / temperature  # vals sorted descending: max first
    p = np.exp(z)
    p /= p.sum(axis=1, keepdims=True)
    p[np.asarray(empty, dtype=bool)] = 0.0
    n, k = cols.shape
    out = sp.csr_matrix(
        (p.ravel().astype(np.float32), cols.ravel(), np.arange(0, n * k + 1, k)), shape=(n, n_cols)
    )
    out.eliminate_zeros()
    out.sort_indices()
    return out


def _as_distribution(m: OccupationMatcher, x: object, name: str) -> sp.csr_matrix:
    n = len(m.occupation_ids_)
    if sp.issparse(x) or isinstance(x, np.ndarray):
        out = sp.csr_matrix(x, dtype=np.float32)
        if out.ndim != 2 or out.shape[1] != n:
            raise ValueError(
                f"The '{name}' parameter must be a (docs, {n}) distribution over the matcher's "
                f"occupations. Got shape {out.shape} instead."
            )
        if out.nnz and out.data.min() < 0:
            raise ValueError(
                f"The '{name}' parameter must be non-negative. Found {out.data.min()}."
            )
        return out
    raise TypeError(
        f"The '{name}' parameter must be a scipy.sparse matrix or numpy array from distribution(). "
        f"Got {type(x).__name__} instead."
    )


def isco_onehot(occ: pd.DataFrame) -> sp.csr_matrix:
    """Occupation × ISCO unit group (4-digit code) 0/1 matrix."""
    codes = occ["isco_code"].astype(str).to_numpy()
    _, group = np.unique(codes, return_inverse=True)
    n = len(codes)
    width = int(group.max()) + 1 if n else 0
    return sp.csr_matrix((np.ones(n, np.float32), (np.arange(n), group)), shape=(n, width))


def similarity(m: OccupationMatcher, a: object, b: object, method: str) -> np.ndarray:
    if method not in SIMILARITY_METHODS:
        raise ValueError(
            f"The 'method' parameter of occupation_similarity must be one of "
            f"{list(SIMILARITY_METHODS)}. Got {method!r} instead."
        )
    a, b = _as_distribution(m, a, "a"), _as_distribution(m, b, "b")
    if a.shape[0] != b.shape[0]:
        raise ValueError(
            f"occupation_similarity compares aligned rows: 'a' has {a.shape[0]} rows, "
            f"'b' has {b.shape[0]}."
        )
    if method == "embedding":
        va = np.asarray(a @ m.occupation_vectors_, dtype=np.float64)
        vb = np.asarray(b @ m.occupation_vectors_, dtype=np.float64)
        norm = np.linalg.norm(va, axis=1) * np.linalg.norm(vb, axis=1)
        dot = np.einsum("ij,ij->i", va, vb)
        out = np.divide(dot, norm, out=np.zeros_like(dot), where=norm > 0)
    else:
        g = m.isco_onehot_
        pa, pb = (a @ g).toarray(), (b @ g).toarray()
        sa, sb = pa.sum(axis=1, keepdims=True), pb.sum(axis=1, keepdims=True)
        pa = np.divide(pa, sa, out=np.zeros_like(pa), where=sa > 0)
        pb = np.divide(pb, sb, out=np.zeros_like(pb), where=sb > 0)
        out = np.sqrt(pa * pb).sum(axis=1)
    return np.clip(out, 0.0, 1.0)


def skill_matrices(occ: pd.DataFrame) -> tuple[sp.csr_matrix, sp.csr_matrix, np.ndarray]:
    """(essential, optional) occupation × skill 0/1 matrices and the skill ids (their columns);
    tables without skill columns give empty matrices."""
    empty = pd.Series([[]] * len(occ), index=occ.index, dtype=object)
    ess = [list(v) for v in occ.get("essential_skills", empty)]
    opt = [list(v) for v in occ.get("optional_skills", empty)]
    ids = np.asarray(sorted({s for lst in ess + opt for s in lst}), dtype=object)
    col = {s: i for i, s in enumerate(ids)}

    def matrix(lists: list[list[str]]) -> sp.csr_matrix:
        rows = np.repeat(np.arange(len(lists)), [len(x) for x in lists])
        cols = np.asarray([col[s] for x in lists for s in x], dtype=np.int64)
        data = np.ones(len(cols), dtype=np.float32)
        mat = sp.csr_matrix((data, (rows, cols)), shape=(len(lists), len(ids)))
        mat.data[:] = 1.0  # a skill listed twice counts once
        return mat

    return matrix(ess), matrix(opt), ids


def _skill_labels(ids: np.ndarray) -> np.ndarray:
    from recsys.data import taxonomy

    table = taxonomy.skills()
    label = dict(zip(table["skill_id"], table["label"], strict=True))
    return np.asarray([label.get(s, s) for s in ids], dtype=object)


def expected_skills(
    m: OccupationMatcher, texts: object, k: int, top: int, optional_weight: float
) -> pd.DataFrame:
    if isinstance(top, bool) or not isinstance(top, int) or top < 1:
        raise ValueError(
            f"The 'top' parameter of expected_skills must be an int >= 1. Got {top!r} instead."
        )
    ow = optional_weight
    if isinstance(ow, bool) or not isinstance(ow, int | float) or not 0 <= ow <= 1:
        raise ValueError(
            f"The 'optional_weight' parameter of expected_skills must be a float in [0, 1]. "
            f"Got {ow!r} instead."
        )
    numeric = isinstance(texts, np.ndarray) and texts.dtype.kind in "biuf"
    if sp.issparse(texts) or numeric:
        dist = _as_distribution(m, texts, "texts")
    else:
        dist = m.distribution(texts, k=k)
    ess, opt, ids = m.essential_, m.optional_, m.skill_ids_
    p_ess = (dist @ ess).toarray()
    weight = p_ess + float(ow) * (dist @ opt).toarray()
    if weight.shape[0] == 0 or weight.shape[1] == 0:
        cols = np.zeros((weight.shape[0], 0), dtype=np.int64)
        vals = np.zeros((weight.shape[0], 0), dtype=weight.dtype)
    else:
        cols, vals = top_k(weight, top)
    keep = vals > 0
    doc = np.repeat(np.arange(weight.shape[0]), cols.shape[1]).reshape(cols.shape)[keep]
    rank = np.tile(np.arange(1, cols.shape[1] + 1), (weight.shape[0], 1))[keep]
    picked = cols[keep]
    return pd.DataFrame(
        {
            "doc": doc,
            "rank": rank,
            "skill_id": ids[picked],
            "label": _skill_labels(ids[picked]),
            "weight": vals[keep].round(6),
            "essential_weight": np.take_along_axis(p_ess, cols, axis=1)[keep].round(6),
        }
    )
