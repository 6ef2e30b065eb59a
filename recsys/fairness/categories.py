"""Categories of each pair and counts per category, as integer codes (no Python loop over pairs).

A *grouping* is one attribute (``sex``) or an intersection of several (``sex × race_ethnicity``);
its categories are the combinations of known values.  A pair whose candidate has no groups row, or
an unknown value in any attribute of the grouping, is *unknown* for that grouping (code -1).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd


@dataclass
class Coded:
    """Each attribute's sorted known values and the code of every groups row and every pair."""

    labels: dict[str, list[str]]
    people: dict[str, np.ndarray]  # attribute → code per groups row (-1 unknown)
    pairs: dict[str, np.ndarray]  # attribute → code per scored pair (-1 unknown or no groups row)
    in_groups: np.ndarray  # per pair: its candidate has a groups row


def encode(groups: pd.DataFrame, attributes: list[str], candidate_ids: np.ndarray) -> Coded:
    pos = pd.Index(groups["candidate_id"]).get_indexer(candidate_ids)
    found = pos >= 0
    labels, people, pairs = {}, {}, {}
    for name in attributes:
        codes, uniques = pd.factorize(groups[name], sort=True)  # None → -1
        labels[name] = [str(u) for u in uniques]
        people[name] = codes.astype(np.int64)
        pairs[name] = np.where(found, codes[np.where(found, pos, 0)], -1).astype(np.int64)
    return Coded(labels, people, pairs, found)


def combine(codes: dict[str, np.ndarray], sizes: list[int], attrs: tuple[str, ...]) -> np.ndarray:
    """Mixed-radix code of the intersection of ``attrs`` (-1 where any part is unknown)."""
    out = np.zeros(len(codes[attrs[0]]), dtype=np.int64)
    unknown = np.zeros(len(out), dtype=bool)
    for name, size in zip(attrs, sizes, strict=True):
        part = codes[name]
        unknown |= part < 0
        out = out * size + part
    out[unknown] = -1
    return out


def category_labels(coded: Coded, attrs: tuple[str, ...]) -> pd.DataFrame:
    """One row per category of the grouping, in code order: a column per attribute."""
    grids = np.meshgrid(*[np.arange(len(coded.labels[a])) for a in attrs], indexing="ij")
    return pd.DataFrame(
        {
            a: np.asarray(coded.labels[a], dtype=object)[g.ravel()]
            for a, g in zip(attrs, grids, strict=True)
        }
    )


def count(code: np.ndarray, n_categories: int, weights: np.ndarray | None = None) -> np.ndarray:
    """Per category: the number of known entries (or the sum of ``weights`` over them)."""
    known = code >= 0
    w = None if weights is None else weights[known].astype(np.float64)
    return np.bincount(code[known], weights=w, minlength=n_categories).astype(np.int64)
