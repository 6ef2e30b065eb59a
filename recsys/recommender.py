"""``Recommender``: retrieve → filter → features → fit + retention → combine → explain.

The library API every shell (CLI, HTTP, batch, Spark, MLflow pyfunc) wraps::

    rec = Recommender.from_uri("models:/recsys@champion")       # or a bundle folder, or runs:/…
    rec.shortlist(role_id="r:42", k=20).to_frame()               # ranked candidates with reasons
    rec.shortlist(job_description="We need a Kafka engineer…")   # free-text JD
    rec.roles_for(candidate_id="c:7", k=10)                      # internal mobility
    rec.score_pairs(frame_of_candidate_id_role_id)               # arbitrary pairs, no retrieval

**Free text.**  A JD or résumé is skill-extracted (:class:`recsys.skills.SkillExtractor`) and embedded
on the fly, and stands in the world as an ad-hoc entity whose structured fields follow fixed rules
(:mod:`recsys.adhoc`): extracted skills become the required/claimed skills, unknown numbers are NaN
(LightGBM routes missing values natively; the retention model imputes training medians), unknown
text fields are empty and booleans false.  No unknown field is ever read as "has no skills".

**Combined score.**  Shortlists and role lists use ``config.combine`` (default: the fit through the
model's own sigmoid, set at training, combined with retention; :mod:`recsys.models.combine`).
``score_pairs`` always uses the pair-local sigmoid transform so that a pair's score never depends on
which other pairs share its call or chunk (batch, Spark and HTTP agree).

**Two fit models.**  A pair whose candidate *and* role are both free text (a recruiter's pool of
résumés against job descriptions) is scored by ``text_ranker``, fitted on the training pairs with
every entity masked to its free-text form (``recsys_training.masking``); every other pair by
``fit_ranker``.  The main model saw text-only entities too, but as a minority beside structured
profiles, and weighs text by what separates structured applicants; the text model learns only from
what text gives.  Both predict the expected funnel stage, so their scores share a scale.

**Persistence.**  ``save(dir)`` writes a self-contained bundle (config, LightGBM/JSON models, FAISS
indexes, world tables minus ``groups``, ``manifest.json`` with sha256 per file);  ``load(dir)`` checks
every sha256 before anything is parsed.

**Layout.**  This module holds the entry points (construction, queries, public API, persistence);
scoring, ranking, explanations and manifests live in :mod:`recsys.scoring` (``ScoringMixin``), the
settings and argument checks in :mod:`recsys.recommender_config` (re-exported here).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from recsys import __version__
from recsys.adhoc import WorldView, adhoc_candidates, adhoc_roles, role_skills
from recsys.bundle import local_bundle, trial_parse, verify_bundle, write_bundle
from recsys.catalogue import CatalogueMixin
from recsys.explain import Ranking, ReasonIndex, feature_meanings
from recsys.forking import trim_heap
from recsys.models.combine import combine_scores, fit_probability
from recsys.recommender_config import (
    QUERY_ID,
    WORLD_TABLES,
    RecommenderConfig,
    _check_k,
    _one_of,
    _text,
)
from recsys.scoring import PoolScores, ScoringMixin
from recsys.shortlist_fairness import check_option, fair_order

__all__ = ["QUERY_ID", "WORLD_TABLES", "Recommender", "RecommenderConfig", "ShortlistQuery"]


@dataclass(frozen=True)
class ShortlistQuery:
    """A shortlist's query: its vector, the role id scored (``QUERY_ID`` for a free-text JD),
    that role's position in the model's roles, the free-text role rows and texts (or ``None``)
    and what the manifest records of it."""

    vector: np.ndarray
    role_id: str
    position: int
    extra: pd.DataFrame | None
    texts: list[str] | None
    manifest: dict[str, Any]


class Recommender(ScoringMixin, CatalogueMixin):
    """Ranks candidates for roles (and roles for candidates) with reasons; see the module doc."""

    def __init__(
        self,
        world: Any,
        encoder: Any,
        indexes: dict[str, Any],
        fit_ranker: Any,
        retention_model: Any,
        config: RecommenderConfig | None = None,
        info: dict[str, Any] | None = None,
        resume_skills: pd.DataFrame | None = None,
        text_ranker: Any = None,
        *,
        base: Recommender | None = None,
        statistics: Any = None,
        text_keys: dict[str, pd.Series] | None = None,
        catalogue: Recommender | None = None,
    ) -> None:
        self.text_ranker = text_ranker
        self.base = base  # the model this one serves over other data (see over_store)
        # a model bundle's feature statistics, in place of a training world (see save(data=False))
        self.statistics = statistics
        self.world = world
        self.encoder = encoder
        self.indexes = indexes
        self.fit_ranker = fit_ranker
        self.retention_model = retention_model
        self.config = config or RecommenderConfig()
        self.info = dict(info or {})
        for kind in ("candidates", "roles"):
            if kind not in indexes:
                raise ValueError(f"Recommender needs a {kind!r} index. Got {sorted(indexes)}.")
        from recsys.features import FeatureBuilder
        from recsys.features.text import RowCache
        from recsys.skills import SkillExtractor

        # BM25 rows by text sha, shared by every view of this model over a store (see over_store)
        self._row_cache = (
            base._row_cache
            if base is not None
            else {k: RowCache() for k in ("candidates", "roles")}
        )

        # ``catalogue``: a view of the same model over the same roles, skills, contracts and
        # credentials (a paged store's roles side): what derives from those alone is its
        shared = catalogue._embeddings if catalogue is not None else {}
        self._embeddings = {
            k: shared[k]
            if k in shared and ix is catalogue.indexes.get(k)  # type: ignore[union-attr]
            else (pd.Index(ix.ids), np.asarray(ix.vectors(ix.ids), np.float32))
            for k, ix in indexes.items()
        }
        # one reader for the world's résumés and every free-text query (recsys.skills)
        enc = self.encoder if self.config.skills_embedding else None
        if base is not None:  # the model's own reader and feature statistics, over this data
            self._skills = base._skills
        elif statistics is not None:
            self._skills = statistics.skill_extractor
        else:
            self._skills = SkillExtractor(world.skills, encoder=enc).fit()
        self.features_ = FeatureBuilder(
            world,
            embeddings=self._embeddings,
            encoder=self.encoder,
            skill_extractor=self._skills,
            resume_known=resume_skills,
            reference=base.features_ if base is not None else statistics,
            text_keys=text_keys,
            row_cache=self._row_cache if text_keys else None,
            catalogue=catalogue.features_ if catalogue is not None else None,
            **self.config.features,
        )
        self._meanings = feature_meanings()
        if self.features_.catalogue is not None:  # the same skills and roles frames
            self._labels, self._titles = catalogue._labels, catalogue._titles  # type: ignore[union-attr]
            self._title_of = catalogue._title_of  # type: ignore[union-attr]
        else:
            self._labels = dict(zip(world.skills["skill_id"], world.skills["label"], strict=True))
            self._titles = pd.Series(world.roles["title"].to_numpy(), index=world.roles["role_id"])
            self._title_of = dict(zip(self._titles.index, self._titles.to_numpy(), strict=True))
        self._fast: Any = None  # NowFeatures, False when unavailable (built on first use)
        self._pool_scores = PoolScores()  # recent roles' retrieved pools, scored
        # contributions kind → explainer (built on first use; one per model, shared by its views)
        self._explainers: dict[str, Any] = base._explainers if base is not None else {}
        self._reasons = ReasonIndex(
            world,
            pd.Timestamp(self.features_.now_),
            self._labels,
            resume=getattr(self.features_, "resume_", None),
            skill_ids=getattr(self.features_, "skill_ids_", None),
        )

    # ------------------------------------------------------------------ construction
    @classmethod
    def from_parts(
        cls,
        world: Any,
        encoder: Any,
        indexes: dict[str, Any],
        fit_ranker: Any,
        retention_model: Any,
        config: RecommenderConfig | None = None,
        resume_skills: pd.DataFrame | None = None,
        text_ranker: Any = None,
        **info: Any,
    ) -> Recommender:
        """A recommender from trained parts; ``info`` (model name, version, run id…) is recorded.
        ``resume_skills``: the world's résumé skills already read (``ResumeSkills.frame``);
        ``text_ranker``: the fit model of text-only pairs (see the module doc)."""
        return cls(
            world,
            encoder,
            indexes,
            fit_ranker,
            retention_model,
            config,
            info,
            resume_skills,
            text_ranker,
        )

    @classmethod
    def from_uri(
        cls,
        uri: str | Path,
        config: RecommenderConfig | None = None,
        *,
        store: str | Path | None = None,
        poll_seconds: float = 0.5,
        trial: bool = False,
        paged: bool | None = None,
    ) -> Any:
        """Load a bundle folder, ``models:/name@alias``, ``models:/name/version`` or ``runs:/…``.

        ``trial``: parse the bundle's native files in a child process first
        (:func:`recsys.bundle.trial_parse`), so that a file that would crash its parser ends the
        child, not this process. The served app's reload uses it.

        With ``store`` (a :mod:`recsys.store` folder or ``sqlite:///`` URI) the model serves the
        store's current candidates and roles: a :class:`recsys.serving.live.LiveRecommender`, with
        this class's API, that follows the store's changes (see :meth:`over_store`); ``paged``:
        its candidates read per query instead of held (:mod:`recsys.serving.paged`; default:
        when the store holds more than 100,000)."""
        with local_bundle(uri) as (folder, source):  # a download is read whole, then removed
            if trial:
                trial_parse(folder)
            rec = cls.load(folder, config=config)
        if source["source"] != "folder":
            rec.info.pop("bundle", None)  # the removed copy's path names nothing
        rec.info.update({k: v for k, v in source.items() if v is not None})
        if store is None:
            return rec
        from recsys.serving.live import LiveRecommender

        return LiveRecommender(rec, store, poll_seconds=poll_seconds, paged=paged)

    @property
    def reader_id(self) -> str:
        """Identity of this model's skill reader (its encoder and skill vocabulary): skills a
        store holds as read by this id are what this model would read (``recsys.store``)."""
        import hashlib

        model = self.base if self.base is not None else self
        ids = "\n".join(sorted(map(str, model._skills.skill_ids_)))
        digest = hashlib.sha256(ids.encode("utf-8")).hexdigest()[:16]
        embedded = "+emb" if model.config.skills_embedding else ""
        return f"{model.encoder.model_id}{embedded}:{digest}"

    def over_store(self, store: Any, *, candidates: bool = True) -> Recommender:
        """This model over a store's committed content (one pinned snapshot: tables and indexes
        of the same commit).  The models, configuration, skill reader and feature statistics
        (BM25 reference, history rates, seniority scale) stay the model's; candidates, roles,
        holdings, history and their vectors come from the store.  Résumé skills the store holds as
        read by :attr:`reader_id` are used, others are read when first needed.

        ``candidates=False``: the roles side only (roles, skills, contracts, credentials; no
        candidate is read, the candidate index is empty; the reference day is the store's latest
        ``observed_until``, as over the whole store): what :mod:`recsys.serving.paged` serves
        beside the candidates it reads per query."""
        from recsys.index import VectorIndex
        from recsys.text import KINDS

        model = self.base if self.base is not None else self
        now = None
        with store.snapshot() as snap:
            world = snap.to_world(candidates=candidates)
            indexes = {kind: snap.index(kind) for kind in KINDS}
            known = snap.extracted("candidates", model.reader_id) if candidates else []
            keys = {"roles": snap.text_keys("roles")}
            if candidates:
                keys["candidates"] = snap.text_keys("candidates")
            version = snap.version()
            if not candidates and "now" not in model.config.features:
                now = snap.latest("outcomes", "observed_until")
        for kind in ("candidates", "roles"):
            index = indexes[kind]
            if index is None or len(index) == 0:
                raise ValueError(
                    f"{store.folder}: the store has no {kind} vectors yet; run `recsys ingest` "
                    f"(or `recsys store init`) with the model's encoder {model.encoder.model_id!r}"
                )
        for kind, index in list(indexes.items()):
            if index is not None and index.model_id != model.encoder.model_id:
                raise ValueError(
                    f"{store.folder}: the {kind} vectors were made by {index.model_id!r}, the "
                    f"model embeds with {model.encoder.model_id!r}; re-embed the store with "
                    "`recsys ingest --model` for this model"
                )
        if not candidates:  # the store's index is searched per query, not copied in here
            dim, model_id = indexes["candidates"].dim, indexes["candidates"].model_id
            indexes["candidates"] = VectorIndex("candidates", dim, model_id)
        info = {"store": str(store.folder), "store_version": version}
        return model._over(world, indexes, known if len(known) else None, info, keys, now=now)

    def over_world(self, world: Any, indexes: dict[str, Any] | None = None) -> Recommender:
        """This model over a :class:`recsys.data.World` (e.g. ``load_world(path)``): as
        :meth:`over_store`, with the world's entities embedded by the model's encoder (through
        its cache) unless ``indexes`` ({kind: VectorIndex} of that world) are given."""
        from recsys.index.build import build_index
        from recsys.text import KINDS

        model = self.base if self.base is not None else self
        given = dict(indexes or {})
        built = {
            kind: given[kind] if kind in given else build_index(world, kind, model.encoder)
            for kind in KINDS
            if kind in given or len(getattr(world, kind))
        }
        return model._over(world, built, None, {"world": str(getattr(world, "path", "") or "")})

    def _over(
        self,
        world: Any,
        indexes: dict[str, Any],
        known: Any,
        info: dict[str, Any],
        text_keys: dict[str, pd.Series] | None = None,
        now: Any = None,
        catalogue: Recommender | None = None,
    ) -> Recommender:
        """This model (its models, config, reader and feature statistics) over other data.
        ``now``: the features' reference time (default: the data's, see FeatureBuilder); a part
        of a larger snapshot (a delta, a counterfactual) passes the snapshot's, so its pairs are
        scored as of the same day.  ``catalogue``: a view of this model over the same roles,
        skills, contracts and credentials whose derived inputs the new one shares (the
        ``catalogue`` of :class:`recsys.features.FeatureBuilder`)."""
        for kind in ("contracts", "credentials"):
            if indexes.get(kind) is None:  # none in the data: the model's own
                indexes[kind] = self.indexes[kind]
        # the model's skill columns first (its reader finds only those), then any the data adds
        own, data = self.world.skills, world.skills
        # a view of this model over the same skills has made them so already: the same frame
        if catalogue is None or data is not catalogue.world.skills:
            extra = data[~data["skill_id"].astype(str).isin(own["skill_id"])] if len(data) else data
            world.skills = pd.concat([own, extra], ignore_index=True) if len(extra) else own
        config = self.config
        if now is not None:
            config = config.model_copy(update={"features": {**config.features, "now": now}})
        return Recommender(
            world,
            self.encoder,
            indexes,
            self.fit_ranker,
            self.retention_model,
            config,
            {**self.info, **info},
            known,
            self.text_ranker,
            base=self,
            text_keys=text_keys,
            catalogue=catalogue,
        )

    # ------------------------------------------------------------------ queries
    def _vector_of(self, kind: str, entity_id: str, frame: pd.DataFrame) -> np.ndarray:
        index = self.indexes[kind]
        if entity_id in index:
            return np.asarray(index.vectors([entity_id])[0], dtype=np.float32)
        from recsys.text import entity_texts

        text = entity_texts(WorldView(self.world, **{kind: frame}), kind).tolist()
        return self.encoder.encode(text)[0]

    def adhoc(
        self, kind: str, ids: list[str], texts: list[str], titles: list[str] | None = None
    ) -> pd.DataFrame:
        """Rows (with a ``vector`` column) for free-text candidates or roles (rules: recsys.adhoc)."""
        return self._adhoc(kind, ids, texts, titles)[0]

    def _adhoc(
        self,
        kind: str,
        ids: list[str],
        texts: list[str],
        titles: list[str] | None = None,
        skills: list[list[str]] | None = None,
    ) -> tuple[pd.DataFrame, list[str]]:
        """:meth:`adhoc` and the texts embedded (a role's is also its BM25 query); ``skills``:
        roles' required skills given, not read."""
        if kind == "roles":
            texts = ["" if not isinstance(t, str) else t for t in texts]
            if skills is not None:
                required, optional = skills, None
            else:
                matcher = self.features_.occupation_matcher()
                required, optional = role_skills(texts, titles, self._skills, matcher)
            rows = adhoc_roles(ids, texts, required, titles, optional)
        elif kind == "candidates":
            rows = adhoc_candidates(ids, texts, self.extract_skills(texts))
        else:
            raise ValueError(
                f"The 'kind' parameter of adhoc must be 'roles' or 'candidates'. Got {kind!r}."
            )
        from recsys.text import entity_texts

        embed = entity_texts(WorldView(self.world, **{kind: rows}), kind).tolist()
        rows["vector"] = list(self.encoder.encode(embed))
        return rows, embed

    def extract_skills(self, texts: list[str]) -> list[list[str]]:
        """Skill ids of the model's world found in each text (the reader of its résumés)."""
        texts = ["" if not isinstance(t, str) else t for t in texts]
        return [[m.skill_id for m in found] for found in self._skills.extract(texts)]

    def known_ids(self, kind: str) -> pd.Index:
        """Ids of ``kind`` ("candidates" or "roles") in the model's world."""
        return self.features_.cand_ids_ if kind == "candidates" else self.features_.role_ids_

    def warmup(self, encoder: bool = True) -> Recommender:
        """Build the lazy parts (BM25 corpus, skill extractor, explainer and, with ``encoder``, the
        encoder's model and backend: ~0.6 GB a job scoring embedded texts never needs) now, not on
        the first request."""
        if len(self.world.roles) and len(self.world.candidates):
            self.shortlist(role_id=str(self.world.roles["role_id"].iloc[0]), k=1)
        self.extract_skills(["warm up"])
        if encoder:
            getattr(self.encoder, "warmup", lambda: None)()  # any object with encode() may serve
        trim_heap()  # what the warm-up's transient allocations left free (recsys.forking)
        return self

    # ------------------------------------------------------------------ public API
    def shortlist(
        self,
        role_id: str | None = None,
        job_description: str | None = None,
        k: int = 50,
        filters: dict[str, Any] | None = None,
        retention_weight: float | None = None,
        explain: bool = True,
        fairness: dict[str, Any] | None = None,
        required_skills: list[str] | None = None,
    ) -> Ranking:
        """The ``k`` best candidates for an indexed role or a free-text JD, with reasons.

        ``required_skills`` (a JD only): skill ids that replace the ones read from the text
        (:meth:`jd_skills` shows them; a recruiter edits the list before searching).

        ``filters`` restrict candidates (see :mod:`recsys.index.attributes`), e.g.
        ``{"location_or_remote": "Berlin", "credential": "cr:12"}``.

        ``fairness`` (off by default): re-rank the retrieved pool so the top ``k`` meets a
        representation constraint, e.g. ``{"attribute": "gender", "min_ratio": 0.8}`` or
        ``{"attribute": "gender", "targets": {"female": 0.45, "male": 0.45}}`` (optional
        ``min_share``, default 0.02, and ``every_prefix``).  Labels come from the data's
        ``groups`` table after scoring; scores never change.  The manifest's ``fairness`` entry
        records it, with the NDCG cost; rows get ``original_rank``.  Adjusting rankings by a
        protected attribute can be unlawful for selection decisions in some jurisdictions: see
        :mod:`recsys.shortlist_fairness` and docs/fairness.md before using it.
        """
        start = time.perf_counter()
        k = self._check_shortlist(role_id, job_description, k, fairness)
        query = self.shortlist_query(role_id, job_description, required_skills)
        hits = self.indexes["candidates"].search_batch(
            query.vector[None, :], max(self.config.overfetch, k), filters
        )
        ids = np.asarray([i for i in hits.ids[0] if i is not None], dtype=object)
        return self.rank_pool(
            query, ids, k, filters, retention_weight, explain, fairness=fairness, start=start
        )

    def _check_shortlist(self, role_id: Any, job_description: Any, k: Any, fairness: Any) -> int:
        """The shortlist's argument checks (before any work); returns ``k``."""
        _one_of(role_id, job_description, ("role_id", "job_description"), "shortlist")
        k = _check_k(k, self.config.max_k, "shortlist")
        if fairness is not None:
            check_option(fairness)  # before any work: a bad option costs no search
        return k

    def shortlist_query(
        self,
        role_id: str | None,
        job_description: str | None,
        required_skills: list[str] | None = None,
    ) -> ShortlistQuery:
        """The query vector and role inputs of a shortlist (an indexed role or a free-text JD,
        optionally with its ``required_skills`` given)."""
        if required_skills is not None and role_id is not None:
            raise ValueError(
                "The 'required_skills' parameter applies to a job_description only (an indexed "
                "role has its own). Got it with role_id."
            )
        fast = self.fast_features()
        if role_id is not None:
            ri = self.features_.role_ids_.get_indexer([role_id])[0]
            if ri < 0:
                raise KeyError(f"Unknown role_id {role_id!r}.{self._no_data_hint()}")
            q = None
            if fast is not None and fast.world_roles.vectors is not None:
                q = fast.world_roles.vectors[ri].astype(np.float32)  # the index's own vector
                q = q if np.isfinite(q).all() else None
            if q is None:
                rows = self.world.roles[self.world.roles["role_id"] == role_id]
                q = self._vector_of("roles", role_id, rows)
            return ShortlistQuery(
                np.asarray(q, np.float32), role_id, int(ri), None, None, {"role_id": role_id}
            )
        text = _text(job_description, "job_description")
        given = None
        if required_skills is not None:
            given = [[s["skill_id"] for s in self.skill_labels(list(required_skills))]]
        extra, texts = self._adhoc("roles", [QUERY_ID], [text], skills=given)
        query = {
            "job_description_chars": len(job_description),
            "extracted_skills": list(extra["required_skills"].iloc[0]),
        }
        if given is not None:
            query["skills_edited"] = True
        vector = np.asarray(extra["vector"].iloc[0], np.float32)
        return ShortlistQuery(vector, QUERY_ID, 0, extra, texts, query)

    def rank_pool(
        self,
        query: ShortlistQuery,
        ids: np.ndarray,
        k: int,
        filters: dict[str, Any] | None = None,
        retention_weight: float | None = None,
        explain: bool = True,
        *,
        fairness: dict[str, Any] | None = None,
        start: float | None = None,
    ) -> Ranking:
        """The best ``k`` of the candidates ``ids`` (retrieved for ``query``), scored and
        explained: the second half of :meth:`shortlist`."""
        fast, scored = self.fast_features(), None
        pairs = pd.DataFrame({"candidate_id": ids, "role_id": query.role_id})

        def ri_of(ci: np.ndarray) -> np.ndarray:
            return np.full(len(ci), query.position, dtype=np.intp)

        if fast is not None and len(ids):
            ci = fast.positions(ids)
            if (ci >= 0).all():
                if query.extra is None:  # an indexed role: its pool may have been scored just now
                    scored = self._pool_scores.get(
                        query.position, ci, lambda: self._score_fast(fast, ci, ri_of(ci))
                    )
                else:
                    side = fast.adhoc_roles(query.extra, query.texts)
                    scored = self._score_fast(fast, ci, ri_of(ci), side)
        return self._rank(
            pairs,
            k,
            "candidate_id",
            filters,
            retention_weight,
            explain,
            extra_roles=query.extra,
            query=query.manifest,
            scored=scored,
            start=start,
            fairness=fairness,
        )

    def _fair_order(self, option, cand, score, order, k):
        """The pool's order re-ranked for ``shortlist(fairness=...)`` (see its docstring)."""
        return fair_order(option, self.world.groups, cand, score, order, k)

    def roles_for(
        self,
        candidate_id: str | None = None,
        resume_text: str | None = None,
        k: int = 20,
        filters: dict[str, Any] | None = None,
        retention_weight: float | None = None,
        explain: bool = True,
    ) -> Ranking:
        """The ``k`` best roles for a known candidate or a free-text résumé, with reasons."""
        _one_of(candidate_id, resume_text, ("candidate_id", "resume_text"), "roles_for")
        k = _check_k(k, self.config.max_k, "roles_for")
        if candidate_id is not None:
            rows = self.world.candidates[self.world.candidates["candidate_id"] == candidate_id]
            if rows.empty:
                raise KeyError(f"Unknown candidate_id {candidate_id!r}.{self._no_data_hint()}")
            q, extra, cid = self._vector_of("candidates", candidate_id, rows), None, candidate_id
            query: dict[str, Any] = {"candidate_id": candidate_id}
        else:
            extra = self.adhoc("candidates", [QUERY_ID], [_text(resume_text, "resume_text")])
            q, cid = extra["vector"].iloc[0], QUERY_ID
            query = {
                "resume_chars": len(resume_text),
                "extracted_skills": list(extra["skills"].iloc[0]),
            }
        want = max(self.config.roles_overfetch, k)
        hits = self.indexes["roles"].search_batch(q[None, :], want, filters)
        ids = np.asarray([i for i in hits.ids[0] if i is not None], dtype=object)
        pairs = pd.DataFrame({"candidate_id": cid, "role_id": ids})
        fast, scored = self.fast_features(), None
        if fast is not None and extra is None and len(ids):
            ri = self.features_.role_ids_.get_indexer(ids)
            ci = fast.positions([cid])
            if (ri >= 0).all() and ci[0] >= 0:
                scored = self._score_fast(fast, np.repeat(ci, len(ri)), ri)
        return self._rank(
            pairs,
            k,
            "role_id",
            filters,
            retention_weight,
            explain,
            extra_candidates=extra,
            query=query,
            scored=scored,
        )

    def score_pairs(
        self,
        frame: pd.DataFrame,
        retention_weight: float | None = None,
        extra_roles: pd.DataFrame | None = None,
        extra_candidates: pd.DataFrame | None = None,
    ) -> pd.DataFrame:
        """``frame`` (``candidate_id, role_id``) with ``fit, retention, score`` added, same order.

        ``extra_roles`` / ``extra_candidates``: ad-hoc entities (see :mod:`recsys.adhoc`) the pairs
        may refer to besides the world's.  The score uses the pair-local sigmoid transform.
        """
        if not isinstance(frame, pd.DataFrame):
            raise TypeError(
                "The 'frame' parameter of score_pairs must be a pandas DataFrame with columns "
                f"candidate_id and role_id. Got {type(frame).__name__} instead."
            )
        missing = {"candidate_id", "role_id"} - set(frame.columns)
        if missing:
            raise ValueError(
                f"score_pairs needs columns candidate_id and role_id. Missing {sorted(missing)}."
            )
        pairs = frame.reset_index(drop=True).copy()
        pairs["candidate_id"] = pairs["candidate_id"].astype(str)
        pairs["role_id"] = pairs["role_id"].astype(str)
        self._check_known(pairs, extra_roles, extra_candidates)
        if len(pairs) == 0:
            return pairs.assign(
                fit=np.zeros(0),
                fit_probability=np.zeros(0),
                retention=np.zeros(0),
                score=np.zeros(0),
            )
        fit, ret = np.zeros(len(pairs)), np.zeros(len(pairs))
        world = (
            pairs["candidate_id"].isin(self.known_ids("candidates"))
            & pairs["role_id"].isin(self.known_ids("roles"))
        ).to_numpy()
        fast = self.fast_features()
        if fast is not None and fast.src is None and world.any():  # per-candidate tables
            rows = np.flatnonzero(world)
            ri = self.features_.role_ids_.get_indexer(pairs["role_id"].to_numpy()[rows])
            ci = fast.positions(pairs["candidate_id"].to_numpy()[rows])
            order = np.argsort(ri, kind="stable")  # by role: small dense cuts per block
            _, f, r = self._score_fast(fast, ci[order], ri[order])
            fit[rows[order]], ret[rows[order]] = f, r
            todo = ((np.zeros_like(world), (None, None)), (~world, (extra_roles, extra_candidates)))
        else:
            todo = ((world, (None, None)), (~world, (extra_roles, extra_candidates)))
        for rows, extras in todo:
            if rows.any():  # world pairs and ad-hoc pairs apart: a pair's score is its own
                _, fit[rows], ret[rows] = self._score(pairs[rows], *extras)
        cfg = self.config.combine.model_copy(update={"fit_transform": "sigmoid"})
        pairs["fit"], pairs["fit_probability"] = fit, fit_probability(fit, cfg)
        pairs["retention"] = ret
        pairs["score"] = combine_scores(fit, ret, retention_weight, config=cfg)
        return pairs

    def pathway(self, candidate_id: str, role_id: str, **kwargs: Any) -> Any:
        """A candidate's gaps for a role, the cheapest catalogue credentials closing them and
        the fit, retention and shortlist rank with them (re-scored by this model):
        :func:`recsys.pathways.plan.pathway`."""
        from recsys.pathways.plan import pathway

        return pathway(self, candidate_id, role_id, **kwargs)

    def moves(self, candidate_id: str, **kwargs: Any) -> Any:
        """Internal roles the candidate reaches with few new credentials, by predicted fit x
        retention after the move: :func:`recsys.pathways.plan.moves`."""
        from recsys.pathways.plan import moves

        return moves(self, candidate_id, **kwargs)

    def _check_known(self, pairs: pd.DataFrame, extra_roles: Any, extra_candidates: Any) -> None:
        known_c = pd.Index(self.world.candidates["candidate_id"])
        known_r = self._titles.index
        if extra_candidates is not None:
            known_c = known_c.append(pd.Index(extra_candidates["candidate_id"]))
        if extra_roles is not None:
            known_r = known_r.append(pd.Index(extra_roles["role_id"]))
        for col, known in (("candidate_id", known_c), ("role_id", known_r)):
            bad = pairs.loc[~pairs[col].isin(known), col]
            if len(bad):
                raise KeyError(
                    f"Unknown {col}: {bad.unique()[:5].tolist()} ({len(bad)} pairs); "
                    "give them as free text (extra_candidates / extra_roles)."
                    + self._no_data_hint()
                )

    @property
    def holds_data(self) -> bool:
        """Whether this object holds candidates or roles to serve (a model bundle does not: it
        serves a store's, :meth:`over_store`, or free text only)."""
        return bool(len(self.features_.cand_ids_) or len(self.features_.role_ids_))

    def _no_data_hint(self) -> str:
        if self.holds_data:
            return ""
        return (
            " This is a model bundle: it holds no candidates or roles. Serve it over a store"
            " (Recommender.from_uri(uri, store=DIR), `--store DIR`)."
        )

    def role_catalogue(self, q: str = "", limit: int = 200) -> list[dict[str, str]]:
        """``[{role_id, title}]`` whose title contains ``q`` (case-insensitive), for pickers."""
        roles = self.world.roles[["role_id", "title"]]
        if q:
            roles = roles[roles["title"].str.contains(q, case=False, regex=False)]
        return roles.head(limit).to_dict("records")

    # ------------------------------------------------------------------ persistence
    def save(self, path: str | Path, *, overwrite: bool = False, data: bool = True) -> Path:
        """Write a bundle folder (atomic; ``manifest.json`` with sha256 per file).

        ``data=True``: self-contained — the models *and* the world tables and indexes they serve.
        ``data=False``: a **model bundle** — models, config, encoder id, the skill taxonomy and
        the feature statistics (:class:`recsys.features.statistics.FeatureStatistics`), no
        candidate, role, holding, history or outcome and no index: what a model registry should
        hold.  It serves a store's content (:meth:`over_store`) or free text."""
        from recsys.bundle import write_parts

        if self.base is not None:
            raise ValueError(
                "save: this recommender serves a store with another model's parts; save the "
                "model itself (its `.base`), the store keeps the data."
            )
        if data and not self.holds_data and self.statistics is not None:
            data = False  # a model bundle re-saved stays one

        def fill(tmp: Path) -> dict[str, Any]:
            write_parts(self, tmp, WORLD_TABLES if data else ("skills",), indexes=data)
            if self.text_ranker is not None:
                self.text_ranker.save(tmp / "models" / "fit_text.txt")
            if not data:
                from recsys.features.statistics import FeatureStatistics

                FeatureStatistics.from_builder(self.features_).save(tmp / "features")
            elif self.features_.resume_ is not None:  # read once, here: never again when served
                from recsys.data import write_table

                frame = self.features_.resume_.frame(self.features_.cand_ids_)
                write_table(frame, tmp / "text" / "resume_skills.parquet")
            return {
                "recsys_version": __version__,
                "encoder": self.encoder.model_id,
                "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
                "data": data,
                "info": {k: v for k, v in self.info.items() if _jsonable(v)},
            }

        return write_bundle(path, fill, overwrite=overwrite)

    @classmethod
    def load(cls, path: str | Path, config: RecommenderConfig | None = None) -> Recommender:
        """Read a bundle after verifying every file's sha256 (raises BundleError otherwise)."""
        from recsys.bundle import read_parts

        folder = Path(path)
        manifest = verify_bundle(folder)
        data = manifest.get("data", True)
        world, encoder, indexes, fit, retention, saved = read_parts(
            folder, WORLD_TABLES if data else ("skills",)
        )
        config = config or saved
        statistics = None
        if not data:  # a model bundle: feature statistics in place of the training world
            from recsys.features.statistics import FeatureStatistics
            from recsys.index.vector import VectorIndex
            from recsys.skills import SkillExtractor
            from recsys.text import KINDS

            enc = encoder if config.skills_embedding else None
            reader = SkillExtractor(world.skills, encoder=enc).fit()
            statistics = FeatureStatistics.load(folder / "features", world.skills, reader, encoder)
            dim = int(json.loads((folder / "encoder.json").read_text("utf-8"))["dim"])
            indexes = {k: VectorIndex(k, dim, encoder.model_id) for k in KINDS}
        info = {
            **manifest.get("info", {}),
            "created_at": manifest.get("created_at"),
            "bundle": str(folder),
        }
        known = folder / "text" / "resume_skills.parquet"
        resume = pd.read_parquet(known) if known.is_file() else None
        text = None
        if (folder / "models" / "fit_text.txt").is_file():
            from recsys.models.fit import FitRanker

            text = FitRanker.load(folder / "models" / "fit_text.txt")
        return cls(
            world,
            encoder,
            indexes,
            fit,
            retention,
            config,
            info,
            resume,
            text,
            statistics=statistics,
        )


def _jsonable(value: Any) -> bool:
    try:
        json.dumps(value)
        return True
    except TypeError:
        return False
