"""Weighted set cover: the cheapest offers (credentials) whose elements cover what is needed.

``cover(needed, offers, costs)`` first reduces the instance: offers keep only their needed
elements (an offer covering none is dropped) and needed elements no offer covers are set aside as
``uncovered`` (reported, not an error).  It then always runs **greedy** (take the offer with the
most newly covered elements per unit cost; ties by id, so the output is deterministic) and, when
the reduced instance has at most ``exact_max`` offers, solves it **exactly** as a binary integer
program with :func:`scipy.optimize.milp` (HiGHS): minimise ``cost · x`` subject to every
coverable element being covered at least once, ``x ∈ {0, 1}``.

Greedy's classic guarantee (Chvátal 1979): ``greedy cost ≤ H(n) · optimum`` where ``H(n) = 1 +
1/2 + … + 1/n`` and ``n`` is the largest number of needed elements one offer covers.  ``Cover.bound``
is that ``H(n)``: with ``method="greedy"`` the answer is within that factor of the optimum; with
``method="exact"`` it is the optimum and ``greedy_cost`` says how far greedy would have been.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

__all__ = ["EXACT_MAX", "Cover", "cover", "cover_within", "harmonic"]

# The reduced instances of gap advice hold a few to a few dozen credentials; milp solves 40
# random offers over 30 elements in a few milliseconds (docs/pathways.md has the timings).
EXACT_MAX = 40


@dataclass(frozen=True)
class Cover:
    """The offers chosen to cover ``needed`` and what they leave out.

    ``chosen`` is in greedy's pick order, or in id order when the exact solve found a cheaper set
    than greedy (on a tie greedy's picks are kept); ``cost`` is their summed cost;
    ``covered`` the needed elements they cover; ``uncovered`` the needed elements no offer covers;
    ``greedy_cost`` greedy's cost (equal to ``cost`` when ``method == "greedy"``); ``bound`` the
    H(n) factor of greedy's guarantee (``greedy_cost ≤ bound × optimum``, always ≥ 1).
    """

    chosen: list[str]
    cost: float
    covered: set = field(default_factory=set)
    uncovered: set = field(default_factory=set)
    method: Literal["greedy", "exact"] = "greedy"
    greedy_cost: float = 0.0
    bound: float = 1.0


def harmonic(n: int) -> float:
    """H(n) = 1 + 1/2 + … + 1/n (H(0) = 0)."""
    return float(sum(1.0 / i for i in range(1, n + 1)))


def _check_costs(ids: Iterable[str], costs: Mapping[str, float]) -> dict[str, float]:
    out: dict[str, float] = {}
    for oid in ids:
        if oid not in costs:
            raise ValueError(f"The 'costs' parameter of cover has no cost for offer {oid!r}.")
        c = costs[oid]
        try:
            value = float(c)
        except (TypeError, ValueError):
            value = math.nan
        if not (math.isfinite(value) and value > 0):
            raise ValueError(
                f"The 'costs' parameter of cover must give every offer a finite cost > 0. "
                f"Got {c!r} for {oid!r} instead."
            )
        out[oid] = value
    return out


def _greedy(universe: set, sets: dict[str, frozenset], cost: dict[str, float]) -> list[str]:
    left = set(universe)
    chosen: list[str] = []
    while left:
        best, best_key = None, None
        for oid in sets:  # ids in sorted order: the first of equal ratios wins
            new = len(sets[oid] & left)
            if new and (best_key is None or new / cost[oid] > best_key):
                best, best_key = oid, new / cost[oid]
        if best is None:  # cannot happen on a reduced instance; guards an infinite loop
            break
        chosen.append(best)
        left -= sets[best]
    return chosen


def _exact(
    universe: list,
    sets: dict[str, frozenset],
    cost: dict[str, float],
    max_offers: int | None = None,
) -> list[str] | None:
    """The optimum by binary ILP (at most ``max_offers`` offers when given), or None if the
    solver does not report an optimal solution (or none exists within ``max_offers``)."""
    import scipy.sparse as sp
    from scipy.optimize import Bounds, LinearConstraint, milp

    ids = list(sets)
    row = {e: i for i, e in enumerate(universe)}
    r = [row[e] for oid in ids for e in sets[oid]]
    c = [j for j, oid in enumerate(ids) for _ in sets[oid]]
    A = sp.csr_matrix((np.ones(len(r)), (r, c)), shape=(len(universe), len(ids)))
    constraints = [LinearConstraint(A, lb=np.ones(len(universe)), ub=np.inf)]
    if max_offers is not None:
        constraints.append(LinearConstraint(np.ones((1, len(ids))), lb=0, ub=max_offers))
    res = milp(
        c=np.array([cost[oid] for oid in ids]),
        constraints=constraints,
        integrality=np.ones(len(ids)),
        bounds=Bounds(0, 1),
    )
    if res.status != 0 or res.x is None:
        return None
    return [oid for oid, x in zip(ids, res.x, strict=True) if x > 0.5]


def cover(
    needed: Iterable[Hashable],
    offers: Mapping[str, Iterable[Hashable]],
    costs: Mapping[str, float],
    *,
    exact_max: int = EXACT_MAX,
) -> Cover:
    """The cheapest set of ``offers`` covering ``needed`` (exact when small, greedy otherwise).

    ``offers`` maps an offer id to the elements it covers; ``costs`` maps every offer id to a cost
    > 0 (a ``ValueError`` names the first offer without one).  Elements may be any hashable
    (gap advice uses ``("skill", id)`` and ``("contract", id)`` tuples).  The instance is solved
    exactly when, once reduced, it has at most ``exact_max`` offers (``exact_max=0`` forces greedy).
    """
    if not isinstance(exact_max, int) or exact_max < 0:
        raise ValueError(
            f"The 'exact_max' parameter of cover must be an int >= 0. Got {exact_max!r} instead."
        )
    need = set(needed)
    ids = sorted(offers)
    cost = _check_costs(ids, costs)
    sets: dict[str, frozenset] = {}
    for oid in ids:
        s = frozenset(offers[oid]) & need
        if s:
            sets[oid] = s
    coverable = set().union(*sets.values()) if sets else set()
    uncovered = need - coverable
    n = max((len(s) for s in sets.values()), default=0)
    bound = harmonic(max(n, 1))

    greedy = _greedy(coverable, sets, cost)
    greedy_cost = float(sum(cost[o] for o in greedy))
    chosen, method = greedy, "greedy"
    if exact_max > 0 and len(sets) <= exact_max:
        universe = sorted(coverable, key=repr)  # a fixed row order: same input, same solve
        exact = _exact(universe, sets, cost) if universe else []
        if exact is not None:
            exact_cost = float(sum(cost[o] for o in exact))
            # the solver's optimum is never worse than greedy; keep greedy's picks on a tie
            chosen = greedy if greedy_cost <= exact_cost + 1e-9 else exact
            method = "exact"
    return Cover(
        chosen=list(chosen),
        cost=float(sum(cost[o] for o in chosen)),
        covered=set(coverable),
        uncovered=uncovered,
        method=method,
        greedy_cost=greedy_cost,
        bound=bound,
    )


# Above this many candidate sets cover_within asks the ILP instead of enumerating.
ENUMERATE_MAX = 50_000


def _reduce(
    needed: Iterable[Hashable], offers: Mapping[str, Iterable[Hashable]], costs: Mapping[str, float]
) -> tuple[set, dict[str, frozenset], dict[str, float], set]:
    need = set(needed)
    cost = _check_costs(sorted(offers), costs)
    sets = {oid: s for oid in sorted(offers) if (s := frozenset(offers[oid]) & need)}
    coverable = set().union(*sets.values()) if sets else set()
    return coverable, sets, cost, need - coverable


def cover_within(
    needed: Iterable[Hashable],
    offers: Mapping[str, Iterable[Hashable]],
    costs: Mapping[str, float],
    max_offers: int,
) -> Cover | None:
    """The cheapest set of **at most** ``max_offers`` offers covering every coverable element of
    ``needed``, or None when no such set exists (exact; elements no offer covers are set aside
    as in :func:`cover`).

    "Reachable with ≤ N credentials" is this question, not "does the cheapest cover happen to have
    ≤ N": a role two dear credentials open is reachable even when three cheap ones would cost less.
    Small instances are enumerated (every set of 1..``max_offers`` offers, elements as bit masks;
    ties: fewer offers, then ids), larger ones solved by the ILP with ``Σ x ≤ max_offers``.
    """
    if not isinstance(max_offers, int) or max_offers < 0:
        raise ValueError(
            f"The 'max_offers' parameter of cover_within must be an int >= 0. Got {max_offers!r}."
        )
    coverable, sets, cost, uncovered = _reduce(needed, offers, costs)
    n = max((len(s) for s in sets.values()), default=0)
    # at least ceil(|coverable| / n) offers are needed: a cheap no before any search
    if coverable and (max_offers == 0 or -(-len(coverable) // n) > max_offers):
        return None
    chosen: list[str] | None = []
    if coverable:
        ids = list(sets)
        count = sum(math.comb(len(ids), k) for k in range(1, min(max_offers, len(ids)) + 1))
        if count <= ENUMERATE_MAX:
            chosen = _enumerate(sorted(coverable, key=repr), sets, cost, max_offers)
        else:
            chosen = _exact(sorted(coverable, key=repr), sets, cost, max_offers)
    if chosen is None:
        return None
    total = float(sum(cost[o] for o in chosen))
    return Cover(
        chosen=list(chosen),
        cost=total,
        covered=set(coverable),
        uncovered=uncovered,
        method="exact",
        greedy_cost=total,
        bound=harmonic(max(n, 1)),
    )


def _enumerate(
    universe: list, sets: dict[str, frozenset], cost: dict[str, float], max_offers: int
) -> list[str] | None:
    bit = {e: 1 << i for i, e in enumerate(universe)}
    full = (1 << len(universe)) - 1
    ids = list(sets)
    mask = {oid: sum(bit[e] for e in sets[oid]) for oid in ids}
    best: tuple[float, int, tuple[str, ...]] | None = None
    for k in range(1, min(max_offers, len(ids)) + 1):
        for combo in itertools.combinations(ids, k):
            m = 0
            for oid in combo:
                m |= mask[oid]
            if m == full:
                key = (round(sum(cost[o] for o in combo), 9), k, combo)
                if best is None or key < best:
                    best = key
    return None if best is None else list(best[2])
