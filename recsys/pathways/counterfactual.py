"""Counterfactual re-scoring: a candidate's fit, retention and shortlist rank had they also held
some catalogue credentials.

Not a heuristic: the candidate is copied once per (role, credential set) into a small world
whose copies hold the candidate's own rows (profile, holdings, history, outcomes, résumé skills
already read, vector) plus the new holdings, each **verified, issued on the model's reference day
and expiring after the credential's ``validity_months``**.  The model's
:class:`recsys.features.FeatureBuilder` reads that world with the served recommender's builder as
reference (its day, BM25 statistics, skill reader and vectors: what :mod:`recsys.adhoc` does for
free text), and the model's fit and retention models score every (copy, role) pair in one batch.
So the as-of rules of the features (issued ≤ as-of < expiry, verified or not) apply to the new
credentials exactly as to real ones, and the fit model's monotone constraints carry over: a
verified credential added never lowers the fit.

**Rank.**  The role's shortlist is the recommender's own (:meth:`Recommender.shortlist` over its
retrieval pool, ``config.overfetch`` candidates).  ``rank_before`` is the candidate's place in it
(or, when retrieval did not reach them, the place their score would take); ``rank_after`` is the
place of the re-scored copy among the same others, ordered as shortlists order (score, then fit,
then id).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from recsys.models.combine import combine_scores

__all__ = ["rescore", "serving_recommender", "shortlist_ranks"]

_CHILDREN = ("holdings", "history", "outcomes")


def serving_recommender(rec: Any, candidate_id: str | None = None) -> Any:
    """The :class:`recsys.recommender.Recommender` that answers for ``candidate_id`` now: ``rec``
    itself, a live store's current one, or the part of a delta that holds the candidate."""
    rec = getattr(rec, "current", rec)  # a LiveRecommender: what it serves now
    if getattr(rec, "paged", False):  # a PagedView (recsys.serving.paged): the candidate's part
        return rec.part_for([candidate_id]) if candidate_id is not None else rec.roles_side
    if hasattr(rec, "snapshot_recommender"):  # a DeltaView (recsys.serving.delta)
        if rec.delta is not None and candidate_id in rec.touched:
            return rec.delta
        return rec.snapshot_recommender
    return rec


def _new_holdings(rec: Any, copies: Sequence[str], plans: Sequence[Sequence[str]]) -> pd.DataFrame:
    """Holdings of every copy's new credentials: verified, issued on the model's reference day,
    expiring ``validity_months`` later (never, when the catalogue gives no validity)."""
    day = pd.Timestamp(rec.features_.now_)
    cat = rec.world.credentials.set_index("credential_id")
    rows = [(c, str(k)) for c, creds in zip(copies, plans, strict=True) for k in creds]
    frame = pd.DataFrame(rows, columns=["candidate_id", "credential_id"])
    unknown = sorted(set(frame["credential_id"]) - set(cat.index.astype(str)))
    if unknown:
        raise KeyError(f"Unknown credential_id {unknown[:5]} (not in the model's catalogue).")
    months = cat["validity_months"].reindex(frame["credential_id"]).to_numpy()
    expires = [
        pd.NaT if pd.isna(m) else day + pd.DateOffset(months=int(m)) for m in months.tolist()
    ]
    return frame.assign(
        issued_at=day,
        expires_at=pd.to_datetime(pd.Series(expires, dtype="datetime64[ns]")),
        verified=True,
    )


def rescore(
    rec: Any,
    candidate_id: str,
    plans: Sequence[tuple[str, Sequence[str]]],
    retention_weight: float | None = None,
) -> pd.DataFrame:
    """Fit, retention and combined score of ``candidate_id`` for each ``(role_id, credentials)``
    plan, as is (``*_before``) and holding the plan's credentials too (see the module doc).

    Returns one row per plan, in order: ``role_id, credentials, fit_before, retention_before,
    score_before, fit, retention, score``.  The score is the pair-local combination of
    :meth:`Recommender.score_pairs` (``combine`` config with the sigmoid fit transform)."""
    from recsys.data import World
    from recsys.features import FeatureBuilder

    rec = serving_recommender(rec, candidate_id)
    base = rec.features_
    pos = base.cand_ids_.get_indexer([candidate_id])[0]
    if pos < 0:
        raise KeyError(f"Unknown candidate_id {candidate_id!r}.")
    roles = [str(r) for r, _ in plans]
    bad = sorted(set(roles) - set(base.role_ids_))
    if bad:
        raise KeyError(f"Unknown role_id {bad[:5]}.")
    sets = [sorted(dict.fromkeys(map(str, creds))) for _, creds in plans]
    # copy 0 is the candidate as is; copy i + 1 holds plan i's credentials too
    copies = [f"{candidate_id}\x1fcf{i}" for i in range(len(plans) + 1)]
    w = rec.world

    def own(frame: pd.DataFrame) -> pd.DataFrame:
        mine = frame[frame["candidate_id"].astype(str) == candidate_id]
        out = mine.loc[mine.index.repeat(len(copies))].reset_index(drop=True)
        return out.assign(candidate_id=np.tile(copies, len(mine)))

    tables = {kind: own(getattr(w, kind)) for kind in ("candidates", *_CHILDREN)}
    tables["holdings"] = pd.concat(
        [tables["holdings"], _new_holdings(rec, copies[1:], sets)], ignore_index=True
    )
    view = World(
        skills=w.skills,
        contracts=w.contracts,
        credentials=w.credentials,
        roles=w.roles[w.roles["role_id"].astype(str).isin(set(roles))].reset_index(drop=True),
        groups=None,
        manifest=getattr(w, "manifest", {}),
        path=None,
        **tables,
    )
    emb = dict(rec._embeddings)
    ids, vectors = emb["candidates"]
    vpos = pd.Index(ids).get_indexer([candidate_id])[0]
    if vpos < 0:
        raise KeyError(f"{candidate_id!r} has no vector in the recommender's index.")
    emb["candidates"] = (pd.Index(copies), np.repeat(vectors[vpos : vpos + 1], len(copies), 0))
    known = None
    if base.resume_ is not None:  # the résumé read once, for every copy
        base.resume_.rows(np.array([pos]))
        read = base.resume_.known(base.cand_ids_, pd.Series([candidate_id]))
        skills = read.dropna(subset=["skill_id"])["skill_id"].tolist()
        known = pd.concat(
            [
                pd.DataFrame(
                    {
                        "candidate_id": np.repeat(copies, len(skills)),
                        "skill_id": skills * len(copies),
                    }
                ),
                pd.DataFrame({"read": copies}),
            ],
            ignore_index=True,
        )
    builder = FeatureBuilder(
        view,
        embeddings=emb,
        **{**rec.config.features, "now": base.now_, "reference": base, "resume_known": known},
    )
    n = len(plans)
    pairs = pd.DataFrame({"candidate_id": [copies[0]] * n + copies[1:], "role_id": roles + roles})
    fit, ret = rec._predict(builder.transform(pairs))
    cfg = rec.config.combine.model_copy(update={"fit_transform": "sigmoid"})
    score = combine_scores(fit, ret, retention_weight, config=cfg)
    return pd.DataFrame(
        {
            "role_id": roles,
            "credentials": sets,
            "fit_before": fit[:n],
            "retention_before": ret[:n],
            "score_before": score[:n],
            "fit": fit[n:],
            "retention": ret[n:],
            "score": score[n:],
        }
    )


def shortlist_ranks(
    rec: Any,
    role_id: str,
    candidate_id: str,
    fit: Sequence[float],
    retention: Sequence[float],
    retention_weight: float | None = None,
) -> tuple[int, list[int], int]:
    """``(rank_before, ranks_after, pool)``: the candidate's place in ``role_id``'s shortlist
    and the place of each re-scored version (``fit[i], retention[i]``) among the same others
    (see the module doc); ``pool`` is how many others were ranked."""
    served = getattr(rec, "current", rec)
    config = serving_recommender(served, candidate_id).config
    short = served.shortlist(
        role_id=role_id, k=min(config.overfetch, config.max_k), explain=False
    ).to_frame()
    mine = short["candidate_id"].astype(str) == candidate_id
    others = short[~mine]
    if mine.any():
        before_fit = float(short.loc[mine, "fit"].iloc[0])
        before_ret = float(short.loc[mine, "retention"].iloc[0])
    else:  # not retrieved: the place its score would take
        pairs = pd.DataFrame({"candidate_id": [candidate_id], "role_id": [role_id]})
        got = served.score_pairs(pairs)
        before_fit, before_ret = float(got["fit"].iloc[0]), float(got["retention"].iloc[0])

    def place(f: float, r: float) -> int:
        fits = np.append(others["fit"].to_numpy(float), f)
        rets = np.append(others["retention"].to_numpy(float), r)
        ids = np.append(others["candidate_id"].to_numpy(str), candidate_id)
        score = combine_scores(fits, rets, retention_weight, config=config.combine)
        order = np.lexsort((ids, -fits, -score))  # the shortlist's own order
        return int(np.flatnonzero(order == len(fits) - 1)[0]) + 1

    after = [place(float(f), float(r)) for f, r in zip(fit, retention, strict=True)]
    return place(before_fit, before_ret), after, len(others)
