"""The audit of one shortlist: who was selected from the pool the shortlist was cut from.

>>> out = audit_shortlist(rec, role_id="R00012", k=20)   # rec: a Recommender (or a live one)
>>> out.report.to_frame()                               # rates, impact ratios, tests per category
>>> out.to_dict()                                       # what POST /v1/audit/shortlist answers

A selection rate is the selected over the applicants, so the audit needs the applicants, not only
the ``k`` rows shown.  For a shortlist they are the candidates the retriever returns and the ranker
scores for the query (``recommender.overfetch`` of them, after the filters): the same pool the top
``k`` is cut from, ranked by the same call with ``k`` = the pool size and no explanations.  The top
``k`` are *selected*; scoring rates compare each candidate's score with the pool's median.  The
protected attributes are read from the served data's audit-only ``groups`` table
(``rec.world.groups``: a store seeded from a world with groups, or a world in memory), never from
anything the ranker sees; candidates without a groups row count as unknown.

The recommender is taken as it is, not imported: this package must not reach the scoring code
(``tests/fairness/test_boundaries.py``), and any object with ``shortlist``, ``config`` and
``world`` serves.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from recsys.fairness.audit import audit
from recsys.fairness.inputs import AuditInputError
from recsys.fairness.report import AuditReport

_ALL_SELECTED = "Every scored pair is selected"  # the audit's note for a file of selected rows


class NoGroupDataError(AuditInputError):
    """The served data holds no ``groups`` table (or an empty one): there is nothing to audit."""


@dataclass
class ShortlistAudit:
    """An :class:`AuditReport` of one shortlist, with the ``pool`` size it was cut from, ``k``
    and the ranking's ``manifest`` (model, query, filters, time)."""

    report: AuditReport
    pool: int
    k: int
    manifest: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe: ``{"pool", "k", "manifest", "audit": report.to_dict()}``."""
        return {
            "pool": self.pool,
            "k": self.k,
            "manifest": self.manifest,
            "audit": self.report.to_dict(),
        }


def audit_shortlist(
    rec: Any,
    *,
    role_id: str | None = None,
    job_description: str | None = None,
    k: int = 50,
    filters: dict[str, Any] | None = None,
    retention_weight: float | None = None,
    groups: pd.DataFrame | None = None,
    attributes: list[str] | None = None,
    alpha: float = 0.05,
    threshold: float = 0.8,
    min_share: float = 0.02,
    fairness: dict[str, Any] | None = None,
) -> ShortlistAudit:
    """Audit the top ``k`` of ``rec``'s shortlist for a role or a JD against its retrieved pool.

    The query arguments are :meth:`Recommender.shortlist`'s.  ``groups``: ``candidate_id`` plus
    attributes (default: ``rec.world.groups``; :class:`NoGroupDataError` when there is none).
    ``attributes``: default every attribute of ``groups``.  ``alpha``, ``threshold``,
    ``min_share``: :func:`recsys.fairness.audit`'s.  ``fairness``: audit the shortlist as
    re-ranked with that option (``Recommender.shortlist(fairness=...)``): selected = its rows.
    """
    limit = int(rec.config.max_k)
    if isinstance(k, bool) or not isinstance(k, int | np.integer) or not 1 <= k <= limit:
        raise ValueError(
            f"The 'k' parameter of audit_shortlist must be an int in [1, {limit}]. "
            f"Got {k!r} instead."
        )
    source = "the groups frame"
    paged = groups is None and getattr(rec, "paged", False)  # groups read per pool from the store
    if groups is None:
        groups, source = getattr(rec.world, "groups", None), "the served data's groups table"
    if paged and rec.store.count("groups"):
        groups = None
    elif groups is None or len(groups) == 0:
        raise NoGroupDataError(
            "The served data holds no group data (its 'groups' table is absent or empty), and the "
            "audit needs each candidate's protected attributes: serve a store seeded from a world "
            "with a groups table (`recsys store init --world DIR`) or upsert rows into the "
            "store's 'groups' table."
        )
    size = min(max(int(rec.config.overfetch), int(k)), limit)
    ranking = rec.shortlist(
        role_id=role_id,
        job_description=job_description,
        k=size,
        filters=filters,
        retention_weight=retention_weight,
        explain=False,
    )
    frame = ranking.frame
    if frame.empty:
        raise AuditInputError(
            f"audit_shortlist: expected retrieved candidates to audit, found none for the query "
            f"with filters {filters!r}."
        )
    scores = frame[["role_id", "candidate_id", "rank", "fit", "score"]]
    if groups is None:  # paged: the pool's rows of the store's groups table
        groups = rec.store.rows_of("groups", frame["candidate_id"].astype(str).tolist())
    if fairness is not None:  # the re-ranked top k, drawn from the same pool
        shown = rec.shortlist(
            role_id=role_id,
            job_description=job_description,
            k=int(k),
            filters=filters,
            retention_weight=retention_weight,
            explain=False,
            fairness=fairness,
        )
        chosen = set(shown.frame["candidate_id"])
        scores = scores.assign(selected=scores["candidate_id"].isin(chosen).to_numpy())
        ranking = shown
    report = audit(
        scores,
        groups,
        k=None if fairness is not None else int(k),
        attributes=attributes,
        alpha=alpha,
        threshold=threshold,
        min_share=min_share,
    )
    query = ranking.manifest.get("query", {})
    report.params.update(
        scores=f"the retrieved pool of {query.get('role_id') or 'the job description'}",
        groups=source,
        pool_size=len(frame),
    )
    report.notes = [n for n in report.notes if not n.startswith(_ALL_SELECTED)]
    if len(frame) <= k:
        report.notes.insert(
            0,
            f"The retrieved pool ({len(frame)} candidates) is no larger than k = {k}: everyone "
            "in it is selected, so every selection rate is 1.  Ask for a smaller k, or raise "
            "recommender.overfetch (the pool size).",
        )
    report.notes.insert(
        0,
        f"Applicants: the {len(frame)} candidates retrieved and scored for this query; "
        f"selected: its top {min(int(k), len(frame))}.",
    )
    return ShortlistAudit(report, len(frame), int(k), ranking.manifest)
