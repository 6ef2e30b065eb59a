"""Scenarios: the documented planted process and the family drawn from priors."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from recsys.data import planted
from recsys.data.generate import WorldConfig, generate_world
from recsys.data.truth import Truth

SIZE = {"candidates": 400, "roles": 40, "n_contracts": 20, "seed": 11}


@pytest.fixture(scope="module")
def drawn(tmp_path_factory):
    out = tmp_path_factory.mktemp("drawn") / "world"
    generate_world(out, config=WorldConfig(**SIZE, scenario={"kind": "drawn", "seed": 5}))
    return out


def test_documented_scenario_is_the_config_formula():
    cfg = WorldConfig(**SIZE)
    sc = cfg.resolve_scenario(["25"])
    assert sc.id == "documented" and sc.fit == cfg.fit and sc.funnel == cfg.funnel
    assert sc.shape == planted.FitShape() and sc.stage_shares is None


def test_draws_are_seeded_and_differ_between_seeds():
    a = planted.draw_scenario(1, ["25", "35"])
    assert a == planted.draw_scenario(1, ["25", "35"])
    b = planted.draw_scenario(2, ["25", "35"])
    assert a.fit != b.fit and a.id == "drawn-1"
    # a group's multipliers come from a stream of its own: adding a group moves no other
    c = planted.draw_scenario(1, ["25", "35", "12"])
    assert c.shape.group_optional["25"] == a.shape.group_optional["25"]
    bounds = np.asarray(a.seniority_years)
    assert (np.diff(bounds) > 0).all() and bounds[0] > 0


def test_draws_stay_inside_the_priors():
    p = planted.ScenarioPriors()
    for seed in range(30):
        s = planted.draw_scenario(seed, ["25"])
        assert p.required[0] <= s.fit.required <= p.required[1]
        assert p.required_power[0] <= s.shape.required_power <= p.required_power[1]
        assert s.shape.over_from in p.over_from
        assert p.shape_fit[0] <= s.tenure.shape_fit <= p.shape_fit[1]
        shares = np.asarray(s.stage_shares)
        assert (np.diff(shares) < 0).all() and p.stage_past_1[0] <= shares[0] <= p.stage_past_1[1]


def test_drawn_world_records_its_scenario_and_truth_recomputes_its_fit(drawn):
    params = json.loads((drawn / "truth" / "params.json").read_text())
    assert params["scenario_id"] == "drawn-5"
    thresholds = params["funnel"]["thresholds"]
    assert thresholds == sorted(thresholds) and thresholds != [0.1, 0.2, 0.3, 0.4]
    truth = Truth.load(drawn)
    assert truth.scenario_id == "drawn-5" and truth.shape.required_power != 1.0
    out = truth.outcomes()
    np.testing.assert_allclose(truth.fit(out["candidate_id"], out["role_id"]), out["fit"])
    # the grid form agrees with the pair form, multipliers and decayed contracts included
    cands, roles = truth.candidate_ids[:60], truth.role_ids
    grid = truth.fit_matrix(cands, roles)
    ci, ri = np.meshgrid(np.arange(len(cands)), np.arange(len(roles)), indexing="ij")
    pairs = truth.fit(cands[ci.ravel()], roles[ri.ravel()])
    np.testing.assert_allclose(grid.ravel(), pairs)


def test_drawn_world_has_non_proportional_tenure_and_all_stages(drawn):
    out = pd.read_parquet(drawn / "truth" / "outcomes.parquet")
    assert set(out["stage"]) == {0, 1, 2, 3, 4}
    hires = out[out["stage"] == 4]
    assert hires["tenure_shape"].std() > 0  # one Weibull shape per hire: hazards cross
    roles = pd.read_parquet(drawn / "truth" / "roles.parquet")
    assert {"occupation_group", "optional_mult", "location_mult"} <= set(roles.columns)


def test_fit_shape_terms_change_the_fit_as_documented():
    kw = {
        "cov_req": np.array([0.25, 1.0]),
        "cov_opt": np.zeros(2),
        "cov_con": np.array([1.0, 1.0]),
        "loc": np.zeros(2),
        "gap": np.array([0, 3]),
        "hidden": np.zeros(2),
        "junior": np.array([1.0, 0.0]),
        "mult": {"optional": 1.0, "contracts": 1.0, "location": 1.0, "seniority": 1.0},
        "weights": planted.FitWeights(required=1, contracts=1, over=1, under=0, hidden=0),
    }
    linear = planted.combine_fit(**kw, shape=planted.FitShape())["fit"]
    assert linear.tolist() == [1.25, 1.0 + 1.0 - 2.0]
    bent = planted.combine_fit(
        **kw, shape=planted.FitShape(required_power=0.5, junior_credential_boost=1.0, over_from=2)
    )["fit"]
    assert bent.tolist() == [0.5 + 2.0, 1.0 + 1.0 - 1.0]
