"""Occupation match: is the candidate's occupation the role's, or near it?

Both sides become a vector in the space of ESCO occupation embeddings ("label. description",
:class:`recsys.occupations.OccupationMatcher`), and ``occ_match`` is their cosine clipped to [0, 1]:

- a **role** with an ``occupation_id`` takes that occupation's vector; a free-text role the
  expected vector of what its title and text are inferred to be;
- a **candidate** takes the occupation of the job it started last by the pair's reference time
  (its history, as of); with no such job, the expected vector inferred from the head of its résumé:
  the first lines are scored one by one and the most confident is taken (a résumé often starts with
  a name, then the person's title).

Inference is a softmax over the ``k`` best-scoring occupations at the matcher's temperature.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

__all__ = ["head_lines", "infer_vectors", "matcher_for", "occupation_match"]

_MATCHERS: dict[str, object] = {}


def matcher_for(encoder: object) -> object:
    """The fitted :class:`recsys.occupations.OccupationMatcher` of ``encoder``, one per process and
    encoder model id (it depends on nothing else: the shipped taxonomy and the encoder's vectors)."""
    from recsys.occupations import OccupationMatcher

    key = str(encoder.model_id)
    if key not in _MATCHERS:
        _MATCHERS[key] = OccupationMatcher(encoder=encoder).fit()
    return _MATCHERS[key]


def head_lines(text: str, n: int = 4, max_words: int = 12) -> list[str]:
    """The first ``n`` non-empty lines of ``text``, each cut to ``max_words`` words."""
    lines = [" ".join(ln.split()[:max_words]) for ln in str(text).splitlines() if ln.strip()]
    return lines[:n]


def infer_vectors(
    matcher: object, texts: Sequence[str], *, lines: int = 4, k: int = 10
) -> np.ndarray:
    """(len(texts), dim) expected occupation vectors of each text's most confident head line
    (NaN rows for texts without words)."""
    vecs = np.asarray(matcher.occupation_vectors_, dtype=np.float64)
    out = np.full((len(texts), vecs.shape[1]), np.nan)
    owner, queries = [], []
    for i, text in enumerate(texts):
        for line in head_lines(text or "", lines):
            owner.append(i)
            queries.append(line)
    if not queries:
        return out
    # résumés repeat head lines (a pool's copies, common job titles): score each line once
    unique, inverse = np.unique(np.asarray(queries, dtype=object), return_inverse=True)
    scores = matcher.score_matrices([str(u) for u in unique])[0][inverse.ravel()]
    owner = np.asarray(owner)
    best = scores.max(axis=1)
    # per text, the line whose best occupation scores highest
    order = np.lexsort((-best, owner))
    first = np.r_[True, owner[order][1:] != owner[order][:-1]]
    pick = order[first]
    s = scores[pick]
    k = min(k, s.shape[1])
    top = np.argpartition(-s, k - 1, axis=1)[:, :k]
    val = np.take_along_axis(s, top, axis=1)
    z = (val - val.max(axis=1, keepdims=True)) / float(matcher.temperature)
    p = np.exp(z)
    p /= p.sum(axis=1, keepdims=True)
    out[owner[pick]] = np.einsum("nk,nkd->nd", p, vecs[top])
    return out


def occupation_match(cand: np.ndarray, role: np.ndarray) -> np.ndarray:
    """Cosine of aligned rows clipped to [0, 1]; NaN where a side is unknown (a NaN row)."""
    dot = np.einsum("ij,ij->i", cand, role)
    norm = np.linalg.norm(cand, axis=1) * np.linalg.norm(role, axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.clip(dot / norm, 0.0, 1.0)
