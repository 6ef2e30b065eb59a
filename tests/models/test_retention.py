from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from recsys.metrics import calibration_at_horizon, concordance_index, integrated_brier_score
from recsys.models.retention import (
    RetentionModel,
    derive_hazard_features,
    spline_knots,
    tenure_targets,
)
from recsys.models.survival_baselines import KaplanMeierBaseline, NaiveRetentionClassifier


def _tenures(n: int = 6000, seed: int = 0):
    """Weibull tenures whose hazard rises with 'hop' and falls with 'fit'; uniform censoring."""
    rng = np.random.default_rng(seed)
    X = pd.DataFrame({"fit": rng.normal(size=n), "hop": rng.normal(size=n), "noise": rng.random(n)})
    X.loc[rng.random(n) < 0.05, "noise"] = np.nan
    scale = 500 * np.exp(-(0.8 * X["hop"] - 0.6 * X["fit"]).to_numpy() / 1.3)
    T = scale * rng.weibull(1.3, n)
    C = rng.uniform(30, 1200, n)
    return X, np.minimum(T, C), (T <= C).astype(int)


@pytest.fixture(scope="module")
def data():
    X, d, e = _tenures()
    return X[:3000], d[:3000], e[:3000], X[3000:], d[3000:], e[3000:]


@pytest.fixture(scope="module")
def model(data):
    X, d, e, *_ = data
    return RetentionModel().fit(X, d, e)


def test_discriminates_and_is_calibrated_at_12_months(data, model):
    *_, Xt, dt, et = data
    p = model.predict_survival(Xt, horizon_days=365)
    assert p.shape == (len(Xt),) and ((p >= 0) & (p <= 1)).all()
    assert concordance_index(dt, et, p) > 0.7
    cal = calibration_at_horizon(dt, et, p, 365, n_bins=5)
    assert cal["abs_error"].max() < 0.06  # 600 people per bin: KM noise is ~0.02


def test_beats_km_and_naive_on_ibs(data, model):
    X, d, e, Xt, dt, et = data
    times = np.linspace(60, 700, 12)
    ibs = {
        name: integrated_brier_score(
            dt, et, m.predict_survival(Xt, times), times, train_durations=d, train_events=e
        )
        for name, m in {
            "cox": model,
            "km": KaplanMeierBaseline().fit(X, d, e),
            "naive": NaiveRetentionClassifier(horizons=times).fit(X, d, e),
        }.items()
    }
    assert ibs["cox"] < ibs["km"] and ibs["cox"] < ibs["naive"]


def test_naive_classifier_drops_censored_hires_and_so_underestimates_staying(data):
    X, d, e, Xt, dt, et = data
    naive = NaiveRetentionClassifier().fit(X, d, e).predict_survival(Xt, 365)
    km = KaplanMeierBaseline().fit(X, d, e).predict_survival(Xt, 365)
    assert naive.mean() < km.mean() - 0.1


def test_survival_is_non_increasing_in_horizon(data, model):
    *_, Xt, _, _ = data
    S = model.predict_survival(Xt[:100], [30, 90, 365, 730, 5000])
    assert S.shape == (100, 5)
    assert (np.diff(S, axis=1) <= 1e-12).all()


@pytest.mark.parametrize("calibration", ["platt", "isotonic"])
def test_recalibration_roundtrips_through_json(data, calibration, tmp_path):
    X, d, e, Xt, *_ = data
    m = RetentionModel(calibration=calibration).fit(X, d, e)
    assert 365.0 in m.calibrators_
    path = m.save(tmp_path / "retention.json")
    state = json.loads(path.read_text())
    assert state["calibrators"][0]["kind"] == calibration
    m2 = RetentionModel.load(path)
    np.testing.assert_allclose(m2.predict_survival(Xt, 365), m.predict_survival(Xt, 365))
    assert not np.allclose(
        m.predict_survival(Xt, 365), m.predict_survival(Xt, 365, calibrated=False)
    )


def test_missing_features_are_imputed_and_errors_are_clear(model, data):
    X = data[0].iloc[:5].copy()
    X["fit"] = np.nan
    assert np.isfinite(model.predict_survival(X)).all()
    with pytest.raises(ValueError, match="hop"):
        model.predict_survival(X.drop(columns="hop"))
    with pytest.raises(ValueError, match="'events'"):
        RetentionModel().fit(X, np.ones(5), np.full(5, 2))
    with pytest.raises(ValueError, match="'calibration'"):
        RetentionModel(calibration="magic").fit(*data[:3])
    with pytest.raises(RuntimeError, match="not fitted"):
        RetentionModel().predict_survival(X)


def test_tenure_targets_censor_at_observed_until():
    t = pd.Timestamp
    outcomes = pd.DataFrame(
        {
            "hired_at": [t("2020-01-01"), t("2020-01-01"), pd.NaT],
            "left_at": [t("2020-07-01"), pd.NaT, pd.NaT],
            "observed_until": [t("2022-01-01"), t("2021-01-01"), t("2022-01-01")],
        }
    )
    out = tenure_targets(outcomes)
    assert list(out["event"]) == [1, 0]
    assert list(out["duration"]) == [182.0, 366.0]


def test_learned_spline_knots_capture_a_thresholded_hazard(tmp_path):
    rng = np.random.default_rng(1)
    n = 3000
    gap = rng.uniform(-3, 4, n)  # hazard flat up to gap 1.3 (a point no knot is told), steep above
    X = pd.DataFrame({"seniority_gap": gap, "noise": rng.normal(size=n)})
    T = 400 * np.exp(-1.2 * np.maximum(gap - 1.3, 0) / 1.3) * rng.weibull(1.3, n)
    C = rng.uniform(30, 1200, n)
    d, e = np.minimum(T, C), (T <= C).astype(int)
    tr, te = slice(0, 2000), slice(2000, None)
    hinged = RetentionModel(spline_knots=5).fit(X[tr], d[tr], e[tr])
    linear = RetentionModel(derived_features=False).fit(X[tr], d[tr], e[tr])
    p_h, p_l = hinged.predict_survival(X[te]), linear.predict_survival(X[te])
    knots = hinged.knots_["seniority_gap"]
    assert len(knots) == 5 and np.allclose(
        knots, np.quantile(gap[tr], [1 / 6, 2 / 6, 3 / 6, 4 / 6, 5 / 6])
    )
    assert hinged.model_features_[2:] == [f"seniority_gap_above_{k:.4g}" for k in knots]
    # below the threshold the hazard is flat; a linear term must spread the jump over it
    grid = pd.DataFrame({"seniority_gap": [-3.0, -2.0, -1.0, 0.0, 1.0], "noise": 0.0})
    spread_h, spread_l = (
        np.ptp(hinged.predict_survival(grid)),
        np.ptp(linear.predict_survival(grid)),
    )
    assert spread_l > 2 * spread_h, (spread_h, spread_l)

    def err(p):
        return calibration_at_horizon(d[te], e[te], p, 365, n_bins=4)["abs_error"].max()

    assert err(p_h) < err(p_l)
    loaded = RetentionModel.load(hinged.save(tmp_path / "r.json"))
    np.testing.assert_allclose(loaded.predict_survival(X[te]), p_h)


def test_derive_hazard_features_adds_one_hinge_per_knot():
    X = pd.DataFrame({"seniority_gap": [-2.0, 0.0, 1.0, 3.0]})
    out = derive_hazard_features(X, {"seniority_gap": [-1.0, 1.5]})
    assert list(out["seniority_gap_above_-1"]) == [0.0, 1.0, 2.0, 4.0]
    assert list(out["seniority_gap_above_1.5"]) == [0.0, 0.0, 0.0, 1.5]
    other = pd.DataFrame({"x": [1.0]})
    assert derive_hazard_features(other, {}) is other


def test_spline_knots_are_interior_quantiles_without_repeats():
    v = np.repeat([0.0, 1.0, 2.0, 3.0], 25)
    ks = spline_knots(v, 3)
    assert ks == sorted(set(ks)) and all(0.0 < k < 3.0 for k in ks)
    assert spline_knots(np.array([1.0, np.nan]), 3) == []  # too few values


def test_rows_missing_most_inputs_get_the_kaplan_meier_baseline(data, model):
    X, d, e, Xt, *_ = data
    from lifelines import KaplanMeierFitter

    km = float(KaplanMeierFitter().fit(d, e).survival_function_at_times(365).iloc[0])
    unknown = Xt.head(3).assign(fit=np.nan, hop=np.nan)  # the inputs that carry the weight
    got = model.predict_survival(unknown, 365)
    np.testing.assert_allclose(got, km, atol=1e-9)
    share, lists = model.missing_inputs(unknown)
    assert (share >= 0.5).all() and all({"fit", "hop"} <= set(m) for m in lists)
    known = model.predict_survival(Xt.head(3), 365)
    assert not np.allclose(known, km)  # rows with their inputs are predicted


def test_no_extrapolation_beyond_the_training_range(data, model):
    *_, Xt, _, _ = data
    far = Xt.head(2).assign(fit=[-1e6, 1e6], hop=[1e6, -1e6])
    edge = Xt.head(2).assign(
        fit=[model.lows_[0], model.highs_[0]], hop=[model.highs_[1], model.lows_[1]]
    )
    np.testing.assert_allclose(model.predict_survival(far, 365), model.predict_survival(edge, 365))


def test_fallback_state_survives_save_and_load(tmp_path, data, model):
    *_, Xt, _, _ = data
    path = model.save(tmp_path / "r.json")
    back = RetentionModel.load(path)
    rows = Xt.head(5).assign(fit=[np.nan] * 5, hop=[np.nan] * 5)
    np.testing.assert_allclose(back.predict_survival(rows, 365), model.predict_survival(rows, 365))


def test_rows_without_any_required_input_get_the_baseline(data):
    X, d, e, Xt, *_ = data
    model = RetentionModel(required_inputs=["noise"]).fit(X, d, e)
    rows = Xt.head(4).assign(noise=[np.nan, np.nan, 0.5, 0.5])
    got = model.predict_survival(rows, 365)
    base = model.baseline_survival(np.array([365.0]))[0]
    assert got[0] == got[1] == base and got[2] != base
    with pytest.raises(ValueError, match="required_inputs"):
        RetentionModel(required_inputs=["zzz"]).fit(X, d, e)


def test_concurrent_predictions_answer_each_caller_its_own_rows(data, model):
    """One fitted model serves many request threads: no call's rows leak into another's (the
    baseline rows were once read from the model's last call, and a concurrent call of another
    size broke the first one's answer)."""
    from concurrent.futures import ThreadPoolExecutor

    *_, Xt, _, _ = data
    thin = Xt.head(7).assign(fit=np.nan, hop=np.nan)  # every row takes the baseline
    batches = [Xt.head(300), thin, Xt.iloc[300:301], thin.head(2)] * 25
    expected = [model.predict_survival(b, 365) for b in batches[:4]]
    with ThreadPoolExecutor(4) as pool:
        got = list(pool.map(lambda b: model.predict_survival(b, 365), batches))
        rows = list(pool.map(model.baseline_rows, batches))
    for i, (g, r) in enumerate(zip(got, rows, strict=True)):
        np.testing.assert_array_equal(g, expected[i % 4])
        assert r.shape == (len(batches[i]),) and r.all() == (i % 2 == 1)


def test_predictions_stay_within_the_training_hires_range(data, model):
    X, *_ = data
    S = model.predict_survival(X, 365)
    far = model.predict_survival(X.head(1).assign(fit=-1e9, hop=1e9), 365)
    assert far[0] >= S.min() - 1e-12


def test_contributions_add_up_to_the_log_hazard_and_name_what_moves_it(data):
    X, d, e, Xte, *_ = data
    model = RetentionModel(spline_knots=3).fit(X, d, e)
    names, C = model.contributions(Xte)
    assert names == list(model.feature_names_)  # hinges folded into their input
    np.testing.assert_allclose(C.sum(axis=1), np.log(model.predict_risk(Xte)), atol=1e-9)
    # 'hop' raises the hazard and 'fit' lowers it (the planted direction): a high-hop row's
    # largest factor is hop, pushing the hazard up
    row = Xte.assign(hop=3.0, fit=0.0, noise=0.5).iloc[[0]]
    _, c = model.contributions(row)
    assert names[int(np.argmax(np.abs(c[0])))] == "hop" and c[0, names.index("hop")] > 0


def _noisy(n: int, seed: int):
    """``_tenures`` plus 30 pure-noise columns: a few hires overfit them without shrinkage."""
    X, d, e = _tenures(n, seed)
    rng = np.random.default_rng(seed + 1)
    noise = pd.DataFrame(rng.normal(size=(n, 30)), columns=[f"z{i}" for i in range(30)])
    return pd.concat([X, noise], axis=1), d, e


def test_cross_validated_penalizer_shrinks_more_on_few_hires_and_predicts_better(tmp_path):
    Xs, ds, es = _noisy(120, 3)
    Xt, dt, et = _noisy(3000, 4)
    cv = RetentionModel(penalizer="cv", derived_features=False).fit(Xs, ds, es)
    weak = RetentionModel(penalizer=0.01, derived_features=False).fit(Xs, ds, es)
    assert cv.penalizer_ in cv.penalizer_grid and set(cv.cv_scores_) == set(cv.penalizer_grid)
    assert cv.penalizer_ > 0.01
    h = np.linspace(100.0, 600.0, 8)
    ibs = {
        name: integrated_brier_score(
            dt, et, m.predict_survival(Xt, h), h, train_durations=ds, train_events=es
        )
        for name, m in (("cv", cv), ("weak", weak))
    }
    assert ibs["cv"] < ibs["weak"]
    # many hires: the held-out likelihood asks for less shrinkage than with 120
    Xl, dl, el = _noisy(3000, 5)
    many = RetentionModel(penalizer="cv", derived_features=False).fit(Xl, dl, el)
    assert many.penalizer_ < cv.penalizer_
    back = RetentionModel.load(cv.save(tmp_path / "ret.json"))
    assert back.penalizer == "cv" and back.penalizer_ == cv.penalizer_
    np.testing.assert_allclose(back.predict_survival(Xt, h), cv.predict_survival(Xt, h))


@pytest.mark.parametrize(
    "params",
    [
        {"penalizer": "auto"},
        {"penalizer": -1.0},
        {"penalizer": "cv", "penalizer_grid": []},
        {"penalizer": "cv", "cv_folds": 1},
    ],
)
def test_bad_penalizer_settings_are_refused_by_name(data, params):
    X, d, e, *_ = data
    with pytest.raises(ValueError, match="penalizer|cv_folds"):
        RetentionModel(**params).fit(X[:200], d[:200], e[:200])
