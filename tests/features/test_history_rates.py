"""recsys.features.evidence: history rates measured on the data, not written in the code."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from recsys.features.evidence import HistoryRates, estimate_history_rates, history_prior


def _jobs(rate_of_years, n=3_000, skills=100, per_occ=20, seed=0):
    """Candidates with one job each; each essential skill of the job claimed with the planted rate."""
    rng = np.random.default_rng(seed)
    n_occ = skills // per_occ
    ess = sp.csr_matrix(
        (np.ones(skills), (np.repeat(np.arange(n_occ), per_occ), np.arange(skills))),
        shape=(n_occ, skills),
    )
    opt = sp.csr_matrix((n_occ, skills))
    occ = rng.integers(0, n_occ, n)
    years = rng.uniform(0, 8, n)
    keep = rng.random((n, per_occ)) < rate_of_years(years)[:, None]
    rows, cols = np.nonzero(keep)
    claimed = sp.csr_matrix(
        (np.ones(len(rows)), (rows, occ[rows] * per_occ + cols)), shape=(n, skills)
    )
    return np.arange(n), occ, years, claimed, ess, opt


def test_rates_are_measured_and_rise_with_tenure():
    planted = lambda y: np.where(y < 4, 0.2, 0.7)  # noqa: E731 - a rule the code cannot know
    p, occ, years, claimed, ess, opt = _jobs(planted)
    rates = estimate_history_rates(p, occ, years, claimed, ess, opt)
    assert len(rates.edges) == 3
    assert np.all(np.diff(rates.essential) >= 0)
    low, high = rates.at(np.array([0.5, 7.5]))[0]
    assert abs(low - 0.2) < 0.05 and abs(high - 0.7) < 0.05
    flat = estimate_history_rates(p, occ, years, sp.csr_matrix(claimed.shape), ess, opt)
    assert flat is None  # no claimed skills at all: nothing to measure, no prior


def test_falling_rates_are_pooled_into_a_non_decreasing_fit():
    p, occ, years, claimed, ess, opt = _jobs(lambda y: np.where(y < 4, 0.6, 0.3), seed=1)
    rates = estimate_history_rates(p, occ, years, claimed, ess, opt)
    assert np.all(np.diff(rates.essential) >= 0)
    assert np.ptp(rates.essential) < 1e-9  # one pooled level, between the two planted ones
    assert 0.3 < rates.essential[0] < 0.6


def test_prior_uses_the_rates_and_is_empty_without_them():
    ess = sp.csr_matrix(np.array([[1.0, 1.0, 0.0]]))
    opt = sp.csr_matrix(np.array([[0.0, 0.0, 1.0]]))
    rates = HistoryRates(np.array([2.0]), np.array([0.2, 0.5]), np.array([0.1, 0.1]))
    prior = history_prior(
        np.array([0, 1, 1]), np.array([0, 0, 0]), np.array([1.0, 1.0, 5.0]), 2, ess, opt, rates
    ).toarray()
    assert np.allclose(prior[0], [0.2, 0.2, 0.1])
    assert np.allclose(prior[1], [1 - 0.8 * 0.5, 1 - 0.8 * 0.5, 1 - 0.9 * 0.9])
    empty = history_prior(np.array([0]), np.array([0]), np.array([1.0]), 1, ess, opt, None)
    assert empty.shape == (1, 3) and empty.nnz == 0
