from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from recsys_training.evaluate import flatten_metrics, ndcg_curve, ranking_metrics, retention_metrics


def _pairs(seed: int = 0, roles: int = 30, per: int = 12) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "role_id": np.repeat([f"r{i}" for i in range(roles)], per),
            "label": rng.integers(0, 5, roles * per),
        }
    )


def test_ranker_is_reported_against_oracle_and_best_baseline():
    pairs = _pairs()
    rng = np.random.default_rng(1)
    y = pairs["label"].to_numpy(dtype=float)
    scores = {
        "oracle": y,  # a perfect ranking
        "ranker": y + rng.normal(0, 0.8, len(y)),
        "bm25": y + rng.normal(0, 3.0, len(y)),
        "cosine": rng.normal(size=len(y)),
    }
    out = ranking_metrics(pairs, scores, ks=(5, 10))
    assert out["oracle"]["ndcg@10"] == pytest.approx(1.0)
    assert out["oracle"]["ndcg@10"] > out["ranker"]["ndcg@10"] > out["bm25"]["ndcg@10"]
    vs = out["ranker_vs"]
    assert vs["ndcg@10/oracle"] == pytest.approx(out["ranker"]["ndcg@10"])
    best = max(out["bm25"]["ndcg@10"], out["cosine"]["ndcg@10"])
    assert vs["ndcg@10/best_baseline"] == pytest.approx(out["ranker"]["ndcg@10"] / best)
    curve = ndcg_curve(pairs, scores, ks=range(1, 6))
    assert list(curve.index) == [1, 2, 3, 4, 5] and np.allclose(curve["oracle"], 1.0)


def test_scores_must_align_with_pairs():
    with pytest.raises(ValueError, match="ranker"):
        ranking_metrics(_pairs(), {"ranker": np.zeros(3)})


def test_flatten_metrics_keeps_numbers_only():
    flat = flatten_metrics({"a": {"b": 1, "c": "text", "d": {"e": 2.5}}, "f": True}, "test.")
    assert flat == {"test.a.b": 1.0, "test.a.d.e": 2.5}


def test_retention_metrics_rank_the_informed_model_above_km():
    from recsys.models.retention import RetentionModel

    rng = np.random.default_rng(0)

    def draw(n):
        x = rng.normal(size=n)
        t = rng.weibull(1.3, n) * 700 * np.exp(-0.8 * x)  # higher x leaves sooner
        c = rng.uniform(100, 900, n)
        return (
            pd.DataFrame({"x": x, "noise": rng.normal(size=n)}),
            np.minimum(t, c),
            (t <= c).astype(int),
        )

    train, test = draw(1500), draw(800)
    model = RetentionModel().fit(*train)
    out, tables = retention_metrics(model, train, test, horizon_days=365)
    assert out["model"]["c_index"] > 0.65 > out["km"]["c_index"] - 0.1
    assert out["km"]["c_index"] == pytest.approx(0.5)
    assert out["model"]["ibs"] < out["km"]["ibs"]
    assert set(tables) == {"model", "km", "naive"} and len(tables["model"]) == 10
    with pytest.raises(ValueError, match="test hires"):
        retention_metrics(model, train, tuple(a[:5] for a in test))


def test_retention_metrics_report_the_planted_oracle_and_the_noise_floor():
    from recsys.models.retention import RetentionModel
    from recsys_training.evaluate import PlantedSurvival

    rng = np.random.default_rng(1)

    def draw(n):
        x = rng.normal(size=n)
        t = rng.weibull(1.3, n) * 700 * np.exp(-0.8 * x)  # S(t) = exp(-(t/700)^1.3 e^(1.04 x))
        c = rng.uniform(400, 900, n)  # every test hire followed past the 365-day horizon
        return pd.DataFrame({"x": x}), np.minimum(t, c), (t <= c).astype(int)

    train, test = draw(1500), draw(800)
    oracle = PlantedSurvival(1.3 * 0.8 * test[0]["x"].to_numpy(), shape=1.3, scale_days=700.0)
    model = RetentionModel().fit(*train)
    out, tables = retention_metrics(model, train, test, horizon_days=365, oracle=oracle)
    assert "oracle" in tables
    assert out["oracle"]["c_index"] >= out["model"]["c_index"] - 0.01
    assert out["oracle"]["c_index"] > out["km"]["c_index"] + 0.1
    for name in ("model", "oracle"):  # both calibrated: within the simulated noise spread
        assert (
            out[name]["calibration_max_abs_error"]
            < out[name]["calibration_noise_max_abs_error_p95"]
        )
        assert out[name]["calibration_noise_max_abs_error_p50"] > 0.02
    with pytest.raises(ValueError, match="800 hires"):
        oracle.predict_survival(test[0][:5], 365)


def _applicants(seed: int = 0, roles: int = 60, per_role: int = 20):
    rng = np.random.default_rng(seed)
    n = roles * per_role
    fit = rng.normal(size=n)  # the ranker's raw score; the funnel follows it
    stage = np.clip(np.round(fit + rng.normal(0, 0.7, n) + 1), 0, 4).astype(int)
    planted = rng.uniform(0.2, 0.95, n)  # P(stay) of each application, independent of fit
    pairs = pd.DataFrame({"role_id": np.repeat([f"r{i}" for i in range(roles)], per_role)})
    return pairs.assign(label=stage), fit, planted


def test_combined_metrics_credit_retention_with_the_value_of_an_application():
    from recsys.models.combine import CombineConfig
    from recsys_training.evaluate import combined_metrics

    pairs, fit, planted = _applicants()
    cfg = CombineConfig(fit_center=1.0, fit_temperature=0.5, retention_weight=0.3)
    out = combined_metrics(pairs, fit, planted, cfg, ks=(10,), planted=planted)
    assert set(out) == {"stage", "value"}
    assert set(out["value"]) == {"fit", "geometric", "blend"}
    # stage follows fit alone: retention can only move it away; value needs both
    assert out["stage"]["fit"]["ndcg@10"] > out["stage"]["geometric"]["ndcg@10"]
    assert out["value"]["geometric"]["ndcg@10"] > out["value"]["fit"]["ndcg@10"]
    noise = np.random.default_rng(1).uniform(0.2, 0.95, len(fit))  # an uninformed retention
    blind = combined_metrics(pairs, fit, noise, cfg, ks=(10,), planted=planted)
    assert blind["value"]["geometric"]["ndcg@10"] < out["value"]["geometric"]["ndcg@10"]
    assert "value" not in combined_metrics(pairs, fit, planted, cfg, ks=(10,))


def test_combined_metrics_take_percentiles_within_each_role_as_a_shortlist_does():
    from recsys import metrics
    from recsys.models.combine import CombineConfig, combine_scores
    from recsys_training.evaluate import combined_metrics

    pairs, fit, planted = _applicants(roles=2, per_role=30)
    # one role's applicants all score higher: percentiles taken over every row would put all of
    # them near 1 and the other role's near 0, and retention would weigh differently in each
    fit[:30] += 5.0
    cfg = CombineConfig(fit_transform="percentile", retention_weight=0.5)
    got = combined_metrics(pairs, fit, planted, cfg, ks=(10,))["stage"]["geometric"]["ndcg@10"]
    per_role = np.concatenate(  # each role combined as its own request
        [combine_scores(fit[s], planted[s], config=cfg) for s in (slice(0, 30), slice(30, 60))]
    )
    g = pairs["role_id"].to_numpy()
    assert got == pytest.approx(
        metrics.ranking_report(pairs["label"], per_role, g, (10,))["ndcg@10"]
    )
