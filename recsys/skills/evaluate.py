"""Precision / recall / F1 of :class:`~recsys.skills.SkillExtractor` on a world.

Evaluation code: it may read a generated world's ``truth/`` folder, which features and models never do.

* candidates: skills extracted from ``resume_text`` vs ``truth/candidates.parquet``:
  ``mentioned_skills`` (the skills the generator wrote into the text: the fair reference for
  recall) and ``true_skills`` (the latent skill set); without a truth folder, vs the claimed
  ``skills`` column.
* roles: skills extracted from ``description`` vs ``required_skills`` ∪ ``optional_skills``.

Micro-averaged over (document, skill) pairs; also the mean per-document F1 and, per method, how
many extracted pairs each source contributed and their precision.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from recsys.skills.extract import SkillExtractor

__all__ = ["evaluate_extraction", "score_sets"]

_SOURCES = ("candidates", "roles")


def _pairs(doc_ids: Sequence[str], lists: Sequence[Any]) -> pd.DataFrame:
    frame = pd.DataFrame({"doc_id": list(doc_ids), "skill_id": list(lists)}).explode("skill_id")
    return frame.dropna().drop_duplicates().astype(str)


def score_sets(predicted: pd.DataFrame, reference: pd.DataFrame) -> dict[str, Any]:
    """Micro precision/recall/F1 of ``predicted`` vs ``reference`` (both ``doc_id, skill_id``;
    ``predicted`` may carry ``method``), plus mean per-document F1 over reference documents."""
    pred = predicted.drop_duplicates(["doc_id", "skill_id"])
    ref = reference[["doc_id", "skill_id"]].drop_duplicates().assign(_ref=True)
    joined = pred.merge(ref, on=["doc_id", "skill_id"], how="left")
    joined["hit"] = joined["_ref"].eq(True)
    tp, n_pred, n_ref = int(joined["hit"].sum()), len(pred), len(ref)
    precision = tp / n_pred if n_pred else 0.0
    recall = tp / n_ref if n_ref else 0.0
    f1 = 2 * precision * recall / (precision + recall) if tp else 0.0
    per_doc = pd.DataFrame(
        {
            "tp": joined.groupby("doc_id")["hit"].sum(),
            "pred": joined.groupby("doc_id").size(),
            "ref": ref.groupby("doc_id").size(),
        }
    ).fillna(0)
    per_doc = per_doc[per_doc["ref"] > 0]
    doc_f1 = (2 * per_doc["tp"] / (per_doc["pred"] + per_doc["ref"])).mean()
    out: dict[str, Any] = {
        "precision": round(precision, 4),
        "recall": round(recall, 4),
        "f1": round(f1, 4),
        "doc_f1": round(float(doc_f1), 4) if len(per_doc) else 0.0,
        "n_pred": n_pred,
        "n_ref": n_ref,
        "n_docs": int(len(per_doc)),
    }
    if "method" in joined.columns:
        out["by_method"] = {
            str(m): {"n_pred": int(len(g)), "precision": round(float(g["hit"].mean()), 4)}
            for m, g in joined.groupby("method")
        }
    return out


def _truth_candidates(path: Path | None) -> pd.DataFrame | None:
    if path is None:
        return None
    file = path / "truth" / "candidates.parquet"
    return pd.read_parquet(file) if file.is_file() else None


def evaluate_extraction(
    world: Any,
    extractor: SkillExtractor | None = None,
    sources: Sequence[str] = _SOURCES,
    limit: int | None = None,
) -> dict[str, Any]:
    """Score skill extraction on a world (a :class:`recsys.data.World` or its folder).

    ``extractor`` defaults to phrase matching restricted to the world's ``skills`` table;
    ``limit`` takes the first n documents of each source (for quick runs).
    """
    bad = [s for s in sources if s not in _SOURCES]
    if bad:
        raise ValueError(
            f"The 'sources' parameter of evaluate_extraction must be a subset of {list(_SOURCES)}. "
            f"Got {list(sources)} instead."
        )
    if limit is not None and limit < 1:
        raise ValueError(f"The 'limit' parameter must be an int >= 1 or None. Got {limit} instead.")
    if isinstance(world, str | Path):
        from recsys.data import load_world

        world = load_world(world)
    extractor = extractor if extractor is not None else SkillExtractor(world.skills)
    if not hasattr(extractor, "automaton_"):
        extractor.fit()
    result: dict[str, Any] = {
        "n_skills": len(extractor.skill_ids_),
        "encoder": getattr(extractor.encoder, "model_id", None),
        "embedding_threshold": extractor.embedding_threshold,
    }
    if "candidates" in sources:
        cands = world.candidates.head(limit) if limit else world.candidates
        ids = cands["candidate_id"].astype(str).tolist()
        t0 = time.perf_counter()
        pred = extractor.extract_frame(cands["resume_text"].tolist(), ids)
        seconds = time.perf_counter() - t0
        truth = _truth_candidates(getattr(world, "path", None))
        entry: dict[str, Any] = {"docs": len(ids), "seconds": round(seconds, 3)}
        if truth is not None:
            truth = truth.set_index("candidate_id").reindex(ids)
            for col in ("mentioned_skills", "true_skills"):
                if col in truth.columns:
                    ref = _pairs(ids, [v if v is not None else [] for v in truth[col]])
                    entry[f"vs_{col}"] = score_sets(pred, ref)
        entry["vs_claimed_skills"] = score_sets(pred, _pairs(ids, cands["skills"].tolist()))
        result["candidates"] = entry
    if "roles" in sources:
        roles = world.roles.head(limit) if limit else world.roles
        ids = roles["role_id"].astype(str).tolist()
        t0 = time.perf_counter()
        pred = extractor.extract_frame(roles["description"].tolist(), ids)
        seconds = time.perf_counter() - t0
        wanted = [
            list(r) + list(o)
            for r, o in zip(roles["required_skills"], roles["optional_skills"], strict=True)
        ]
        result["roles"] = {
            "docs": len(ids),
            "seconds": round(seconds, 3),
            "vs_role_skills": score_sets(pred, _pairs(ids, wanted)),
        }
    return result
