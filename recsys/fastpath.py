"""Serving fast path: pair features at the model's reference time from per-candidate tables.

A shortlist scores ~1000 retrieved candidates against one role, always "as of now" (the builder's
``now_``).  Every candidate-side input of :class:`recsys.features.FeatureBuilder` at that time — the
skills a candidate has (claimed or certified by a valid credential), verified skills, contracts covered,
credential counts and recency, history and experience — depends on the candidate only, so
:class:`NowFeatures` computes it once at load for all candidates.  A request then costs a few sparse
row products, a vector dot product and BM25 scored for the retrieved documents only (the query's
columns of their rows in the builder's document table).

Role-side inputs come as a :class:`RoleSide`: the world's roles (built once), or a free-text role
(:mod:`recsys.adhoc` rules) whose BM25 query uses the builder's reference statistics, as in
training.

**Parity.**  The features are the builder's own definitions (experience and history call its methods;
credentials and BM25 repeat its formulas on precomputed tables).  ``NowFeatures.check()`` compares both on
sample pairs; the recommender uses the fast path only when they agree (else it warns and keeps the
builder), so a change to the builder can never silently change served scores.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp

from recsys.features._sparse import binarize, expand, group_max, list_matrix, row_sums

_YEAR_DAYS = 365.25
_DENSE_CELLS = 4_000_000  # largest dense (pairs × blocks × skill columns) cut built at once


@dataclass
class RoleSide:
    """Role inputs of the features for ``n`` roles (world roles or free-text ones)."""

    R_req: sp.csr_matrix
    R_opt: sp.csr_matrix
    R_con: sp.csr_matrix
    seniority: np.ndarray
    loc: np.ndarray
    remote: np.ndarray
    team: np.ndarray
    vectors: np.ndarray | None  # (n, dim) float32, NaN rows where unknown
    queries: sp.csr_matrix | None  # BM25 queries (roles × hashed terms), the builder's tables
    occupations: np.ndarray | None = (
        None  # (n, dim) occupation vectors (recsys.features.occupation)
    )


class NowFeatures:
    """Pair features as of ``builder.now_`` from per-candidate tables (see the module doc)."""

    def __init__(self, builder: Any) -> None:
        from recsys.features import FEATURE_NAMES

        b = self.builder = builder
        self.names = list(FEATURE_NAMES)
        n = len(b.cand_ids_)
        now = np.datetime64(b.now_, "ns")
        self._now = now
        p, row = expand(np.arange(n), b.h_start_, b.h_count_)
        cred = b.h_cred_[row]
        known = cred >= 0
        issued = b.h_issued_[row] <= now
        exp = b.h_expires_[row]
        alive = np.isnat(exp) | (exp > now)
        valid = known & issued & alive
        verified = valid & b.h_verified_[row]
        expired = known & issued & ~alive

        def held(mask: np.ndarray) -> sp.csr_matrix:
            m = sp.csr_matrix(
                (np.ones(mask.sum()), (p[mask], cred[mask])), shape=(n, len(b.cred_ids_))
            )
            m.sum_duplicates()
            return m

        A_valid, A_ver = held(valid), held(verified)
        claim = b.C_claim_
        n_issued = np.bincount(p[known & issued], minlength=n)
        self.have = binarize(claim + binarize(A_valid @ b.K_skill_))
        self.have_ver = binarize(A_ver @ b.K_skill_)
        self.con = binarize(A_valid @ b.K_con_)
        self.con_ver = binarize(A_ver @ b.K_con_)
        self.valid = A_valid
        self.unknown = (row_sums(claim) == 0) & (n_issued == 0)
        self.evidence = self._evidence(claim, binarize(A_valid @ b.K_skill_), now)
        text = self.evidence["text"] if self.evidence is not None else sp.csr_matrix(claim.shape)
        self.soft_have = binarize(self.have + text)  # skills for the soft overlap (as builder)
        self.stated = binarize(claim + text)
        n_skills = row_sums(self.have)
        n_skills[self.unknown] = np.nan
        age = (now - b.h_issued_[row[valid]]) / np.timedelta64(1, "D")
        self.cand = {
            "n_cand_skills": n_skills,
            "n_valid_creds": np.bincount(p[valid], minlength=n).astype(float),
            "n_verified_creds": np.bincount(p[verified], minlength=n).astype(float),
            "n_expired_creds": np.bincount(p[expired], minlength=n).astype(float),
            "cred_recency": group_max(
                p[valid], np.exp(-np.maximum(age, 0) / (2 * _YEAR_DAYS)), n, 0.0
            ),
        }
        self.cand.update(b._history_features(np.arange(n), np.full(n, now)))
        memo = getattr(b, "catalogue_memo_", {})  # shared by builders over the same catalogue
        if "fast_sims" not in memo:
            memo["fast_sims"] = self._cred_contract_sims()
        self.sim = memo["fast_sims"]
        blocks = {"have": self.have, "have_ver": self.have_ver}
        if self.evidence is not None:
            blocks.update({k: self.evidence[k] for k in ("claim", "text", "cred", "prior")})
        self._blocks = list(blocks)
        self._skills = sp.hstack(list(blocks.values()), format="csr")
        self._contracts = sp.hstack([self.con, self.con_ver], format="csr")
        vec = b._vectors_for("candidates")
        self.cand_vec = None
        if vec is not None:
            pos = vec[0].get_indexer(b.cand_ids_)
            self.cand_vec, self.cand_vec_ok = vec[1][np.maximum(pos, 0)], pos >= 0
        if "fast_roles" not in memo:
            memo["fast_roles"] = self._world_roles()
        self.world_roles = memo["fast_roles"]
        self.ids = b.cand_ids_  # candidates served, by position
        self.src: np.ndarray | None = None  # served position → table row (see tile)

    def positions(self, ids: Any) -> np.ndarray:
        """Positions of candidate ``ids`` (-1 where unknown)."""
        return self.ids.get_indexer(ids)

    def tile(self, ids: Any, src: np.ndarray, vectors: np.ndarray) -> NowFeatures:
        """A copy serving candidates ``ids`` whose tables are rows ``src`` of this one's.

        For benchmarks at scales no world reaches: clone candidate ``i`` has every input of candidate
        ``src[i]`` (skills, credentials, history, BM25 document) but its own ``vectors[i]``.  No
        table is copied (``src`` is an indirection).
        """
        out = copy.copy(self)
        out.ids = pd.Index(ids)
        out.src = np.asarray(src, dtype=np.intp)
        out.cand_vec = np.asarray(vectors, dtype=np.float32)
        out.cand_vec_ok = np.ones(len(out.ids), dtype=bool)
        return out

    # ------------------------------------------------------------------ set-up
    def _evidence(self, claim: Any, cred: Any, now: np.datetime64) -> dict[str, Any] | None:
        """Candidate-side inputs of the builder's skill-evidence features, when it has them."""
        b = self.builder
        if not hasattr(b, "O_ess_"):
            return None
        from recsys.features.evidence import coverage_features_dense, history_prior

        n = len(b.cand_ids_)
        everyone = np.arange(n)
        resume = getattr(b, "resume_", None)
        text = resume.rows(everyone) if resume is not None else sp.csr_matrix(claim.shape)
        jobs = b._jobs_as_of(everyone, np.full(n, now))
        return {
            "fn": coverage_features_dense,
            "claim": claim,
            "text": sp.csr_matrix(text),
            "cred": cred,
            "prior": sp.csr_matrix(history_prior(*jobs, n, b.O_ess_, b.O_opt_, b.history_rates_)),
            "unknown": self.unknown & (row_sums(text) == 0),
        }

    def _cred_contract_sims(self) -> np.ndarray | None:
        b = self.builder
        ec, ek = b._vectors_for("credentials"), b._vectors_for("contracts")
        if ec is None or ek is None:
            return None
        cpos, kpos = ec[0].get_indexer(b.cred_ids_), ek[0].get_indexer(b.contract_ids_)
        Ec = np.where((cpos >= 0)[:, None], ec[1][np.maximum(cpos, 0)], 0.0)
        Ek = np.where((kpos >= 0)[:, None], ek[1][np.maximum(kpos, 0)], 0.0)
        return np.clip(Ec @ Ek.T, 0.0, None)

    def _world_roles(self) -> RoleSide:
        b = self.builder
        vec = b._vectors_for("roles")
        vectors = None
        if vec is not None:
            pos = vec[0].get_indexer(b.role_ids_)
            vectors = vec[1][np.maximum(pos, 0)].astype(np.float64)
            vectors[pos < 0] = np.nan
        return RoleSide(
            b.R_req_,
            b.R_opt_,
            b.R_con_,
            b.role_seniority_,
            b.role_loc_,
            b.role_remote_,
            b.role_team_,
            vectors,
            b.bm25_tables()[2] if b.bm25 else None,
            b._world_role_occupations(),
        )

    def adhoc_roles(self, rows: pd.DataFrame, texts: list[str]) -> RoleSide:
        """RoleSide of free-text role rows (:func:`recsys.adhoc.adhoc_roles` + ``vector``)."""
        b = self.builder
        vectors = None
        if "vector" in rows and self.cand_vec is not None:
            vectors = np.stack(rows["vector"].to_list()).astype(np.float64)
        norm = rows["location"].fillna("").astype(str).str.strip().str.lower().to_numpy()
        return RoleSide(
            list_matrix(rows["required_skills"], b.skill_ids_),
            list_matrix(rows["optional_skills"], b.skill_ids_),
            list_matrix(rows["contracts"], b.contract_ids_),
            self._seniority(rows["seniority"]),
            norm,
            rows["remote"].to_numpy(dtype=bool),
            rows["team"].astype(str).to_numpy(),
            vectors,
            b.bm25_tables()[0].queries(list(texts)) if b.bm25 else None,
            b.role_occupation_vectors(rows),
        )

    def _seniority(self, values: pd.Series) -> np.ndarray:
        """Role levels as the builder stores them (float with NaN for unknown, or its ints)."""
        if not np.issubdtype(self.builder.role_seniority_.dtype, np.floating):
            return values.to_numpy(dtype=int)
        from recsys.features.seniority import role_levels

        return role_levels(values)

    # ------------------------------------------------------------------ features
    def matrix(self, ci: np.ndarray, ri: np.ndarray, roles: RoleSide | None = None) -> np.ndarray:
        """(len(ci), n_features) float64 in ``FEATURE_NAMES`` order for candidate/role positions.

        Skill and contract matrices are cut to the columns the pairs' roles name (the coverage
        features only ever look there), so the per-pair algebra runs on small dense blocks.
        """
        roles = roles or self.world_roles
        b, n = self.builder, len(ci)
        cv, ci = ci, (ci if self.src is None else self.src[ci])  # vectors / table rows
        f: dict[str, np.ndarray] = {k: v[ci] for k, v in self.cand.items()}
        unknown = self.unknown[ci]
        u, inv = np.unique(ri, return_inverse=True)
        req_u, opt_u, con_u = roles.R_req[u], roles.R_opt[u], roles.R_con[u]
        cols = np.union1d(req_u.indices, opt_u.indices).astype(np.intp)
        n_sk, n_blocks = self.have.shape[1], len(self._blocks)
        if n > 1 and n * n_blocks * len(cols) > _DENSE_CELLS:  # many roles: halve the pairs
            h = n // 2
            return np.vstack(
                [self.matrix(cv[:h], ri[:h], roles), self.matrix(cv[h:], ri[h:], roles)]
            )
        sel = (np.arange(n_blocks)[:, None] * n_sk + cols[None, :]).ravel()
        S = self._skills[ci][:, sel].tocsr()
        D = S.toarray().reshape(n, n_blocks, len(cols))
        block = dict(zip(self._blocks, np.moveaxis(D, 1, 0), strict=True))
        for tag, R_u in (("req", req_u), ("opt", opt_u)):
            R = R_u[:, cols].toarray()[inv]
            need = R.sum(axis=1)
            got = (block["have"] * R).sum(axis=1)
            with np.errstate(invalid="ignore", divide="ignore"):
                cov = got / need
                f[f"{tag}_cov_verified"] = (block["have_ver"] * R).sum(axis=1) / need
            cov[unknown] = np.nan
            f[f"{tag}_cov"] = cov
            if self.evidence is not None:  # dense on the cut columns (same formulas)
                f.update(self.evidence["fn"](tag, R, block, self.evidence["unknown"][ci]))
            if tag == "req":
                f["n_req_skills"] = need
                missing = need - got
                missing[unknown] = np.nan
                f["req_missing"] = missing
        ccols = np.unique(con_u.indices).astype(np.intp)
        n_k = self.con.shape[1]
        C = self._contracts[ci][:, np.r_[ccols, n_k + ccols]].toarray()
        Rc = con_u[:, ccols].toarray()[inv]
        n_con = Rc.sum(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            f["contract_cov"] = (C[:, : len(ccols)] * Rc).sum(axis=1) / n_con
            f["contract_cov_verified"] = (C[:, len(ccols) :] * Rc).sum(axis=1) / n_con
        f["emb_cred_contract"] = self._cred_contract(ci, ccols, Rc, n_con)
        if self.cand_vec is None or roles.vectors is None:
            f["emb_cand_role"] = np.full(n, np.nan)
        else:
            a = self.cand_vec[cv].astype(np.float64)
            emb = np.einsum("ij,ij->i", a, roles.vectors[ri])
            emb[~self.cand_vec_ok[cv]] = np.nan
            f["emb_cand_role"] = emb
        if b.bm25:
            model, docs, _ = b.bm25_tables()
            f["bm25_cand_role"], f["bm25_cand_role_per_term"] = model.scores(
                docs, roles.queries, ci, ri
            )
        else:
            f["bm25_cand_role"] = f["bm25_cand_role_per_term"] = np.full(n, np.nan)
        f["req_soft_cov"], f["skill_relevance"] = b._soft(
            roles.R_req[ri] + roles.R_opt[ri],
            roles.R_req[ri],
            self.soft_have[ci],
            self.stated[ci],
            ri,
        )
        occ = None if roles.occupations is None else roles.occupations[ri]
        f["occ_match"] = b._occupation_match(ci, occ, np.full(n, self._now))
        f.update(self._experience(ci, ri, roles))
        b.hide_later_profiles(f, ci, np.full(n, self._now))
        return np.column_stack([np.asarray(f[k], dtype=np.float64) for k in self.names])

    def _experience(self, ci: np.ndarray, ri: np.ndarray, roles: RoleSide) -> dict[str, Any]:
        b = self.builder
        if roles is not self.world_roles:  # the builder's own rules over the given roles
            b = copy.copy(b)
            b.role_seniority_, b.role_loc_ = roles.seniority, roles.loc
            b.role_remote_, b.role_team_ = roles.remote, roles.team
        return b._experience_features(ci, ri, np.full(len(ci), self._now))

    def _cred_contract(
        self, ci: np.ndarray, ccols: np.ndarray, Rc: np.ndarray, n_con: np.ndarray
    ) -> np.ndarray:
        """Mean over the role's contracts of the best similarity of a valid held credential."""
        n = len(ci)
        if self.sim is None:
            return np.full(n, np.nan)
        V = self.valid
        hp, hrow = expand(ci, V.indptr[:-1], np.diff(V.indptr))
        best = np.zeros((n, len(ccols)))
        if len(hp) and len(ccols):
            np.maximum.at(best, hp, self.sim[V.indices[hrow]][:, ccols])
        with np.errstate(invalid="ignore", divide="ignore"):
            return (best * Rc).sum(axis=1) / n_con

    # ------------------------------------------------------------------ parity
    def check(self, n: int = 300, seed: int = 0) -> str | None:
        """``None`` when the fast path equals ``builder.transform`` on sample pairs, else why not."""
        b = self.builder
        if len(b.cand_ids_) == 0 or len(b.role_ids_) == 0:
            return "empty world"
        rng = np.random.default_rng(seed)
        ci = rng.integers(len(b.cand_ids_), size=n)
        ri = rng.integers(len(b.role_ids_), size=n)
        pairs = pd.DataFrame(
            {"candidate_id": b.cand_ids_[ci].to_numpy(), "role_id": b.role_ids_[ri].to_numpy()}
        )
        try:
            want = b.transform(pairs)
            if list(want.columns) != self.names:
                return f"feature names differ: {list(want.columns)}"
            got = self.matrix(ci, ri)
        except Exception as err:  # noqa: BLE001 - any failure means: use the builder
            return f"{type(err).__name__}: {err}"
        ok = np.isclose(got, want.to_numpy(), rtol=1e-6, atol=1e-9, equal_nan=True)
        if not ok.all():
            bad = sorted({self.names[j] for j in np.flatnonzero(~ok.all(axis=0))})
            return f"features differ from FeatureBuilder.transform: {bad}"
        return None
