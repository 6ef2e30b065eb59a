"""The skill graph of a world: incidence matrices between skills, contracts, credentials, roles,
occupations and candidates, and the queries gap advice and pathways ask of them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp

from recsys.features._sparse import binarize, expand, grouped_table, list_matrix, row_sums
from recsys.graph.occupations import occupation_relations

__all__ = ["NEAR_WEIGHTS", "Held", "SkillGraph"]

# near_roles: score = skill Jaccard + contract·(contract Jaccard) + occupation term
NEAR_WEIGHTS = {"contract": 0.5, "same_occupation": 0.5, "related_occupation": 0.25}


def _today() -> pd.Timestamp:
    return pd.Timestamp.now(tz="UTC").tz_localize(None).normalize()


@dataclass(frozen=True)
class Held:
    """What each of ``candidate_ids`` holds at its ``as_of``: rows follow ``candidate_ids``,
    columns the graph's id maps (``credentials``: credential ids, ``*_skills``: skill ids,
    ``*contracts``: contract ids); 0/1 CSR matrices.

    A held credential is **valid** when ``issued_at ≤ as_of`` and (``expires_at`` is null or
    ``> as_of``), the rule of the feature builder; ``verified`` ones are valid and issuer-confirmed.
    ``certified_skills``/``contracts`` come from valid credentials, ``verified_*`` from verified
    ones, ``claimed_skills`` from the candidate's own list.
    """

    candidate_ids: list[str]
    as_of: np.ndarray
    credentials: sp.csr_matrix
    verified_credentials: sp.csr_matrix
    claimed_skills: sp.csr_matrix
    certified_skills: sp.csr_matrix
    verified_skills: sp.csr_matrix
    contracts: sp.csr_matrix
    verified_contracts: sp.csr_matrix

    def to_frame(self, graph: SkillGraph) -> pd.DataFrame:
        """One row per candidate (index ``candidate_id``), each matrix as a sorted list of ids."""
        vocab = {
            "credentials": graph.credential_ids,
            "verified_credentials": graph.credential_ids,
            "claimed_skills": graph.skill_ids,
            "certified_skills": graph.skill_ids,
            "verified_skills": graph.skill_ids,
            "contracts": graph.contract_ids,
            "verified_contracts": graph.contract_ids,
        }
        out = {"as_of": self.as_of}
        for name, ids in vocab.items():
            m = getattr(self, name)
            out[name] = [
                sorted(ids[m.indices[m.indptr[i] : m.indptr[i + 1]]]) for i in range(m.shape[0])
            ]
        return pd.DataFrame(out, index=pd.Index(self.candidate_ids, name="candidate_id"))


class SkillGraph:
    """Sparse incidence matrices over a world's entities, with ``pd.Index`` id maps.

    Build with :meth:`from_world`.  Id maps: ``skill_ids``, ``contract_ids``, ``credential_ids``,
    ``role_ids``, ``occupation_ids`` (the taxonomy's occupations, then any role occupation it lacks),
    ``candidate_ids``.  Matrices (rows × columns, 0/1 CSR): ``cred_skill``, ``cred_contract``,
    ``contract_skill``, ``role_required``, ``role_optional``, ``role_contract``,
    ``role_occupation``, ``occ_isco``/``occ_onet`` (occupation ↔ occupation, see
    :mod:`recsys.graph.occupations`), ``cand_claimed`` (candidate → claimed skills).
    """

    def __init__(self) -> None:
        pass

    @classmethod
    def from_world(cls, world: object) -> SkillGraph:
        g = cls()
        g.skill_ids = pd.Index(world.skills["skill_id"].astype(str))
        g.contract_ids = pd.Index(world.contracts["contract_id"].astype(str))
        g.credential_ids = pd.Index(world.credentials["credential_id"].astype(str))
        g.role_ids = pd.Index(world.roles["role_id"].astype(str))
        g.candidate_ids = pd.Index(world.candidates["candidate_id"].astype(str))
        g.role_titles = world.roles["title"].astype(str).to_numpy()

        creds = world.credentials.reset_index(drop=True)
        g.cred_skill = list_matrix(creds["skills"], g.skill_ids)
        g.cred_contract = list_matrix(creds["contracts"], g.contract_ids)
        g.contract_skill = list_matrix(
            world.contracts["skills"].reset_index(drop=True), g.skill_ids
        )
        roles = world.roles.reset_index(drop=True)
        g.role_required = list_matrix(roles["required_skills"], g.skill_ids)
        g.role_optional = list_matrix(roles["optional_skills"], g.skill_ids)
        g.role_contract = list_matrix(roles["contracts"], g.contract_ids)

        rel = occupation_relations()
        role_occ = roles["occupation_id"].dropna().astype(str)
        extra = pd.Index(sorted(set(role_occ) - set(rel.ids)))
        g.occupation_ids = rel.ids.append(extra)
        n_occ = len(g.occupation_ids)
        g.occ_isco = _pad(rel.isco, n_occ)
        g.occ_onet = _pad(rel.onet, n_occ)
        g.role_occupation = list_matrix(
            roles["occupation_id"].map(lambda v: [v] if isinstance(v, str) else []),
            g.occupation_ids,
        )

        cands = world.candidates.reset_index(drop=True)
        g.cand_claimed = list_matrix(cands["skills"], g.skill_ids)
        h = world.holdings
        h_cand = g.candidate_ids.get_indexer(h["candidate_id"].astype(str).to_numpy())
        order, g.h_start_, g.h_count_ = grouped_table(h_cand, len(g.candidate_ids))
        g.h_cred_ = g.credential_ids.get_indexer(h["credential_id"].astype(str).to_numpy())[order]
        g.h_issued_ = h["issued_at"].to_numpy(dtype="datetime64[ns]")[order]
        g.h_expires_ = h["expires_at"].to_numpy(dtype="datetime64[ns]")[order]
        g.h_verified_ = h["verified"].to_numpy(dtype=bool)[order]
        # column-major copies for "who points at this id" queries
        g._by_skill_cred = g.cred_skill.tocsc()
        g._by_skill_contract = g.contract_skill.tocsc()
        g._by_contract_role = g.role_contract.tocsc()
        g._by_contract_cred = g.cred_contract.tocsc()
        return g

    # -- lookups -------------------------------------------------------------------------------

    @staticmethod
    def _code(index: pd.Index, value: str, what: str) -> int:
        i = index.get_indexer([str(value)])[0]
        if i < 0:
            raise KeyError(f"Unknown {what} {value!r}: not in the graph's world.")
        return int(i)

    @staticmethod
    def _column(csc: sp.csc_matrix, j: int, ids: pd.Index) -> list[str]:
        return sorted(ids[csc.indices[csc.indptr[j] : csc.indptr[j + 1]]])

    def credentials_for_skill(self, skill_id: str) -> list[str]:
        """Ids of the catalogue credentials certifying ``skill_id``, sorted."""
        j = self._code(self.skill_ids, skill_id, "skill")
        return self._column(self._by_skill_cred, j, self.credential_ids)

    def contracts_needing(self, skill_id: str) -> list[str]:
        """Ids of the contracts listing ``skill_id`` among their skills, sorted."""
        j = self._code(self.skill_ids, skill_id, "skill")
        return self._column(self._by_skill_contract, j, self.contract_ids)

    def roles_owning(self, contract_id: str) -> list[str]:
        """Ids of the roles whose ``contracts`` include ``contract_id``, sorted."""
        j = self._code(self.contract_ids, contract_id, "contract")
        return self._column(self._by_contract_role, j, self.role_ids)

    def credentials_for_contract(self, contract_id: str) -> list[str]:
        """Ids of the catalogue credentials mapping to ``contract_id``, sorted."""
        j = self._code(self.contract_ids, contract_id, "contract")
        return self._column(self._by_contract_cred, j, self.credential_ids)

    def related_occupations(self, occupation_id: str) -> pd.DataFrame:
        """Occupations related to ``occupation_id``: columns ``occupation_id``, ``isco`` (same ISCO
        unit group), ``onet`` (same or related O*NET occupation); sorted by id."""
        i = self._code(self.occupation_ids, occupation_id, "occupation")
        isco = self.occ_isco[i].toarray().ravel() > 0
        onet = self.occ_onet[i].toarray().ravel() > 0
        keep = np.flatnonzero(isco | onet)
        out = pd.DataFrame(
            {"occupation_id": self.occupation_ids[keep], "isco": isco[keep], "onet": onet[keep]}
        )
        return out.sort_values("occupation_id", ignore_index=True)

    def near_roles(self, role_id: str, k: int | None = None) -> pd.DataFrame:
        """Roles near ``role_id``, best first (``role_id`` ascending on equal scores).

        ``score = J_skills + 0.5·J_contracts + occ`` where ``J_skills`` is the Jaccard index of the
        two roles' skill sets (required ∪ optional), ``J_contracts`` that of their contracts, and
        ``occ`` is 0.5 for the same occupation, 0.25 for related occupations (same ISCO unit group or
        same/related O*NET occupation), else 0 (weights: ``NEAR_WEIGHTS``); range [0, 2].  Only roles
        with a score > 0 are listed.  Columns: ``role_id``, ``title``, ``score``, ``skill_jaccard``,
        ``contract_jaccard``, ``occupation`` ("same", "related" or "").  ``k`` keeps the first k.
        """
        if k is not None and (not isinstance(k, int) or k < 1):
            raise ValueError(
                f"The 'k' parameter of near_roles must be None or an int >= 1. Got {k!r} instead."
            )
        i = self._code(self.role_ids, role_id, "role")
        S = binarize(self.role_required + self.role_optional)
        j_skill = _jaccard(S, i)
        j_con = _jaccard(self.role_contract, i)
        R_occ = self.role_occupation
        same = np.asarray((R_occ @ R_occ[i].T).todense()).ravel() > 0
        rel_occ = binarize(self.occ_isco + self.occ_onet)
        related = np.asarray((R_occ @ (rel_occ @ R_occ[i].T)).todense()).ravel() > 0
        w = NEAR_WEIGHTS
        occ = np.where(same, w["same_occupation"], np.where(related, w["related_occupation"], 0.0))
        score = j_skill + w["contract"] * j_con + occ
        score[i] = 0.0
        keep = np.flatnonzero(score > 0)
        out = pd.DataFrame(
            {
                "role_id": self.role_ids[keep],
                "title": self.role_titles[keep],
                "score": score[keep],
                "skill_jaccard": j_skill[keep],
                "contract_jaccard": j_con[keep],
                "occupation": np.where(same[keep], "same", np.where(related[keep], "related", "")),
            }
        )
        out = out.sort_values(["score", "role_id"], ascending=[False, True], ignore_index=True)
        return out if k is None else out.head(k)

    # -- candidates ----------------------------------------------------------------------------

    def held(
        self,
        candidate_ids: Sequence[str],
        as_of: object = None,
    ) -> Held:
        """What each candidate holds as of ``as_of`` (a date for all, one date per candidate, or None
        for today): credentials, claimed/certified/verified skills and contracts (see :class:`Held`).
        Vectorised over the candidates: no Python loop over holdings."""
        ids = [str(c) for c in candidate_ids]
        ci = self.candidate_ids.get_indexer(ids)
        if (ci < 0).any():
            bad = [c for c, i in zip(ids, ci, strict=True) if i < 0][:5]
            raise KeyError(f"Unknown candidate ids (first {len(bad)}): {bad}")
        n = len(ci)
        if as_of is None:
            as_of = _today()
        when = pd.to_datetime(pd.Series(np.broadcast_to(np.asarray(as_of, dtype=object), n)))
        when = when.to_numpy(dtype="datetime64[ns]")
        p, row = expand(ci, self.h_start_, self.h_count_)
        cred = self.h_cred_[row]
        exp = self.h_expires_[row]
        valid = (cred >= 0) & (self.h_issued_[row] <= when[p]) & (np.isnat(exp) | (exp > when[p]))
        verified = valid & self.h_verified_[row]

        def held(mask: np.ndarray) -> sp.csr_matrix:
            m = sp.csr_matrix(
                (np.ones(mask.sum()), (p[mask], cred[mask])), shape=(n, len(self.credential_ids))
            )
            return binarize(m)

        A_valid, A_ver = held(valid), held(verified)
        return Held(
            candidate_ids=ids,
            as_of=when,
            credentials=A_valid,
            verified_credentials=A_ver,
            claimed_skills=binarize(self.cand_claimed[ci]),
            certified_skills=binarize(A_valid @ self.cred_skill),
            verified_skills=binarize(A_ver @ self.cred_skill),
            contracts=binarize(A_valid @ self.cred_contract),
            verified_contracts=binarize(A_ver @ self.cred_contract),
        )


def _pad(m: sp.csr_matrix, n: int) -> sp.csr_matrix:
    """``m`` (square) grown to n × n with empty rows and columns."""
    m = sp.csr_matrix(m)
    return sp.csr_matrix(
        (m.data, m.indices, np.append(m.indptr, [m.nnz] * (n - m.shape[0]))), shape=(n, n)
    )


def _jaccard(M: sp.csr_matrix, i: int) -> np.ndarray:
    """Jaccard index of every row of the 0/1 matrix ``M`` with row ``i`` (0 where both are empty)."""
    inter = np.asarray((M @ M[i].T).todense()).ravel()
    sizes = row_sums(M)
    union = sizes + sizes[i] - inter
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(union > 0, inter / union, 0.0)
