"""Only audit code reads ``groups``: scoring code never imports :mod:`recsys.fairness`."""

from __future__ import annotations

import pytest
from test_import_boundaries import MODULES, ROOTS, _chain, reachable


def test_the_walk_sees_the_audit_package():
    assert "recsys.fairness.inputs" in reachable(["recsys.fairness"])
    assert "recsys.fairness" in reachable(["recsys.cli.audit"])


@pytest.mark.parametrize("root", ROOTS)
def test_scoring_code_never_reaches_the_audit(root):
    seen = reachable([m for m in MODULES if m == root or m.startswith(root + ".")])
    bad = sorted(m for m in seen if m.split(".")[:2] == ["recsys", "fairness"])
    assert not bad, "\n".join(_chain(seen, m) for m in bad)


def test_the_audit_never_reaches_features_models_or_serving():
    seen = reachable([m for m in MODULES if m.startswith("recsys.fairness")])
    bad = sorted(
        m
        for m in seen
        if m.startswith(("recsys.features", "recsys.models", "recsys.serving", "training"))
    )
    assert not bad, bad
