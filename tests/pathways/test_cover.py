"""Weighted set cover: exact ≤ greedy ≤ H(n)·exact, exact = brute force, uncoverable reported."""

from __future__ import annotations

import importlib
import itertools

import numpy as np
import pytest

from recsys.pathways.cover import Cover, cover, cover_within, harmonic

# the module itself (the package re-exports its function under the same name)
cover_module = importlib.import_module("recsys.pathways.cover")


def random_instance(rng: np.random.Generator, n_elems: int, n_offers: int, p: float = 0.3):
    elems = [f"e{i:02d}" for i in range(n_elems)]
    offers = {f"o{j:02d}": [e for e in elems if rng.random() < p] for j in range(n_offers)}
    costs = {o: float(rng.integers(1, 10)) for o in offers}
    needed = [e for e in elems if rng.random() < 0.8]
    return needed, offers, costs


def brute_force(needed, offers, costs, max_offers: int | None = None) -> float:
    need = set(needed)
    coverable = need & set().union(*map(set, offers.values()))
    best = np.inf
    ids = sorted(offers)
    for r in range(len(ids) + 1 if max_offers is None else min(len(ids), max_offers) + 1):
        for combo in itertools.combinations(ids, r):
            got = set().union(*(set(offers[o]) for o in combo)) if combo else set()
            if coverable <= got:
                best = min(best, sum(costs[o] for o in combo))
    return best


def test_harmonic():
    assert harmonic(0) == 0.0
    assert harmonic(1) == 1.0
    assert harmonic(3) == pytest.approx(1 + 1 / 2 + 1 / 3)


def test_exact_le_greedy_le_bound_times_exact():
    rng = np.random.default_rng(0)
    for _ in range(200):
        needed, offers, costs = random_instance(
            rng, int(rng.integers(1, 25)), int(rng.integers(1, 30))
        )
        ex = cover(needed, offers, costs)
        gr = cover(needed, offers, costs, exact_max=0)
        assert ex.method == "exact" and gr.method == "greedy"
        assert ex.greedy_cost == pytest.approx(gr.cost)
        assert ex.cost <= gr.cost + 1e-9
        assert gr.cost <= ex.bound * ex.cost + 1e-9
        assert ex.covered == gr.covered and ex.uncovered == gr.uncovered
        for c in (ex, gr):
            got = set().union(*(set(offers[o]) for o in c.chosen)) if c.chosen else set()
            assert c.covered <= got
            assert c.cost == pytest.approx(sum(costs[o] for o in c.chosen))


def test_exact_equals_brute_force_on_tiny_instances():
    rng = np.random.default_rng(1)
    for _ in range(100):
        needed, offers, costs = random_instance(
            rng, int(rng.integers(1, 8)), int(rng.integers(1, 9)), p=0.35
        )
        assert cover(needed, offers, costs).cost == pytest.approx(
            brute_force(needed, offers, costs)
        )


def test_greedy_can_be_worse_than_exact():
    # the textbook case: two halves (cost 1 each) vs one cheap-per-element set that misleads greedy
    offers = {"a": ["1", "2", "3"], "b": ["4", "5", "6"], "big": ["1", "2", "4", "5"]}
    costs = {"a": 1.0, "b": 1.0, "big": 1.0}
    c = cover(["1", "2", "3", "4", "5", "6"], offers, costs)
    assert c.method == "exact" and c.cost == 2.0 and sorted(c.chosen) == ["a", "b"]
    assert c.greedy_cost == 3.0  # big (4 new), then a and b for the rest
    assert c.bound == pytest.approx(harmonic(4))


def test_uncoverable_elements_are_reported():
    c = cover(["x", "y", "z"], {"a": ["x"], "b": ["q"]}, {"a": 2.0, "b": 1.0})
    assert c.chosen == ["a"] and c.cost == 2.0
    assert c.covered == {"x"} and c.uncovered == {"y", "z"}
    empty = cover(["x"], {}, {})
    assert empty.chosen == [] and empty.cost == 0.0 and empty.uncovered == {"x"}
    nothing = cover([], {"a": ["x"]}, {"a": 1.0})
    assert nothing.chosen == [] and nothing.covered == set() and nothing.bound == 1.0


def test_deterministic_and_ties_by_id():
    offers = {"b": ["x"], "a": ["x"], "c": ["x", "y"]}
    costs = {"a": 1.0, "b": 1.0, "c": 2.0}
    first = cover(["x"], offers, costs, exact_max=0)
    assert first.chosen == ["a"]  # equal ratio: the smaller id
    rng = np.random.default_rng(5)
    needed, offers, costs = random_instance(rng, 20, 25)
    runs = [cover(set(needed), dict(reversed(offers.items())), costs) for _ in range(3)]
    runs.append(cover(list(reversed(needed)), offers, costs))
    assert all(r == runs[0] for r in runs)
    assert isinstance(runs[0], Cover)


def test_large_instance_falls_back_to_greedy():
    rng = np.random.default_rng(2)
    needed, offers, costs = random_instance(rng, 30, 60)
    c = cover(needed, offers, costs, exact_max=40)
    assert c.method == "greedy" and c.cost == c.greedy_cost


@pytest.mark.parametrize("bad", [0, -1.0, float("nan"), None, "x"])
def test_costs_must_be_positive(bad):
    with pytest.raises(ValueError, match="'cr:bad'"):
        cover(["x"], {"cr:ok": ["x"], "cr:bad": ["y"]}, {"cr:ok": 1.0, "cr:bad": bad})


def test_missing_cost_and_bad_exact_max():
    with pytest.raises(ValueError, match="'cr:none'"):
        cover(["x"], {"cr:none": ["x"]}, {})
    with pytest.raises(ValueError, match="exact_max"):
        cover(["x"], {"a": ["x"]}, {"a": 1.0}, exact_max=-1)


@pytest.mark.parametrize("solver", ["enumerate", "milp"])
def test_cover_within_is_the_cheapest_cover_of_at_most_n_offers(solver, monkeypatch):
    if solver == "milp":
        monkeypatch.setattr(cover_module, "ENUMERATE_MAX", 0)
    rng = np.random.default_rng(2)
    for _ in range(150):
        needed, offers, costs = random_instance(
            rng, int(rng.integers(1, 8)), int(rng.integers(1, 9)), p=0.35
        )
        for n in (1, 2, 3):
            want = brute_force(needed, offers, costs, max_offers=n)
            got = cover_within(needed, offers, costs, n)
            if not np.isfinite(want):
                assert got is None
                continue
            assert got is not None and len(got.chosen) <= n
            assert got.cost == pytest.approx(want)
            have = set().union(*(set(offers[o]) for o in got.chosen)) if got.chosen else set()
            assert got.covered <= have


def test_cover_within_finds_a_dearer_short_cover_the_cheapest_cover_misses():
    offers = {"a": ["x", "y"], "b": ["z"], "c": ["x", "y", "z"], "d": ["w"]}
    costs = {"a": 1.0, "b": 1.0, "c": 5.0, "d": 1.0}
    assert cover(list("wxyz"), offers, costs).chosen == ["a", "b", "d"]  # 3 credentials, cost 3
    two = cover_within(list("wxyz"), offers, costs, 2)
    assert two.chosen == ["c", "d"] and two.cost == 6.0
    assert cover_within(list("wxyz"), offers, costs, 1) is None
    assert cover_within(["v"], offers, costs, 0).chosen == []  # nothing coverable: nothing to take
    with pytest.raises(ValueError, match="max_offers"):
        cover_within(["x"], offers, costs, -1)
