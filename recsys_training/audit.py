"""The test-period adverse-impact audit of a training run, and the promotion gate's floor on it.

After training, the ranker scores every test-period pair of every test role (its applicants and
its retrieved non-applicants, as the evaluation's pool has them); the top
``evaluate.audit_k`` per role count as selected, and :func:`recsys.fairness.audit` compares
selection and scoring rates across the world's ``groups`` (the only place training reads them: the
features never do).  The run logs ``audit/audit.json``, ``audit/audit.html`` (plots included) and
``audit.min_impact_ratio`` metrics; with ``evaluate.min_impact_ratio`` set, a model whose lowest
selection impact ratio falls under it is registered but not promoted, and the run says which
category and ratio.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["gate_refusal", "log_audit", "audit_test_period", "write_audit"]


def audit_test_period(prep: Any, ranker: Any, config: Any) -> Any:
    """The :class:`recsys.fairness.AuditReport` of the ranker's test-period shortlists, or None
    when the world records no groups."""
    groups = prep.world.groups
    if groups is None or not len(groups):
        return None
    from recsys.fairness import audit

    scores = np.asarray(ranker.predict(prep.features("test")), dtype=float)
    pairs = prep.pairs["test"][["candidate_id", "role_id"]].assign(score=scores)
    return audit(
        pairs,
        groups,
        k=config.evaluate.audit_k,
        attributes=config.evaluate.audit_attributes,
    )


def gate_refusal(report: Any, floor: float | None) -> str | None:
    """Why the gate refuses the model (its lowest selection impact ratio under ``floor``)."""
    if floor is None or report is None:
        return None
    worst = report.min_impact_ratio("selection")
    if worst is None or worst["impact_ratio"] >= floor:
        return None
    return (
        f"selection impact ratio {worst['impact_ratio']:.3f} of {worst['category']!r} "
        f"({worst['grouping']}) is below the floor evaluate.min_impact_ratio={floor}"
    )


def write_audit(report: Any, folder: str | Path) -> list[Path]:
    """Write the audit's files into ``folder``: ``audit.json`` (the whole ``to_dict()``) and
    ``audit.html`` (plots embedded); what the run logs under ``audit/`` and the audit pack holds."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    doc = folder / "audit.json"
    doc.write_text(json.dumps(report.to_dict(), indent=2, sort_keys=True, default=str))
    return [doc, report.to_html(folder / "audit.html")]


def log_audit(report: Any) -> None:
    """Log the audit (JSON, HTML with its plots, minimum impact ratios) to the active run."""
    import mlflow

    with tempfile.TemporaryDirectory(prefix="recsys-audit-") as tmp:
        for path in write_audit(report, tmp):
            mlflow.log_artifact(str(path), "audit")
    for measure in ("selection", "scoring"):
        worst = report.min_impact_ratio(measure)
        if worst is not None:
            mlflow.log_metric(f"audit.{measure}.min_impact_ratio", worst["impact_ratio"])
    mlflow.log_metric("audit.flagged", float(len(report.flagged)))
