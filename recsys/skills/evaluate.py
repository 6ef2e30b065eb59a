"""Precision / recall / F1 of :class:`~recsys.skills.SkillExtractor` on a world.

Evaluation code: it may read a generated world's ``truth/`` folder, which features and models never do.

* candidates: skills extracted from ``resume_text`` vs ``truth/candidates.parquet``:
  ``mentioned_skills`` (the skills the generator wrote into the text: the fair reference for
  recall) and ``true_skills`` (the latent skill set); without a truth folder, vs the claimed
  ``skills`` column.
* roles: skills extracted from ``description`` vs ``required_skills`` ∪ ``optional_skills``.

Micro-averaged over (document, skill) pairs; also the mean per-document F1 and, per method, how
many extracted pairs each source contributed and their precision.

**Real annotated sentences** (:func:`read_annotations`, :func:`evaluate_annotations`): job-posting
sentences labelled by people with ESCO skills (the SkillSpan-derived TECH/HOUSE sets of Decorte et
al.; columns ``sentence, label``), scored by the protocol of Decorte et al. 2023: a sentence's gold
set is its distinct labels without ``LABEL NOT PRESENT`` / ``UNDERSPECIFIED``; sentences without
gold are dropped; **RP@k** = gold skills among the top k / min(k, |gold|), **MRR** = mean 1/rank of
the first gold skill; skills are compared by preferred label.  The set the extractor keeps
(:meth:`SkillExtractor.extract`) is scored by micro precision / recall / F1 over sentences.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from recsys.skills.extract import SkillExtractor

__all__ = ["evaluate_annotations", "evaluate_extraction", "read_annotations", "score_sets"]

_NO_GOLD = {"LABEL NOT PRESENT", "UNDERSPECIFIED"}

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
    if not hasattr(extractor, "matcher_"):
        extractor.fit()
    result: dict[str, Any] = {
        "n_skills": len(extractor.skill_ids_),
        "encoder": getattr(extractor.encoder, "model_id", None),
        "threshold": extractor.threshold_,
        "calibrated": extractor.calibration_ is not None,
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


def read_annotations(path: str | Path) -> tuple[list[str], list[list[str]]]:
    """``(sentences, gold label lists)`` of an annotation CSV (``sentence, label`` per row)."""
    path = Path(path)
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    missing = {"sentence", "label"} - set(frame.columns)
    if missing:
        raise ValueError(
            f"{path}: expected columns 'sentence' and 'label'; missing {sorted(missing)}. "
            f"Found {list(frame.columns)}"
        )
    frame = frame[(frame["label"].str.strip() != "") & ~frame["label"].isin(_NO_GOLD)]
    gold = frame.groupby("sentence", sort=False)["label"].agg(lambda s: sorted(set(s)))
    return list(gold.index), list(gold.to_numpy())


def evaluate_annotations(
    extractor: SkillExtractor,
    sentences: Sequence[str],
    gold: Sequence[Sequence[str]],
    k: int = 5,
) -> dict[str, Any]:
    """RP@k, MRR (ranked) and set precision / recall / F1 (kept skills) on annotated sentences."""
    if len(sentences) != len(gold):
        raise ValueError(f"{len(sentences)} sentences but {len(gold)} gold sets")
    t0 = time.perf_counter()
    ranked = extractor.rank(list(sentences), k=max(k, 50))
    seconds = time.perf_counter() - t0
    kept = extractor.extract(list(sentences))
    rp, rr, tp, n_pred, n_gold, empty = [], [], 0, 0, 0, 0
    for r, kp, g in zip(ranked, kept, gold, strict=True):
        labels, gs = [m.label for m in r], set(g)
        rp.append(sum(x in gs for x in labels[:k]) / min(k, len(gs)))
        rr.append(next((1 / (i + 1) for i, x in enumerate(labels) if x in gs), 0.0))
        pred = {m.label for m in kp}
        tp, n_pred, n_gold = tp + len(pred & gs), n_pred + len(pred), n_gold + len(gs)
        empty += not pred
    precision = tp / n_pred if n_pred else 0.0
    recall = tp / n_gold if n_gold else 0.0
    return {
        "sentences": len(sentences),
        f"rp@{k}": round(float(np.mean(rp)), 4),
        "mrr": round(float(np.mean(rr)), 4),
        "set_precision": round(precision, 4),
        "set_recall": round(recall, 4),
        "set_f1": round(2 * precision * recall / (precision + recall), 4) if tp else 0.0,
        "share_empty": round(empty / len(sentences), 4),
        "mean_kept": round(n_pred / len(sentences), 3),
        "rank_seconds": round(seconds, 3),
    }
