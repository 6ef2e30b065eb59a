"""Per-pair outcomes, vectorised over all pairs at once: *selected* and *scored above the median*.

- **selected**: with ``k``, the pair is in its role's top ``k`` (by the file's ``rank`` when it has
  one, else by score desc, fit desc, candidate_id asc: the order ``recsys score --top-k`` uses);
  without ``k``, the file's ``selected`` flag; neither: no selection outcome.
- **above median**: the pair's score is strictly above the median score of its role's pool (NYC
  Local Law 144's *scoring rate* counts "a score above the sample's median score"; the sample here
  is each role's scored pool).
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def role_codes(scores: pd.DataFrame) -> tuple[np.ndarray, int]:
    """Integer code of each pair's role and the number of roles."""
    codes, uniques = pd.factorize(scores["role_id"])
    return codes.astype(np.int64), len(uniques)


def ranks(scores: pd.DataFrame, roles: np.ndarray) -> np.ndarray:
    """Rank (1 = best) of each pair within its role: score desc, fit desc, candidate_id asc."""
    cand, _ = pd.factorize(scores["candidate_id"], sort=True)
    keys = [cand, -scores["score"].to_numpy()]
    if "fit" in scores:
        keys.insert(1, -scores["fit"].to_numpy())
    order = np.lexsort((*keys, roles))  # the last key sorts first
    sorted_roles = roles[order]
    new = np.ones(len(order), dtype=bool)
    new[1:] = sorted_roles[1:] != sorted_roles[:-1]
    starts = np.flatnonzero(new)
    position = np.arange(len(order)) - np.repeat(starts, np.diff(np.append(starts, len(order))))
    out = np.empty(len(order), dtype=np.int64)
    out[order] = position + 1
    return out


def selected(scores: pd.DataFrame, roles: np.ndarray, k: int | None) -> np.ndarray | None:
    """Whether each pair is selected (see the module doc); ``None`` when nothing says so."""
    if k is not None:
        rank = scores["rank"].to_numpy() if "rank" in scores else ranks(scores, roles)
        return rank <= k
    if "selected" in scores:
        return scores["selected"].to_numpy(dtype=bool)
    return None


def above_median(scores: pd.DataFrame, roles: np.ndarray) -> np.ndarray:
    """Whether each pair's score is strictly above its role's median score."""
    score = scores["score"].to_numpy()
    median = pd.Series(score).groupby(roles).transform("median").to_numpy()
    return score > median
