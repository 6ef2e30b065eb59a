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

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

from recsys.graph import SkillGraph
from recsys.pathways.cover import EXACT_MAX, cover

__all__ = ["GapAdvice", "credential_costs", "gap_advice"]


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
    when = _as_of(as_of)
    ri = graph._code(graph.role_ids, role_id, "role")
    held = graph.held([candidate_id], when)
    n_skill = len(graph.skill_ids)
    ver = np.zeros(n_skill, bool)
    ver[_cols(held.verified_skills)] = True
    known = np.zeros(n_skill, bool)
    known[_cols(held.claimed_skills)] = True
    known[_cols(held.certified_skills)] = True
    has_con = np.zeros(len(graph.contract_ids), bool)
    has_con[_cols(held.contracts)] = True

    req = graph.role_required
    req_cols = req.indices[req.indptr[ri] : req.indptr[ri + 1]]
    # the role's own list order (the CSR row is sorted by column)
    order = world.roles.set_index("role_id").at[role_id, "required_skills"]
    pos = {s: i for i, s in enumerate(dict.fromkeys(order))}
    req_cols = sorted(req_cols, key=lambda j: pos.get(graph.skill_ids[j], len(pos)))
    verified = [graph.skill_ids[j] for j in req_cols if ver[j]]
    claimed = [graph.skill_ids[j] for j in req_cols if not ver[j] and known[j]]
    absent = [graph.skill_ids[j] for j in req_cols if not ver[j] and not known[j]]
    con = graph.role_contract
    con_cols = con.indices[con.indptr[ri] : con.indptr[ri + 1]]
    con_order = world.roles.set_index("role_id").at[role_id, "contracts"]
    cpos = {c: i for i, c in enumerate(dict.fromkeys(con_order))}
    con_cols = sorted(con_cols, key=lambda j: cpos.get(graph.contract_ids[j], len(cpos)))
    missing_con = [graph.contract_ids[j] for j in con_cols if not has_con[j]]

    miss_skill = graph.skill_ids.get_indexer(claimed + absent)
    miss_con = graph.contract_ids.get_indexer(missing_con)
    # offers: credentials not validly held that touch a missing skill or contract
    touch = np.zeros(len(graph.credential_ids), bool)
    touch[graph._by_skill_cred[:, miss_skill].tocsr().nonzero()[0]] = True
    touch[graph._by_contract_cred[:, miss_con].tocsr().nonzero()[0]] = True
    touch[_cols(held.credentials)] = False
    costs, source = credential_costs(world)
    offers: dict[str, list[tuple[str, str]]] = {}
    for q in np.flatnonzero(touch):
        sk = graph.cred_skill.indices[graph.cred_skill.indptr[q] : graph.cred_skill.indptr[q + 1]]
        ck = graph.cred_contract.indices[
            graph.cred_contract.indptr[q] : graph.cred_contract.indptr[q + 1]
        ]
        offers[graph.credential_ids[q]] = [("skill", graph.skill_ids[j]) for j in sk] + [
            ("contract", graph.contract_ids[j]) for j in ck
        ]
    needed = [("skill", s) for s in claimed + absent] + [("contract", c) for c in missing_con]
    result = cover(needed, offers, costs.to_dict(), exact_max=exact_max)
    unc = result.uncovered
    return GapAdvice(
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
