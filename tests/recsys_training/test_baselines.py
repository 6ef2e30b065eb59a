"""recsys_training.baselines: the linear model and the untrained hand-weighted score."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from recsys_training.baselines import hand_weighted_scores, linear_scores
from recsys_training.evaluate import ranking_metrics


def _frame(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "req_cov": rng.uniform(0, 1, n),  # documented +1
            "req_missing": rng.integers(0, 6, n).astype(float),  # documented -1
            "years_experience": rng.normal(size=n),  # no documented direction
        }
    )


def test_linear_model_learns_the_relation_and_reads_missing_values():
    X = _frame(2_000, 0)
    X.loc[::7, "req_cov"] = np.nan
    y = 3 * X["req_cov"].fillna(0.5) - 0.5 * X["req_missing"] + 0.1 * X["years_experience"]
    Xt = _frame(500, 1)
    yt = 3 * Xt["req_cov"] - 0.5 * Xt["req_missing"] + 0.1 * Xt["years_experience"]
    pred = linear_scores(X, y.to_numpy(), Xt[["years_experience", "req_missing", "req_cov"]])
    assert np.corrcoef(pred, yt)[0, 1] > 0.99
    Xt.loc[0, "req_cov"] = np.nan  # no NaN out, whatever is missing
    assert np.isfinite(linear_scores(X, y.to_numpy(), Xt)).all()
    with pytest.raises(ValueError, match="years_experience"):
        linear_scores(X, y.to_numpy(), Xt.drop(columns="years_experience"))


def test_hand_weighted_follows_the_documented_directions_and_reads_no_label():
    from recsys.features.registry import FEATURES

    assert FEATURES["req_cov"].monotone == 1 and FEATURES["req_missing"].monotone == -1
    assert FEATURES["years_experience"].monotone == 0
    X = _frame(1_000, 0)
    rows = pd.DataFrame(
        {"req_cov": [0.5, 0.9, 0.5, np.nan], "req_missing": [2, 2, 0, 2], "years_experience": 0}
    ).astype(float)
    s = hand_weighted_scores(X, rows)
    assert s[1] > s[0] and s[2] > s[0]  # more coverage, fewer missing skills: higher
    at_mean = rows.iloc[[3]].assign(req_cov=X["req_cov"].mean())
    assert s[3] == pytest.approx(hand_weighted_scores(X, at_mean)[0])  # missing = the mean
    moved = rows.assign(years_experience=[5.0, -5.0, 1.0, 0.0])  # no direction: no weight
    assert np.allclose(hand_weighted_scores(X, moved), s)
    with pytest.raises(ValueError, match="direction"):
        hand_weighted_scores(X[["years_experience"]], X[["years_experience"]])
    blank = X.assign(req_missing=np.nan)  # never observed in training: left out, no warning
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        only_cov = hand_weighted_scores(blank, rows)
    assert only_cov[1] > only_cov[0] and only_cov[2] == pytest.approx(only_cov[0])


def test_ranker_is_reported_against_the_best_simple_model():
    rng = np.random.default_rng(2)
    pairs = pd.DataFrame(
        {"role_id": np.repeat([f"r{i}" for i in range(20)], 10), "label": rng.integers(0, 4, 200)}
    )
    y = pairs["label"].to_numpy(dtype=float)
    scores = {
        "ranker": y + rng.normal(0, 0.5, 200),
        "linear": y + rng.normal(0, 1.0, 200),
        "hand_weighted": y + rng.normal(0, 2.0, 200),
        "bm25": rng.normal(size=200),
    }
    out = ranking_metrics(pairs, scores, ks=(10,))
    best = max(out["linear"]["ndcg@10"], out["hand_weighted"]["ndcg@10"])
    assert out["ranker_vs"]["ndcg@10/best_simple_model"] == pytest.approx(
        out["ranker"]["ndcg@10"] / best
    )
    assert out["ranker_vs"]["ndcg@10/best_baseline"] == pytest.approx(
        out["ranker"]["ndcg@10"] / out["bm25"]["ndcg@10"]
    )


def test_observable_formula_is_the_planted_fit_on_claimed_skills(tmp_path):
    """With no hidden term and the claimed skills, the formula sits between the data and the oracle:
    it equals the planted observable fit wherever a candidate claims exactly the true skills."""
    from recsys.data.generate import WorldConfig, generate_world
    from recsys.data.truth import Truth
    from recsys_training.baselines import observable_formula_scores

    world = generate_world(
        tmp_path / "w", config=WorldConfig(candidates=300, roles=30, n_contracts=20, seed=3)
    )
    truth = Truth.load(world)
    out = truth.outcomes()
    got = observable_formula_scores(world, out)
    cands = pd.read_parquet(world / "candidates.parquet").set_index("candidate_id")["skills"]
    true = dict(zip(truth.candidate_ids, truth.true_skills(truth.candidate_ids), strict=True))
    same = out["candidate_id"].map(lambda c: set(cands[c]) == set(true[c])).to_numpy()
    assert same.any() and not same.all()
    np.testing.assert_allclose(got[same], out["fit_observable"].to_numpy()[same])
    assert np.corrcoef(got, out["fit_observable"])[0, 1] > 0.5
