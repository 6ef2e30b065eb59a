from __future__ import annotations

import numpy as np
import pytest
from pydantic import ValidationError

from recsys.models.combine import CombineConfig, combine_scores


def test_weight_zero_is_fit_percentile_and_one_is_retention():
    fit = np.array([3.0, 1.0, 2.0])
    ret = np.array([0.2, 0.9, 0.5])
    cfg = CombineConfig(fit_transform="percentile")
    np.testing.assert_allclose(combine_scores(fit, ret, 0.0, config=cfg), [1.0, 0.0, 0.5])
    np.testing.assert_allclose(combine_scores(fit, ret, 1.0, config=cfg), ret)


def test_default_keeps_a_clearly_better_fit_ahead_of_a_weak_fit_with_better_retention():
    # the model's own scale (as training sets it): a weak fit at the top of a skewed pool
    cfg = CombineConfig(fit_center=0.35, fit_temperature=0.86)
    assert cfg.fit_transform == "sigmoid"
    rng = np.random.default_rng(0)
    fit = np.r_[3.26, 0.27, rng.normal(-0.5, 0.3, 200)]  # strong, weak, the rest of the pool
    ret = np.r_[0.82, 0.92, rng.random(200)]
    score = combine_scores(fit, ret, config=cfg)
    assert score[0] > score[1]
    pct = combine_scores(fit, ret, config=cfg.model_copy(update={"fit_transform": "percentile"}))
    assert pct[1] > pct[0]  # what the percentile transform did on the demo world


@pytest.mark.parametrize("rule", ["blend", "geometric"])
def test_retention_weight_reorders_candidates(rule):
    fit = np.array([2.0, 1.0])
    ret = np.array([0.4, 0.95])
    low = combine_scores(fit, ret, retention_weight=0.1, rule=rule)
    high = combine_scores(fit, ret, retention_weight=0.9, rule=rule)
    assert low[0] > low[1] and high[1] > high[0]


def test_percentile_is_within_request():
    fit = np.array([10.0, 11.0, -5.0, -4.0])
    cfg = CombineConfig(fit_transform="percentile")
    out = combine_scores(fit, np.full(4, 0.5), 0.0, group_ids=["a", "a", "b", "b"], config=cfg)
    np.testing.assert_allclose(out, [0.0, 1.0, 0.0, 1.0])


@pytest.mark.parametrize("rule", ["blend", "geometric"])
@pytest.mark.parametrize("transform", ["percentile", "sigmoid"])
def test_monotone_in_fit_and_retention(rule, transform):
    rng = np.random.default_rng(0)
    fit, ret = rng.normal(size=50), rng.random(50)
    cfg = CombineConfig(rule=rule, fit_transform=transform, retention_weight=0.4)
    base = combine_scores(fit, ret, config=cfg)
    assert (combine_scores(fit, np.minimum(ret + 0.05, 1), config=cfg) >= base - 1e-12).all()
    i = int(np.argmin(fit))
    bumped = fit.copy()
    bumped[i] = fit.max() + 1
    assert combine_scores(bumped, ret, config=cfg)[i] > base[i]
    assert ((base >= 0) & (base <= 1)).all()


def test_bad_inputs_are_refused():
    with pytest.raises(ValidationError):
        CombineConfig(retention_weight=1.5)
    with pytest.raises(ValueError, match="'retention'"):
        combine_scores([1.0], [1.2])
    with pytest.raises(ValueError, match="equal length"):
        combine_scores([1.0, 2.0], [0.5])


def test_calibrated_fit_is_the_probability_of_the_outcome_it_was_fitted_on():
    from recsys.models.combine import calibrate_fit, fit_probability

    rng = np.random.default_rng(0)
    fit = rng.normal(1.0, 2.0, 20_000)  # ranker scores; the outcome follows a logistic in them
    reached = rng.random(fit.size) < 1.0 / (1.0 + np.exp(-(fit - 2.5) / 0.8))
    center, temperature = calibrate_fit(fit, reached)
    assert abs(center - 2.5) < 0.1 and abs(temperature - 0.8) < 0.05
    cfg = CombineConfig(fit_center=center, fit_temperature=temperature)
    p = fit_probability(fit, cfg)
    for lo, hi in ((0.0, 0.2), (0.4, 0.6), (0.8, 1.0)):  # predicted ≈ observed per band
        band = (p >= lo) & (p < hi)
        assert abs(p[band].mean() - reached[band].mean()) < 0.03
    assert np.all(np.diff(fit_probability(np.sort(fit), cfg)) >= 0)  # order of the ranker kept


def test_calibration_refuses_one_class_and_a_falling_relation():
    from recsys.models.combine import calibrate_fit

    fit = np.linspace(-2, 2, 200)
    assert calibrate_fit(fit, np.zeros(200, bool)) is None
    assert calibrate_fit(fit, fit < 0) is None  # higher scores reach the stage less: no map
    with pytest.raises(ValueError, match="same length"):
        calibrate_fit(fit, fit[:10] > 0)


def test_default_rule_lets_no_retention_lift_a_poor_fit_over_a_better_one():
    # measured in a mixed store (docs/retention.md): a generated person of P(interview) 0.03
    # and retention 0.94 against a real résumé of P(interview) 0.125 and the baseline 0.605
    from recsys.models.combine import fit_probability

    cfg = CombineConfig()
    assert cfg.rule == "geometric"
    p = np.array([0.125, 0.03])
    fit = np.log(p / (1 - p))  # raw scores whose fit probability (centre 0, scale 1) is p
    np.testing.assert_allclose(fit_probability(fit, cfg), p)
    ret = np.array([0.605, 0.94])
    default = combine_scores(fit, ret, config=cfg)
    assert default[0] > default[1]
    blend = combine_scores(fit, ret, config=cfg.model_copy(update={"rule": "blend"}))
    assert blend[1] > blend[0]
    # at w = 0.5 the default orders as the product P(interview) × P(stay) does
    rng = np.random.default_rng(0)
    f, r = rng.normal(size=100), rng.random(100)
    half = combine_scores(f, r, 0.5, config=cfg)
    np.testing.assert_array_equal(np.argsort(half), np.argsort(fit_probability(f, cfg) * r))
