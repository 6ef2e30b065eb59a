"""FitRanker and RetentionModel keep scikit-learn's estimator contract for parameters.

What runs: sklearn's own checks for parameter handling (``check_get_params_invariance``,
``check_set_params``, ``check_no_attributes_set_in_init``, ``check_parameters_default_constructible``,
``check_estimator_cloneable``, ``check_estimator_repr``,
``check_do_not_raise_errors_in_init_or_set_params``, ``check_estimator_tags_renamed``,
``check_valid_tag_types``, ``check_mixin_order``), then ``clone`` of fitted models and refits of the
clones.

What does not apply: every check that calls ``fit(X, y)`` (``check_estimator`` as a whole,
``check_fit_idempotent``, ``check_estimators_pickle``, ``check_estimators_overwrite_params``, …).
FitRanker.fit needs the role of every row (``group_ids``) and RetentionModel.fit needs durations
and censoring events instead of ``y``; sklearn's generic data (make_blobs, 1-d ``y``) cannot
exercise either.  Those behaviours are covered by tests/models/test_fit.py and test_retention.py.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import sklearn
from sklearn.base import clone
from sklearn.utils import estimator_checks as checks

from recsys.models.fit import FitRanker
from recsys.models.retention import RetentionModel

ESTIMATORS = [
    FitRanker(),
    FitRanker(n_estimators=7, monotone=None, eval_at=(5, 10), objective="regression"),
    RetentionModel(),
    RetentionModel(
        calibration="platt", calibration_horizons=(180.0, 365.0), required_inputs=("a",)
    ),
]
CHECKS = [
    "check_get_params_invariance",
    "check_set_params",
    "check_no_attributes_set_in_init",
    "check_parameters_default_constructible",
    "check_estimator_cloneable",
    "check_estimator_repr",
    "check_do_not_raise_errors_in_init_or_set_params",
    "check_estimator_tags_renamed",
    "check_valid_tag_types",
    "check_mixin_order",
]


@pytest.mark.parametrize("check", CHECKS)
@pytest.mark.parametrize("estimator", ESTIMATORS, ids=lambda e: type(e).__name__)
def test_sklearn_parameter_checks(estimator, check):
    fn = getattr(checks, check, None)
    if fn is None:  # pragma: no cover - older scikit-learn
        pytest.skip(f"scikit-learn {sklearn.__version__} has no {check}")
    fn(type(estimator).__name__, estimator)


@pytest.mark.parametrize("cls", [FitRanker, RetentionModel])
def test_get_params_takes_deep_and_set_params_round_trips(cls):
    model = cls()
    assert model.get_params(deep=True) == model.get_params(deep=False) == model.get_params()
    assert model.set_params(random_state=5) is model
    assert model.get_params()["random_state"] == 5
    with pytest.raises(ValueError, match="Invalid parameter 'nope'"):
        model.set_params(nope=1)


def _pairs(n_roles=12, per_role=20, seed=0):
    rng = np.random.default_rng(seed)
    n = n_roles * per_role
    X = pd.DataFrame({"a": rng.normal(size=n), "b": rng.normal(size=n)})
    y = np.clip(np.round(1.5 + X["a"] + 0.5 * rng.normal(size=n)), 0, 4).astype(int)
    return X, y.to_numpy(), np.repeat([f"R{i}" for i in range(n_roles)], per_role)


def test_clone_of_a_fitted_ranker_is_unfitted_and_refits_to_the_same_scores():
    X, y, groups = _pairs()
    model = FitRanker(n_estimators=20, num_leaves=7, min_child_samples=5, monotone=None)
    model.fit(X, y, groups)
    copy = clone(model)
    assert copy is not model and copy.get_params() == model.get_params()
    assert not hasattr(copy, "booster_")
    np.testing.assert_allclose(copy.fit(X, y, groups).predict(X), model.predict(X))
    other = clone(model).set_params(n_estimators=3)
    assert other.fit(X, y, groups).best_iteration_ == 3
    assert model.n_estimators == 20  # the original keeps its parameters


def test_clone_of_a_fitted_retention_model_refits_to_the_same_survival():
    rng = np.random.default_rng(1)
    n = 300
    X = pd.DataFrame({"seniority_gap": rng.normal(size=n), "years_experience": rng.gamma(3, 2, n)})
    durations = rng.exponential(400 * np.exp(0.4 * X["seniority_gap"]), n).clip(1, 1500)
    events = (durations < 1200).astype(int)
    model = RetentionModel(penalizer=0.1).fit(X, durations, events)
    copy = clone(model)
    assert copy.get_params() == model.get_params() and not hasattr(copy, "coef_")
    np.testing.assert_allclose(
        copy.fit(X, durations, events).predict_survival(X), model.predict_survival(X)
    )


def test_saved_retention_params_stay_plain_json(tmp_path):
    rng = np.random.default_rng(2)
    X = pd.DataFrame({"seniority_gap": rng.normal(size=200), "years_experience": rng.random(200)})
    d, e = rng.exponential(300, 200) + 1, rng.integers(0, 2, 200)
    model = RetentionModel(calibration_horizons=(np.float64(365),), derived_features=False)
    loaded = RetentionModel.load(model.fit(X, d, e).save(tmp_path / "r.json"))
    assert loaded.get_params()["calibration_horizons"] == [365.0]
    assert clone(loaded).get_params() == loaded.get_params()


@pytest.mark.parametrize(
    "make, bad",
    [
        ("fit", {"learning_rate": "fast"}),
        ("fit", {"num_leaves": 1}),
        ("fit", {"n_estimators": 0}),
        ("fit", {"objective": "rank"}),
        ("fit", {"subsample": 1.5}),
        ("retention", {"l1_ratio": 2.0}),
        ("retention", {"calibration": "sigmoid"}),
        ("retention", {"fallback_missing": -0.1}),
        ("retention", {"cv_folds": 1}),
    ],
)
def test_bad_parameters_are_refused_by_name_before_any_fitting(make, bad):
    """sklearn's own validation at fit: the parameter named, what is allowed, what came (not
    LightGBM's "Unknown token", nor a fit that silently goes ahead)."""
    import numpy as np
    import pandas as pd

    from recsys.models.fit import FitRanker
    from recsys.models.retention import RetentionModel

    rng = np.random.default_rng(0)
    X = pd.DataFrame({"a": rng.random(60), "b": rng.random(60)})
    name = next(iter(bad))
    with pytest.raises(ValueError, match=f"The '{name}' parameter of"):
        if make == "fit":
            FitRanker(**bad).fit(X, rng.integers(0, 3, 60), np.repeat(np.arange(6), 10))
        else:
            RetentionModel(**bad).fit(X, rng.random(60) * 500 + 1, rng.integers(0, 2, 60))
