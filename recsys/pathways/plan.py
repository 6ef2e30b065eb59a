"""Pathways for people: what a candidate needs for a role and what it would change
(:func:`pathway`), and which internal roles an employee can reach (:func:`moves`).

Both read the recommender serving now (a model over a world or a live store's current snapshot):
its world's catalogue, roles and the candidate's holdings give the gaps (:mod:`recsys.pathways.gaps`
over a :class:`recsys.graph.SkillGraph` built once per served recommender), and the model itself
re-scores the candidate as if they held the suggested credentials
(:mod:`recsys.pathways.counterfactual`).  Gaps are read as of the model's reference day, the day
the counterfactual credentials are issued.

**Moves** rank internal roles by the *value* of the move after the suggested credentials: the fit
through the model's sigmoid (``combine.fit_center`` / ``fit_temperature``, a [0, 1] scale fixed at
training) times the predicted retention, so a role the person would fit but likely leave ranks
below one they would fit and keep.  A role is *within reach* when some set of at most ``max_new``
credentials covers what the person lacks for it (the cheapest such set:
:func:`recsys.pathways.cover.cover_within`), even when the cheapest cover overall takes more; the
advice for all roles is computed in one pass per person (:func:`recsys.pathways.gaps.gap_advices`).
"""

from __future__ import annotations

import threading
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from recsys.models.combine import combine_scores
from recsys.pathways.counterfactual import rescore, serving_recommender, shortlist_ranks
from recsys.pathways.gaps import EXACT_MAX, GapAdvice, gap_advice, gap_advices

__all__ = ["Move", "Pathway", "labels", "moves", "moves_frame", "pathway", "skill_graph"]

_lock = threading.Lock()


def skill_graph(rec: Any) -> Any:
    """The :class:`recsys.graph.SkillGraph` of a recommender's world, built on first use and
    kept with it (a live store's rebuild serves a new recommender, hence a new graph)."""
    graph = getattr(rec, "_skill_graph", None)
    if graph is None:
        with _lock:
            graph = getattr(rec, "_skill_graph", None)
            if graph is None:
                from recsys.graph import SkillGraph

                graph = rec._skill_graph = SkillGraph.from_world(rec.world)
    return graph


@dataclass(frozen=True)
class Pathway:
    """A candidate's gaps for a role, the cheapest credentials closing them and the model's
    prediction with and without them (``rank_*``: place in the role's shortlist)."""

    candidate_id: str
    role_id: str
    advice: GapAdvice
    fit_before: float
    fit_after: float
    retention_before: float
    retention_after: float
    score_before: float
    score_after: float
    rank_before: int
    rank_after: int
    pool: int
    labels: dict[str, str] = field(default_factory=dict)  # skill, credential, contract → name

    def to_dict(self) -> dict[str, Any]:
        out = {k: v for k, v in asdict(self).items() if k not in ("advice", "labels")}
        out.update(self.advice.to_dict())
        out["labels"] = dict(self.labels)
        return out


def pathway(
    served: Any,
    candidate_id: str,
    role_id: str,
    *,
    retention_weight: float | None = None,
    exact_max: int = EXACT_MAX,
) -> Pathway:
    """Gaps of ``candidate_id`` for ``role_id``, the cheapest covering credentials and the
    candidate's fit, retention, score and shortlist rank before and after them (module doc)."""
    rec = serving_recommender(served, candidate_id)
    advice = gap_advice(
        skill_graph(rec),
        rec.world,
        candidate_id,
        role_id,
        as_of=rec.features_.now_,
        exact_max=exact_max,
    )
    got = rescore(rec, candidate_id, [(role_id, advice.credentials)], retention_weight)
    before, after, pool = shortlist_ranks(
        served, role_id, candidate_id, got["fit"], got["retention"], retention_weight
    )
    row = got.iloc[0]
    return Pathway(
        candidate_id=str(candidate_id),
        role_id=str(role_id),
        advice=advice,
        fit_before=float(row["fit_before"]),
        fit_after=float(row["fit"]),
        retention_before=float(row["retention_before"]),
        retention_after=float(row["retention"]),
        score_before=float(row["score_before"]),
        score_after=float(row["score"]),
        rank_before=before,
        rank_after=after[0],
        pool=pool,
        labels=labels(
            rec,
            {
                *advice.verified,
                *advice.claimed_unverified,
                *advice.absent,
                *advice.missing_contracts,
                *advice.credentials,
            },
        ),
    )


@dataclass(frozen=True)
class Move:
    """An internal role within reach: the credentials to take, what they unlock, the prediction."""

    role_id: str
    title: str
    credentials: list[str]
    cost: float
    contracts_unlocked: list[str]
    missing_skills: list[str]
    uncovered_skills: list[str] = field(default_factory=list)
    fit: float = 0.0
    retention: float = 0.0
    value: float = 0.0
    value_before: float = 0.0
    labels: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def labels(rec: Any, ids: set[str]) -> dict[str, str]:
    """Display names of skill, credential and contract ids (for tables and the page)."""
    w, out = rec.world, {}
    for frame, key, col in (
        (w.skills, "skill_id", "label"),
        (w.credentials, "credential_id", "name"),
        (w.contracts, "contract_id", "name"),
    ):
        hit = frame[frame[key].astype(str).isin(ids)]
        out.update(zip(hit[key].astype(str), hit[col].astype(str), strict=True))
    return out


def _value(rec: Any, fit: np.ndarray, retention: np.ndarray) -> np.ndarray:
    """Fit through the model's sigmoid times retention (module doc)."""
    cfg = rec.config.combine.model_copy(update={"fit_transform": "sigmoid", "rule": "blend"})
    return combine_scores(fit, retention, 0.0, config=cfg) * retention


def moves(
    served: Any,
    candidate_id: str,
    *,
    max_new: int = 2,
    k: int = 10,
    roles: list[str] | None = None,
    exact_max: int = 12,
) -> list[Move]:
    """The ``k`` internal roles ``candidate_id`` reaches with at most ``max_new`` new
    credentials, best value first (module doc).  ``roles``: the roles to consider (default:
    every role of the served data but the candidate's current one)."""
    if max_new < 0:
        raise ValueError(f"moves: max_new must be ≥ 0. Got {max_new!r}.")
    rec = serving_recommender(served, candidate_id)
    cands = rec.world.candidates.set_index("candidate_id")
    if candidate_id not in cands.index:
        raise KeyError(f"Unknown candidate_id {candidate_id!r}.")
    current = cands.at[candidate_id, "current_role_id"]
    if roles is None:
        roles = [r for r in rec.world.roles["role_id"].astype(str) if r != current]
    graph, day = skill_graph(rec), rec.features_.now_
    advice = gap_advices(
        graph,
        rec.world,
        candidate_id,
        roles,
        as_of=day,
        exact_max=exact_max,
        max_credentials=max_new,
    )
    reach = [a for a in advice if a is not None and len(a.credentials) <= max_new]
    if not reach:
        return []
    got = rescore(rec, candidate_id, [(a.role_id, a.credentials) for a in reach])
    value = _value(rec, got["fit"].to_numpy(), got["retention"].to_numpy())
    before = _value(rec, got["fit_before"].to_numpy(), got["retention_before"].to_numpy())
    titles = rec.world.roles.set_index("role_id")["title"]
    unlocked = graph.cred_contract
    out = []
    for i in np.argsort(-value, kind="stable")[:k]:
        a = reach[i]
        creds = graph.credential_ids.get_indexer(a.credentials)
        maps = set(graph.contract_ids[unlocked[creds].indices]) if len(creds) else set()
        missing = [*a.claimed_unverified, *a.absent]
        out.append(
            Move(
                role_id=a.role_id,
                title=str(titles.get(a.role_id, "")),
                credentials=list(a.credentials),
                cost=float(a.cost),
                contracts_unlocked=[c for c in a.missing_contracts if c in maps],
                missing_skills=missing,
                uncovered_skills=list(a.uncovered_skills),
                fit=float(got["fit"].iloc[i]),
                retention=float(got["retention"].iloc[i]),
                value=float(value[i]),
                value_before=float(before[i]),
                labels=labels(rec, {*a.credentials, *missing, *a.missing_contracts}),
            )
        )
    return out


def moves_frame(found: list[Move]) -> pd.DataFrame:
    """:func:`moves` as a table (one row per role)."""
    return pd.DataFrame([m.to_dict() for m in found])
