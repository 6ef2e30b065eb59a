"""Reasons for a ranked row, and the result object every recommender answer comes in.

For each ranked (candidate, role) pair the explanation holds

- ``top_features``: the largest LightGBM ``pred_contrib`` (SHAP) contributions to fit, positive or
  negative, with the feature's value and its one-line meaning from :data:`recsys.features.FEATURES`;
- ``matched_skills`` / ``missing_skills``: the role's required skills the candidate has / lacks, by
  label.  A candidate "has" a skill on the same evidence as the ``req_cov_text`` feature: claimed,
  named in the résumé (phrase match, certifications paragraph cut), or certified by a verified,
  unexpired credential;
- ``verified_credentials``: names of the candidate's verified, unexpired credentials that map to at
  least one of the role's service contracts;
- ``missing_inputs``: what the models had to do without (and whether retention used its baseline);
- ``retention_factors``: the inputs that move P(stay) most for this pair (Cox contributions against
  an average training hire; empty when retention fell back to its baseline).

Look-ups are built once per model (:class:`ReasonIndex`); a request visits only the rows it shows.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

REASON_COLUMNS = [
    "top_features",
    "matched_skills",
    "missing_skills",
    "verified_credentials",
    "missing_inputs",
    "retention_factors",
]


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


def retention_factors(
    model: Any, X: pd.DataFrame, n: int, meanings: dict[str, str], baseline: np.ndarray
) -> list[list[dict[str, Any]]]:
    """The ``n`` inputs that move each row's P(stay) most, as :func:`top_contributions` lists:
    ``contribution`` = minus the input's share of the Cox log relative hazard against an average
    training hire (:meth:`recsys.models.retention.RetentionModel.contributions`): > 0 keeps the
    person longer, < 0 shortens the stay.  Empty for a row on the baseline (nothing of it was
    used; ``missing_inputs`` says so) or a model without contributions."""
    if len(X) == 0 or not hasattr(model, "contributions"):
        return [[] for _ in range(len(X))]
    names, C = model.contributions(X)
    contrib = pd.DataFrame(-C, columns=names, index=X.index)
    out = top_contributions(contrib, X, n, meanings)
    return [
        [] if thin else [f for f in row if f["contribution"] != 0]
        for row, thin in zip(out, baseline, strict=True)
    ]


def missing_inputs(
    X: pd.DataFrame, used: list[str], retention_baseline: np.ndarray
) -> list[list[str]]:
    """Per row, the feature groups (registry ``group``: skills, experience, history, location…)
    the fit model uses but whose every feature is unknown for that row, and ``"retention inputs
    (baseline used)"`` where retention fell back to its baseline — what a free-text side lacked."""
    from recsys.features import FEATURES

    groups: dict[str, list[str]] = {}
    for name in used:
        if name in X.columns and name in FEATURES:
            groups.setdefault(FEATURES[name].group, []).append(name)
    na = pd.isna(X.to_numpy()) if len(X.columns) else np.zeros((len(X), 0), bool)
    at = {c: i for i, c in enumerate(X.columns)}  # one array, not a frame per group
    absent = {g: na[:, [at[c] for c in cols]].all(axis=1) for g, cols in groups.items()}
    out = []
    for i in range(len(X)):
        row = [g for g, miss in absent.items() if miss[i]]
        if retention_baseline[i]:
            row.append("retention inputs (baseline used)")
        out.append(row)
    return out


class ReasonIndex:
    """Look-ups built once per model so that a request's reasons cost microseconds per shown row.

    Valid holdings are those verified, issued by ``now`` and not expired at ``now`` (the features'
    reference time).  Only the rows shown (k ≤ 1000) are visited when explaining.
    """

    def __init__(
        self,
        world: Any,
        now: pd.Timestamp,
        skill_labels: dict[str, str],
        resume: Any = None,
        skill_ids: pd.Index | None = None,
    ) -> None:
        self.labels = skill_labels
        # résumé-named skills: ``resume.rows(positions)`` → CSR over ``skill_ids`` (the features')
        self.resume = resume
        self.skill_ids = None if skill_ids is None else np.asarray(skill_ids, dtype=object)
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
        named = self._resume_named(pos)
        matched, missing, creds = [], [], []
        for i, (p, cid, rid) in enumerate(
            zip(pos, pairs["candidate_id"], pairs["role_id"], strict=True)
        ):
            if p >= 0:  # the rows shown only (k <= 1000), not every scored pair
                held = self.h_cred[self.h_start[p] : self.h_end[p]]
                has = set(self.claimed[p]).union(
                    named[i], *(self.cred_skills.get(x, ()) for x in held)
                )
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

    def _resume_named(self, pos: np.ndarray) -> list[set[str]]:
        """Skills each shown world candidate's résumé names (empty sets without a résumé matrix)."""
        named: list[set[str]] = [set() for _ in pos]
        known = np.flatnonzero(pos >= 0)
        if self.resume is None or self.skill_ids is None or not len(known):
            return named
        rows = self.resume.rows(pos[known]).tocsr()
        for j, i in enumerate(known):
            named[i] = set(self.skill_ids[rows.indices[rows.indptr[j] : rows.indptr[j + 1]]])
        return named


@dataclass
class Ranking:
    """A ranked answer: ``frame`` (one row per result, best first) and its ``manifest``.

    Columns: ``rank, candidate_id, role_id, title, fit, retention, score`` and, when explained,
    ``top_features, matched_skills, missing_skills, verified_credentials, missing_inputs``.
    """

    frame: pd.DataFrame
    manifest: dict[str, Any] = field(default_factory=dict)

    def to_frame(self) -> pd.DataFrame:
        return self.frame.copy()

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: ``{"manifest": {...}, "results": [{..., "reasons": {...}}, ...]}``."""
        base = [c for c in self.frame.columns if c not in REASON_COLUMNS]
        records = self._records(base)  # column lists zipped: ~10x DataFrame.to_dict("records")
        if all(c in self.frame for c in REASON_COLUMNS):
            reasons = self._records(REASON_COLUMNS)
            for rec, why in zip(records, reasons, strict=True):
                rec["reasons"] = why
        for rec in records:
            for key in ("fit", "fit_probability", "retention", "score"):
                rec[key] = float(rec[key])
            rec["rank"] = int(rec["rank"])
        return {"manifest": self.manifest, "results": records}

    def _records(self, columns: list[str]) -> list[dict[str, Any]]:
        values = [self.frame[c].tolist() for c in columns]  # numpy scalars → Python ones
        return [dict(zip(columns, row, strict=True)) for row in zip(*values, strict=True)]

    def to_json(self, **kwargs: Any) -> str:
        return json.dumps(self.to_dict(), **kwargs)

    def __len__(self) -> int:
        return len(self.frame)


class PathContributions:
    """Fast per-feature contributions of a LightGBM model: Saabas path attribution.

    A node's expected value is the cover-weighted mean of the leaf values below it (the root's is
    the ``bias``, the same expected value TreeSHAP reports).

    For each tree, the change of the node's expected value along the row's root-to-leaf path is
    credited to the split feature (what ``shap.TreeExplainer(...).shap_values(X, approximate=True)``
    computes).  Like TreeSHAP (``pred_contrib``) the contributions plus ``bias`` sum to the raw
    prediction; unlike it they cost one ``pred_leaf`` call and a table gather (a leaf's contribution
    vector is precomputed), i.e. microseconds per row instead of milliseconds.
    """

    def __init__(self, booster: Any, num_iteration: int | None = None) -> None:
        dump = booster.dump_model(num_iteration=num_iteration or -1)
        trees = dump["tree_info"]
        if dump.get("num_tree_per_iteration", 1) != 1:
            raise ValueError("PathContributions supports single-output models only.")
        self.num_iteration = num_iteration
        n_feat = len(dump["feature_names"])
        leaves = max(t["num_leaves"] for t in trees)
        self.table_ = np.zeros((len(trees), leaves, n_feat))
        self.bias_ = 0.0
        for t, tree in enumerate(trees):
            root = tree["tree_structure"]
            expected = _expected_values(root)
            self.bias_ += expected[id(root)]
            stack = [(root, np.zeros(n_feat))]
            while stack:
                node, acc = stack.pop()
                if "leaf_index" in node:
                    self.table_[t, node["leaf_index"]] = acc
                    continue
                for side in ("left_child", "right_child"):
                    child = node[side]
                    c = acc.copy()
                    c[node["split_feature"]] += expected[id(child)] - expected[id(node)]
                    stack.append((child, c))
        self.booster = booster

    def contributions(self, X: np.ndarray) -> np.ndarray:
        """(n, n_features + 1) contributions, the last column the bias (like ``pred_contrib``)."""
        X = np.asarray(X, dtype=np.float64)
        if len(X) == 0:
            return np.zeros((0, self.table_.shape[2] + 1))
        leaf = self.booster.predict(
            X, pred_leaf=True, num_iteration=self.num_iteration, num_threads=1
        ).astype(np.intp)
        out = self.table_[np.arange(self.table_.shape[0]), leaf].sum(axis=1)
        return np.column_stack([out, np.full(len(X), self.bias_)])


def _expected_values(root: dict[str, Any]) -> dict[int, float]:
    """id(node) → cover-weighted mean leaf value below it (a dumped LightGBM tree)."""
    out: dict[int, float] = {}

    def visit(node: dict[str, Any]) -> tuple[float, float]:
        if "leaf_index" in node:
            w = float(max(node.get("leaf_count", 0), 0)) or 1e-12
            out[id(node)] = float(node["leaf_value"])
            return out[id(node)] * w, w
        lv, lw = visit(node["left_child"])
        rv, rw = visit(node["right_child"])
        out[id(node)] = (lv + rv) / (lw + rw)
        return lv + rv, lw + rw

    visit(root)
    return out
