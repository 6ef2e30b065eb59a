"""Adverse-impact audit of scored candidate–role pairs (NYC Local Law 144 rates and impact ratios).

The only package that reads the audit-only ``groups`` table: features, models and serving never
import it (tests/test_import_boundaries.py).  See docs/fairness.md.
"""

from __future__ import annotations

from recsys.fairness.audit import audit
from recsys.fairness.inputs import AuditInputError, load_groups, load_scores, read_table
from recsys.fairness.report import AuditReport

__all__ = ["AuditInputError", "AuditReport", "audit", "load_groups", "load_scores", "read_table"]
