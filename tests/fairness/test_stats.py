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


def test_permutation_with_one_pair_per_candidate_is_close_to_fisher():
    rng = np.random.default_rng(0)
    labels = np.repeat([0, 1], 200)
    hits = np.r_[rng.random(200) < 0.2, rng.random(200) < 0.3].astype(float)
    p = stats.permutation_vs(labels, np.ones(400), hits, refs=1, permutations=20_000, rng=1)
    table = [[int(hits[:200].sum()), 200 - int(hits[:200].sum())],
             [int(hits[200:].sum()), 200 - int(hits[200:].sum())]]  # fmt: skip
    # shuffling labels over single pairs is Fisher's conditional null; Monte Carlo sd ~ 0.002
    assert p[0] == pytest.approx(fisher_exact(table).pvalue, abs=0.01) and p[1] == 1.0


def test_permutation_p_has_the_plus_one_floor_and_nan_for_empty_categories():
    labels = np.repeat([0, 2], 50)  # category 1 has no candidates
    hits = np.r_[np.ones(50), np.zeros(50)]  # every candidate of 0 selected, none of 2
    p = stats.permutation_vs(labels, np.full(100, 3.0), 3 * hits, refs=0, permutations=99, rng=0)
    assert p[0] == 1.0 and np.isnan(p[1]) and p[2] == pytest.approx(1 / 100)


def test_permutation_is_reproducible_and_measures_share_the_shuffles():
    rng = np.random.default_rng(3)
    labels = rng.integers(0, 4, 300)
    n = rng.integers(1, 30, 300).astype(float)
    hits = rng.binomial(n.astype(int), 0.2, size=(2, 300)).astype(float)
    both = stats.permutation_vs(labels, n, hits, refs=[0, 1], permutations=500, rng=7)
    again = stats.permutation_vs(labels, n, hits, refs=[0, 1], permutations=500, rng=7)
    first = stats.permutation_vs(labels, n, hits[0], refs=0, permutations=500, rng=7)
    other = stats.permutation_vs(labels, n, hits, refs=[0, 1], permutations=500, rng=8)
    assert np.array_equal(both, again) and np.array_equal(both[0], first)
    assert not np.array_equal(both, other)
    assert ((both >= 1 / 501) & (both <= 1)).all()


def test_permutation_rejects_bad_counts_and_unknown_labels():
    with pytest.raises(ValueError, match="'permutations' parameter .* Got 0"):
        stats.permutation_vs(np.zeros(3, int), np.ones(3), np.ones(3), 0, permutations=0)
    with pytest.raises(ValueError, match="drop unknowns"):
        stats.permutation_vs(np.array([0, -1]), np.ones(2), np.ones(2), 0)


def test_clustered_wilson_by_hand():
    # fully clustered: each of 40 candidates is 10 pairs, all selected or none (12 selected):
    # deff = G/(G-1) · Σ m²(b - r)² / (N r(1-r)) = m G/(G-1), so the effective size is G - 1 = 39
    labels = np.zeros(40, dtype=int)
    hits = np.where(np.arange(40) < 12, 10.0, 0.0)
    low, high = stats.wilson_clustered(labels, np.full(40, 10.0), hits, 1)
    ref_low, ref_high = stats.wilson(np.array([0.3 * 39]), np.array([39.0]))
    assert (low[0], high[0]) == pytest.approx((ref_low[0], ref_high[0]))


def test_clustered_wilson_of_single_pairs_is_wilson_and_never_narrower():
    rng = np.random.default_rng(1)
    labels = rng.integers(0, 3, 3000)
    hits = (rng.random(3000) < 0.3).astype(float)
    low, high = stats.wilson_clustered(labels, np.ones(3000), hits, 4)  # category 3 is empty
    w_low, w_high = stats.wilson(np.bincount(labels, hits), np.bincount(labels))
    assert low[:3] == pytest.approx(w_low, rel=2e-3) and high[:3] == pytest.approx(w_high, rel=2e-3)
    assert (low[:3] <= w_low).all() and (high[:3] >= w_high).all()
    assert np.isnan(low[3]) and np.isnan(high[3])
    # a rate of 0 over 5 candidates of 20 pairs each: as if 5 observations, not 100
    none = stats.wilson_clustered(np.zeros(5, int), np.full(5, 20.0), np.zeros(5), 1)
    assert none[1][0] == pytest.approx(stats.wilson(np.array([0]), np.array([5]))[1][0])
