"""Adverse-impact audit of scored candidate–role pairs (NYC Local Law 144 rates and impact ratios),
representation-constrained re-ranking of one list (:func:`rerank`, DetConstSort), and the audit of
one shortlist against the pool it was cut from (:func:`audit_shortlist`, behind
``POST /v1/audit/shortlist``).

The only package that reads the audit-only ``groups`` table (the re-ranker does not: its caller
joins the group label onto the list): features, models and the scoring and serving code never
import it; the one serving module that does is the auditor-scoped HTTP audit route
(``recsys.serving.audit_routes``), which answers aggregate rates only
(tests/fairness/test_boundaries.py).  See docs/fairness.md.
"""

from __future__ import annotations

from recsys.fairness.audit import audit
from recsys.fairness.inputs import AuditInputError, load_groups, load_scores, read_table
from recsys.fairness.report import AuditReport
from recsys.fairness.rerank import Reranked, RerankReport, rerank
from recsys.fairness.shortlist_audit import NoGroupDataError, ShortlistAudit, audit_shortlist

__all__ = [
    "AuditInputError",
    "AuditReport",
    "NoGroupDataError",
    "RerankReport",
    "Reranked",
    "ShortlistAudit",
    "audit",
    "audit_shortlist",
    "load_groups",
    "load_scores",
    "read_table",
    "rerank",
]
