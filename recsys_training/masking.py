"""Text-only entities in training: structured fields masked at random, by the free-text rules.

A served model meets candidates known only by a résumé and roles known only by a job description;
their structured fields follow the rules of :mod:`recsys.adhoc` (skills = what the skill reader finds
in the text, years and seniority parsed from it, no holdings, history, contracts, location or team).
A ranker trained only on fully structured profiles never saw such pairs: every text feature it
learnt was a tie-breaker behind exact skill ids.  So training masks a random share of candidates and
roles into exactly that form — by calling the same :mod:`recsys.adhoc` functions — while their
outcomes (the labels) stay.  The ranker must then read text to rank them.

Masked entities keep their ids; their vectors are re-embedded from the masked text (what serving
embeds for a free-text entity).  Masking is per entity, seeded, and never touches ``groups``.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["choose_masked", "mask_world", "masked_builder"]


def choose_masked(ids: pd.Series, share: float, seed: int) -> pd.Index:
    """A seeded random ``share`` of ``ids`` (as strings)."""
    ids = pd.Index(ids.astype(str).unique())
    if share <= 0 or len(ids) == 0:
        return ids[:0]
    rng = np.random.default_rng(seed)
    take = rng.random(len(ids)) < share
    return ids[take]


def mask_world(
    world: Any,
    candidates: pd.Index,
    roles: pd.Index,
    resume_skills: pd.DataFrame,
    reader: Any,
    matcher: Any = None,
) -> Any:
    """A copy of ``world`` whose ``candidates`` and ``roles`` (ids) are text-only (see module doc).

    ``resume_skills``: the résumé skills already read (``ResumeSkills.frame``), so a masked
    candidate's skills are exactly what the reader found in its résumé; ``reader``: the skill
    reader, for the roles' descriptions; ``matcher``: the occupation matcher that completes short
    ones (:func:`recsys.adhoc.role_skills`).
    """
    from recsys.adhoc import adhoc_candidates, adhoc_roles, role_skills

    cands = world.candidates
    is_c = cands["candidate_id"].astype(str).isin(candidates).to_numpy()
    if is_c.any():
        found = resume_skills.dropna(subset=["candidate_id", "skill_id"])
        per = found.groupby(found["candidate_id"].astype(str))["skill_id"].agg(list)
        ids = cands.loc[is_c, "candidate_id"].astype(str).tolist()
        rows = adhoc_candidates(
            ids,
            cands.loc[is_c, "resume_text"].fillna("").tolist(),
            [per.get(i, []) for i in ids],
        )
        cands = pd.concat([cands[~is_c], rows[cands.columns]], ignore_index=True)
    roles_f = world.roles
    is_r = roles_f["role_id"].astype(str).isin(roles).to_numpy()
    if is_r.any():
        texts = roles_f.loc[is_r, "description"].fillna("").tolist()
        titles = roles_f.loc[is_r, "title"].fillna("").tolist()
        required, optional = role_skills(texts, titles, reader, matcher)
        ids = roles_f.loc[is_r, "role_id"].astype(str).tolist()
        rows = adhoc_roles(ids, texts, required, titles, optional)
        rows["opened_at"] = roles_f.loc[is_r, "opened_at"].to_numpy()  # the requisition's date
        roles_f = pd.concat([roles_f[~is_r], rows[roles_f.columns]], ignore_index=True)
    keep_h = ~world.holdings["candidate_id"].astype(str).isin(candidates)
    keep_j = ~world.history["candidate_id"].astype(str).isin(candidates)
    return replace(
        world,
        candidates=cands,
        roles=roles_f,
        holdings=world.holdings[keep_h].reset_index(drop=True),
        history=world.history[keep_j].reset_index(drop=True),
        groups=None,
    )


def masked_builder(
    base: Any,
    encoder: Any,
    candidates: pd.Index,
    roles: pd.Index,
) -> Any:
    """A FeatureBuilder over :func:`mask_world` of ``base``'s world that takes ``base`` as its
    reference (BM25 statistics, skill reader and vectors of the served model); masked entities are
    re-embedded from their masked text."""
    from recsys.features import FeatureBuilder
    from recsys.text import entity_texts

    resume = base.resume_.frame(base.cand_ids_)
    world = mask_world(
        base.world, candidates, roles, resume, base.resume_.extractor, base.occupation_matcher()
    )
    emb = {}
    for kind, ids in (("candidates", candidates), ("roles", roles), ("contracts", None)):
        got = base._vectors_for(kind)
        if got is None:
            continue
        index, mat = got
        if ids is not None and len(ids):
            texts = entity_texts(world, kind).reindex(ids)
            mat = mat.copy()
            pos = index.get_indexer(ids)
            new = np.asarray(encoder.encode(texts.fillna("").tolist()), dtype=np.float32)
            mat[pos[pos >= 0]] = new[pos >= 0]
        emb[kind] = (index, mat)
    cred = base._vectors_for("credentials")
    if cred is not None:
        emb["credentials"] = cred
    return FeatureBuilder(
        world,
        embeddings=emb,
        encoder=encoder,
        now=base.now_,
        bm25=base.bm25,
        resume_skills=base.resume_skills,
        resume_known=resume,
        reference=base,
    )
