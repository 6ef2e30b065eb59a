"""A world where bias can exist: proxies of the protected attributes and biased past screeners,
while the planted true fit stays group-blind (docs/example-world.md, "Protected attributes and
biased decisions")."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.stats import chi2_contingency, ks_2samp, spearmanr

from recsys.config import load_config
from recsys.data import planted
from recsys.data.bias import BiasConfig
from recsys.data.generate import GENERATOR_VERSION, WorldConfig, generate_world
from recsys.data.truth import Truth

ROOT = Path(__file__).resolve().parents[2]
SIZE = {"candidates": 2000, "roles": 200, "seed": 21}
BANDS = {"18-24": 0, "25-34": 1, "35-44": 2, "45-54": 3, "55+": 4}


@pytest.fixture(scope="module")
def on(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("bias") / "on"
    return generate_world(out, config=WorldConfig(**SIZE, bias={"enabled": True}))


@pytest.fixture(scope="module")
def off(tmp_path_factory) -> Path:
    return generate_world(tmp_path_factory.mktemp("bias") / "off", config=WorldConfig(**SIZE))


def _applications(world: Path) -> pd.DataFrame:
    """Truth outcomes (fit, recorded and unbiased stage, shift) with the candidate's groups."""
    t = pd.read_parquet(world / "truth" / "outcomes.parquet")
    g = pd.read_parquet(world / "groups.parquet")
    return t.merge(g, on="candidate_id", validate="many_to_one")


def _candidates(world: Path) -> pd.DataFrame:
    c = pd.read_parquet(world / "candidates.parquet")
    g = pd.read_parquet(world / "groups.parquet")
    return c.merge(g, on="candidate_id", validate="one_to_one")


def _rate_gap(apps: pd.DataFrame, column: str, stage: int) -> tuple[float, float, float]:
    """(female rate, male rate, standard error of their difference) of reaching ``stage``."""
    f = apps.loc[apps["gender"] == "female", column] >= stage
    m = apps.loc[apps["gender"] == "male", column] >= stage
    p = (f.sum() + m.sum()) / (len(f) + len(m))
    se = np.sqrt(p * (1 - p) * (1 / len(f) + 1 / len(m)))
    return float(f.mean()), float(m.mean()), float(se)


def _breaks(world: Path) -> pd.Series:
    """Longest break per candidate read from the history table (between jobs, and from the end of
    the latest job to the profile date when no job is open), in days."""
    h = pd.read_parquet(world / "history.parquet").sort_values(["candidate_id", "started_at"])
    nxt = h.groupby("candidate_id")["started_at"].shift(-1)
    between = (nxt - h["ended_at"]).dt.days.groupby(h["candidate_id"]).max().fillna(0)
    c = pd.read_parquet(world / "candidates.parquet").set_index("candidate_id")
    last = h.groupby("candidate_id")["ended_at"].agg(lambda s: s.iloc[-1])
    ongoing = (c["profile_at"] - last.reindex(c.index)).dt.days.fillna(0)
    return np.maximum(between.reindex(c.index).fillna(0), ongoing)


# --- biased decisions, group-blind truth ----------------------------------------------------
def test_biased_screeners_record_lower_stages_for_women_with_the_same_true_fit(on) -> None:
    apps = _applications(on)
    fit_f = apps.loc[apps["gender"] == "female", "fit"]
    fit_m = apps.loc[apps["gender"] == "male", "fit"]
    assert abs(fit_f.mean() - fit_m.mean()) < 0.01
    assert ks_2samp(fit_f, fit_m).pvalue > 0.01  # the same true-fit distribution
    for stage in (1, 2, 3):
        f, m, se = _rate_gap(apps, "stage", stage)
        assert f < 0.85 * m and m - f > 4 * se, (stage, f, m)
        # what group-blind screeners would have recorded from the same latent scores: no gap
        f0, m0, se0 = _rate_gap(apps, "stage_unbiased", stage)
        assert abs(f0 - m0) < 3 * se0, (stage, f0, m0)


def test_unbiased_world_records_stages_within_noise(off) -> None:
    apps = _applications(off)
    assert (apps["stage"] == apps["stage_unbiased"]).all()
    assert (apps["threshold_shift"] == 0).all()
    for stage in (1, 2, 3):
        f, m, se = _rate_gap(apps, "stage", stage)
        assert abs(f - m) < 3 * se, (stage, f, m)


def test_bias_moves_stages_and_dates_never_the_true_fit(on, off) -> None:
    a = pd.read_parquet(on / "truth" / "outcomes.parquet")
    b = pd.read_parquet(off / "truth" / "outcomes.parquet")
    planted_cols = [
        "candidate_id",
        "role_id",
        "cov_required",
        "cov_optional",
        "cov_contracts",
        "location_match",
        "seniority_gap",
        "hidden",
        "fit",
        "fit_observable",
        "stage_latent",
    ]
    pd.testing.assert_frame_equal(a[planted_cols], b[planted_cols])
    np.testing.assert_array_equal(a["stage_unbiased"], b["stage"])
    # raised thresholds only lower a stage; a hire can move to a later application of the same
    # candidate when the earlier one no longer reaches it (one hire per candidate)
    moved_hire = (a["stage"] == 4) & (a["stage_unbiased"] == 3)
    assert ((a["stage"] <= a["stage_unbiased"]) | moved_hire).all()
    assert (a["stage"] < a["stage_unbiased"]).mean() > 0.05
    # the résumés show the breaks' dates, so what they mention by accident may change; the rest
    # of the candidates' truth (true skills, contracts, seniority, ...) may not
    text_and_breaks = ["mentioned_skills", "longest_break_days"]
    ta = pd.read_parquet(on / "truth" / "candidates.parquet").drop(columns=text_and_breaks)
    tb = pd.read_parquet(off / "truth" / "candidates.parquet").drop(columns=text_and_breaks)
    pd.testing.assert_frame_equal(ta, tb)
    for name in ("holdings", "roles"):
        pd.testing.assert_frame_equal(
            pd.read_parquet(on / f"{name}.parquet"), pd.read_parquet(off / f"{name}.parquet")
        )
    # the truth of the biased world recomputes its fit from its own files
    truth = Truth.load(on)
    np.testing.assert_allclose(truth.fit(a["candidate_id"], a["role_id"]), a["fit"])
    assert truth.bias["enabled"] and not Truth.load(off).bias["enabled"]


def test_true_fit_mean_does_not_depend_on_gender_or_ethnicity(on) -> None:
    apps = _applications(on)
    for attribute in ("gender", "ethnicity"):
        means = apps.groupby(attribute)["fit"].agg(["mean", "size"])
        big = means[means["size"] >= 500]["mean"]
        assert len(big) >= 2 and big.max() - big.min() < 0.015, (attribute, means)


def test_recorded_shift_is_the_configured_delta_of_the_groups(on) -> None:
    apps = _applications(on)
    cfg = BiasConfig()
    breaks = pd.read_parquet(on / "truth" / "candidates.parquet").set_index("candidate_id")
    expected = np.where(
        breaks.loc[apps["candidate_id"], "longest_break_days"].to_numpy() >= cfg.gap_shift_days,
        cfg.gap_shift,
        0.0,
    )
    for attribute, shifts in cfg.threshold_shift.items():
        expected = expected + apps[attribute].map(shifts).fillna(0.0).to_numpy()
    np.testing.assert_allclose(apps["threshold_shift"], expected)
    # the recorded stage is the number of shifted thresholds passed by the latent score
    params = json.loads((on / "truth" / "params.json").read_text())
    t = np.asarray(params["funnel"]["thresholds"])
    z = apps["stage_latent"].to_numpy()
    passed = (t[None, :] + apps["threshold_shift"].to_numpy()[:, None] <= z[:, None]).sum(axis=1)
    np.testing.assert_array_equal(np.minimum(passed, 3), np.minimum(apps["stage"], 3))


# --- proxies ----------------------------------------------------------------------------------
def test_age_band_follows_years_of_experience(on, off) -> None:
    for world, low, high in ((on, 0.6, 1.0), (off, -0.1, 0.1)):
        c = _candidates(world).dropna(subset=["age_band"])
        rho = spearmanr(c["age_band"].map(BANDS), c["years_experience"]).statistic
        assert low < rho < high, (world.name, rho)
    c = _candidates(on)
    assert c["age_band"].value_counts(normalize=True).min() >= 0.02  # every band is audited


def test_career_breaks_are_more_frequent_for_women_when_on(on, off) -> None:
    long_on, long_off = _breaks(on) >= 365, _breaks(off) >= 365
    g_on = _candidates(on).set_index("candidate_id")["gender"]
    g_off = _candidates(off).set_index("candidate_id")["gender"]
    share_on = long_on.groupby(g_on).mean()
    share_off = long_off.groupby(g_off).mean()
    assert share_on["female"] > share_on["male"] + 0.1, share_on
    assert abs(share_off["female"] - share_off["male"]) < 0.04, share_off
    # the history read from the files agrees with the break the screeners saw
    truth = pd.read_parquet(on / "truth" / "candidates.parquet").set_index("candidate_id")
    diff = (_breaks(on) - truth["longest_break_days"].reindex(long_on.index)).abs()
    assert diff.max() <= 2
    # off: jobs are back to back (up to the day rounding)
    h = pd.read_parquet(off / "history.parquet").sort_values(["candidate_id", "started_at"])
    nxt = h.groupby("candidate_id")["started_at"].shift(-1)
    assert (nxt - h["ended_at"]).dt.days.abs().max() <= 1


def test_group_mix_differs_by_city_when_on(on, off) -> None:
    for world, differs in ((on, True), (off, False)):
        c = _candidates(world)
        for attribute in ("ethnicity", "gender"):
            p = chi2_contingency(pd.crosstab(c["location"], c[attribute])).pvalue
            if differs and attribute == "ethnicity":
                assert p < 1e-6, (world.name, attribute, p)
            elif not differs:
                assert p > 1e-3, (world.name, attribute, p)


def test_nothing_in_a_profile_postdates_an_application(on) -> None:
    c = pd.read_parquet(on / "candidates.parquet").set_index("candidate_id")
    h = pd.read_parquet(on / "history.parquet")
    o = pd.read_parquet(on / "outcomes.parquet")
    first = o.groupby("candidate_id")["applied_at"].min()
    assert (c.loc[first.index, "profile_at"] < first).all()
    at = c.loc[h["candidate_id"], "profile_at"].to_numpy()
    assert (h["started_at"].to_numpy() <= at).all()
    assert (h["ended_at"].isna() | (h["ended_at"].to_numpy() <= at)).all()
    assert (h["ended_at"].isna() | (h["started_at"] <= h["ended_at"])).all()


# --- records, config, determinism ---------------------------------------------------------------
def test_truth_and_manifest_record_the_bias(on, off) -> None:
    params = json.loads((on / "truth" / "params.json").read_text())
    bias = params["bias"]
    assert bias["enabled"] and bias["threshold_shift"]["gender"]["female"] > 0
    assert set(bias["city_mix"]) == {"gender", "ethnicity"}
    for mix in bias["city_mix"]["ethnicity"].values():
        assert sum(mix.values()) == pytest.approx(1.0, abs=1e-5)
    manifest = json.loads((on / "manifest.json").read_text())
    assert manifest["generator"]["version"] == GENERATOR_VERSION == "1.4"
    assert manifest["params"]["bias"]["enabled"] is True
    assert manifest["params"]["bias"]["threshold_shift"] == bias["threshold_shift"]
    assert json.loads((off / "truth" / "params.json").read_text())["bias"] == {"enabled": False}
    assert json.loads((off / "manifest.json").read_text())["params"]["bias"]["enabled"] is False


def test_demo_world_is_biased_and_the_test_world_is_not() -> None:
    demo = load_config(ROOT / "configs" / "world-demo.yaml", WorldConfig)
    assert demo.bias.enabled
    assert not load_config(ROOT / "configs" / "world-test.yaml", WorldConfig).bias.enabled
    assert not WorldConfig().bias.enabled


def test_a_chunk_does_not_depend_on_the_others(tmp_path: Path) -> None:
    cfg = {
        "roles": 40,
        "seed": 3,
        "chunk_size": 150,
        "text_style": "labels",
        "bias": {"enabled": True},
    }
    one = generate_world(tmp_path / "one", config=WorldConfig(candidates=150, **cfg))
    two = generate_world(tmp_path / "two", config=WorldConfig(candidates=300, **cfg))
    for name in ("candidates", "groups", "history", "holdings", "outcomes", "truth/outcomes"):
        a = pd.read_parquet(one / f"{name}.parquet")
        b = pd.read_parquet(two / f"{name}.parquet")
        b = b[b["candidate_id"].isin(a["candidate_id"])].reset_index(drop=True)
        pd.testing.assert_frame_equal(a, b, obj=name)
    assert pd.read_parquet(two / "groups.parquet")["candidate_id"].nunique() == 300


def test_bias_config_names_what_is_wrong() -> None:
    with pytest.raises(ValueError, match="threshold_shift keys must be among"):
        BiasConfig(threshold_shift={"religion": {"x": 0.1}})
    with pytest.raises(ValueError, match=r"threshold_shift.gender keys"):
        BiasConfig(threshold_shift={"gender": {"women": 0.1}})
    with pytest.raises(ValueError, match="shift_stages"):
        BiasConfig(shift_stages=[0, 5])
    with pytest.raises(ValueError, match="break_rate_by_gender"):
        BiasConfig(break_rate_by_gender={"female": 1.5})
    with pytest.raises(ValueError, match="entry_age_mean"):
        BiasConfig(entry_age_min=30, entry_age_mean=25)
    with pytest.raises(ValueError, match="extra"):
        WorldConfig(bias={"enabeld": True})


def test_shifted_stages_count_thresholds_passed_in_a_row() -> None:
    f = planted.FunnelParams()  # thresholds 0.12, 0.26, 0.38, 0.50
    z = np.array([0.05, 0.2, 0.3, 0.45, 0.9, 0.3])
    np.testing.assert_array_equal(planted.stages(z, f, shift=np.zeros(6)), planted.stages(z, f))
    shift = np.array([0.0, 0.1, 0.1, 0.1, 0.1, 0.0])
    np.testing.assert_array_equal(planted.stages(z, f, shift=shift), [0, 0, 1, 2, 4, 2])
    # only the screening threshold shifted: failing it stops the candidate there
    only_first = planted.stages(z, f, shift=shift, shift_mask=[1, 0, 0, 0])
    np.testing.assert_array_equal(only_first, [0, 0, 2, 3, 4, 2])


def test_groups_of_a_biased_world_never_reach_the_features(tmp_path: Path) -> None:
    from recsys.data.io import load_world
    from recsys.embedding import HashingEncoder
    from recsys.features import FeatureBuilder

    cfg = WorldConfig(candidates=150, roles=20, seed=5, bias={"enabled": True})
    world = load_world(generate_world(tmp_path / "w", config=cfg))
    o, encoder = world.outcomes, HashingEncoder(dim=32)
    pairs = pd.DataFrame(
        {"candidate_id": o["candidate_id"], "role_id": o["role_id"], "as_of": o["applied_at"]}
    )
    features = FeatureBuilder(world, encoder=encoder).transform(pairs)
    g = world.groups.copy()
    for col in g.columns.drop("candidate_id"):
        g[col] = g[col].sample(frac=1.0, random_state=1).to_numpy()
    for variant in (dataclasses.replace(world, groups=g), dataclasses.replace(world, groups=None)):
        again = FeatureBuilder(variant, encoder=encoder).transform(pairs)
        pd.testing.assert_frame_equal(again, features)
