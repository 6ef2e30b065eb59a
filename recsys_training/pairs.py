"""Training and evaluation pairs: every outcome of a role plus negatives retrieved as serving sees them.

A role's pairs are

- its applications (``source="outcome"``), labelled with the funnel stage reached (0 applied … 4 hired);
- up to ``negatives_per_role`` candidates drawn (seeded, uniformly) from the top ``retrieve_k`` of the
  role's search in the candidate index that did **not** apply (``source="retrieved"``, label 0).

The second kind is what the ranker meets in production: the shortlist is drawn from retrieval, and
most retrieved people were never put forward.  A third kind, for training only
(:func:`random_negatives`, ``source="random"``): candidates drawn uniformly from the whole world,
label 0 — a pool of real applicants to one job holds people of every trade, and a random person is
almost surely not a fit (unlike a retrieved one, who may well be).  Everything is frame operations
(no loop over pairs).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

__all__ = [
    "PAIR_COLUMNS",
    "build_pairs",
    "outcome_pairs",
    "random_negatives",
    "retrieved_negatives",
    "role_vectors",
]

PAIR_COLUMNS = ["role_id", "candidate_id", "label", "source"]


def outcome_pairs(outcomes: pd.DataFrame) -> pd.DataFrame:
    """Applications as labelled pairs (label = stage)."""
    return pd.DataFrame(
        {
            "role_id": outcomes["role_id"].astype(str).to_numpy(),
            "candidate_id": outcomes["candidate_id"].astype(str).to_numpy(),
            "label": outcomes["stage"].astype(int).to_numpy(),
            "source": "outcome",
        }
    )


def role_vectors(
    role_ids: Sequence[str], role_index: Any = None, encoder: Any = None, world: Any = None
):
    """Role query vectors: stored in ``role_index`` when given, else encoded from the role texts."""
    role_ids = [str(r) for r in role_ids]
    if role_index is not None:
        return np.asarray(role_index.vectors(role_ids), dtype=np.float32)
    if encoder is None or world is None:
        raise ValueError("role_vectors needs a role index, or an encoder and a world.")
    from recsys.text import entity_texts

    texts = entity_texts(world, "roles")
    return encoder.encode(texts.loc[role_ids].tolist())


def retrieved_negatives(
    role_ids: Sequence[str],
    queries: np.ndarray,
    candidate_index: Any,
    applicants: pd.DataFrame,
    *,
    retrieve_k: int = 100,
    negatives_per_role: int = 20,
    seed: int = 0,
) -> pd.DataFrame:
    """Up to ``negatives_per_role`` non-applicants per role from the top ``retrieve_k`` of its search.

    ``candidate_index`` is a :class:`recsys.index.VectorIndex` (``search_batch(queries, k)``);
    ``applicants`` has ``role_id, candidate_id`` (excluded from the negatives).
    """
    for name, value in (("retrieve_k", retrieve_k), ("negatives_per_role", negatives_per_role)):
        if (
            not isinstance(value, int | np.integer)
            or value < 0
            or (name == "retrieve_k" and value < 1)
        ):
            raise ValueError(
                f"The '{name}' parameter of retrieved_negatives must be a non-negative int "
                f"(retrieve_k >= 1). Got {value!r} instead."
            )
    role_ids = [str(r) for r in role_ids]
    if len(role_ids) != len(queries):
        raise ValueError(
            f"role_ids and queries must have the same length. Got {len(role_ids)} and {len(queries)}."
        )
    empty = pd.DataFrame({c: pd.Series(dtype=object) for c in PAIR_COLUMNS}).astype({"label": int})
    if negatives_per_role == 0 or not role_ids:
        return empty
    k = min(int(retrieve_k), len(candidate_index))
    hits = candidate_index.search_batch(np.asarray(queries, dtype=np.float32), k).to_frame()
    hits = pd.DataFrame(
        {
            "role_id": np.asarray(role_ids, dtype=object)[hits["query"].to_numpy()],
            "candidate_id": hits["id"].astype(str).to_numpy(),
        }
    )
    applied = applicants[["role_id", "candidate_id"]].astype(str).drop_duplicates()
    hits = hits.merge(applied, on=["role_id", "candidate_id"], how="left", indicator=True)
    hits = hits[hits["_merge"] == "left_only"].drop(columns="_merge")
    rng = np.random.default_rng(seed)
    hits = hits.assign(_r=rng.random(len(hits)))
    hits = hits.sort_values(["role_id", "_r"], kind="stable")
    hits = hits[hits.groupby("role_id").cumcount() < negatives_per_role]
    out = hits.drop(columns="_r").assign(label=0, source="retrieved")
    return out[PAIR_COLUMNS].reset_index(drop=True)


def random_negatives(
    role_ids: Sequence[str],
    candidate_ids: Sequence[str],
    applicants: pd.DataFrame,
    per_role: int,
    seed: int = 0,
) -> pd.DataFrame:
    """``per_role`` candidates per role drawn uniformly (seeded) among those who did not apply to
    it, label 0, ``source="random"``."""
    empty = pd.DataFrame({c: pd.Series(dtype=object) for c in PAIR_COLUMNS}).astype({"label": int})
    role_ids = [str(r) for r in role_ids]
    cands = np.asarray([str(c) for c in candidate_ids], dtype=object)
    if per_role <= 0 or not role_ids or not len(cands):
        return empty
    rng = np.random.default_rng(seed)
    draw = rng.integers(len(cands), size=(len(role_ids), per_role))
    out = pd.DataFrame(
        {"role_id": np.repeat(role_ids, per_role), "candidate_id": cands[draw.ravel()]}
    ).drop_duplicates()
    applied = applicants[["role_id", "candidate_id"]].astype(str).drop_duplicates()
    out = out.merge(applied, on=["role_id", "candidate_id"], how="left", indicator=True)
    out = out[out["_merge"] == "left_only"].drop(columns="_merge")
    return out.assign(label=0, source="random")[PAIR_COLUMNS].reset_index(drop=True)


def build_pairs(
    outcomes: pd.DataFrame,
    role_ids: Sequence[str],
    queries: np.ndarray,
    candidate_index: Any,
    *,
    retrieve_k: int = 100,
    negatives_per_role: int = 20,
    random_per_role: int = 0,
    candidate_ids: Sequence[str] = (),
    seed: int = 0,
) -> pd.DataFrame:
    """Outcome pairs of ``role_ids`` plus their retrieved (and ``random_per_role`` random, drawn from
    ``candidate_ids``) negatives, sorted by role then candidate."""
    role_ids = [str(r) for r in role_ids]
    mine = outcomes[outcomes["role_id"].astype(str).isin(set(role_ids))]
    positives = outcome_pairs(mine)
    negatives = retrieved_negatives(
        role_ids,
        queries,
        candidate_index,
        positives,
        retrieve_k=retrieve_k,
        negatives_per_role=negatives_per_role,
        seed=seed,
    )
    rand = random_negatives(role_ids, candidate_ids, positives, random_per_role, seed + 7919)
    rand = rand.merge(negatives[["role_id", "candidate_id"]], how="left", indicator=True)
    rand = rand[rand["_merge"] == "left_only"].drop(columns="_merge")
    pairs = pd.concat([positives, negatives, rand], ignore_index=True)
    pairs["label"] = pairs["label"].astype(int)
    return pairs.sort_values(["role_id", "candidate_id"], kind="stable").reset_index(drop=True)
