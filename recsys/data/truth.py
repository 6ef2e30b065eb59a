"""The planted truth of a generated world (``world/truth/``), for evaluation only.

Features and models must never import this module: it is what they are scored against (oracle
NDCG, retrieval recall of truly fitting roles, skill-extraction precision/recall).

>>> truth = Truth.load("worlds/demo")
>>> truth.fit(["C0000001", "C0000002"], ["R00003", "R00003"])   # true fit of two pairs
>>> truth.fit_matrix(candidate_ids, role_ids)                    # all pairs, (n, m)
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import scipy.sparse as sp

from recsys.data import planted


def _csr(
    column: pa.ChunkedArray, vocab: pd.Index, values: pa.ChunkedArray | None = None
) -> sp.csr_matrix:
    """A list<string> column -> CSR over ``vocab`` (no Python loop over rows); entries are 1, or
    taken from the aligned list<double> column ``values``."""
    arr = column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column
    offsets = np.asarray(arr.offsets, dtype=np.int64)
    offsets = offsets - offsets[0]
    codes = vocab.get_indexer(arr.flatten().to_numpy(zero_copy_only=False))
    data = np.ones(len(codes), np.float64)
    if values is not None:
        v = values.combine_chunks() if isinstance(values, pa.ChunkedArray) else values
        data = v.flatten().to_numpy(zero_copy_only=False).astype(np.float64)
    return sp.csr_matrix((data, codes, offsets), shape=(len(arr), len(vocab)))


@dataclass
class Truth:
    """Latent parameters of a world: true skills, verified contracts, weights, hidden-factor seed."""

    params: dict[str, Any]
    candidate_ids: pd.Index
    role_ids: pd.Index
    skills_vocab: pd.Index
    candidates: planted.Side
    roles: planted.Side
    path: Path
    _true_skills: pa.ChunkedArray
    _mentioned: pa.ChunkedArray

    @classmethod
    def load(cls, world_dir: str | Path) -> Truth:
        world_dir = Path(world_dir)
        folder = world_dir / "truth"
        if not (folder / "params.json").exists():
            raise FileNotFoundError(
                f"The 'world_dir' parameter of Truth.load must be a generated world with "
                f"truth/params.json. Got {world_dir}, which has none."
            )
        params = json.loads((folder / "params.json").read_text(encoding="utf-8"))
        tc = pq.read_table(folder / "candidates.parquet")
        roles = pq.read_table(
            world_dir / "roles.parquet",
            columns=[
                "role_id",
                "required_skills",
                "optional_skills",
                "contracts",
                "seniority",
                "location",
                "remote",
            ],
        )
        vocab = pd.Index(
            np.unique(
                np.concatenate(
                    [
                        tc.column("true_skills")
                        .combine_chunks()
                        .flatten()
                        .to_numpy(zero_copy_only=False),
                        roles.column("required_skills")
                        .combine_chunks()
                        .flatten()
                        .to_numpy(zero_copy_only=False),
                        roles.column("optional_skills")
                        .combine_chunks()
                        .flatten()
                        .to_numpy(zero_copy_only=False),
                    ]
                ).astype(str)
            )
        )
        contracts = pd.Index(
            np.unique(
                np.concatenate(
                    [
                        tc.column("verified_contracts")
                        .combine_chunks()
                        .flatten()
                        .to_numpy(zero_copy_only=False),
                        roles.column("contracts")
                        .combine_chunks()
                        .flatten()
                        .to_numpy(zero_copy_only=False),
                    ]
                ).astype(str)
            )
        )
        city = {c: i for i, c in enumerate(params["cities"])}
        cid = pd.Index(tc.column("candidate_id").to_numpy(zero_copy_only=False))
        rid = pd.Index(roles.column("role_id").to_numpy(zero_copy_only=False))
        weights = (
            tc.column("verified_contract_weights")
            if "verified_contract_weights" in tc.column_names
            else None
        )
        mult: dict[str, np.ndarray] = {}
        if (folder / "roles.parquet").exists():  # scenario multipliers (generator >= 1.2)
            tr = pd.read_parquet(folder / "roles.parquet").set_index("role_id").reindex(rid)
            mult = {
                f"{k}_mult": tr[f"{k}_mult"].to_numpy(dtype=np.float64)
                for k in ("optional", "contracts", "location", "seniority")
            }
        cands = planted.Side(
            keys=planted.id_numbers(cid.to_numpy()),
            skills=_csr(tc.column("true_skills"), vocab),
            contracts=_csr(tc.column("verified_contracts"), contracts, weights),
            seniority=tc.column("seniority").to_numpy(),
            location=tc.column("location_code").to_numpy(),
            remote=tc.column("open_to_remote").to_numpy(),
        )
        role_side = planted.Side(
            keys=planted.id_numbers(rid.to_numpy()),
            skills=_csr(roles.column("required_skills"), vocab),
            optional=_csr(roles.column("optional_skills"), vocab),
            contracts=_csr(roles.column("contracts"), contracts),
            seniority=roles.column("seniority").to_numpy(),
            location=np.array([city.get(c, -1) for c in roles.column("location").to_pylist()]),
            remote=roles.column("remote").to_numpy(),
            **mult,
        )
        return cls(
            params,
            cid,
            rid,
            vocab,
            cands,
            role_side,
            world_dir,
            tc.column("true_skills"),
            tc.column("mentioned_skills"),
        )

    # --- lookups ------------------------------------------------------------------------
    def _index(self, index: pd.Index, ids: Any, name: str) -> np.ndarray:
        ids = np.atleast_1d(np.asarray(ids, dtype=object))
        pos = index.get_indexer(ids)
        if (pos < 0).any():
            missing = ids[pos < 0][:5].tolist()
            raise KeyError(
                f"The '{name}' parameter holds {int((pos < 0).sum())} id(s) not in this world, "
                f"e.g. {missing}."
            )
        return pos

    @property
    def weights(self) -> planted.FitWeights:
        return planted.FitWeights(**self.params["fit"])

    @property
    def shape(self) -> planted.FitShape:
        """The scenario's non-linear terms (neutral for worlds generated before scenarios)."""
        return planted.FitShape(**self.params.get("fit_shape", {}))

    @property
    def bias(self) -> dict[str, Any]:
        """The planted bias (``params.json``: ``{"enabled": False}``, or the config and the drawn
        city mixes); worlds from before generator 1.4 had none."""
        return dict(self.params.get("bias", {"enabled": False}))

    @property
    def scenario_id(self) -> str:
        return str(self.params.get("scenario_id", "documented"))

    # --- the true fit ---------------------------------------------------------------------
    def components(self, candidate_ids: Any, role_ids: Any) -> pd.DataFrame:
        """Every part of the true fit for aligned pairs (see docs/example-world.md)."""
        ci = self._index(self.candidate_ids, candidate_ids, "candidate_ids")
        ri = self._index(self.role_ids, role_ids, "role_ids")
        if len(ci) != len(ri):
            raise ValueError(
                f"The 'candidate_ids' and 'role_ids' parameters of Truth.fit must have the same "
                f"length (one pair per position). Got {len(ci)} and {len(ri)} instead."
            )
        comp = planted.fit_components(
            self.candidates, self.roles, ci, ri, self.weights, int(self.params["seed"]), self.shape
        )
        return pd.DataFrame(comp)

    def fit(self, candidate_ids: Any, role_ids: Any) -> np.ndarray:
        """True fit of aligned pairs ``(candidate_ids[k], role_ids[k])``, vectorised."""
        return self.components(candidate_ids, role_ids)["fit"].to_numpy()

    def fit_matrix(self, candidate_ids: Any, role_ids: Any) -> np.ndarray:
        """True fit of every candidate × role pair, shape (len(candidate_ids), len(role_ids))."""
        ci = self._index(self.candidate_ids, candidate_ids, "candidate_ids")
        ri = self._index(self.role_ids, role_ids, "role_ids")
        c, r = self.candidates, self.roles
        assert r.optional is not None

        def cover(a: sp.csr_matrix, b: sp.csr_matrix, empty: float) -> np.ndarray:
            size = np.diff(b.indptr).astype(np.float64)
            hit = (a @ b.T).toarray()
            return np.where(size > 0, hit / np.maximum(size, 1), empty)

        cs, rq, ro, rc = c.skills[ci], r.skills[ri], r.optional[ri], r.contracts[ri]
        loc = (c.location[ci][:, None] == r.location[ri][None, :]) | (
            c.remote[ci][:, None] & r.remote[ri][None, :]
        )
        gap = c.seniority[ci].astype(np.int64)[:, None] - r.seniority[ri].astype(np.int64)[None, :]
        hidden = planted.hidden_factor(
            int(self.params["seed"]), c.keys[ci][:, None], r.keys[ri][None, :]
        )
        mult = {k: r.mult(k, ri) for k in ("optional", "contracts", "location", "seniority")}
        return planted.combine_fit(
            cov_req=cover(cs, rq, 1.0),
            cov_opt=cover(cs, ro, 0.0),
            cov_con=cover(c.contracts[ci], rc, 0.0),
            loc=loc.astype(np.float64),
            gap=gap,
            hidden=hidden,
            junior=planted.junior_share(c.seniority[ci])[:, None],
            mult={k: v if np.isscalar(v) else np.asarray(v)[None, :] for k, v in mult.items()},
            weights=self.weights,
            shape=self.shape,
        )["fit"]

    # --- skills and outcomes ----------------------------------------------------------------
    def true_skills(self, candidate_ids: Any) -> list[list[str]]:
        """The latent TRUE skills (ESCO ids) of each candidate."""
        pos = self._index(self.candidate_ids, candidate_ids, "candidate_ids")
        return self._true_skills.take(pa.array(pos)).to_pylist()

    def mentioned_skills(self, candidate_ids: Any) -> list[list[str]]:
        """The skills each candidate's resume_text mentions (by label or alt label)."""
        pos = self._index(self.candidate_ids, candidate_ids, "candidate_ids")
        return self._mentioned.take(pa.array(pos)).to_pylist()

    def outcomes(self) -> pd.DataFrame:
        """Per application: fit and its parts, latent stage score, log-hazard, true tenure."""
        return pd.read_parquet(self.path / "truth" / "outcomes.parquet")
