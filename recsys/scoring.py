"""Scoring glue of :class:`recsys.recommender.Recommender`: pairs → features → fit, retention →
combined score → ranked, explained :class:`recsys.explain.Ranking` with its manifest.

Two fit models: pairs whose two sides are free text are scored by the text model
(``Recommender.text_ranker``), the others by ``fit_ranker``.

Two feature routes: ``FeatureBuilder.transform`` (any pairs, ad-hoc entities joined) and the serving
fast path (:mod:`recsys.fastpath`, world entities "as of now", used after its parity check).  The hot
path of a shortlist works on arrays; pandas frames are built for the ``k`` shown rows only.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pandas as pd

from recsys import __version__
from recsys.adhoc import adhoc_builder
from recsys.explain import Ranking, missing_inputs, retention_factors, top_contributions
from recsys.models.combine import combine_scores, fit_probability, score_meanings


class PoolScores:
    """The scored pools ``(X, fit, retention)`` of the last ``roles`` indexed-role shortlists of
    one recommender, by role position and the exact retrieved candidate positions.

    A recruiter's shortlist is followed by requests on the same pool (a pathway's rank before and
    after, another page of the same list, a re-sort); its scores depend only on the pair and the
    recommender, which never changes once built (a live store serves a new recommender for each
    generation), so the second request reuses the first's.  Thread-safe; ``roles = 0`` keeps
    nothing.  Each entry holds about ``len(pool) × features × 8`` bytes (~0.5 MB for 1,000)."""

    def __init__(self, roles: int = 32) -> None:
        self.roles = roles
        self._lock = threading.Lock()
        self._entries: OrderedDict[tuple[int, bytes], Any] = OrderedDict()

    def clear(self) -> None:
        """Forget every pool (a benchmark's cold start)."""
        with self._lock:
            self._entries.clear()

    def get(self, role: int, positions: np.ndarray, score: Callable[[], Any]) -> Any:
        """The scores of ``role`` over candidate ``positions``: remembered, or ``score()``."""
        key = (int(role), hashlib.blake2b(np.ascontiguousarray(positions).tobytes()).digest())
        with self._lock:
            if key in self._entries:
                self._entries.move_to_end(key)
                return self._entries[key]
        got = score()
        with self._lock:
            self._entries[key] = got
            while len(self._entries) > self.roles:
                self._entries.popitem(last=False)
        return got


class ScoringMixin:
    """Scoring, ranking, explanations and manifests (state set by ``Recommender.__init__``)."""

    def _score(
        self,
        pairs: pd.DataFrame,
        extra_roles: Any = None,
        extra_candidates: Any = None,
    ) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
        """Feature frame, fit and retention for ``pairs`` (ad-hoc entities joined when given).

        Every feature of a pair depends on that pair only (BM25 uses the model's fixed reference
        statistics), so a pair scores the same alone, in a shortlist or in any batch chunk.
        """
        pairs = pairs[["candidate_id", "role_id"]].reset_index(drop=True)
        if extra_roles is None and extra_candidates is None:
            builder = self.features_
        else:
            builder = adhoc_builder(
                self.features_,
                self.world,
                pairs,
                extra_roles,
                extra_candidates,
                self._embeddings,
                self.config.features,
            )
        X = builder.transform(pairs)
        fit, ret = self._predict(X, self._text_only(pairs, extra_roles, extra_candidates))
        return X, fit, ret

    def _predict(
        self, X: pd.DataFrame, text: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Fit and retention of feature rows ``X``; ``text`` marks text-only pairs (scored by
        the text model when the bundle has one)."""
        fit = np.asarray(self.fit_ranker.predict(X), dtype=float)
        if text is not None and text.any():  # both sides free text: the model of text-only pairs
            fit[text] = np.asarray(self.text_ranker.predict(X[text]), dtype=float)
        ret = np.asarray(
            self.retention_model.predict_survival(X, self.config.horizon_days), dtype=float
        )
        return fit, np.clip(ret, 0.0, 1.0)

    def _text_only(
        self, pairs: pd.DataFrame, extra_roles: Any, extra_candidates: Any
    ) -> np.ndarray:
        """Pairs whose candidate and role are both ad-hoc (free text), when a text model exists."""
        n = len(pairs)
        if self.text_ranker is None or extra_roles is None or extra_candidates is None:
            return np.zeros(n, dtype=bool)
        c = pairs["candidate_id"].isin(extra_candidates["candidate_id"]).to_numpy()
        r = pairs["role_id"].isin(extra_roles["role_id"]).to_numpy()
        return c & r

    def fast_features(self, check: bool = True) -> Any:
        """The :class:`recsys.fastpath.NowFeatures` of this model, or ``None`` (see config.fast_path).

        ``check`` compares it with :class:`FeatureBuilder` on sample pairs before it is used
        (~2 s on the demo world); ``False`` uses it at once and leaves the comparison to
        :meth:`verify_fast_path` (a live store's rebuild: swap first, verify after)."""
        if self._fast is None:
            self._fast = False
            if self.config.fast_path and len(self.features_.cand_ids_):  # none over no data
                from recsys.fastpath import NowFeatures

                self._fast = NowFeatures(self.features_)
                if check:
                    self.verify_fast_path()
        return self._fast or None

    def verify_fast_path(self) -> str | None:
        """Compare the fast path with the builder; on a difference stop using it (warning) and
        return why.  ``None``: it agrees (or there is none)."""
        fast = self._fast
        if not fast:
            return None
        why = fast.check()
        if why is not None:
            import warnings

            self._fast = False
            warnings.warn(
                f"Serving fast path disabled ({why}); shortlists use FeatureBuilder.transform."
                " Set recommender.fast_path: false to silence this.",
                stacklevel=2,
            )
        return why

    def _score_fast(self, fast: Any, ci: np.ndarray, ri: np.ndarray, roles: Any = None) -> Any:
        """``(X, fit, retention)`` of candidate/role positions through the fast path."""
        M = fast.matrix(ci, ri, roles)
        X = pd.DataFrame(M, columns=fast.names, copy=False)
        fr = self.fit_ranker
        if not hasattr(self, "_fit_cols"):
            self._fit_cols = [fast.names.index(c) for c in fr.feature_names_]
        # Batch jobs own the machine and raise ``predict_threads``; online workers keep the
        # model's own (one thread each, one worker per core).
        threads = getattr(self, "predict_threads", None) or fr.n_jobs
        fit = fr.booster_.predict(
            M[:, self._fit_cols], num_iteration=fr.best_iteration_, num_threads=threads
        )
        ret = self.retention_model.predict_survival(X, self.config.horizon_days)
        return X, np.asarray(fit, dtype=float), np.clip(np.asarray(ret, dtype=float), 0.0, 1.0)

    def _rank(
        self,
        pairs: pd.DataFrame,
        k: int,
        key: str,
        filters: Any,
        retention_weight: float | None,
        explain: bool,
        extra_roles: Any = None,
        extra_candidates: Any = None,
        query: dict[str, Any] | None = None,
        scored: Any = None,
        start: float | None = None,
        fairness: Any = None,
    ) -> Ranking:
        start = time.perf_counter() if start is None else start
        if len(pairs) == 0:
            frame = pd.DataFrame(
                columns=[
                    "rank",
                    "candidate_id",
                    "role_id",
                    "title",
                    "fit",
                    "fit_probability",
                    "retention",
                    "score",
                ]
            )
            return Ranking(frame, self._manifest(filters, retention_weight, k, query, start))
        if scored is None:
            scored = self._score(pairs, extra_roles, extra_candidates)
        X, fit, ret = scored
        score = combine_scores(fit, ret, retention_weight, config=self.config.combine)
        cand, role = pairs["candidate_id"].to_numpy(), pairs["role_id"].to_numpy()
        order = np.lexsort((cand if key == "candidate_id" else role, -fit, -score))
        fair = None
        if fairness is not None:  # after every score is fixed: labels move rows, never scores
            order, fair = self._fair_order(fairness, cand, score, order, k)
        order = order[:k]
        cols = {
            "rank": np.arange(1, len(order) + 1),
            "candidate_id": cand[order],
            "role_id": role[order],
            "title": self._title(role[order], extra_roles),
            "fit": fit[order],
            "fit_probability": fit_probability(fit[order], self.config.combine),
            "retention": ret[order],
            "score": score[order],
        }
        if fair is not None:
            cols["original_rank"] = fair.original_rank
        if explain:  # the k shown rows only
            top = pd.DataFrame({"candidate_id": cols["candidate_id"], "role_id": cols["role_id"]})
            why = self._explain(top, X.iloc[order], extra_roles, extra_candidates)
            cols.update({c: why[c].to_numpy() for c in why.columns})
        manifest = self._manifest(filters, retention_weight, k, query, start)
        if fair is not None:
            manifest["fairness"] = fair.manifest
        return Ranking(pd.DataFrame(cols), manifest)

    def _title(self, role_ids: np.ndarray, extra_roles: Any) -> np.ndarray:
        extra = {}
        if extra_roles is not None:
            extra = dict(zip(extra_roles["role_id"], extra_roles["title"], strict=True))
        out = np.empty(len(role_ids), dtype=object)
        for i, r in enumerate(role_ids):  # the k shown rows: dict look-ups beat pandas' map
            t = self._title_of.get(r)
            t = extra.get(r) if pd.isna(t) else t
            out[i] = "" if pd.isna(t) else t
        return out

    def _explain(
        self, top: pd.DataFrame, X: pd.DataFrame, extra_roles: Any, extra_candidates: Any
    ) -> pd.DataFrame:
        fr = self.fit_ranker
        kind = self.config.contributions
        if kind not in self._explainers:  # built once per model and kind
            self._explainers[kind] = _contribution_model(fr, kind)
        explainer = self._explainers[kind]
        if explainer is None:  # a model TreeShapTables cannot mirror: LightGBM's own TreeSHAP
            contrib = fr.predict_contrib(X)
        else:
            values = explainer.contributions(_select(X, fr.feature_names_))
            contrib = pd.DataFrame(values, columns=[*fr.feature_names_, "bias"], index=X.index)
        feats = top_contributions(contrib, X, self.config.explain_top, self._meanings)
        why = self._reasons.reasons(top, extra_candidates, extra_roles)
        why.insert(0, "top_features", feats)
        rm = self.retention_model
        no_baseline = np.zeros(len(X), dtype=bool)  # a retention model without a fallback
        thin = rm.baseline_rows(X) if hasattr(rm, "baseline_rows") else no_baseline
        why["missing_inputs"] = missing_inputs(X, list(fr.feature_names_), thin)
        why["retention_factors"] = retention_factors(
            rm, X, self.config.explain_top, self._meanings, thin
        )
        return why

    def _manifest(
        self,
        filters: Any,
        retention_weight: float | None,
        k: int,
        query: dict[str, Any] | None,
        start: float,
    ) -> dict[str, Any]:
        w = (
            retention_weight
            if retention_weight is not None
            else self.config.combine.retention_weight
        )
        return {
            **self.describe(),
            "query": query or {},
            "k": k,
            "filters": filters or {},
            "retention_weight": w,
            "horizon_days": self.config.horizon_days,
            "time": datetime.now(UTC).isoformat(timespec="milliseconds"),
            "elapsed_ms": round(1000 * (time.perf_counter() - start), 3),
        }

    def describe(self) -> dict[str, Any]:
        """Model version, encoder id and index sha256s: what produced an answer."""
        out = {k: self.info.get(k) for k in ("name", "version", "run_id", "uri", "created_at")}
        out["encoder"] = self.encoder.model_id
        out["index_sha256"] = {k: getattr(v, "sha256_", None) for k, v in self.indexes.items()}
        out["recsys"] = __version__
        out["scores"] = score_meanings(self.config.combine)  # what each number means
        return out


def _contribution_model(fr: Any, kind: str) -> Any:
    """``TreeShapTables`` (exact) or ``PathContributions`` (approximate) of the fit ranker; None
    when exact is asked of a model the tables do not support (then ``pred_contrib`` is used)."""
    if kind == "approximate":
        from recsys.explain import PathContributions

        return PathContributions(fr.booster_, fr.best_iteration_)
    from recsys.treeshap import TreeShapTables, UnsupportedModel

    try:
        return TreeShapTables(fr.booster_, fr.best_iteration_)
    except UnsupportedModel:
        return None


def _select(X: pd.DataFrame, names: list[str]) -> np.ndarray:
    """``X[names]`` as float64 without building a frame (a column-position look-up)."""
    idx = X.columns.get_indexer(names)
    if X.columns.is_unique and (idx >= 0).all():
        return X.to_numpy(dtype=np.float64)[:, idx]
    return X[names].to_numpy(dtype=np.float64)  # pandas' own error for a missing column
