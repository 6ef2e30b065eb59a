from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from recsys.metrics import ndcg_at_k
from recsys.models.fit import FitRanker, resolve_monotone


def _data(n: int = 3000, seed: int = 0):
    rng = np.random.default_rng(seed)
    X = pd.DataFrame({"coverage": rng.random(n), "noise": rng.random(n), "gap": rng.normal(size=n)})
    groups = rng.integers(0, 120, n).astype(str)
    latent = 3 * X["coverage"] - 0.7 * X["gap"].abs() + rng.normal(0, 0.4, n)
    y = np.clip(np.round(latent + 1), 0, 4).astype(int)
    return X, y, groups


def _model(**kw):
    return FitRanker(monotone={"coverage": 1}, n_estimators=60, **kw)


def test_fit_learns_a_ranking_better_than_noise():
    X, y, g = _data()
    m = _model().fit(X[:2000], y[:2000], g[:2000])
    assert m is not None and hasattr(m, "booster_")
    good = ndcg_at_k(y[2000:], m.predict(X[2000:]), g[2000:], 10)
    bad = ndcg_at_k(y[2000:], X["noise"].to_numpy()[2000:], g[2000:], 10)
    assert good > bad + 0.1


def test_rows_need_not_be_contiguous_by_group():
    X, y, g = _data()
    order = np.random.default_rng(1).permutation(len(X))
    a = _model().fit(X, y, g).predict(X)
    b = _model().fit(X.iloc[order], y[order], g[order]).predict(X)
    np.testing.assert_allclose(a, b)


def test_monotone_feature_never_lowers_score():
    X, y, g = _data()
    m = _model().fit(X, y, g)
    grid = np.linspace(0, 1, 21)
    base = X.iloc[:200]
    scores = np.column_stack([m.predict(base.assign(coverage=v)) for v in grid])
    assert (np.diff(scores, axis=1) >= -1e-12).all()


def test_early_stopping_and_eval_set():
    X, y, g = _data()
    m = FitRanker(monotone=None, n_estimators=500, learning_rate=0.3).fit(
        X[:2000],
        y[:2000],
        g[:2000],
        eval_set=(X[2000:], y[2000:], g[2000:]),
        early_stopping_rounds=5,
    )
    assert 1 <= m.best_iteration_ < 500
    assert m.evals_result_


def test_early_stopping_without_eval_set_is_refused():
    X, y, g = _data(200)
    with pytest.raises(ValueError, match="eval_set"):
        _model().fit(X, y, g, early_stopping_rounds=5)


def test_contributions_sum_to_prediction_and_importance_names_features():
    X, y, g = _data()
    m = _model().fit(X, y, g)
    c = m.predict_contrib(X[:50])
    assert list(c.columns) == ["coverage", "noise", "gap", "bias"]
    np.testing.assert_allclose(c.sum(axis=1), m.predict(X[:50]), atol=1e-9)
    imp = m.feature_importance()
    assert imp.index[0] == "coverage"


def test_save_load_roundtrip_is_text_and_json(tmp_path):
    X, y, g = _data()
    m = _model().fit(X, y, g)
    path = m.save(tmp_path / "fit.txt")
    assert path.read_text().startswith("tree")
    meta = json.loads((tmp_path / "fit.json").read_text())
    assert meta["feature_names"] == ["coverage", "noise", "gap"]
    assert meta["monotone_constraints"] == [1, 0, 0]
    m2 = FitRanker.load(path)
    np.testing.assert_allclose(m2.predict(X), m.predict(X))
    # column order of the input does not matter: features are selected by name
    np.testing.assert_allclose(m2.predict(X[["gap", "coverage", "noise"]]), m.predict(X))


def test_errors_name_the_problem():
    X, y, g = _data(100)
    with pytest.raises(RuntimeError, match="not fitted"):
        FitRanker().predict(X)
    m = _model().fit(X, y, g)
    with pytest.raises(ValueError, match="coverage"):
        m.predict(X.drop(columns="coverage"))
    with pytest.raises(ValueError, match="same length"):
        _model().fit(X, y[:-1], g)
    with pytest.raises(ValueError, match="'monotone'"):
        resolve_monotone(["a"], "sometimes")


def test_regression_objective_ranks_keeps_monotone_and_round_trips(tmp_path):
    X, y, g = _data()
    m = _model(objective="regression").fit(
        X[:2000], y[:2000], g[:2000], eval_set=(X[2000:], y[2000:], g[2000:])
    )
    good = ndcg_at_k(y[2000:], m.predict(X[2000:]), g[2000:], 10)
    assert good > ndcg_at_k(y[2000:], X["noise"].to_numpy()[2000:], g[2000:], 10) + 0.1
    assert "ndcg@10" in m.evals_result_["valid_0"]  # early stopping watches NDCG per role
    grid = np.linspace(0, 1, 11)
    scores = np.column_stack([m.predict(X.iloc[:100].assign(coverage=v)) for v in grid])
    assert (np.diff(scores, axis=1) >= -1e-12).all()
    back = FitRanker.load(m.save(tmp_path / "fit.txt"))
    assert back.objective == "regression"
    np.testing.assert_allclose(back.predict(X[:50]), m.predict(X[:50]))
    with pytest.raises(ValueError, match="objective"):
        FitRanker(objective="pointwise").fit(X[:100], y[:100], g[:100])
