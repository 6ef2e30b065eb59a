"""Reasons for a ranked row, and the result object every recommender answer comes in.

For each ranked (candidate, role) pair the explanation holds

- ``top_features``: the largest LightGBM ``pred_contrib`` (SHAP) contributions to fit, positive or
  negative, with the feature's value and its one-line meaning from :data:`recsys.features.FEATURES`;
- ``matched_skills`` / ``missing_skills``: the role's required skills the candidate has / lacks, by
  label.  A candidate "has" a skill when it is claimed or certified by a verified, unexpired credential;
- ``verified_credentials``: names of the candidate's verified, unexpired credentials that map to at
  least one of the role's service contracts.

Everything is computed with frame operations over the rows shown (explode + merge), not per pair.
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


def _long(frame: pd.DataFrame, key: str, col: str, out: str) -> pd.DataFrame:
    """``key, out`` rows from a list column (one row per list element)."""
    long = frame[[key, col]].explode(col).dropna(subset=[col])
    return long.rename(columns={col: out})


def skill_reasons(
    pairs: pd.DataFrame,
    candidates: pd.DataFrame,
    roles: pd.DataFrame,
    holdings: pd.DataFrame,
    credentials: pd.DataFrame,
    skill_labels: dict[str, str],
    now: pd.Timestamp,
) -> pd.DataFrame:
    """``matched_skills, missing_skills, verified_credentials`` (lists) for each row of ``pairs``.

    ``candidates``/``roles`` need only the rows of the pairs (free-text entities included).
    """
    rows = pairs[["candidate_id", "role_id"]].reset_index(drop=True).copy()
    rows["row"] = np.arange(len(rows))
    valid = holdings[holdings["verified"].astype(bool)]
    if "expires_at" in valid:
        valid = valid[valid["expires_at"].isna() | (valid["expires_at"] >= now)]
    valid = valid[valid["candidate_id"].isin(rows["candidate_id"])]
    valid = valid.merge(
        credentials[["credential_id", "name", "skills", "contracts"]], on="credential_id"
    )
    has = pd.concat(
        [
            _long(candidates, "candidate_id", "skills", "skill_id"),
            _long(valid, "candidate_id", "skills", "skill_id"),
        ]
    ).drop_duplicates()
    need = _long(roles, "role_id", "required_skills", "skill_id").drop_duplicates()
    req = rows.merge(need, on="role_id")
    req = req.merge(has.assign(has=True), on=["candidate_id", "skill_id"], how="left")
    req["label"] = req["skill_id"].map(skill_labels).fillna(req["skill_id"])
    req["has"] = req["has"].notna().to_numpy()
    matched = req[req["has"]].groupby("row")["label"].agg(list)
    missing = req[~req["has"]].groupby("row")["label"].agg(list)

    cred_contracts = _long(valid, "candidate_id", "contracts", "contract_id")
    cred_contracts = cred_contracts.join(valid["name"]).drop_duplicates()
    role_contracts = _long(roles, "role_id", "contracts", "contract_id").drop_duplicates()
    cov = rows.merge(role_contracts, on="role_id").merge(
        cred_contracts, on=["candidate_id", "contract_id"]
    )
    creds = cov.drop_duplicates(["row", "name"]).sort_values(["row", "name"])
    creds = creds.groupby("row")["name"].agg(list)

    def col(series: pd.Series) -> list[list[str]]:
        got = series.reindex(rows["row"])
        return [v if isinstance(v, list) else [] for v in got]

    return pd.DataFrame(
        {
            "matched_skills": col(matched),
            "missing_skills": col(missing),
            "verified_credentials": col(creds),
        }
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
