"""Constrained re-ranking (recsys.fairness.rerank): hand-checked lists, the impact-ratio guarantee
against brute force on random lists, DetConstSort against a transcription of the paper's loop."""

from __future__ import annotations

import itertools
import json
import math
import time

import numpy as np
import pandas as pd
import pytest

from recsys.fairness import detconstsort as dcs
from recsys.fairness import rerank
from recsys.metrics import ndcg_at_k


def _frame(groups: str, scores=None, ids=None) -> pd.DataFrame:
    """One row per character of ``groups`` ('.' = unknown), scores descending unless given."""
    n = len(groups)
    return pd.DataFrame(
        {
            "candidate_id": ids or [f"C{i:02d}" for i in range(n)],
            "score": np.arange(n, 0, -1, dtype=float) if scores is None else scores,
            "sex": [None if g == "." else g for g in groups],
        }
    )


def _order(out) -> str:
    return "".join("." if g is None else g for g in out.frame["sex"])


# ------------------------------------------------------------------------------- hand-checked
def test_min_ratio_hand_case_brings_in_the_best_of_the_missing_group():
    # A A A B B B, k = 2: top-2 is A A (rates 2/3 and 0: impact ratio 0).  With min_ratio 0.8 the
    # only admissible composition is one of each (rates 1/3, 1/3); prefix minimums
    # floor(j * 0.8 * 3/6) are 0 for j <= 2, so the two keep score order: A1 B1.
    out = rerank(_frame("AAABBB"), attribute="sex", min_ratio=0.8, k=2)
    assert out.frame["candidate_id"].tolist()[:2] == ["C00", "C03"]
    assert _order(out) == "ABAABB"  # the rest in score order
    assert out.frame["rank"].tolist() == [1, 2, 3, 4, 5, 6]
    assert out.frame["original_rank"].tolist() == [1, 4, 2, 3, 5, 6]
    r = out.report
    assert r.feasible and r.changed
    g = r.groups.set_index("group")
    assert g.loc["A", "top_k_before"] == 2 and g.loc["A", "top_k_after"] == 1
    assert g.loc["B", "top_k_before"] == 0 and g.loc["B", "top_k_after"] == 1
    assert g.loc["B", "impact_ratio_before"] == 0.0 and g.loc["B", "impact_ratio_after"] == 1.0
    assert r.min_impact_ratio("before") == 0.0 and r.min_impact_ratio("after") == 1.0
    assert r.entered == ["C03"] and r.left == ["C01"]
    # NDCG@2, linear gains = scores 6 5 4 3 2 1: (6 + 3/log2 3) / (6 + 5/log2 3)
    assert r.ndcg == pytest.approx((6 + 3 / math.log2(3)) / (6 + 5 / math.log2(3)))
    assert r.ndcg_cost == pytest.approx(1 - r.ndcg)


def test_targets_hand_case_is_detconstsort():
    # p = (1/2, 1/2): minimums per prefix j: floor(j/2) each.  A A A A B B B B (scores 8..1).
    # j=2 owes one B: B1 (score 4) is appended after A1 and may not pass it (A1 due at 2);
    # j=4: A2, B2 ... -> A B A B A B A B.
    out = rerank(_frame("AAAABBBB"), attribute="sex", targets={"A": 0.5, "B": 0.5})
    assert _order(out) == "ABABABAB"
    assert out.frame["candidate_id"].tolist() == ["C00", "C04", "C01", "C05"] + [
        "C02",
        "C06",
        "C03",
        "C07",
    ]
    assert out.report.feasible and out.report.unmet == []
    # three groups, a third each: every third position owes one of each
    out = rerank(_frame("AAABBBCCC"), attribute="sex", targets={"A": 1 / 3, "B": 1 / 3, "C": 1 / 3})
    assert _order(out) == "ABCABCABC"


def test_ndcg_cost_on_a_hand_example_and_against_recsys_metrics():
    # B scores 4, 3; A scores 10, 9, 8.  targets B = 1/2 over k = 4: A B A B then A.
    frame = pd.DataFrame(
        {
            "candidate_id": list("abcde"),
            "score": [10.0, 9.0, 8.0, 4.0, 3.0],
            "sex": ["A", "A", "A", "B", "B"],
        }
    )
    out = rerank(frame, attribute="sex", targets={"B": 0.5}, k=4)
    assert out.frame["candidate_id"].tolist() == ["a", "d", "b", "e", "c"]
    d = 1 / np.log2(np.arange(2, 6))
    ideal = 10 * d[0] + 9 * d[1] + 8 * d[2] + 4 * d[3]
    got = 10 * d[0] + 4 * d[1] + 9 * d[2] + 3 * d[3]
    assert out.report.ndcg == pytest.approx(got / ideal)
    assert out.report.ndcg_cost == pytest.approx(1 - got / ideal)
    # the same number as the project's metric (sklearn's ndcg_score, linear gain)
    new_pos = -out.frame["rank"].to_numpy(dtype=float)
    assert out.report.ndcg == pytest.approx(
        ndcg_at_k(out.frame["score"], new_pos, k=4, gain="linear")
    )


@pytest.mark.parametrize("seed", range(20))
def test_ndcg_matches_recsys_metrics_on_random_lists(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(5, 80))
    frame = _frame("".join(rng.choice(list("AB."), n, p=[0.6, 0.3, 0.1])), rng.random(n))
    k = int(rng.integers(1, n + 1))
    out = rerank(frame, attribute="sex", min_ratio=0.9, k=k)
    if out.report.ndcg is None:
        return
    expected = ndcg_at_k(out.frame["score"], -out.frame["rank"].to_numpy(float), k=k, gain="linear")
    assert out.report.ndcg == pytest.approx(expected)


# ------------------------------------------------------------------------------- guarantee
def _brute(top: np.ndarray, pool: np.ndarray, slots: int, rho: float, scored: list[np.ndarray]):
    """Every composition of ``slots`` known rows: is one admissible (impact ratios >= rho among
    groups flagged in ``top``), and the best total score of an admissible one."""
    best = None
    for c in itertools.product(*[range(min(p, slots) + 1) for p in pool]):
        if sum(c) != slots:
            continue
        rate = np.array(c, float)[top] / pool[top]
        if len(rate) and rate.max() > 0 and (rate / rate.max() < rho - 1e-9).any():
            continue
        total = sum(s[:ci].sum() for s, ci in zip(scored, c, strict=True))
        best = total if best is None else max(best, total)
    return best


def _groups_check(out, frame, k):
    """Invariants every answer has: a permutation; unknown rows in place; group order kept."""
    f = out.frame
    assert sorted(f["candidate_id"]) == sorted(frame["candidate_id"])
    base = frame.sort_values("score", ascending=False, kind="stable").reset_index(drop=True)
    unknown = base["sex"].isna().to_numpy()
    assert (f["sex"].isna().to_numpy() == unknown).all()
    assert (f["candidate_id"][unknown] == base["candidate_id"][unknown]).all()
    for _, rows in f.groupby("sex"):
        assert rows["original_rank"].is_monotonic_increasing  # within a group, original order


@pytest.mark.parametrize("seed", range(60))
def test_min_ratio_guarantee_holds_whenever_the_pool_allows_it(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(4, 40))
    letters = rng.choice(list("ABC."), n, p=[0.5, 0.3, 0.15, 0.05])
    bias = np.select([letters == "A", letters == "B"], [0.5, 0.2], 0.0)
    frame = _frame("".join(letters), rng.random(n) + bias)
    k = int(rng.integers(1, n + 1))
    rho = float(rng.choice([0.5, 0.8, 0.9, 1.0]))
    min_share = float(rng.choice([0.0, 0.1]))
    out = rerank(frame, attribute="sex", min_ratio=rho, k=k, min_share=min_share)
    _groups_check(out, frame, k)

    base = frame.sort_values("score", ascending=False, kind="stable")
    known = base[base["sex"].notna()]
    names = sorted(known["sex"].unique())
    pool = np.array([(known["sex"] == g).sum() for g in names])
    top = pool >= min_share * n - 1e-9
    slots = int(base["sex"].head(k).notna().sum())
    scored = [known.loc[known["sex"] == g, "score"].to_numpy() for g in names]
    best = _brute(top, pool, slots, rho, scored)

    after = out.frame.head(k)
    counts = np.array([(after["sex"] == g).sum() for g in names])
    rate = counts[top] / pool[top]
    ratio = rate / rate.max() if len(rate) and rate.max() > 0 else np.ones(len(rate))
    assert out.report.feasible == (best is not None)
    if best is not None:
        assert (ratio >= rho - 1e-9).all(), (counts, pool)
        # and no admissible top-k keeps more score
        kept = after.loc[after["sex"].notna(), "score"].sum()
        assert kept == pytest.approx(best)
    else:
        assert out.report.min_ratio_applied < rho
        assert (ratio >= out.report.min_ratio_applied - 1e-9).all()
    # the report's numbers are the list's
    got = out.report.groups.set_index("group")
    assert got.loc[names, "top_k_after"].tolist() == counts.tolist()
    # prefix minimums floor(j * rho' * n_g / N), capped at the top-k counts, hold on known rows
    shares = np.where(top, out.report.min_ratio_applied * pool / pool.sum(), 0.0)
    mins = np.minimum(dcs.proportional(shares, slots), counts[None, :])
    codes = pd.Index(names).get_indexer(out.frame["sex"].dropna())
    assert dcs.meets(codes, mins)


@pytest.mark.parametrize("seed", range(40))
def test_targets_met_at_every_prefix_when_the_pool_has_the_rows(seed):
    rng = np.random.default_rng(100 + seed)
    n = int(rng.integers(2, 120))
    letters = rng.choice(list("ABC."), n, p=[0.6, 0.25, 0.1, 0.05])
    frame = _frame("".join(letters), rng.random(n) + 0.5 * (letters == "A"))
    raw = rng.random(3)
    shares = raw / raw.sum() * float(rng.choice([0.5, 0.9, 1.0]))
    targets = dict(zip("ABC", shares.tolist(), strict=True))
    k = int(rng.integers(1, n + 1))
    out = rerank(frame, attribute="sex", targets=targets, k=k)
    _groups_check(out, frame, k)
    known = out.frame["sex"].dropna()
    slots = int(out.frame["sex"].head(k).notna().sum())
    mins = dcs.proportional(np.array(shares), slots)
    pool = np.array([(known == g).sum() for g in "ABC"])
    codes = pd.Index(list("ABC")).get_indexer(known)
    have = np.minimum(mins, pool[None, :])  # what the pool can give
    onehot = codes[:slots, None] == np.arange(3)[None, :]
    assert (np.cumsum(onehot, axis=0) >= have).all()
    assert out.report.feasible == bool((mins <= pool[None, :]).all())


# ------------------------------------------------------------------------------- behaviour
def test_an_already_fair_list_is_returned_unchanged():
    frame = _frame("ABABAB.ABBA")
    for kw in ({"min_ratio": 0.8, "k": 6}, {"targets": {"A": 0.5, "B": 0.5}}):
        out = rerank(frame, attribute="sex", **kw)
        assert out.frame["candidate_id"].tolist() == frame["candidate_id"].tolist()
        assert out.report.ndcg == pytest.approx(1.0) and out.report.ndcg_cost == 0.0
        assert not out.report.changed and out.report.entered == [] == out.report.left


@pytest.mark.parametrize("seed", range(30))
def test_detconstsort_keeps_an_order_that_meets_the_table(seed):
    # no move is blocked unless the original order itself misses a deadline
    rng = np.random.default_rng(seed)
    n, g = int(rng.integers(1, 60)), int(rng.integers(1, 4))
    codes = rng.integers(-1, g, n)
    cum = np.cumsum(codes[:, None] == np.arange(g)[None, :], axis=0)
    slack = rng.integers(0, 3, size=cum.shape)
    mins = np.maximum.accumulate(np.maximum(cum - slack, 0), axis=0)[: int(rng.integers(1, n + 1))]
    assert dcs.meets(codes, mins)
    assert dcs.detconstsort(codes, mins).tolist() == list(range(n))


def _paper_loop(codes: np.ndarray, shares: np.ndarray, k: int) -> list[int]:
    """Geyik et al.'s DetConstSort as the paper describes it, plainly: for k' = 1, 2, ... the
    groups whose floor(k' p) went up append their next item (best next item first) with
    maxIndex k'; an appended item swaps up while the item above is worse and may move down."""
    queues = [list(np.flatnonzero(codes == g)) for g in range(len(shares))]
    counts = [0] * len(shares)
    mins = [0] * len(shares)
    items, max_idx = [], []
    kk = 0
    while len(items) < k:
        kk += 1
        new = [math.floor(kk * p + 1e-9) for p in shares]
        changed = [g for g in range(len(shares)) if new[g] > mins[g] and counts[g] < len(queues[g])]
        for g in sorted(changed, key=lambda g: queues[g][counts[g]]):
            items.append(queues[g][counts[g]])
            max_idx.append(kk)
            i = len(items) - 1
            while i > 0 and max_idx[i - 1] >= i + 1 and items[i - 1] > items[i]:
                items[i - 1], items[i] = items[i], items[i - 1]
                max_idx[i - 1], max_idx[i] = max_idx[i], max_idx[i - 1]
                i -= 1
            counts[g] += 1
        mins = new
    return items[:k]


@pytest.mark.parametrize(
    ("shares", "period"),
    [((0.5, 0.5), 2), ((0.3, 0.7), 10), ((0.25, 0.25, 0.5), 4), ((0.2, 0.4, 0.4), 5)],
)
@pytest.mark.parametrize("seed", range(8))
def test_detconstsort_is_the_papers_loop_when_proportions_sum_to_one(shares, period, seed):
    # with proportions summing to 1 every position is owed to a group, so the slack rule adds
    # nothing (k a multiple of the period, where the floors add up to k)
    rng = np.random.default_rng(seed)
    g = len(shares)
    n = 6 * period
    codes = rng.choice(g, n, p=rng.dirichlet(np.ones(g)))
    for grp in range(g):  # enough rows of every group
        codes = np.append(codes, [grp] * n)
    k = period * int(rng.integers(1, 6))
    mins = dcs.proportional(np.array(shares), k)
    assert dcs.detconstsort(codes, mins)[:k].tolist() == _paper_loop(codes, np.array(shares), k)


def test_unknown_rows_keep_their_positions_and_do_not_count():
    frame = _frame("AA.AA.BB")
    frame["sex"] = ["A", "A", None, "A", "unknown", " ", "B", "B"]  # 3 unknown spellings
    out = rerank(frame, attribute="sex", min_ratio=0.75, k=4)
    # known rows A A A B B stand at positions 1 2 4 7 8: the top 4 holds 3 of them (A A A).
    # 3 known slots over A (3 rows) and B (2): (2, 1) gives rates 2/3 and 1/2, ratio 0.75.
    assert out.frame["candidate_id"].tolist() == [
        "C00",
        "C01",
        "C02",  # unknown: same place
        "C06",  # B1 takes the third known slot
        "C04",  # unknown
        "C05",  # unknown
        "C03",  # A3 moves to the next known slot
        "C07",
    ]
    assert out.report.unknown == {"pool": 3, "top_k": 1}
    assert out.report.groups["pool"].tolist() == [3, 2]
    assert out.report.groups["top_k_after"].tolist() == [2, 1]
    assert out.report.feasible


def test_infeasible_min_ratio_applies_the_best_possible_ratio():
    out = rerank(_frame("AA.AB"), attribute="sex", min_ratio=0.8, k=3)
    # 2 known slots in the top 3; A has 3 rows, B 1: (2, 0) gives a ratio of 0, (1, 1) gives
    # rates 1/3 and 1, a ratio of 1/3.  Neither reaches 0.8: reported, and 1/3 applied.
    assert not out.report.feasible
    assert out.report.unmet[0]["min_ratio"] == 0.8
    assert out.report.min_ratio_applied == pytest.approx(1 / 3, abs=1e-6)
    assert out.report.min_impact_ratio() == pytest.approx(1 / 3)
    assert _order(out) == "AB.AA"
    assert "0.8" in out.report.notes[0]


def test_infeasible_targets_are_reported_not_raised():
    out = rerank(_frame("AAAAAB"), attribute="sex", targets={"A": 0.3, "B": 0.5, "C": 0.2})
    r = out.report
    assert not r.feasible
    unmet = {u["group"]: u for u in r.unmet}
    # B: floor(j / 2) asks for 2 by prefix 4 and 3 by 6; the list has one B.  C has no row.
    assert unmet == {
        "B": {"group": "B", "prefix": 4, "needed": 2, "got": 1, "max_shortfall": 2, "pool": 1},
        "C": {"group": "C", "prefix": 5, "needed": 1, "got": 0, "max_shortfall": 1, "pool": 0},
    }
    assert _order(out) == "ABAAAA"  # the one B as early as it is owed (position 2)
    json.dumps(r.to_dict(), allow_nan=False)


def test_small_groups_can_be_left_unconstrained_like_the_audit():
    # C is 1 row of 50 (2%): with min_share 0.05 it is neither constrained nor given a ratio
    letters = "A" * 30 + "B" * 19 + "C"
    frame = _frame(letters, np.r_[np.linspace(2, 1.5, 30), np.linspace(1, 0.5, 19), [0.1]])
    strict = rerank(frame, attribute="sex", min_ratio=0.8, k=10)
    loose = rerank(frame, attribute="sex", min_ratio=0.8, k=10, min_share=0.05)
    assert not strict.report.feasible  # 1 of 1 selected is a rate of 1: nobody else reaches 0.8
    assert loose.report.feasible
    g = loose.report.groups.set_index("group")
    assert g.loc["C", "excluded"] and math.isnan(g.loc["C", "impact_ratio_after"])
    assert g.loc["B", "impact_ratio_after"] >= 0.8


def test_at_k_only_keeps_the_set_and_sorts_it_by_score():
    rng = np.random.default_rng(3)
    letters = rng.choice(list("AB"), 200, p=[0.6, 0.4])
    frame = _frame("".join(letters), rng.random(200) + 0.4 * (letters == "A"))
    every = rerank(frame, attribute="sex", min_ratio=0.8, k=40)
    at_k = rerank(frame, attribute="sex", min_ratio=0.8, k=40, every_prefix=False)
    assert set(every.frame["candidate_id"][:40]) == set(at_k.frame["candidate_id"][:40])
    assert at_k.frame["score"][:40].is_monotonic_decreasing
    assert at_k.report.ndcg >= every.report.ndcg
    assert every.report.min_impact_ratio() == at_k.report.min_impact_ratio() >= 0.8


def test_report_is_json_safe_and_echoes_the_request():
    # A A A B . B, k = 3: (2 A, 1 B) is the best composition, ratio (1/2) / (2/3) = 0.75 < 0.8
    out = rerank(_frame("AAAB.B"), attribute="sex", min_ratio=0.8, k=3)
    d = json.loads(json.dumps(out.report.to_dict(), allow_nan=False))
    assert d["mode"] == "min_ratio" and d["attribute"] == "sex" and d["k"] == 3
    assert d["params"] == {
        "min_ratio": 0.8,
        "targets": None,
        "min_share": 0.0,
        "every_prefix": True,
    }
    assert d["gain"] == "linear" and set(d["groups"][0]) >= {"group", "impact_ratio_after"}
    assert d["min_impact_ratio_before"] == 0.0
    assert d["min_impact_ratio_after"] == pytest.approx(0.75)
    assert d["feasible"] is False and d["unmet"] == [{"min_ratio": 0.8, "best_possible": 0.75}]
    assert d["entered"] == ["C03"] and d["left"] == ["C02"]


def test_k_larger_than_the_list_and_empty_lists():
    out = rerank(_frame("AB"), attribute="sex", min_ratio=0.8, k=50)
    assert out.report.k == 2 and len(out.frame) == 2
    empty = rerank(_frame(""), attribute="sex", min_ratio=0.8)
    assert empty.frame.empty and empty.report.feasible and empty.report.ndcg is None


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"min_ratio": 0.8, "k": 0}, "'k' parameter of rerank must be an int >= 1. Got 0"),
        ({}, "exactly one of 'min_ratio' and 'targets'"),
        ({"min_ratio": 0.8, "targets": {"A": 1.0}}, "exactly one of"),
        ({"min_ratio": 1.5}, "'min_ratio' parameter of rerank must be a number in (0, 1]"),
        ({"targets": {"A": 0.7, "B": 0.7}}, "summing to at most 1. Got 1.4"),
        ({"targets": {"A": -0.1}}, "'targets' parameter"),
        ({"min_ratio": 0.8, "min_share": 1.0}, "'min_share' parameter"),
        ({"min_ratio": 0.8, "every_prefix": "yes"}, "'every_prefix' parameter"),
    ],
)
def test_bad_arguments_name_the_parameter(kwargs, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        rerank(_frame("AB"), attribute="sex", **kwargs)


def test_bad_frames_say_what_is_wrong():
    with pytest.raises(ValueError, match=r"Missing \['gender'\]"):
        rerank(_frame("AB"), attribute="gender", min_ratio=0.8)
    bad = _frame("AB")
    bad.loc[1, "score"] = np.nan
    with pytest.raises(ValueError, match="Row 1 has nan"):
        rerank(bad, attribute="sex", min_ratio=0.8)
    with pytest.raises(ValueError, match="one row per candidate_id. Row 1 repeats 'x'"):
        rerank(_frame("AB", ids=["x", "x"]), attribute="sex", min_ratio=0.8)


def test_a_thousand_rows_rerank_in_milliseconds():
    # generous bound for a shared CI box: a quadratic Python loop would take ~1 s here
    rng = np.random.default_rng(0)
    letters = rng.choice(list("ABC."), 1000, p=[0.5, 0.4, 0.07, 0.03])
    frame = _frame("".join(letters), rng.random(1000) + 0.3 * (letters == "A"))
    rerank(frame, attribute="sex", min_ratio=0.8, k=1000)
    t = time.perf_counter()
    for kw in ({"min_ratio": 0.8}, {"targets": {"A": 0.4, "B": 0.4, "C": 0.05}}):
        rerank(frame, attribute="sex", k=1000, **kw)
    assert time.perf_counter() - t < 0.25
