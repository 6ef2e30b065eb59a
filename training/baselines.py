"""Baseline scorers of (role, candidate) pairs, evaluated beside the ranker in the same run.

- :func:`bm25_scores` — BM25 (``bm25s``, Lucene variant, English stop words) with the role's text as the
  query and candidate texts as documents; IDF comes from the whole candidate pool of the world.
- :func:`cosine_scores` — raw embedding cosine between role and candidate texts (the retrieval score).
- :func:`oracle_scores` — the planted true fit (``recsys.data.truth``): the ceiling a ranker could reach
  from perfect knowledge of the latent fit (funnel noise still separates it from 1.0).

Each returns one float per pair, aligned with ``pairs`` (columns ``role_id``, ``candidate_id``).
Loops run over roles (queries), never over pairs.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["bm25_scores", "cosine_scores", "oracle_scores"]


def bm25_scores(world: Any, pairs: pd.DataFrame) -> np.ndarray:
    """BM25 of each pair's candidate text against its role text."""
    import bm25s

    from recsys.text import entity_texts

    cand_text = entity_texts(world, "candidates")
    role_text = entity_texts(world, "roles")
    retriever = bm25s.BM25()
    retriever.index(
        bm25s.tokenize(cand_text.tolist(), stopwords="en", show_progress=False), show_progress=False
    )
    row_of = pd.Series(np.arange(len(cand_text)), index=cand_text.index)
    cand_rows = row_of.reindex(pairs["candidate_id"].astype(str)).to_numpy()
    if np.isnan(cand_rows.astype(float)).any():
        raise ValueError("bm25_scores: pairs name candidates that are not in the world.")
    out = np.zeros(len(pairs), dtype=float)
    roles = pairs["role_id"].astype(str).to_numpy()
    for role_id, idx in pd.Series(np.arange(len(pairs))).groupby(roles):
        tokens = bm25s.tokenize(
            [role_text.loc[role_id]], stopwords="en", return_ids=False, show_progress=False
        )[0]
        scores = retriever.get_scores(tokens) if tokens else np.zeros(len(cand_text))
        out[idx.to_numpy()] = scores[cand_rows[idx.to_numpy()].astype(int)]
    return out


def cosine_scores(world: Any, pairs: pd.DataFrame, encoder: Any) -> np.ndarray:
    """Cosine of the (L2-normalised) role and candidate embeddings of each pair."""
    from recsys.text import entity_texts

    cand_ids = pairs["candidate_id"].astype(str)
    role_ids = pairs["role_id"].astype(str)
    cands = pd.Index(cand_ids.unique())
    roles = pd.Index(role_ids.unique())
    cv = encoder.encode(entity_texts(world, "candidates").loc[cands].tolist())
    rv = encoder.encode(entity_texts(world, "roles").loc[roles].tolist())
    a = cv[cands.get_indexer(cand_ids)]
    b = rv[roles.get_indexer(role_ids)]
    return np.einsum("ij,ij->i", a, b).astype(float)


def oracle_scores(world_dir: str | Path, pairs: pd.DataFrame) -> np.ndarray:
    """The planted true fit of each pair (evaluation only: reads the world's ``truth/``)."""
    from recsys.data.truth import Truth

    truth = Truth.load(world_dir)
    return np.asarray(
        truth.fit(
            pairs["candidate_id"].astype(str).to_numpy(), pairs["role_id"].astype(str).to_numpy()
        ),
        dtype=float,
    )
