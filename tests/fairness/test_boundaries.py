"""Protected attributes never reach a score: the code that computes features, models and scores
never imports :mod:`recsys.fairness` (the only package that reads ``groups``).

Post-scoring steps may: the recommender's opt-in re-ranking (``shortlist(fairness=...)``) and the
service's auditor-scoped audit read group labels after every score is fixed, and
tests/test_recommender_fairness.py proves a re-ranked list carries the unconstrained scores.
"""

from __future__ import annotations

import pytest
from test_import_boundaries import MODULES, ROOTS, _chain, reachable

# where scores are made: never a group label
SCORING_ROOTS = tuple(r for r in ROOTS if r not in ("recsys.serving", "recsys.recommender"))


def test_the_walk_sees_the_audit_package():
    assert "recsys.fairness.inputs" in reachable(["recsys.fairness"])
    assert "recsys.fairness" in reachable(["recsys.cli.audit"])


@pytest.mark.parametrize("root", SCORING_ROOTS)
def test_scoring_code_never_reaches_the_audit(root):
    seen = reachable([m for m in MODULES if m == root or m.startswith(root + ".")])
    bad = sorted(m for m in seen if m.split(".")[:2] == ["recsys", "fairness"])
    assert not bad, "\n".join(_chain(seen, m) for m in bad)


def test_the_audit_never_reaches_features_models_or_serving():
    seen = reachable([m for m in MODULES if m.startswith("recsys.fairness")])
    bad = sorted(
        m
        for m in seen
        if m.startswith(("recsys.features", "recsys.models", "recsys.serving", "recsys_training"))
    )
    assert not bad, bad
