"""Reasons for a ranked row, and the result object every recommender answer comes in.

For each ranked (candidate, role) pair the explanation holds

- ``top_features``: the largest LightGBM ``pred_contrib`` (SHAP) contributions to fit, positive or
  negative, with the feature's value and its one-line meaning from :data:`recsys.features.FEATURES`;
- ``matched_skills`` / ``missing_skills``: the role's required skills the candidate has / lacks, by
  label.  A candidate "has" a skill when it is claimed or certified by a verified, unexpired credential;
- ``verified_credentials``: names of the candidate's verified, unexpired credentials that map to at
  least one of the role's service contracts.

Look-ups are built once per model (:class:`ReasonIndex`); a request visits only the rows it shows.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

REASON_COLUMNS = ["top_features", "matched_skills", "missing_skills", "verified_credentials"]


def feature_meanings() -> dict[str, str]:
    """Feature name → one-line meaning (empty when the registry is not importable)."""
    try:
        from recsys.features import FEATURES
    except ImportError:  # pragma: no cover - the features stage is part of the package
        return {}
    out = {}
    for name, spec in FEATURES.items():
        meaning = getattr(spec, "meaning", None) or getattr(spec, "description", None)
        out[name] = str(meaning if meaning is not None else spec)
    return out


def top_contributions(
    contrib: pd.DataFrame, values: pd.DataFrame, n: int, meanings: dict[str, str]
) -> list[list[dict[str, Any]]]:
    """The ``n`` largest |contribution| features per row (``contrib`` without its bias column)."""
    if len(contrib) == 0:
        return []
    feats = [c for c in contrib.columns if c != "bias"]
    c = contrib[feats].to_numpy(dtype=float)
    n = min(n, len(feats))
    order = np.argsort(-np.abs(c), axis=1, kind="stable")[:, :n]
    names = np.asarray(feats, dtype=object)[order]
    picked = np.take_along_axis(c, order, axis=1)
    vals = values.reindex(columns=feats).to_numpy(dtype=float)
    picked_vals = np.take_along_axis(vals, order, axis=1)
    return [
        [
            {
                "feature": str(f),
                "contribution": round(float(x), 6),
                "value": None if np.isnan(v) else round(float(v), 6),
                "meaning": meanings.get(str(f), str(f)),
            }
            for f, x, v in zip(fr, xr, vr, strict=True)
        ]
        for fr, xr, vr in zip(names, picked, picked_vals, strict=True)
    ]


class ReasonIndex:
    """Look-ups built once per model so that a request's reasons cost microseconds per shown row.

    Valid holdings are those verified, issued by ``now`` and not expired at ``now`` (the features'
    reference time).  Only the rows shown (k ≤ 1000) are visited when explaining.
    """

    def __init__(self, world: Any, now: pd.Timestamp, skill_labels: dict[str, str]) -> None:
        self.labels = skill_labels
        cands = world.candidates
        self.cand_pos = pd.Index(cands["candidate_id"].astype(str))
        self.claimed = cands["skills"].to_numpy()
        h = world.holdings
        ok = h["verified"].to_numpy(bool) & (h["issued_at"] <= now).to_numpy()
        ok &= (h["expires_at"].isna() | (h["expires_at"] > now)).to_numpy()
        h = h[ok]
        codes = self.cand_pos.get_indexer(h["candidate_id"].astype(str))
        order = np.argsort(codes, kind="stable")
        self.h_cred = h["credential_id"].astype(str).to_numpy()[order]
        codes = codes[order]
        n = len(self.cand_pos)
        self.h_start = np.searchsorted(codes, np.arange(n), side="left")
        self.h_end = np.searchsorted(codes, np.arange(n), side="right")
        c = world.credentials.set_index("credential_id")
        self.cred_skills = {k: set(v) for k, v in c["skills"].items()}
        self.cred_contracts = {k: set(v) for k, v in c["contracts"].items()}
        self.cred_name = c["name"].to_dict()
        r = world.roles.set_index("role_id")
        self.role_req = r["required_skills"].to_dict()
        self.role_con = r["contracts"].to_dict()

    def reasons(
        self,
        pairs: pd.DataFrame,
        extra_candidates: pd.DataFrame | None = None,
        extra_roles: pd.DataFrame | None = None,
    ) -> pd.DataFrame:
        """``matched_skills, missing_skills, verified_credentials`` for each shown pair."""
        extra_c = (
            {}
            if extra_candidates is None
            else dict(
                zip(extra_candidates["candidate_id"], extra_candidates["skills"], strict=True)
            )
        )
        extra_r = (
            {}
            if extra_roles is None
            else {
                rid: (req, con)
                for rid, req, con in zip(
                    extra_roles["role_id"],
                    extra_roles["required_skills"],
                    extra_roles["contracts"],
                    strict=True,
                )
            }
        )
        pos = self.cand_pos.get_indexer(pairs["candidate_id"].astype(str))
        matched, missing, creds = [], [], []
        for p, cid, rid in zip(pos, pairs["candidate_id"], pairs["role_id"], strict=True):
            if p >= 0:  # the rows shown only (k <= 1000), not every scored pair
                held = self.h_cred[self.h_start[p] : self.h_end[p]]
                has = set(self.claimed[p]).union(*(self.cred_skills.get(x, ()) for x in held))
            else:
                held, has = (), set(extra_c.get(cid, ()))
            req, con = extra_r.get(rid) or (self.role_req.get(rid, []), self.role_con.get(rid, []))
            matched.append([self.labels.get(s, s) for s in req if s in has])
            missing.append([self.labels.get(s, s) for s in req if s not in has])
            con = set(con)
            creds.append(
                sorted({self.cred_name[x] for x in held if self.cred_contracts.get(x, set()) & con})
            )
        return pd.DataFrame(
            {"matched_skills": matched, "missing_skills": missing, "verified_credentials": creds}
        )


@dataclass
class Ranking:
    """A ranked answer: ``frame`` (one row per result, best first) and its ``manifest``.

    Columns: ``rank, candidate_id, role_id, title, fit, retention, score`` and, when explained,
    ``top_features, matched_skills, missing_skills, verified_credentials``.
    """

    frame: pd.DataFrame
    manifest: dict[str, Any] = field(default_factory=dict)

    def to_frame(self) -> pd.DataFrame:
        return self.frame.copy()

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: ``{"manifest": {...}, "results": [{..., "reasons": {...}}, ...]}``."""
        base = [c for c in self.frame.columns if c not in REASON_COLUMNS]
        records = self.frame[base].to_dict("records")
        if all(c in self.frame for c in REASON_COLUMNS):
            reasons = self.frame[REASON_COLUMNS].to_dict("records")
            for rec, why in zip(records, reasons, strict=True):
                rec["reasons"] = why
        for rec in records:
            for key in ("fit", "retention", "score"):
                rec[key] = float(rec[key])
            rec["rank"] = int(rec["rank"])
        return {"manifest": self.manifest, "results": records}

    def to_json(self, **kwargs: Any) -> str:
        return json.dumps(self.to_dict(), **kwargs)

    def __len__(self) -> int:
        return len(self.frame)
