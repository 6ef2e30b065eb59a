from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from fairness_data import hand_case, pool
from scipy.stats import binomtest

from recsys.fairness import AuditInputError, audit


def _row(report, grouping: str, measure: str, category: str) -> pd.Series:
    t = report.to_frame()
    rows = t[(t["grouping"] == grouping) & (t["measure"] == measure) & (t["category"] == category)]
    assert len(rows) == 1, (grouping, measure, category)
    return rows.iloc[0]


def test_hand_computed_selection_rates_ratios_and_fisher():
    scores, groups = hand_case()
    # the same ten candidates in both roles: auto would pick the permutation test; these are
    # Fisher's numbers by hand
    report = audit(scores, groups, k=2, attributes=["sex"], test="fisher")
    f = _row(report, "sex", "selection", "female")
    m = _row(report, "sex", "selection", "male")
    # selected: R1 C5, C6 (men); R2 C0 (woman), C7 (man)
    assert (f["n"], f["hits"], m["n"], m["hits"]) == (10, 1, 10, 3)
    assert f["rate"] == pytest.approx(0.1) and m["rate"] == pytest.approx(0.3)
    assert m["reference"] and m["impact_ratio"] == 1.0
    assert f["impact_ratio"] == pytest.approx(1 / 3)
    # hypergeometric(N=20, K=4, n=10): P(x) ∝ 8008, 45760, 77220, 45760, 8008 (sum C(20,10));
    # two-sided p of x=1 sums every outcome no likelier than it: 0, 1, 3, 4
    assert f["p_value"] == pytest.approx(107536 / 184756)
    assert f["four_fifths"] and not f["flagged"]  # under 0.8, but 1 of 10 vs 3 of 10 is noise
    assert f["share"] == 0.5 and not f["excluded"]
    ci = binomtest(1, 10).proportion_ci(0.95, method="wilson")
    assert (f["ci_low"], f["ci_high"]) == pytest.approx((ci.low, ci.high))


def test_hand_computed_scoring_rate_is_share_above_each_roles_median():
    scores, groups = hand_case()
    report = audit(scores, groups, attributes=["sex"], test="fisher")
    f = _row(report, "sex", "scoring", "female")
    m = _row(report, "sex", "scoring", "male")
    # above the median (5.5/10) of each role: R1 C5–C9; R2 C0, C1, C7, C8, C9
    assert (f["hits"], m["hits"]) == (2, 8)
    assert f["impact_ratio"] == pytest.approx(0.25)
    # hypergeometric(N=20, K=10, n=10): P(x) = C(10, x)^2 / C(20, 10); x in {0, 1, 2, 8, 9, 10}
    assert f["p_value"] == pytest.approx(2 * (1 + 100 + 2025) / 184756)
    assert f["p_adjusted"] == f["p_value"]  # one comparison: Holm changes nothing
    assert f["four_fifths"] and f["flagged"]
    assert set(report.to_frame()["measure"]) == {"scoring"}  # no k, no 'selected': no selection
    assert any("selection" in n for n in report.notes)


def test_hand_computed_intersections():
    scores, groups = hand_case()
    report = audit(scores, groups, k=2)
    t = report.to_frame()
    assert list(dict.fromkeys(t["grouping"])) == ["sex", "race", "sex × race"]
    sel = t[(t["grouping"] == "sex × race") & (t["measure"] == "selection")].set_index("category")
    assert sel["n"].to_dict() == {"female / A": 6, "female / B": 4, "male / A": 6, "male / B": 4}
    assert sel["hits"].to_dict() == {"female / A": 1, "female / B": 0, "male / A": 3, "male / B": 0}
    assert sel.loc["male / A", "reference"] and sel.loc["male / A", "impact_ratio"] == 1.0
    assert sel.loc["female / A", "impact_ratio"] == pytest.approx(1 / 3)
    assert sel.loc["male / B", "impact_ratio"] == 0.0
    assert sel.loc["female / A", "sex"] == "female" and sel.loc["female / A", "race"] == "A"
    sco = t[(t["grouping"] == "sex × race") & (t["measure"] == "scoring")].set_index("category")
    assert sco["hits"].to_dict() == {"female / A": 2, "female / B": 0, "male / A": 4, "male / B": 4}
    assert sco.loc["male / B", "reference"] and sco.loc["male / A", "impact_ratio"] == 4 / 6
    race = t[(t["grouping"] == "race") & (t["measure"] == "selection")].set_index("category")
    assert race["hits"].to_dict() == {"A": 4, "B": 0}
    assert race.loc["B", "impact_ratio"] == 0.0


def test_the_reference_category_has_ratio_one_in_every_table():
    scores, groups = pool(roles=20, candidates=300, shift=0.3, seed=3)
    t = audit(scores, groups, k=10).to_frame()
    refs = t[t["reference"]]
    assert len(refs) == t.groupby(["grouping", "measure"]).ngroups
    assert (refs["impact_ratio"] == 1.0).all()
    included = t[~t["excluded"]]
    assert included.groupby(["grouping", "measure"])["impact_ratio"].max().eq(1.0).all()


@pytest.mark.parametrize("test", ["fisher", "permutation"])
def test_planted_bias_is_flagged(test):
    scores, groups = pool(shift=0.8, seed=1)
    report = audit(scores, groups, k=40, attributes=["sex"], test=test)
    f = _row(report, "sex", "selection", "female")
    # no shuffle of the labels comes near: the permutation p-value is its floor 1 / (1 + 2000)
    floor = 1e-10 if test == "fisher" else 1 / 2000
    assert f["impact_ratio"] < 0.5 and f["p_adjusted"] < floor
    assert f["four_fifths"] and f["flagged"]
    assert _row(report, "sex", "scoring", "female")["flagged"]
    low = report.min_impact_ratio("selection")
    assert (low["grouping"], low["category"], low["flagged"]) == ("sex", "female", True)
    assert report.min_impact_ratio("selection", grouping="sex") == low
    assert report.min_impact_ratio("selection", grouping="shoe size") is None


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_unbiased_shortlists_are_not_flagged(seed):
    scores, groups = pool(shift=0.0, seed=seed)
    report = audit(scores, groups, k=40)
    t = report.to_frame()
    assert not t["flagged"].any(), t[t["flagged"]]
    f = _row(report, "sex", "selection", "female")
    assert f["impact_ratio"] > 0.8  # same rates up to noise


def test_small_category_is_excluded_and_reported():
    scores, groups = pool(roles=30, candidates=1000, seed=4, shares=(0.5, 0.49, 0.01))
    groups.loc[groups["sex"] == "unknown", "sex"] = "intersex"  # 1% of the people: under 2%
    # the tiny category is never selected: a ratio of 0, yet it gets none
    scores.loc[scores["candidate_id"].isin(groups.loc[groups["sex"] == "intersex", "candidate_id"]),
               "score"] -= 100  # fmt: skip
    report = audit(scores, groups, k=50, attributes=["sex"])
    tiny = _row(report, "sex", "selection", "intersex")
    assert tiny["excluded"] and tiny["share"] < 0.02 and tiny["hits"] == 0
    assert np.isnan(tiny["impact_ratio"]) and not tiny["four_fifths"] and not tiny["flagged"]
    assert report.excluded()[["grouping", "category"]].values.tolist() == [["sex", "intersex"]]
    assert report.to_dict()["excluded"][0]["category"] == "intersex"
    assert not report.to_frame()["flagged"].any()


def test_unknown_demographics_are_counted_not_rated():
    scores, groups = hand_case()
    groups.loc[groups["candidate_id"] == "C1", "sex"] = "Unknown"
    groups.loc[groups["candidate_id"] == "C2", "sex"] = None
    groups = groups[groups["candidate_id"] != "C3"]  # scored, but no groups row
    report = audit(scores, groups, k=2)
    unknown = report.unknown.set_index("grouping")
    assert unknown.loc["sex", "people"] == 3 and unknown.loc["sex", "pairs"] == 6
    assert unknown.loc["race", "people"] == 1 and unknown.loc["race", "pairs"] == 2
    assert unknown.loc["sex × race", "people"] == 3
    f = _row(report, "sex", "selection", "female")
    assert (f["n"], f["share"]) == (4, 4 / 20)  # C0 and C4 only; the share counts the unknowns
    assert report.summary["candidates_without_groups_row"] == 1
    assert any("'C3'" in n for n in report.notes)


def test_selected_column_and_pool_of_the_groups_table():
    scores, groups = hand_case()
    shortlist = scores[scores["candidate_id"].isin(["C5", "C6", "C0", "C7"])]
    shortlist = shortlist[shortlist["score"] >= 0.9].assign(selected=True)  # the top 2 per role
    assert len(shortlist) == 4
    with_pool = audit(shortlist, groups, attributes=["sex"], pool="groups")
    f = _row(with_pool, "sex", "selection", "female")
    assert (f["n"], f["hits"]) == (10, 1)  # 2 roles × 5 women applied; 1 selected
    assert set(with_pool.to_frame()["measure"]) == {"selection"}
    alone = audit(shortlist, groups, attributes=["sex"])
    assert any("pool='groups'" in n for n in alone.notes)  # every listed row was selected


def test_rank_column_decides_the_top_k():
    scores, groups = hand_case()
    scores["rank"] = scores.groupby("role_id")["score"].rank(ascending=True).astype(int)
    report = audit(scores, groups, k=2, attributes=["sex"])  # rank 1 = the lowest score here
    assert _row(report, "sex", "selection", "female")["hits"] == 3  # R1 C0, C1; R2 C5 is male


def test_bad_parameters_say_what_was_given():
    scores, groups = hand_case()
    with pytest.raises(ValueError, match="'k' parameter of audit .* Got 0"):
        audit(scores, groups, k=0)
    with pytest.raises(ValueError, match="'alpha' parameter .* Got 1.5"):
        audit(scores, groups, alpha=1.5)
    with pytest.raises(AuditInputError, match=r"intersections .* found \['sex'\]"):
        audit(scores, groups, intersections=[["sex"]])
    with pytest.raises(AuditInputError, match="nothing to audit"):
        audit(scores, groups, pool="groups")
