"""TreeShapTables reproduces LightGBM's pred_contrib (path-dependent TreeSHAP) exactly."""

from __future__ import annotations

import lightgbm as lgb
import numpy as np
import pytest

from recsys.treeshap import TreeShapTables, UnsupportedModel


def _data(seed: int = 0, n: int = 600, d: int = 8) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d))
    X[rng.random(X.shape) < 0.1] = np.nan
    X[rng.random(X.shape) < 0.1] = 0.0
    y = np.nan_to_num(X[:, 0]) * 2 + np.nan_to_num(X[:, 1]) * np.nan_to_num(X[:, 2])
    y += np.isnan(X[:, 3]) + rng.normal(0, 0.1, n)
    return X, y


@pytest.mark.parametrize(
    "params",
    [
        {"num_leaves": 7},
        {"num_leaves": 15, "zero_as_missing": True},
        {"num_leaves": 31, "use_missing": False},
        {"num_leaves": 7, "monotone_constraints": [1, 0, 0, 0, 0, 0, 0, 0]},
    ],
)
def test_contributions_equal_pred_contrib(params):
    X, y = _data()
    booster = lgb.train(
        {"verbose": -1, "min_data_in_leaf": 5, **params}, lgb.Dataset(X, y), num_boost_round=40
    )
    tables = TreeShapTables(booster, max_path_features=12)
    X_new, _ = _data(seed=1, n=200)
    X_new[:5] = X_new[5]  # ties and exact repeats
    X_new[6, :] = np.nan
    got = tables.contributions(X_new)
    want = booster.predict(X_new, pred_contrib=True)
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-10)
    # contributions plus bias are the raw prediction
    np.testing.assert_allclose(got.sum(axis=1), booster.predict(X_new, raw_score=True), atol=1e-10)


def test_thresholds_are_inclusive_like_lightgbm():
    X, y = _data()
    booster = lgb.train({"verbose": -1, "num_leaves": 7}, lgb.Dataset(X, y), num_boost_round=10)
    tables = TreeShapTables(booster)
    at = X[:50].copy()
    at[:, tables.node_feature[:8]] = tables.node_threshold[:8]  # values exactly on a split
    np.testing.assert_allclose(
        tables.contributions(at), booster.predict(at, pred_contrib=True), atol=1e-10
    )


def test_num_iteration_limits_the_trees():
    X, y = _data()
    booster = lgb.train({"verbose": -1, "num_leaves": 7}, lgb.Dataset(X, y), num_boost_round=30)
    got = TreeShapTables(booster, num_iteration=12).contributions(X[:20])
    want = booster.predict(X[:20], pred_contrib=True, num_iteration=12)
    np.testing.assert_allclose(got, want, atol=1e-10)


def test_unsupported_models_are_refused():
    X, y = _data()
    booster = lgb.train({"verbose": -1, "num_leaves": 31}, lgb.Dataset(X, y), num_boost_round=5)
    with pytest.raises(UnsupportedModel, match="max_path_features"):
        TreeShapTables(booster, max_path_features=1)
    cat = np.c_[np.random.default_rng(2).integers(0, 6, len(X)), X]
    booster = lgb.train(
        {"verbose": -1, "num_leaves": 7, "min_data_per_group": 5, "cat_smooth": 1},
        lgb.Dataset(cat, y + 3 * (cat[:, 0] == 2), categorical_feature=[0]),
        num_boost_round=5,
    )
    with pytest.raises(UnsupportedModel, match="categorical"):
        TreeShapTables(booster)


def test_wrong_width_is_a_clear_error():
    X, y = _data()
    booster = lgb.train({"verbose": -1}, lgb.Dataset(X, y), num_boost_round=3)
    with pytest.raises(ValueError, match="8 columns"):
        TreeShapTables(booster).contributions(X[:, :3])
    assert TreeShapTables(booster).contributions(X[:0]).shape == (0, 9)


def test_a_model_without_any_split_explains_with_zeros():
    # too little data for one split (min_data_in_leaf > rows / 2): every tree is a single leaf
    X, y = _data(n=40)
    booster = lgb.train(
        {"verbose": -1, "min_data_in_leaf": 30}, lgb.Dataset(X, y), num_boost_round=3
    )
    got = TreeShapTables(booster).contributions(X[:5])
    np.testing.assert_allclose(got, booster.predict(X[:5], pred_contrib=True), atol=1e-9)
    assert (got[:, :-1] == 0).all()
