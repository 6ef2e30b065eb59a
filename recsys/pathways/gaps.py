"""Gap advice: what a candidate lacks for a role, and the cheapest credentials that would close it.

For a (candidate, role) pair as of a date, the role's **required skills** are split three ways:

- ``verified``: certified by a held credential that is valid (``issued_at ≤ as_of`` and
  ``expires_at`` null or ``> as_of``) and ``verified``;
- ``claimed_unverified``: not verified, but in the candidate's claimed ``skills`` or certified by a
  valid, unverified credential;
- ``absent``: neither.

The role's contracts the candidate lacks are ``missing_contracts`` (a contract is held when a valid
held credential maps to it, verified or not: the feature builder's ``contract_cov`` rule).  The
advice is the cheapest set of catalogue credentials, other than those the candidate validly holds,
certifying every missing skill (claimed-unverified and absent) and mapping to every missing contract,
found by :func:`recsys.pathways.cover.cover`.  A credential's **cost** is the catalogue's ``cost``
column when it has one, else its ``level`` (1–3: a proxy for the effort it takes).  What no
catalogue credential covers is reported in ``uncovered_skills``/``uncovered_contracts``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

from recsys.graph import SkillGraph
from recsys.pathways.cover import EXACT_MAX, cover, cover_within

__all__ = ["GapAdvice", "credential_costs", "gap_advice", "gap_advices"]


@dataclass(frozen=True)
class GapAdvice:
    """The gaps of ``candidate_id`` for ``role_id`` as of ``as_of``, and the credentials to close them.

    Skill and contract lists follow the role's order; ``credentials`` is the cover's order.
    ``cost`` is the credentials' summed cost (``cost_source``: "cost" column or "level");
    ``method``/``greedy_cost``/``bound`` come from the cover (``greedy_cost ≤ bound × optimum``).
    """

    candidate_id: str
    role_id: str
    as_of: pd.Timestamp
    verified: list[str]
    claimed_unverified: list[str]
    absent: list[str]
    missing_contracts: list[str]
    credentials: list[str]
    cost: float
    uncovered_skills: list[str] = field(default_factory=list)
    uncovered_contracts: list[str] = field(default_factory=list)
    cost_source: Literal["cost", "level"] = "level"
    method: Literal["greedy", "exact"] = "exact"
    greedy_cost: float = 0.0
    bound: float = 1.0

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (``as_of`` as an ISO date string)."""
        out = asdict(self)
        out["as_of"] = self.as_of.isoformat()
        return out


def credential_costs(world: object) -> tuple[pd.Series, Literal["cost", "level"]]:
    """Each catalogue credential's cost (indexed by ``credential_id``) and where it came from."""
    creds = world.credentials
    source: Literal["cost", "level"] = "cost" if "cost" in creds.columns else "level"
    values = pd.to_numeric(creds[source], errors="coerce").astype(float)
    return pd.Series(values.to_numpy(), index=creds["credential_id"].astype(str)), source


def _as_of(as_of: object) -> pd.Timestamp:
    if as_of is None:
        return pd.Timestamp.now(tz="UTC").tz_localize(None).normalize()
    ts = pd.Timestamp(as_of)
    return ts.tz_convert("UTC").tz_localize(None) if ts.tzinfo is not None else ts


def _cols(m: Any) -> np.ndarray:
    return m.indices[m.indptr[0] : m.indptr[1]]


def _row(m: Any, i: int) -> np.ndarray:
    return m.indices[m.indptr[i] : m.indptr[i + 1]]


def _in_list_order(cols: np.ndarray, ids: pd.Index, order: object) -> list[int]:
    """CSR columns (sorted by id code) in the role's own list order."""
    pos = {s: i for i, s in enumerate(dict.fromkeys(order if order is not None else []))}
    return sorted(cols.tolist(), key=lambda j: pos.get(ids[j], len(pos)))


def gap_advice(
    graph: SkillGraph,
    world: object,
    candidate_id: str,
    role_id: str,
    *,
    as_of: object = None,
    exact_max: int = EXACT_MAX,
) -> GapAdvice:
    """Split ``role_id``'s required skills for ``candidate_id`` as of ``as_of`` (None: today) and
    advise the cheapest credentials covering the missing skills and contracts (module doc)."""
    return gap_advices(graph, world, candidate_id, [role_id], as_of=as_of, exact_max=exact_max)[0]


def gap_advices(
    graph: SkillGraph,
    world: object,
    candidate_id: str,
    role_ids: Sequence[str],
    *,
    as_of: object = None,
    exact_max: int = EXACT_MAX,
    max_credentials: int | None = None,
) -> list[GapAdvice | None]:
    """:func:`gap_advice` of one candidate for many roles, with what depends only on the candidate
    (holdings as of the day, costs, the catalogue's inverted lists) computed once.

    ``max_credentials``: the advice is instead the cheapest set of **at most** that many credentials
    (:func:`recsys.pathways.cover.cover_within`, exact), and a role no such set covers gets
    ``None``: what "reachable with ≤ N new credentials" asks.
    """
    when = _as_of(as_of)
    role_ids = [str(r) for r in role_ids]
    ris = graph.role_ids.get_indexer(role_ids)
    if (ris < 0).any():
        graph._code(graph.role_ids, role_ids[int(np.argmax(ris < 0))], "role")  # its KeyError
    held = graph.held([candidate_id], when)
    n_skill = len(graph.skill_ids)
    ver = np.zeros(n_skill, bool)
    ver[_cols(held.verified_skills)] = True
    known = np.zeros(n_skill, bool)
    known[_cols(held.claimed_skills)] = True
    known[_cols(held.certified_skills)] = True
    has_con = np.zeros(len(graph.contract_ids), bool)
    has_con[_cols(held.contracts)] = True
    valid_held = np.zeros(len(graph.credential_ids), bool)
    valid_held[_cols(held.credentials)] = True
    costs, source = credential_costs(world)
    cost_of = costs.to_dict()
    roles = world.roles.set_index("role_id")
    req_order, con_order = roles["required_skills"], roles["contracts"]
    by_skill, by_con = graph._by_skill_cred, graph._by_contract_cred  # CSC: column = skill/contract
    cs, cc = graph.cred_skill, graph.cred_contract
    out: list[GapAdvice | None] = []
    for role_id, ri in zip(role_ids, ris, strict=True):
        req_cols = _in_list_order(
            _row(graph.role_required, ri), graph.skill_ids, req_order.get(role_id)
        )
        verified = [graph.skill_ids[j] for j in req_cols if ver[j]]
        miss_j = [j for j in req_cols if not ver[j]]
        claimed = [graph.skill_ids[j] for j in miss_j if known[j]]
        absent = [graph.skill_ids[j] for j in miss_j if not known[j]]
        miss_j = [j for j in miss_j if known[j]] + [j for j in miss_j if not known[j]]
        con_cols = _in_list_order(
            _row(graph.role_contract, ri), graph.contract_ids, con_order.get(role_id)
        )
        missing_con = [graph.contract_ids[j] for j in con_cols if not has_con[j]]
        con_j = [j for j in con_cols if not has_con[j]]
        # offers: credentials not validly held that touch a missing skill or contract
        touched = set()
        for j in miss_j:
            touched.update(by_skill.indices[by_skill.indptr[j] : by_skill.indptr[j + 1]].tolist())
        for j in con_j:
            touched.update(by_con.indices[by_con.indptr[j] : by_con.indptr[j + 1]].tolist())
        offers: dict[str, list[tuple[str, str]]] = {}
        for q in sorted(touched):
            if valid_held[q]:
                continue
            offers[graph.credential_ids[q]] = [
                ("skill", graph.skill_ids[j]) for j in _row(cs, q)
            ] + [("contract", graph.contract_ids[j]) for j in _row(cc, q)]
        needed = [("skill", s) for s in claimed + absent] + [("contract", c) for c in missing_con]
        if max_credentials is None:
            result = cover(needed, offers, cost_of, exact_max=exact_max)
        else:
            result = cover_within(needed, offers, cost_of, max_credentials)
            if result is None:
                out.append(None)
                continue
        unc = result.uncovered
        out.append(
            GapAdvice(
                candidate_id=str(candidate_id),
                role_id=str(role_id),
                as_of=when,
                verified=verified,
                claimed_unverified=claimed,
                absent=absent,
                missing_contracts=missing_con,
                credentials=result.chosen,
                cost=result.cost,
                uncovered_skills=[s for s in claimed + absent if ("skill", s) in unc],
                uncovered_contracts=[c for c in missing_con if ("contract", c) in unc],
                cost_source=source,
                method=result.method,
                greedy_cost=result.greedy_cost,
                bound=result.bound,
            )
        )
    return out
