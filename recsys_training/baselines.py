"""Baseline scorers of (role, candidate) pairs, evaluated beside the ranker in the same run.

- :func:`bm25_scores` — BM25 (``bm25s``, Lucene variant, English stop words) with the role's text as the
  query and candidate texts as documents; IDF comes from the whole candidate pool of the world.
- :func:`cosine_scores` — raw embedding cosine between role and candidate texts (the retrieval score).
- :func:`oracle_scores` — the planted true fit (``recsys.data.truth``): the ceiling a ranker could reach
  from perfect knowledge of the latent fit (funnel noise still separates it from 1.0).
- :func:`linear_scores` — ridge regression on the ranker's own features and labels: what a linear
  model learns from the same data (so the report shows what the trees add).
- :func:`hand_weighted_scores` — no training at all: equal weights on the features whose direction
  the feature registry documents (``monotone`` ±1), each standardised on the training pairs.

Each returns one float per pair, aligned with ``pairs`` (columns ``role_id``, ``candidate_id``).
Loops run over roles (queries), never over pairs.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

__all__ = [
    "bm25_scores",
    "cosine_scores",
    "hand_weighted_scores",
    "linear_scores",
    "oracle_scores",
]


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


def observable_formula_scores(world_dir: str | Path, pairs: pd.DataFrame) -> np.ndarray:
    """The planted formula with its own weights on what a model can observe: CLAIMED skills instead
    of true ones and no hidden term (evaluation only: reads ``truth/``).  Copying the generator
    perfectly from the data would score this; the gap to the oracle is noise no model can learn."""
    import dataclasses

    import pyarrow.parquet as pq
    import scipy.sparse as sp

    from recsys.data import planted
    from recsys.data.truth import Truth

    truth = Truth.load(world_dir)
    table = pq.read_table(
        Path(world_dir) / "candidates.parquet", columns=["candidate_id", "skills"]
    )
    pos = truth.candidate_ids.get_indexer(table.column("candidate_id").to_pylist())
    lists = table.column("skills").to_pylist()
    rows = np.repeat(pos, [len(x) for x in lists])
    codes = truth.skills_vocab.get_indexer([s for x in lists for s in x])
    keep = codes >= 0  # a claim no role asks for and nobody holds counts for nothing anyway
    claimed = sp.csr_matrix(
        (np.ones(int(keep.sum())), (rows[keep], codes[keep])),
        shape=(len(truth.candidate_ids), len(truth.skills_vocab)),
    )
    ci = truth.candidate_ids.get_indexer(pairs["candidate_id"].astype(str))
    ri = truth.role_ids.get_indexer(pairs["role_id"].astype(str))
    return planted.fit_components(
        dataclasses.replace(truth.candidates, skills=claimed),
        truth.roles,
        ci,
        ri,
        truth.weights.model_copy(update={"hidden": 0.0}),
        int(truth.params["seed"]),
        truth.shape,
    )["fit"]


def _as_float(X: pd.DataFrame, columns: list[str]) -> np.ndarray:
    missing = sorted(set(columns) - set(X.columns))
    if missing:
        raise ValueError(f"the features to score lack the training column(s) {missing}")
    return X[columns].to_numpy(dtype=np.float64)


def linear_scores(X_train: pd.DataFrame, y_train: np.ndarray, X: pd.DataFrame) -> np.ndarray:
    """Ridge regression (penalty chosen by leave-one-out over a log grid) on ``X_train`` → ``y_train``,
    applied to ``X``.  Missing values: training median plus a missing-indicator column per feature
    (a text-only pair's absent skill coverage is information, as it is for the trees)."""
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import RidgeCV
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    cols = list(X_train.columns)
    model = make_pipeline(
        SimpleImputer(strategy="median", add_indicator=True, keep_empty_features=True),
        StandardScaler(),
        RidgeCV(alphas=np.logspace(-2, 4, 7)),
    )
    model.fit(_as_float(X_train, cols), np.asarray(y_train, dtype=np.float64))
    return model.predict(_as_float(X, cols))


def hand_weighted_scores(X_train: pd.DataFrame, X: pd.DataFrame) -> np.ndarray:
    """Mean of the signed z-scores of the features with a documented direction (the registry's
    ``monotone``: +1 more is better, -1 less is better), mean and spread from ``X_train``; a
    missing value counts as the training mean, a feature never observed in ``X_train`` is left
    out.  Untrained: no label is read."""
    from recsys.features.registry import FEATURES

    sign = {f.name: f.monotone for f in FEATURES.values() if f.monotone}
    cols = [c for c in X_train.columns if c in sign]
    if not cols:
        raise ValueError("hand_weighted_scores: none of the features has a documented direction")
    tr = _as_float(X_train, cols)
    seen = ~np.isnan(tr).all(axis=0)  # a feature never observed in training has no known scale
    cols, tr = [c for c, ok in zip(cols, seen, strict=True) if ok], tr[:, seen]
    if not cols:
        return np.zeros(len(X))
    mean = np.nanmean(tr, axis=0)
    std = np.nanstd(tr, axis=0)
    z = (_as_float(X, cols) - mean) / np.where(std > 0, std, 1.0)
    z = np.where(np.isnan(z), 0.0, z)
    return z @ np.asarray([sign[c] for c in cols], dtype=np.float64) / len(cols)


def linear_cox(model: Any, X: pd.DataFrame, durations: np.ndarray, events: np.ndarray) -> Any:
    """The retention baseline: ``model``'s Cox fit with every input linear (no spline hinges),
    same penalty and missing-value rules, on the same training hires."""
    from recsys.models.retention import RetentionModel

    # the penalty the model used (with penalizer="cv", the one its cross-validation chose)
    params = {**model.get_params(), "derived_features": False}
    params["penalizer"] = getattr(model, "penalizer_", params["penalizer"])
    return RetentionModel(**params).fit(X, durations, events)
