"""Skill evidence beyond the claimed list: skills named in the résumé, and skills a career implies.

Two candidate-side sources the claimed ``skills`` column misses (see docs/training.md, "Where the ranker
lost against the oracle"):

- :class:`ResumeSkills` — taxonomy skills found in ``resume_text`` by the model's
  :class:`recsys.skills.SkillExtractor` (the same reader as free-text queries, so a text-only
  candidate and a world candidate are read alike).  The "Certifications:" paragraph is cut first: it
  lists credentials held *now*, which features must only see through the as-of-aware holdings.
  Extraction is lazy (only the candidates a batch needs, once) or read from a bundle.
- :func:`history_prior` — for (pair, skill), the probability that the candidate picked the skill up in
  the jobs started by ``as_of``: ``1 - prod_j (1 - p_j)`` over those jobs, ``p_j`` the rate at which
  holders of the job's ESCO occupation, that long in it, have one of its essential (optional) skills.
  The rates are **measured on the data** (:func:`estimate_history_rates`): among candidates with a
  claimed skill list, the share of their jobs' essential (optional) skills they claim, per quartile
  of years in the job, made non-decreasing in tenure (the one shape assumed: a longer stay in a job
  whose occupation needs a skill does not make it less likely).  No rate is written in the code; the
  ranker learns how far to trust the prior.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp

from recsys.features._sparse import binarize, list_matrix
from recsys.text import strip_certifications

__all__ = [
    "HistoryRates",
    "ResumeSkills",
    "estimate_history_rates",
    "history_prior",
    "occupation_skill_matrices",
    "read_resume_skills",
    "strip_certifications",
]

MIN_SLOTS = 200  # essential-skill slots (job x skill) needed to measure the rates at all


class ResumeSkills:
    """Skills named in résumés as a candidates × skills CSR matrix (binary).

    ``extractor`` (a :class:`recsys.skills.SkillExtractor` over the same skills; ``None`` = phrase
    matching only) reads each résumé at most once, lazily (only the candidates a batch needs);
    ``known`` (``candidate_id, skill_id`` rows, e.g. stored in a model bundle) fills candidates
    read before, so a served model never re-reads its world's résumés.
    """

    def __init__(
        self,
        resume_text: pd.Series,
        skills: pd.DataFrame,
        skill_ids: pd.Index,
        extractor: Any = None,
        known: pd.DataFrame | None = None,
        candidate_ids: pd.Index | None = None,
    ) -> None:
        # stripped when read: a served pool's résumés were all read at ingest (``known``)
        self._raw = resume_text.reset_index(drop=True)
        self.skills = skills
        self.skill_ids = skill_ids
        self.done_ = np.zeros(len(self._raw), dtype=bool)
        self.matrix_ = sp.csr_matrix((len(self._raw), len(skill_ids)))
        self._extractor: Any = extractor
        if known is not None and len(known) and candidate_ids is not None:
            pos = _positions(candidate_ids, known["candidate_id"])
            if "skill_id" in known:
                found = known["skill_id"].notna().to_numpy()
                col = _positions(skill_ids, known["skill_id"])
            else:
                found = np.zeros(len(known), dtype=bool)
                col = np.full(len(known), -1)
            ok = (pos >= 0) & (col >= 0)
            self.matrix_ = binarize(
                sp.csr_matrix((np.ones(ok.sum()), (pos[ok], col[ok])), shape=self.matrix_.shape)
            )
            self.done_[pos[found & (pos >= 0)]] = True
            if "read" in known.columns:  # candidates read, with or without a skill found
                read = _positions(candidate_ids, known["read"])
                self.done_[read[read >= 0]] = True

    @property
    def extractor(self) -> Any:
        if self._extractor is None:
            from recsys.skills import SkillExtractor

            self._extractor = SkillExtractor(skills=self.skills).fit()
        return self._extractor

    def rows(self, ci: np.ndarray) -> sp.csr_matrix:
        """Rows of the matrix for candidate positions ``ci`` (extracting the missing ones first)."""
        todo = np.unique(ci[~self.done_[ci]])
        if todo.size:
            per = pd.Series([[]] * len(self._raw), dtype=object)
            texts = strip_certifications(self._raw.iloc[todo]).tolist()
            per.iloc[todo] = pd.Series(
                read_resume_skills(self.extractor, texts, stripped=True), dtype=object
            ).to_numpy()
            self.matrix_ = binarize(self.matrix_ + list_matrix(per, self.skill_ids))
            self.done_[todo] = True
        return self.matrix_[ci]

    def known(self, candidate_ids: pd.Index, wanted: pd.Series) -> pd.DataFrame:
        """The rows :meth:`frame` would give for the ``wanted`` ids already read (no reading)."""
        pos = candidate_ids.get_indexer(pd.Index(wanted.astype(str).unique()))
        pos = pos[(pos >= 0)]
        pos = pos[self.done_[pos]]
        m = sp.coo_matrix(self.matrix_[pos])
        return pd.concat(
            [
                pd.DataFrame(
                    {
                        "candidate_id": candidate_ids[pos[m.row]].astype(str),
                        "skill_id": self.skill_ids[m.col].astype(str),
                    }
                ),
                pd.DataFrame({"read": candidate_ids[pos].astype(str)}),
            ],
            ignore_index=True,
        )

    def frame(self, candidate_ids: pd.Index) -> pd.DataFrame:
        """Every candidate's résumé skills (reading the unread ones): ``candidate_id, skill_id``
        rows, plus ``read`` rows naming candidates in which nothing was found."""
        m = sp.coo_matrix(self.rows(np.arange(len(self._raw))))
        found = pd.DataFrame(
            {
                "candidate_id": candidate_ids[m.row].astype(str),
                "skill_id": self.skill_ids[m.col].astype(str),
            }
        )
        empty = np.flatnonzero(np.diff(sp.csr_matrix(m).indptr) == 0)
        nothing = pd.DataFrame({"read": candidate_ids[empty].astype(str)})
        return pd.concat([found, nothing], ignore_index=True)


def _positions(index: pd.Index, values: pd.Series) -> np.ndarray:
    """Positions of ``values`` (as strings) in ``index``, -1 for a missing or unknown value.
    Looked up once per distinct value: a served pool's read skills repeat each candidate id on
    ~60 rows and each skill id across candidates (25 → 19 ms a 1,000-candidate pool)."""
    codes, uniques = pd.factorize(values)
    if not len(uniques):
        return np.full(len(codes), -1)
    found = index.get_indexer(pd.Index(uniques).astype(str))
    return np.where(codes >= 0, found[codes], -1)


def read_resume_skills(
    extractor: Any, texts: list[str], *, stripped: bool = False
) -> list[list[str]]:
    """The skill ids ``extractor`` reads in each résumé, as :class:`ResumeSkills` counts them (the
    "Certifications:" paragraph left out unless ``stripped`` says it already is).  Ingest stores
    these, so a served model never reads a stored résumé again."""
    texts = _readable(texts, stripped)
    found = extractor.extract_frame(texts, [str(i) for i in range(len(texts))])
    out: list[list[str]] = [[] for _ in texts]
    if len(found):
        for doc, skill in zip(
            found["doc_id"].astype(int), found["skill_id"].astype(str), strict=True
        ):
            out[doc].append(skill)
    return out


def resume_reader_texts(extractor: Any, texts: list[str]) -> list[str]:
    """The strings :func:`read_resume_skills` has ``extractor`` embed for these résumés (their
    sentences and spans): erasure forgets their vectors in the encoder's cache with the person."""
    return extractor.encoded_texts(_readable(texts, False))


def _readable(texts: list[str], stripped: bool) -> list[str]:
    """The résumé texts as the reader reads them: without the "Certifications:" paragraph."""
    if stripped:
        return list(texts)
    return strip_certifications(pd.Series(texts, dtype=object)).tolist()


def occupation_skill_matrices(skill_ids: pd.Index) -> tuple[pd.Index, sp.csr_matrix, sp.csr_matrix]:
    """(occupation ids, occupations × skills essential, … optional) from the packaged ESCO taxonomy.

    Memoised by the skill ids (a paged server builds a model per query over the same skills:
    ~25 ms each); the matrices returned are shared, never changed in place."""
    import hashlib

    from recsys.data import taxonomy

    key = hashlib.blake2b("\n".join(map(str, skill_ids)).encode("utf-8")).digest()
    hit = _OCCUPATION_MATRICES.get(key)
    if hit is None:
        occ = taxonomy.occupations()
        hit = (
            pd.Index(occ["occupation_id"].astype(str)),
            list_matrix(occ["essential_skills"], skill_ids),
            list_matrix(occ["optional_skills"], skill_ids),
        )
        with _OCCUPATION_LOCK:  # request threads build models at once
            if len(_OCCUPATION_MATRICES) >= 4:
                _OCCUPATION_MATRICES.pop(next(iter(_OCCUPATION_MATRICES)))
            _OCCUPATION_MATRICES[key] = hit
    return hit


_OCCUPATION_MATRICES: dict[bytes, tuple[pd.Index, sp.csr_matrix, sp.csr_matrix]] = {}
_OCCUPATION_LOCK = threading.Lock()


@dataclass(frozen=True)
class HistoryRates:
    """Per tenure bin (``edges``: upper bounds in years, one fewer than bins), the probability that
    a holder of an occupation has one of its essential / optional skills."""

    edges: np.ndarray
    essential: np.ndarray
    optional: np.ndarray

    def at(self, years: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(essential, optional) rates for each of ``years``."""
        b = np.searchsorted(self.edges, np.nan_to_num(years), side="right")
        return self.essential[b], self.optional[b]

    def to_dict(self) -> dict[str, list[float]]:
        return {
            k: np.round(getattr(self, k), 6).tolist() for k in ("edges", "essential", "optional")
        }


def _isotonic_rates(hits: np.ndarray, slots: np.ndarray) -> np.ndarray:
    """Slot-weighted non-decreasing fit of ``hits / slots`` over the bins, in [0, 0.99]."""
    from sklearn.isotonic import IsotonicRegression

    x = np.arange(len(hits), dtype=float)
    rate = np.divide(hits, slots, out=np.zeros(len(hits)), where=slots > 0)
    iso = IsotonicRegression(y_min=0.0, y_max=0.99, increasing=True)
    return iso.fit(x, rate, sample_weight=np.maximum(slots, 1e-12)).predict(x)


def estimate_history_rates(
    p: np.ndarray,
    occ: np.ndarray,
    years: np.ndarray,
    claimed: sp.csr_matrix,
    ess: sp.csr_matrix,
    opt: sp.csr_matrix,
    bins: int = 4,
    max_candidates: int = 20_000,
) -> HistoryRates | None:
    """Rates of :class:`HistoryRates` from jobs ``(p, occ, years)`` (candidate row, occupation row
    in ``ess``/``opt``, years in the job) and the candidates' ``claimed`` skills (candidates ×
    skills).  Only candidates with a claimed list count, at most ``max_candidates`` of them (a
    seeded sample: a served world of 10^6 loads in the same time); ``None`` when their jobs hold
    fewer than ``MIN_SLOTS`` essential-skill slots (too little to measure: no prior then)."""
    has_claims = np.asarray(claimed.getnnz(axis=1) > 0)
    pool = np.flatnonzero(has_claims)
    if len(pool) > max_candidates:
        keep = np.zeros(len(has_claims), dtype=bool)
        keep[np.random.default_rng(0).choice(pool, max_candidates, replace=False)] = True
        has_claims = keep
    ok = (occ >= 0) & has_claims[p]
    p, occ, years = p[ok], occ[ok], np.nan_to_num(years[ok])
    if not len(p):
        return None
    C = sp.csr_matrix(claimed)[p]
    E, P = sp.csr_matrix(ess)[occ], sp.csr_matrix(opt)[occ]  # jobs × skills: essential, optional
    e_hits, e_slots = np.asarray(E.multiply(C).sum(axis=1)).ravel(), E.getnnz(axis=1)
    o_hits, o_slots = np.asarray(P.multiply(C).sum(axis=1)).ravel(), P.getnnz(axis=1)
    if e_slots.sum() < MIN_SLOTS:
        return None
    edges = np.unique(np.quantile(years, np.linspace(0, 1, bins + 1)[1:-1]))
    b = np.searchsorted(edges, years, side="right")
    k = len(edges) + 1

    def per_bin(v: np.ndarray) -> np.ndarray:
        return np.bincount(b, weights=v.astype(float), minlength=k)

    return HistoryRates(
        edges=edges,
        essential=_isotonic_rates(per_bin(e_hits), per_bin(e_slots)),
        optional=_isotonic_rates(per_bin(o_hits), per_bin(o_slots)),
    )


def history_prior(
    p: np.ndarray,
    occ: np.ndarray,
    years: np.ndarray,
    n_pairs: int,
    ess: sp.csr_matrix,
    opt: sp.csr_matrix,
    rates: HistoryRates | None,
) -> sp.csr_matrix:
    """Pairs × skills matrix of P(skill learnt in a job) from the (pair, job) rows seen as of the pair.

    ``p`` pair index, ``occ`` occupation row in ``ess``/``opt`` (-1 unknown), ``years`` years in the job
    by ``as_of``; ``rates`` from :func:`estimate_history_rates` (``None``: an empty prior).  Sums of
    log(1 - p_j) are sparse products; the result is ``1 - exp(sum)``.
    """
    if rates is None:
        return sp.csr_matrix((n_pairs, ess.shape[1]))
    ok = occ >= 0
    p, occ, years = p[ok], occ[ok], years[ok]
    r_ess, r_opt = rates.at(years)
    shape = (n_pairs, ess.shape[0])
    W_ess = sp.csr_matrix((np.log1p(-r_ess), (p, occ)), shape=shape)
    W_opt = sp.csr_matrix((np.log1p(-r_opt), (p, occ)), shape=shape)
    log_miss = sp.csr_matrix(W_ess @ ess + W_opt @ opt)  # ≤ 0 where any job had the skill
    log_miss.data = -np.expm1(log_miss.data)  # 1 - exp(sum)
    log_miss.eliminate_zeros()
    return log_miss


def _share(m: sp.spmatrix, R: sp.csr_matrix, need: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.asarray(sp.csr_matrix(m).multiply(R).sum(axis=1)).ravel() / need


def coverage_features(
    tag: str,
    R: sp.csr_matrix,
    claim: sp.csr_matrix,
    text: sp.csr_matrix,
    cred: sp.csr_matrix,
    prior: sp.csr_matrix,
    unknown: np.ndarray,
) -> dict[str, np.ndarray]:
    """Coverage of the role's ``tag`` skills (rows of ``R``) by each kind of evidence, per pair.

    ``claim``/``text``/``cred``: binary pairs × skills (claimed, named in the résumé, on a valid held
    credential); ``prior``: :func:`history_prior`.  Every share that credentials enter is a max/union
    with ``cred``, so a new credential never lowers it (the monotone guarantee).  ``unknown`` pairs
    (no claimed skill, no résumé skill, no credential) get NaN evidence shares; the prior stays.
    """
    need = np.asarray(R.sum(axis=1)).ravel()
    said = binarize(claim + text)
    out = {
        f"{tag}_cov_text": _share(binarize(said + cred), R, need),
        f"{tag}_cov_both": _share(binarize(claim.multiply(text) + cred), R, need),
        f"{tag}_cov_hist": _share(said.multiply(prior).maximum(cred), R, need),
        f"{tag}_hist": _share(prior, R, need),
    }
    for name in (f"{tag}_cov_text", f"{tag}_cov_both", f"{tag}_cov_hist"):
        out[name][unknown] = np.nan
    return out


def coverage_features_dense(
    tag: str, R: np.ndarray, blocks: dict[str, np.ndarray], unknown: np.ndarray
) -> dict[str, np.ndarray]:
    """:func:`coverage_features` on dense pairs × (the role's skill columns) blocks.

    The serving fast path (:mod:`recsys.fastpath`) cuts every evidence matrix to the few columns the
    request's roles name; on such blocks dense arithmetic costs a fraction of scipy's per-call overhead.
    Same formulas as above (keep both in step: the fast path's parity check compares them).
    """
    claim, text, cred, prior = (blocks[k] for k in ("claim", "text", "cred", "prior"))
    need = R.sum(axis=1)
    said = (claim + text) > 0

    def share(m: np.ndarray) -> np.ndarray:
        with np.errstate(invalid="ignore", divide="ignore"):
            return (m * R).sum(axis=1) / need

    out = {
        f"{tag}_cov_text": share((said + cred) > 0),
        f"{tag}_cov_both": share((claim * text + cred) > 0),
        f"{tag}_cov_hist": share(np.maximum(said * prior, cred)),
        f"{tag}_hist": share(prior),
    }
    for name in (f"{tag}_cov_text", f"{tag}_cov_both", f"{tag}_cov_hist"):
        out[name][unknown] = np.nan
    return out
