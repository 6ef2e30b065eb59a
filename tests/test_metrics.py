from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import average_precision_score, ndcg_score

from recsys.metrics import (
    calibration_at_horizon,
    calibration_noise,
    concordance_index,
    integrated_brier_score,
    mean_average_precision,
    ndcg_at_k,
    ranking_report,
    recall_at_k,
)


@pytest.fixture
def ranked():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 5, (20, 8))
    s = rng.random((20, 8))
    return y, s, np.repeat(np.arange(20), 8)


def test_ndcg_linear_matches_sklearn_and_exponential_differs(ranked):
    y, s, g = ranked
    assert ndcg_at_k(y.ravel(), s.ravel(), g, 5, gain="linear") == pytest.approx(
        ndcg_score(y, s, k=5)
    )
    assert ndcg_at_k(y.ravel(), s.ravel(), g, 5) == pytest.approx(
        ndcg_score(np.exp2(y) - 1, s, k=5)
    )


def test_ndcg_perfect_and_groups_of_different_sizes():
    y = np.array([0, 2, 1, 4, 0])
    g = np.array(["a", "a", "a", "b", "b"])
    assert ndcg_at_k(y, y.astype(float), g, 10) == pytest.approx(1.0)
    assert ndcg_at_k(y, -y.astype(float), g, 1) == pytest.approx(0.0)
    per = ndcg_at_k(y, -y.astype(float), g, 10, per_query=True)
    assert list(per.index) == ["a", "b"] and (per < 1).all()


def test_queries_without_relevant_items_are_excluded():
    y = np.array([0, 0, 3, 0])
    s = np.array([0.1, 0.2, 0.9, 0.1])
    g = np.array([1, 1, 2, 2])
    assert ndcg_at_k(y, s, g, 2) == pytest.approx(1.0)


def test_ties_are_averaged_not_lucky():
    y = np.array([4, 0, 0, 0])
    assert ndcg_at_k(y, np.zeros(4), None, 1) == pytest.approx(0.25)


def test_map_matches_sklearn_average_precision(ranked):
    y, s, g = ranked
    expected = np.mean([average_precision_score(y[i] >= 2, s[i]) for i in range(len(y))])
    assert mean_average_precision(y.ravel(), s.ravel(), g, relevant_min=2) == pytest.approx(
        expected
    )


def test_recall_at_k():
    y = np.array([1, 0, 1, 0, 0, 1])
    s = np.array([0.9, 0.8, 0.1, 0.5, 0.4, 0.3])
    g = np.array([0, 0, 0, 1, 1, 1])
    # query 0: 1 of 2 relevant in top 2; query 1: 0 of 1
    assert recall_at_k(y, s, g, 2) == pytest.approx(0.25)
    assert recall_at_k(y, s, g, 3) == pytest.approx(1.0)
    with pytest.raises(ValueError, match="'k' parameter of recall_at_k"):
        recall_at_k(y, s, g, 0)


def test_ranking_report_keys(ranked):
    y, s, g = ranked
    rep = ranking_report(y.ravel(), s.ravel(), g, ks=(5, 10))
    assert set(rep) == {"ndcg@5", "ndcg@10", "recall@5", "recall@10", "map"}


def _survival_data(n=2000, seed=0):
    rng = np.random.default_rng(seed)
    risk = rng.normal(size=n)
    T = rng.exponential(400 * np.exp(-risk))
    C = rng.uniform(50, 1500, n)
    return np.minimum(T, C), (T <= C).astype(int), risk


def test_concordance_orders_by_survival():
    d, e, risk = _survival_data()
    assert concordance_index(d, e, -risk) > 0.65
    assert concordance_index(d, e, risk) < 0.35


def test_ibs_prefers_the_true_model_and_calibration_reads_km():
    d, e, risk = _survival_data()
    times = np.linspace(50, 800, 10)
    true = np.exp(-times[None, :] / (400 * np.exp(-risk))[:, None])
    flat = np.exp(-times[None, :] / 400) * np.ones((len(d), 1))
    assert integrated_brier_score(d, e, true, times) < integrated_brier_score(d, e, flat, times)
    cal = calibration_at_horizon(d, e, true[:, 6], times[6], n_bins=5)
    assert len(cal) == 5 and cal["n"].sum() == len(d)
    assert cal["abs_error"].max() < 0.06
    shifted = calibration_at_horizon(d, e, np.clip(true[:, 6] + 0.2, 0, 1), times[6], n_bins=5)
    assert shifted["abs_error"].max() > 0.1


def test_calibration_noise_matches_the_errors_of_true_probabilities():
    rng = np.random.default_rng(3)
    p = rng.uniform(0.1, 0.95, 650)
    noise = calibration_noise(p, n_bins=10, n_sim=1000)
    # per-bin SE ~ sqrt(p(1-p)/65) ~ 0.05-0.06: the max over 10 bins sits well above 0.05
    assert 0.07 < noise["max_abs_error_p50"] < noise["max_abs_error_p95"] < 0.16
    assert noise["mean_abs_error_p50"] < noise["max_abs_error_p50"]
    # outcomes drawn from p: the observed decile errors fall inside the simulated spread
    d = np.where(rng.random(650) < p, 400.0, 100.0)
    e = (d < 365).astype(int)
    observed = calibration_at_horizon(d, e, p, 365, n_bins=10)["abs_error"].max()
    assert observed < noise["max_abs_error_p95"]
    # ten times the people: the floor shrinks by about sqrt(10)
    big = calibration_noise(np.tile(p, 10), n_sim=300)
    assert big["max_abs_error_p50"] < noise["max_abs_error_p50"] / 2.5
    with pytest.raises(ValueError, match="n_bins"):
        calibration_noise(p[:5])


def _orderings(score: np.ndarray):
    """Every strict ordering consistent with ``score`` (permutations within tied groups)."""
    from itertools import permutations, product

    groups = [np.flatnonzero(score == v) for v in np.unique(score)[::-1]]
    for perms in product(*(permutations(g) for g in groups)):
        order = np.concatenate([np.asarray(p) for p in perms])
        strict = np.empty(len(score))
        strict[order] = -np.arange(len(score), dtype=float)  # the ordering as tie-free scores
        yield strict


@pytest.mark.parametrize(
    "y,score",
    [
        ([3, 0, 1, 2, 0], [1, 1, 1, 1, 1]),  # a constant scorer
        ([0, 2, 1, 0, 3, 0], [5, 4, 4, 4, 1, 1]),
        ([1, 0, 0, 1, 0, 1], [0.3, 0.9, 0.3, 0.3, 0.1, 0.9]),
    ],
)
def test_ties_count_by_expectation_over_orderings_not_input_order(y, score):
    y, score = np.asarray(y, float), np.asarray(score, float)
    strict = list(_orderings(score))
    assert recall_at_k(y, score, k=3) == pytest.approx(
        np.mean([recall_at_k(y, s, k=3) for s in strict])
    )
    assert mean_average_precision(y, score) == pytest.approx(
        np.mean([mean_average_precision(y, s) for s in strict])
    )
    assert mean_average_precision(y, score, k=2) == pytest.approx(
        np.mean([mean_average_precision(y, s, k=2) for s in strict])
    )
    reverse = slice(None, None, -1)  # the same pairs in another order score the same
    assert recall_at_k(y[reverse], score[reverse], k=3) == pytest.approx(recall_at_k(y, score, k=3))
    assert mean_average_precision(y[reverse], score[reverse]) == pytest.approx(
        mean_average_precision(y, score)
    )
