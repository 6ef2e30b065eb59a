from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import binomtest, fisher_exact

from recsys.fairness import stats


@pytest.mark.parametrize("confidence", [0.9, 0.95, 0.99])
def test_wilson_matches_scipy(confidence):
    hits, n = np.array([0, 1, 7, 50, 20]), np.array([10, 10, 9, 50, 400])
    low, high = stats.wilson(hits, n, confidence)
    for i in range(len(n)):
        ci = binomtest(int(hits[i]), int(n[i])).proportion_ci(confidence, method="wilson")
        assert (low[i], high[i]) == pytest.approx((ci.low, ci.high), abs=1e-12)


def test_wilson_holds_rates_of_zero_and_one():
    n = np.arange(1, 2000)
    for hits in (np.zeros_like(n), n):
        low, high = stats.wilson(hits, n)
        rate = hits / n
        assert (low <= rate).all() and (rate <= high).all()


def test_wilson_of_no_rows_is_nan():
    low, high = stats.wilson(np.array([0]), np.array([0]))
    assert np.isnan(low[0]) and np.isnan(high[0])


def test_fisher_against_the_reference():
    hits, n = np.array([1, 3, 0]), np.array([10, 10, 0])
    p = stats.fisher_vs(hits, n, ref=1)
    assert p[1] == 1.0 and np.isnan(p[2])
    assert p[0] == pytest.approx(fisher_exact([[1, 9], [3, 7]]).pvalue)


def test_holm_by_hand():
    # sorted 0.01, 0.03, 0.04 → ×3, ×2, ×1 = 0.03, 0.06, 0.04 → running max 0.03, 0.06, 0.06
    p = np.array([0.01, 0.04, np.nan, 0.03])
    out = stats.adjust(p, "holm")
    assert out[[0, 1, 3]] == pytest.approx([0.03, 0.06, 0.06]) and np.isnan(out[2])
    assert stats.adjust(p, "none")[1] == 0.04
    assert stats.adjust(np.array([0.6, 0.9]), "holm").tolist() == [1.0, 1.0]
