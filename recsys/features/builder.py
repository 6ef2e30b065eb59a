"""FeatureBuilder: numeric features for many candidate–role pairs at once.

``FeatureBuilder(world, embeddings=..., encoder=...).transform(pairs)`` → one row per pair, columns in
:data:`recsys.features.FEATURE_NAMES` order (meanings and monotone directions in the registry).

Rules
-----
- **As of a reference time.**  ``pairs["as_of"]`` (the application date in training) or, when absent,
  the builder's ``now``: credentials count only if issued on or before it and not yet expired (a NaT
  ``expires_at`` falls back to ``issued_at + validity_months`` of the catalogue, else never expires);
  history counts only jobs started by then, a job ending after it is "current"; employee and team
  status count once the current job has begun.  The profile (claimed skills, résumé and headline,
  years of experience, location, remote preference) is read as of ``candidates.profile_at``, its
  capture date: a pair whose ``as_of`` precedes it gets NaN for every profile feature
  (:data:`recsys.features.registry.PROFILE_FEATURES`), and years of experience are rolled back from
  it (from ``now`` when the date is unknown) to ``as_of``.  Nothing from after ``as_of`` reaches a
  feature.
- **Vectorised.**  Skill lists become sparse candidate×skill / role×skill / credential×skill matrices;
  holdings and history are expanded to (pair, row) arrays with ``np.repeat``; the only loops are over
  the distinct roles of a batch (BM25 query, soft skill overlap).
- **Text** (:mod:`recsys.features.text`): BM25 against the reference statistics of this world's
  candidate texts (never NaN), whole-text cosine, soft skill overlap with skill-label embeddings.
  A builder made for ad-hoc rows (``reference=``) reuses its reference's statistics, skill reader
  and skill vectors, so a free-text pair is scored on the scale the ranker was trained on.
- **Free text only.**  A role with no required (optional) skills or no contracts gets NaN for the matching
  coverage (LightGBM treats NaN as missing, not as "covers nothing").  A candidate with no claimed skills
  and no credential held at ``as_of`` gets NaN claimed coverage (unknown, not "no skills"); verified
  coverage stays 0 (nothing is verified).  Missing embeddings give NaN similarities.
- **Text features are credential-free.**  A candidate's text (:func:`recsys.text.entity_texts`: what
  the index embeds and BM25 reads) and its résumé skills leave out held credentials and the
  résumé's "Certifications:" paragraph, so held credentials act only through the as-of-aware,
  monotone features.
- **Skill evidence** (:mod:`recsys.features.evidence`): skills named in the résumé and the chance that
  the jobs held by ``as_of`` taught a skill, beside the claimed list.
- **Protected attributes** (``world.groups``) are never read.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from recsys.features._sparse import (
    binarize,
    expand,
    group_max,
    grouped_table,
    list_matrix,
    row_sums,
)
from recsys.features.evidence import (
    ResumeSkills,
    coverage_features,
    estimate_history_rates,
    history_prior,
    occupation_skill_matrices,
)
from recsys.features.history import JobTable
from recsys.features.occupation import infer_vectors, matcher_for, occupation_match
from recsys.features.registry import FEATURE_NAMES, PROFILE_FEATURES
from recsys.features.seniority import fit_seniority_scale, role_levels
from recsys.features.statistics import label_vectors
from recsys.features.text import HashedBM25, soft_overlap

__all__ = ["FeatureBuilder"]
_DAY = np.timedelta64(1, "D")
_YEAR_DAYS, _MONTH_DAYS = 365.25, 30.4375

Embeddings = Mapping[str, tuple[Any, np.ndarray]]


def _days(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """(a - b) in days as float; NaT → NaN."""
    return (a - b) / _DAY


def _norm_text(s: pd.Series) -> np.ndarray:
    return s.fillna("").astype(str).str.strip().str.lower().to_numpy()


# what FeatureBuilder._prepare_catalogue derives from roles, skills, contracts and credentials
_CATALOGUE = (
    "role_ids_",
    "cred_ids_",
    "contract_ids_",
    "skill_ids_",
    "R_req_",
    "R_opt_",
    "R_con_",
    "K_skill_",
    "K_con_",
    "role_loc_",
    "role_remote_",
    "role_team_",
    "role_seniority_",
    "occ_ids_",
    "O_ess_",
    "O_opt_",
)


def _same_catalogue(world: Any, embeddings: Any, reference: Any, other: Any) -> bool:
    """Whether ``other`` (a builder) was built over the very frames of ``world``'s roles,
    skills, contracts and credentials, their very vectors and the same reference."""
    if other is None or other.reference is not reference:
        return False
    mine, theirs = embeddings or {}, other.embeddings or {}
    return all(
        getattr(world, kind) is getattr(other.world, kind)
        for kind in ("roles", "skills", "contracts", "credentials")
    ) and all(mine.get(k) is theirs.get(k) for k in ("roles", "contracts", "credentials"))


class FeatureBuilder:
    """Pair features from a World.

    Parameters
    ----------
    world : a :class:`recsys.data.World` (``groups`` is never read).
    embeddings : mapping kind → (ids, float matrix) for kinds ``candidates``, ``roles``, ``contracts``,
        ``credentials`` (rows L2-normalised; e.g. the vectors of the built indexes).
    encoder : object with ``.encode(texts)``; embeds (once, lazily) any kind missing from ``embeddings``.
    now : reference time for pairs without ``as_of`` (default: latest ``observed_until`` of the
        outcomes, else today).
    bm25 : compute the BM25 features (False → NaN, saves the tokenisation of all candidate texts).
    resume_skills : extract skills from résumé texts for the evidence features (False → claimed only).
    skill_extractor : the fitted :class:`recsys.skills.SkillExtractor` (over ``world.skills``) that
        reads résumés; ``None`` = phrase matching only.  Its encoder also embeds skill labels for
        the soft skill overlap (else ``encoder``; neither → NaN).
    resume_known : résumé skills read before (``ResumeSkills.frame``), e.g. from a bundle.
    reference : a builder, or the :class:`recsys.features.statistics.FeatureStatistics` of a model,
        whose text statistics, history rates, seniority scale, skill reader and skill vectors this
        one reuses (a model's features over other data: ad-hoc rows, a live store).
    occupations : a fitted :class:`recsys.occupations.OccupationMatcher` for ``occ_match``
        (default: built from the shipped taxonomy with ``encoder`` on first use; no encoder → NaN).
    catalogue : a builder over the same ``roles``, ``skills``, ``contracts`` and ``credentials``
        frames (the very objects) and the same reference, whose inputs derived from them alone
        (role and credential matrices, role columns, occupation matrices, skill and role-side
        vectors, BM25 role queries) this one takes instead of deriving them again: a store's
        candidates read per query beside a builder of its roles (:mod:`recsys.serving.paged`).
        Ignored when any of those frames is another object.
    text_keys, row_cache : per kind (``candidates``, ``roles``), each entity's text key (a store's
        text sha256, by id) and a :class:`recsys.features.text.RowCache` that outlives this
        builder: BM25 rows of unchanged texts are reused, only new texts are tokenised (a served
        model's rebuild after a store write).
    """

    def __init__(
        self,
        world: Any,
        *,
        embeddings: Embeddings | None = None,
        encoder: Any = None,
        now: pd.Timestamp | str | None = None,
        bm25: bool = True,
        resume_skills: bool = True,
        skill_extractor: Any = None,
        resume_known: pd.DataFrame | None = None,
        reference: Any = None,
        occupations: Any = None,
        text_keys: Mapping[str, pd.Series] | None = None,
        row_cache: Mapping[str, Any] | None = None,
        catalogue: FeatureBuilder | None = None,
    ) -> None:
        same = _same_catalogue(world, embeddings, reference, catalogue)
        self.catalogue = catalogue if same else None
        self.text_keys = text_keys
        self.row_cache = row_cache
        self.occupations = occupations
        self.world = world
        self.embeddings = embeddings
        self.encoder = encoder
        self.now = now
        self.bm25 = bm25
        self.resume_skills = resume_skills
        self.skill_extractor = skill_extractor
        self.resume_known = resume_known
        self.reference = reference
        self._prepare()

    # ------------------------------------------------------------------------------ prepare
    def _prepare(self) -> None:
        w = self.world
        cands, creds = w.candidates, w.credentials
        self.cand_ids_ = pd.Index(cands["candidate_id"].astype(str))
        cat = self.catalogue
        if cat is not None:  # the same frames: their derived inputs are the other builder's
            for name in _CATALOGUE:
                setattr(self, name, getattr(cat, name))
        else:
            self._prepare_catalogue()
        if self.now is not None:
            self.now_ = pd.Timestamp(self.now)
        elif len(w.outcomes):
            self.now_ = pd.Timestamp(w.outcomes["observed_until"].max())
        else:
            self.now_ = pd.Timestamp.now().normalize()

        sk = self.skill_ids_
        self.C_claim_ = list_matrix(cands["skills"], sk)

        self.years_ = cands["years_experience"].to_numpy(dtype=float)
        self.profile_at_ = (
            pd.to_datetime(cands["profile_at"]).to_numpy(dtype="datetime64[ns]")
            if "profile_at" in cands
            else np.full(len(cands), np.datetime64("NaT"), dtype="datetime64[ns]")
        )
        self.cand_loc_ = _norm_text(cands["location"])
        self.cand_remote_ = cands["open_to_remote"].to_numpy(dtype=bool)
        self.is_employee_ = cands["is_employee"].to_numpy(dtype=float)
        team_of_role = pd.Series(self.role_team_, index=self.role_ids_)
        self.cand_team_ = cands["current_role_id"].map(team_of_role).fillna("").to_numpy()
        ref = self.reference
        occ_ids = self.occ_ids_
        extractor = self.skill_extractor if ref is None else ref.skill_extractor
        self.resume_ = (
            ResumeSkills(
                cands["resume_text"],
                w.skills,
                sk,
                extractor,
                self.resume_known,
                self.cand_ids_,
            )
            if self.resume_skills
            else None
        )
        # read into resume_.matrix_ now; the frame is not kept: a served pool's 1,000 résumés
        # read at ingest are ~60k rows of Python strings (benchmarks/paged_memory.py)
        self.resume_known = None

        h = w.holdings
        h_cand = self.cand_ids_.get_indexer(h["candidate_id"].astype(str))
        order, self.h_start_, self.h_count_ = grouped_table(h_cand, len(self.cand_ids_))
        h = h.iloc[order]
        self.h_cred_ = self.cred_ids_.get_indexer(h["credential_id"].astype(str))
        self.h_issued_ = h["issued_at"].to_numpy(dtype="datetime64[ns]")
        expires = h["expires_at"].to_numpy(dtype="datetime64[ns]")
        months = creds["validity_months"].astype("Float64").to_numpy(dtype=float, na_value=np.nan)
        m = months[np.maximum(self.h_cred_, 0)]
        fallback = self.h_issued_ + (np.nan_to_num(m) * _MONTH_DAYS * 86400).astype(
            "timedelta64[s]"
        )
        use_fb = np.isnat(expires) & ~np.isnan(m) & (self.h_cred_ >= 0)
        self.h_expires_ = np.where(use_fb, fallback, expires).astype("datetime64[ns]")
        self.h_verified_ = h["verified"].to_numpy(dtype=bool)

        self.jobs_ = JobTable(w.history, self.cand_ids_, occ_ids)
        if ref is not None:  # ad-hoc rows: the rates and scale the model was trained with
            self.history_rates_ = ref.history_rates_
            self.seniority_scale_ = ref.seniority_scale_
        else:  # measured on this world's candidates as of now (see recsys.features.evidence)
            everyone = np.arange(len(self.cand_ids_))
            now = np.full(len(everyone), np.datetime64(self.now_, "ns"))
            self.history_rates_ = estimate_history_rates(
                *self.jobs_.occupations_as_of(everyone, now),
                self.C_claim_,
                self.O_ess_,
                self.O_opt_,
            )
            # the roles' seniority scale in years, matched to this world's candidates
            self.seniority_scale_ = fit_seniority_scale(self.years_, self.role_seniority_)

        self._vectors: dict[str, tuple[pd.Index, np.ndarray] | None] = {}
        self._bm25: Any = None  # (model, candidate documents, role queries), built on first use
        self._skill_vectors: Any = False  # False = not computed yet; None = unavailable
        self._matcher: Any = False
        self._role_occ: np.ndarray | None = None
        self._role_queries: Any = None  # BM25 role queries given by share_roles
        # values derived from the catalogue alone by other modules (the fast path's role
        # side), kept once for every builder over the same catalogue
        self.catalogue_memo_: dict[str, Any] = cat.catalogue_memo_ if cat is not None else {}
        if cat is not None:
            self.share_roles(cat)
        self._cand_occ: np.ndarray | None = None  # text-inferred, rows filled on demand
        self._cand_occ_done = np.zeros(len(self.cand_ids_), dtype=bool)

    def _prepare_catalogue(self) -> None:
        """The inputs derived from the roles, skills, contracts and credentials alone
        (``_CATALOGUE``): shared by builders over the same frames (``catalogue``)."""
        w, ref = self.world, self.reference
        roles, creds = w.roles, w.credentials
        self.role_ids_ = pd.Index(roles["role_id"].astype(str))
        self.cred_ids_ = pd.Index(creds["credential_id"].astype(str))
        self.contract_ids_ = pd.Index(w.contracts["contract_id"].astype(str))
        self.skill_ids_ = sk = pd.Index(w.skills["skill_id"].astype(str))
        self.R_req_ = list_matrix(roles["required_skills"], sk)
        self.R_opt_ = list_matrix(roles["optional_skills"], sk)
        self.R_con_ = list_matrix(roles["contracts"], self.contract_ids_)
        self.K_skill_ = list_matrix(creds["skills"], sk)
        self.K_con_ = list_matrix(creds["contracts"], self.contract_ids_)
        self.role_loc_ = _norm_text(roles["location"])
        self.role_remote_ = roles["remote"].to_numpy(dtype=bool)
        self.role_team_ = roles["team"].astype(str).to_numpy()
        self.role_seniority_ = role_levels(roles["seniority"])
        if getattr(ref, "occ_ids_", None) is not None and sk.equals(ref.skill_ids_):
            # ad-hoc rows over the model's taxonomy: its occupation matrices, not a rebuild
            self.occ_ids_, self.O_ess_, self.O_opt_ = ref.occ_ids_, ref.O_ess_, ref.O_opt_
        else:
            self.occ_ids_, self.O_ess_, self.O_opt_ = occupation_skill_matrices(sk)

    # ------------------------------------------------------------------------- embeddings
    def _texts(self, kind: str) -> pd.Series:
        from recsys.text import entity_texts

        return entity_texts(self.world, kind)

    def skill_vectors(self) -> np.ndarray | None:
        """Embeddings of ``world.skills`` labels (rows aligned with ``skill_ids_``), or None."""
        if self.catalogue is not None:  # the same skills: its vectors (aligned once, there)
            return self.catalogue.skill_vectors()
        if self.reference is not None:
            ref = self.reference.skill_vectors()
            if ref is None or self.skill_ids_.equals(self.reference.skill_ids_):
                return ref
            if self._skill_vectors is False:  # aligned once (a 14 MB gather)
                pos = self.reference.skill_ids_.get_indexer(self.skill_ids_)
                self._skill_vectors = np.where((pos >= 0)[:, None], ref[np.maximum(pos, 0)], 0.0)
            return self._skill_vectors
        if self._skill_vectors is False:
            self._skill_vectors = label_vectors(
                self.skill_extractor, self.encoder, self.world.skills
            )
        return self._skill_vectors

    def _vectors_for(self, kind: str) -> tuple[pd.Index, np.ndarray] | None:
        if kind not in self._vectors:
            got = None
            if self.embeddings is not None and kind in self.embeddings:
                ids, mat = self.embeddings[kind]
                mat = np.asarray(mat, dtype=np.float32)
                if mat.ndim != 2 or len(mat) != len(ids):
                    raise ValueError(
                        f"The 'embeddings[{kind!r}]' parameter must be (ids, matrix) with one row per "
                        f"id. Got {len(ids)} ids and shape {mat.shape} instead."
                    )
                got = (pd.Index(pd.Series(ids).astype(str)), mat)
            elif self.encoder is not None:
                texts = self._texts(kind)
                got = (
                    pd.Index(texts.index),
                    np.asarray(self.encoder.encode(list(texts)), np.float32),
                )
            self._vectors[kind] = got
        return self._vectors[kind]

    def _gather(self, kind: str, ids: pd.Index, idx: np.ndarray) -> np.ndarray | None:
        """Rows of ``kind`` vectors for entity positions ``idx`` (NaN rows where unknown)."""
        v = self._vectors_for(kind)
        if v is None:
            return None
        vid, mat = v
        pos = vid.get_indexer(ids[idx])
        out = mat[np.maximum(pos, 0)].astype(np.float64)
        out[pos < 0] = np.nan
        return out

    # ------------------------------------------------------------------------------- BM25
    # ------------------------------------------------------------------------- occupations
    def occupation_matcher(self) -> Any:
        """The :class:`recsys.occupations.OccupationMatcher` of ``occ_match`` (None: no encoder)."""
        if self.reference is not None:
            return self.reference.occupation_matcher()
        if self._matcher is False:
            if self.occupations is not None:
                self._matcher = self.occupations
            elif self.encoder is not None:
                self._matcher = matcher_for(self.encoder)
            else:
                self._matcher = None
        return self._matcher

    def role_occupation_vectors(self, roles: pd.DataFrame) -> np.ndarray | None:
        """(len(roles), dim): the vector of each role's ``occupation_id``, else inferred from its
        title and description (NaN rows: nothing to read)."""
        m = self.occupation_matcher()
        if m is None:
            return None
        vecs = np.asarray(m.occupation_vectors_, dtype=np.float64)
        occ = roles["occupation_id"] if "occupation_id" in roles else pd.Series([None] * len(roles))
        pos = pd.Index(m.occupation_ids_).get_indexer(occ.fillna("").astype(str))
        out = np.where((pos >= 0)[:, None], vecs[np.maximum(pos, 0)], np.nan)
        todo = np.flatnonzero(pos < 0)
        if len(todo):
            texts = (
                roles["title"].fillna("").astype(str)
                + "\n"
                + roles["description"].fillna("").astype(str)
            ).to_numpy()[todo]
            out[todo] = infer_vectors(m, list(texts))
        return out

    def _candidate_text_occupations(self, ci: np.ndarray) -> np.ndarray:
        m = self.occupation_matcher()
        if self._cand_occ is None:
            self._cand_occ = np.full((len(self.cand_ids_), m.occupation_vectors_.shape[1]), np.nan)
        todo = np.unique(ci[~self._cand_occ_done[ci]])
        if len(todo):
            c = self.world.candidates
            heads = (
                c["headline"].fillna("").astype(str)
                + "\n"
                + c["resume_text"].fillna("").astype(str)
            )
            self._cand_occ[todo] = infer_vectors(m, list(heads.to_numpy()[todo]))
            self._cand_occ_done[todo] = True
        return self._cand_occ[ci]

    def profile_later(self, ci: np.ndarray, as_of: np.ndarray) -> np.ndarray:
        """Pairs whose candidate profile was captured after ``as_of`` (NaT: valid at every time)."""
        return self.profile_at_[ci] > as_of

    def hide_later_profiles(
        self, f: dict[str, np.ndarray], ci: np.ndarray, as_of: np.ndarray
    ) -> None:
        """Set the profile features of pairs whose profile postdates ``as_of`` to NaN, in place."""
        later = self.profile_later(ci, as_of)
        if later.any():
            for name in PROFILE_FEATURES:
                f[name] = np.where(later, np.nan, f[name])

    def _occupation_match(self, ci: np.ndarray, role_vecs: Any, as_of: np.ndarray) -> np.ndarray:
        """``occ_match`` of pairs (see :mod:`recsys.features.occupation`); ``role_vecs`` aligned.
        A pair whose profile postdates ``as_of`` has its résumé unread (no fallback)."""
        m = self.occupation_matcher()
        if m is None or role_vecs is None:
            return np.full(len(ci), np.nan)
        if not hasattr(self, "_occ_rows"):  # taxonomy occupation row → matcher row
            self._occ_rows = pd.Index(m.occupation_ids_).get_indexer(self.jobs_.occ_ids_)
        latest = self.jobs_.latest_occupation(ci, as_of)
        row = np.where(latest >= 0, self._occ_rows[np.maximum(latest, 0)], -1)
        vecs = np.asarray(m.occupation_vectors_, dtype=np.float64)
        cand = np.where((row >= 0)[:, None], vecs[np.maximum(row, 0)], np.nan)
        need = np.flatnonzero((row < 0) & ~self.profile_later(ci, as_of))
        if len(need):  # no job by then: what the résumé's head says
            cand[need] = self._candidate_text_occupations(ci[need])
        return occupation_match(cand, role_vecs)

    def share_roles(self, other: FeatureBuilder) -> None:
        """Take ``other``'s role-side inputs derived from texts (role occupation vectors, BM25
        role queries) instead of deriving them again: for a builder over the same roles and
        reference (a store's candidates read per query beside a builder of its roles,
        :mod:`recsys.serving.paged`); the roles must be the same, in the same order."""
        if not self.role_ids_.equals(other.role_ids_):
            raise ValueError("share_roles: the two builders' roles differ")
        self._role_occ = other._world_role_occupations()
        if self.bm25 and other.bm25:
            self._role_queries = other.bm25_tables()[2]

    def _world_role_occupations(self) -> np.ndarray | None:
        if self._role_occ is None:
            self._role_occ = self.role_occupation_vectors(self.world.roles)
        return self._role_occ

    def bm25_tables(self) -> tuple[HashedBM25, Any, Any]:
        """(model, candidate documents, world role queries); the model's statistics come from the
        world's candidate texts (or the reference builder's)."""
        if self._bm25 is None:
            if self.reference is not None:
                model = self.reference.bm25_tables()[0]
            else:
                docs = self._texts("candidates").reindex(self.cand_ids_).fillna("").tolist()
                model = HashedBM25().fit(docs)
            queries = self._role_queries
            self._bm25 = (
                model,
                self._bm25_rows("candidates", model.documents),
                self._bm25_rows("roles", model.queries) if queries is None else queries,
            )
        return self._bm25

    def _bm25_rows(self, kind: str, make: Any) -> Any:
        """``make(texts)`` of every ``kind`` entity, through ``row_cache`` when keyed."""
        ids = self.cand_ids_ if kind == "candidates" else self.role_ids_
        keys = (self.text_keys or {}).get(kind)
        cache = (self.row_cache or {}).get(kind)
        keys = None if keys is None else keys.reindex(ids)
        if keys is None or cache is None or keys.isna().any():
            return make(self._texts(kind).reindex(ids).fillna("").tolist())
        from recsys.adhoc import WorldView
        from recsys.text import entity_texts

        frame = getattr(self.world, kind).reset_index(drop=True)  # row i is ids[i]

        def build(pos: np.ndarray) -> Any:
            part = WorldView(self.world, **{kind: frame.iloc[pos]})
            return make(entity_texts(part, kind).fillna("").tolist())

        return cache.rows(keys.astype(str).tolist(), build)

    def _bm25_scores(self, ci: np.ndarray, ri: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        model, docs, queries = self.bm25_tables()
        return model.scores(docs, queries, ci, ri)

    # -------------------------------------------------------------------------- transform
    def _codes(self, pairs: pd.DataFrame, col: str, ids: pd.Index) -> np.ndarray:
        values = pairs[col].astype(str).to_numpy()
        codes = ids.get_indexer(values)
        if (codes < 0).any():
            unknown = pd.unique(values[codes < 0])[:5].tolist()
            raise ValueError(
                f"The 'pairs' parameter of FeatureBuilder.transform has {col} values not in the world: "
                f"{unknown}. Add the entity to the world first (free-text entities are fine)."
            )
        return codes

    def transform(self, pairs: pd.DataFrame) -> pd.DataFrame:
        """Features of each (candidate_id, role_id[, as_of]) row; same index as ``pairs``."""
        missing = {"candidate_id", "role_id"} - set(pairs.columns)
        if missing:
            raise ValueError(
                "The 'pairs' parameter of FeatureBuilder.transform needs columns candidate_id and "
                f"role_id. Missing {sorted(missing)}."
            )
        n = len(pairs)
        ci = self._codes(pairs, "candidate_id", self.cand_ids_)
        ri = self._codes(pairs, "role_id", self.role_ids_)
        if "as_of" in pairs.columns:
            as_of = (
                pd.to_datetime(pairs["as_of"]).fillna(self.now_).to_numpy(dtype="datetime64[ns]")
            )
        else:
            as_of = np.full(n, np.datetime64(self.now_, "ns"))
        f: dict[str, np.ndarray] = {}
        f.update(self._credential_features(ci, ri, as_of))
        f.update(self._text_features(ci, ri))
        f.update(self._experience_features(ci, ri, as_of))
        f.update(self.jobs_.features(ci, as_of))
        role_occ = self._world_role_occupations()
        f["occ_match"] = self._occupation_match(
            ci, None if role_occ is None else role_occ[ri], as_of
        )
        self.hide_later_profiles(f, ci, as_of)
        out = pd.DataFrame(f, index=pairs.index)
        return out[FEATURE_NAMES].astype(np.float64)

    def _credential_features(self, ci, ri, as_of) -> dict[str, np.ndarray]:
        import scipy.sparse as sp

        n = len(ci)
        p, row = expand(ci, self.h_start_, self.h_count_)
        cred = self.h_cred_[row]
        known = cred >= 0
        issued = self.h_issued_[row] <= as_of[p]
        exp = self.h_expires_[row]
        alive = np.isnat(exp) | (exp > as_of[p])
        valid = known & issued & alive
        verified = valid & self.h_verified_[row]
        expired = known & issued & ~alive

        def held(mask: np.ndarray) -> sp.csr_matrix:
            return sp.csr_matrix(
                (np.ones(mask.sum()), (p[mask], cred[mask])), shape=(n, len(self.cred_ids_))
            )

        A_valid, A_ver = held(valid), held(verified)
        n_valid = np.bincount(p[valid], minlength=n).astype(float)
        n_issued = np.bincount(p[known & issued], minlength=n)
        have_valid = binarize(A_valid @ self.K_skill_)
        have_ver = binarize(A_ver @ self.K_skill_)
        claim = self.C_claim_[ci]
        have = binarize(claim + have_valid)
        unknown_cand = (row_sums(claim) == 0) & (n_issued == 0)
        text = self.resume_.rows(ci) if self.resume_ is not None else sp.csr_matrix(claim.shape)
        prior = history_prior(
            *self.jobs_.occupations_as_of(ci, as_of),
            n,
            self.O_ess_,
            self.O_opt_,
            self.history_rates_,
        )
        unknown_ev = unknown_cand & (row_sums(text) == 0)

        out: dict[str, np.ndarray] = {}
        for tag, R in (("req", self.R_req_[ri]), ("opt", self.R_opt_[ri])):
            need = row_sums(R)
            with np.errstate(invalid="ignore", divide="ignore"):
                cov = row_sums(have.multiply(R)) / need
                cov_ver = row_sums(have_ver.multiply(R)) / need
            cov[unknown_cand] = np.nan
            out[f"{tag}_cov"] = cov
            out.update(coverage_features(tag, R, claim, text, have_valid, prior, unknown_ev))
            out[f"{tag}_cov_verified"] = cov_ver
            if tag == "req":
                out["n_req_skills"] = need
                missing = need - row_sums(have.multiply(R))
                missing[unknown_cand] = np.nan
                out["req_missing"] = missing
        n_skills = row_sums(have)
        n_skills[unknown_cand] = np.nan
        out["n_cand_skills"] = n_skills
        out["req_soft_cov"], out["skill_relevance"] = self._soft(
            self.R_req_[ri] + self.R_opt_[ri],
            self.R_req_[ri],
            binarize(have + text),
            binarize(claim + text),
            ri,
        )

        Rc = self.R_con_[ri]
        n_con = row_sums(Rc)
        with np.errstate(invalid="ignore", divide="ignore"):
            out["contract_cov"] = row_sums(binarize(A_valid @ self.K_con_).multiply(Rc)) / n_con
            out["contract_cov_verified"] = (
                row_sums(binarize(A_ver @ self.K_con_).multiply(Rc)) / n_con
            )
        out["n_valid_creds"] = n_valid
        out["n_verified_creds"] = np.bincount(p[verified], minlength=n).astype(float)
        out["n_expired_creds"] = np.bincount(p[expired], minlength=n).astype(float)
        age = _days(as_of[p[valid]], self.h_issued_[row[valid]])
        out["cred_recency"] = group_max(
            p[valid], np.exp(-np.maximum(age, 0) / (2 * _YEAR_DAYS)), n, 0.0
        )
        out["emb_cred_contract"] = self._cred_contract_sim(p[valid], cred[valid], Rc, n_con)
        return out

    def _soft(self, R_all, R_req, H, stated, ri) -> tuple[np.ndarray, np.ndarray]:
        """(soft coverage of the required skills by every skill the candidate has, relevance of
        the skills it *states* — claimed or in its résumé — to all the role's skills), by
        :func:`recsys.features.text.soft_overlap`.  Relevance leaves credentials out: a new
        credential must never lower fit, and an unrelated one would lower relevance."""
        E = self.skill_vectors()
        if E is None:
            nan = np.full(R_req.shape[0], np.nan)
            return nan, nan.copy()
        cov = soft_overlap(R_req, H, E, ri)[0]
        rel = soft_overlap(binarize(R_all), stated, E, ri)[1]
        return cov, rel

    def _cred_contract_sim(self, vp, vcred, Rc, n_con) -> np.ndarray:
        """mean over role contracts of max(0, best cosine to a valid held credential); NaN if no
        contracts or no vectors; 0 when no valid credential."""
        n = Rc.shape[0]
        ec, ek = self._vectors_for("credentials"), self._vectors_for("contracts")
        if ec is None or ek is None:
            return np.full(n, np.nan)
        cpos = ec[0].get_indexer(self.cred_ids_)
        kpos = ek[0].get_indexer(self.contract_ids_)
        Ec = np.where((cpos >= 0)[:, None], ec[1][np.maximum(cpos, 0)], 0.0)
        Ek = np.where((kpos >= 0)[:, None], ek[1][np.maximum(kpos, 0)], 0.0)
        sim = np.clip(Ec @ Ek.T, 0.0, None)  # catalogue-sized (credentials × contracts)
        # (valid holding, role contract) combinations of each pair
        Rc = Rc.tocsr()
        hp, hc_row = expand(vp, Rc.indptr[:-1], np.diff(Rc.indptr))
        contract = Rc.indices[hc_row]
        pair = vp[hp]
        best = pd.Series(sim[vcred[hp], contract]).groupby([pair, contract]).max()
        total = np.bincount(best.index.get_level_values(0), weights=best.to_numpy(), minlength=n)
        with np.errstate(invalid="ignore", divide="ignore"):
            return total / n_con

    def _text_features(self, ci, ri) -> dict[str, np.ndarray]:
        n = len(ci)
        a = self._gather("candidates", self.cand_ids_, ci)
        b = self._gather("roles", self.role_ids_, ri)
        emb = np.full(n, np.nan) if a is None or b is None else np.einsum("ij,ij->i", a, b)
        if self.bm25:
            bm, bm_t = self._bm25_scores(ci, ri)
        else:
            bm = bm_t = np.full(n, np.nan)
        return {"emb_cand_role": emb, "bm25_cand_role": bm, "bm25_cand_role_per_term": bm_t}

    def _experience_features(self, ci, ri, as_of) -> dict[str, np.ndarray]:
        # years_experience is as of the profile's capture date (else of ``now``): rolled back from it
        taken = self.profile_at_[ci]
        taken = np.where(np.isnat(taken), np.datetime64(self.now_, "ns"), taken)
        back = _days(taken, as_of) / _YEAR_DAYS
        years = np.maximum(self.years_[ci] - np.maximum(back, 0.0), 0.0)
        role_level = self.role_seniority_[ri]
        scale = self.seniority_scale_
        if scale is None:  # too few candidates with years, or no role states a level
            gap = typical = np.full(len(ri), np.nan)
        else:
            gap = scale.level(years) - role_level
            typical = scale.typical_years(role_level)
        same_loc = (self.cand_loc_[ci] == self.role_loc_[ri]) & (self.cand_loc_[ci] != "")
        held = self.jobs_.current_job_held(ci, as_of)  # employee / team only once that job began
        return {
            "years_experience": years,
            "role_seniority": role_level,
            "seniority_gap": gap,
            "overqualification": np.maximum(gap, 0.0),
            "underqualification": np.maximum(-gap, 0.0),
            "experience_gap_years": years - typical,
            "same_location": same_loc.astype(float),
            "role_remote": self.role_remote_[ri].astype(float),
            "open_to_remote": self.cand_remote_[ci].astype(float),
            "is_employee": self.is_employee_[ci] * held,
            "same_team": (
                (self.cand_team_[ci] == self.role_team_[ri]) & (self.cand_team_[ci] != "") & held
            ).astype(float),
        }

    def _jobs_as_of(self, ci, as_of) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(pair, occupation row, years in the job by as_of): see :class:`JobTable`."""
        return self.jobs_.occupations_as_of(ci, as_of)

    def _history_features(self, ci, as_of) -> dict[str, np.ndarray]:
        return self.jobs_.features(ci, as_of)
