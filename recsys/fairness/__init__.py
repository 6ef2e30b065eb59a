"""Adverse-impact audit of scored candidate–role pairs (NYC Local Law 144 rates and impact ratios),
and representation-constrained re-ranking of one list (:func:`rerank`, DetConstSort).

The only package that reads the audit-only ``groups`` table (the re-ranker does not: its caller
joins the group label onto the list): features, models and serving never import it
(tests/test_import_boundaries.py).  See docs/fairness.md.
"""

from __future__ import annotations

from recsys.fairness.audit import audit
from recsys.fairness.inputs import AuditInputError, load_groups, load_scores, read_table
from recsys.fairness.report import AuditReport
from recsys.fairness.rerank import Reranked, RerankReport, rerank

__all__ = [
    "AuditInputError",
    "AuditReport",
    "RerankReport",
    "Reranked",
    "audit",
    "load_groups",
    "load_scores",
    "read_table",
    "rerank",
]
