"""Representation-constrained re-ranking of one ranked list (issue 12, item 3).

>>> out = rerank(pool, attribute="sex", min_ratio=0.8, k=50)   # pool: candidate_id, score, sex
>>> out.frame          # every row, new order; rank (new), original_rank
>>> out.report.to_dict()   # counts, impact ratios before/after, NDCG cost, feasibility

Two modes (exactly one):

- ``targets={"female": 0.5, "male": 0.5}`` — DetConstSort's desired proportions: among the first
  ``j`` rows of known group, at least ``floor(j * p_g)`` of group ``g``, for every ``j`` up to the
  top-k's known rows.  Proportions may sum to less than 1: the rest goes by score.
- ``min_ratio=0.8`` — the LL144 impact ratio at ``k``: every group's selection rate (its rows in the
  top ``k`` / its rows in the list) at least ``min_ratio`` times the highest group's, whenever some
  top-k composition allows it; and at every prefix ``j`` at least ``floor(j * min_ratio * n_g / N)``
  of group ``g`` (``N`` rows of known group, ``n_g`` of them in ``g``), capped at ``g``'s count in
  the top ``k``.  See docs/fairness.md for how the two relate.

Rows whose group is unknown (missing, empty, ``unknown``, ... as in the audit) keep their original
positions: they are neither moved nor counted, and the constraints apply to the other rows in the
remaining positions.  Ordering is the list sorted by score, descending (ties: input order); within a
group that order is always kept.  The caller joins the protected attribute onto the list; nothing
here reads the ``groups`` table.  Adjusting a ranking by a protected attribute can be unlawful for
selection decisions (docs/fairness.md): this is for sourcing and representation, with legal review.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import NamedTuple

import numpy as np
import pandas as pd

from recsys.fairness import detconstsort as dcs
from recsys.fairness.inputs import UNKNOWN_VALUES
from recsys.fairness.rerank_report import RerankReport, impact_ratios, ndcg_at

EPS = 1e-9


class Reranked(NamedTuple):
    """The re-ranked list (every input row; ``rank`` new, ``original_rank`` by score) and its report."""

    frame: pd.DataFrame
    report: RerankReport


def rerank(
    frame: pd.DataFrame,
    *,
    attribute: str,
    k: int | None = None,
    min_ratio: float | None = None,
    targets: Mapping[str, float] | None = None,
    min_share: float = 0.0,
    every_prefix: bool = True,
) -> Reranked:
    """Re-rank ``frame`` (``candidate_id``, ``score``, and the group label per row in column
    ``attribute``) so that its top ``k`` (default: every row) meets ``min_ratio`` or ``targets``.

    ``min_share``: groups under this share of the list (unknowns included, as in the audit) are
    not constrained and get no impact ratio (``0.02`` mirrors the audit's LL144 exclusion).
    ``every_prefix``: the minimums hold at every prefix (DetConstSort, the default); ``False``: at
    ``k`` only, so the rows brought in sit in score order (a smaller NDCG cost, same top-k set).
    Infeasible constraints are not an error: the report says ``feasible=False`` and what was not met.
    """
    score = _check(frame, attribute, k, min_ratio, targets, min_share, every_prefix)
    n = len(score)
    k = n if k is None else min(int(k), n)
    targets = None if targets is None else {str(g): float(v) for g, v in targets.items()}
    order = np.argsort(-score, kind="stable")  # the unconstrained list
    raw, values = pd.factorize(frame[attribute], use_na_sentinel=True)
    clean = [_label(v) for v in values]  # each distinct value once: the audit's unknowns
    names = sorted({c for c in clean if c is not None} | set(targets or {}))
    lookup = np.array([-1 if c is None else names.index(c) for c in clean] + [-1], np.int64)
    codes = lookup[raw][order]  # per position of the unconstrained list; -1 unknown
    known = codes >= 0
    pool = np.bincount(codes[known], minlength=len(names))
    excluded = pool < min_share * n - EPS if n else np.zeros(len(names), bool)
    kc = codes[known]  # known rows, best first
    slots = int(known[:k].sum())  # top-k positions held by known rows (unknowns stay put)

    notes: list[str] = []
    if min_ratio is not None:
        new_known, feasible, applied, unmet = _by_ratio(
            kc, score[order][known], pool, excluded, slots, float(min_ratio), every_prefix, notes
        )
    else:
        shares = np.array([targets.get(g, 0.0) for g in names])
        mins = dcs.proportional(shares, slots)
        mins = mins if every_prefix else _at_k_only(mins)
        # an order that already meets them is kept as is (DetConstSort would return it too)
        new_known = np.arange(len(kc)) if dcs.meets(kc, mins) else dcs.detconstsort(kc, mins)
        unmet = [
            {**u, "group": names[u["group"]], "pool": int(pool[u["group"]])}
            for u in dcs.shortfalls(kc[new_known], mins)
        ]
        feasible, applied = not unmet, None

    perm = np.arange(n)
    perm[np.flatnonzero(known)] = np.flatnonzero(known)[new_known]
    final = order[perm]  # input row per new position
    before, after = codes[:k], codes[perm][:k]
    report = RerankReport(
        mode="min_ratio" if min_ratio is not None else "targets",
        attribute=attribute,
        k=k,
        params={
            "min_ratio": min_ratio,
            "targets": dict(targets) if targets is not None else None,
            "min_share": min_share,
            "every_prefix": every_prefix,
        },
        feasible=feasible,
        min_ratio_applied=applied,
        unmet=unmet,
        columns=_group_table(names, pool, n, excluded, before, after, targets),
        unknown={"pool": int(n - known.sum()), "top_k": int(k - slots)},
        ndcg=ndcg_at(score[order], perm, k),
        changed=bool((perm[:k] != np.arange(k)).any()),
        entered=frame["candidate_id"].to_numpy()[np.setdiff1d(final[:k], order[:k])].tolist(),
        left=frame["candidate_id"].to_numpy()[np.setdiff1d(order[:k], final[:k])].tolist(),
        notes=notes,
    )
    out = frame.iloc[final].reset_index(drop=True)
    rank_of = np.empty(n, dtype=np.int64)
    rank_of[order] = np.arange(1, n + 1)
    out["rank"] = np.arange(1, n + 1)
    out["original_rank"] = rank_of[final]
    return Reranked(out, report)


def _by_ratio(kc, kscore, pool, excluded, slots, rho, every_prefix, notes):
    """New order of the known rows for ``min_ratio``: first the top-k composition, then
    DetConstSort inside it.  Returns (order, feasible, ratio applied, unmet)."""
    constrained = (~excluded) & (pool > 0)
    cum = np.zeros((len(kc) + 1, len(pool)), dtype=np.int64)
    if len(kc):
        cum[1:] = np.cumsum(kc[:, None] == np.arange(len(pool))[None, :], axis=0)
    counts = cum[slots]
    feasible, applied, unmet = True, rho, []
    if not _ratio_ok(counts, pool, constrained, rho):
        best = _composition(cum, kscore, kc, pool, constrained, slots, rho)
        if best is None:
            feasible = False
            applied = _largest_ratio(cum, pool, constrained, slots, rho)
            best = _composition(cum, kscore, kc, pool, constrained, slots, applied)
            unmet = [{"min_ratio": rho, "best_possible": applied}]
            notes.append(
                f"No top-{slots} composition of the known rows gives every group an impact ratio "
                f">= {rho}; applied the largest that one does, {applied:.6f}."
            )
        counts = best
    # the chosen top-k: each group's best counts[g] rows
    rank_in_group = (cum[np.arange(1, len(kc) + 1), kc] if len(kc) else np.zeros(0)) - 1
    chosen = rank_in_group < counts[kc]
    inside = np.flatnonzero(chosen)
    known_n = max(int(pool.sum()), 1)
    shares = np.where(constrained, applied * pool / known_n, 0.0)
    mins = np.minimum(dcs.proportional(shares, slots), counts[None, :])
    mins = mins if every_prefix else _at_k_only(mins)
    arranged = inside if dcs.meets(kc[inside], mins) else inside[dcs.detconstsort(kc[inside], mins)]
    return np.concatenate([arranged, np.flatnonzero(~chosen)]), feasible, applied, unmet


def _at_k_only(mins: np.ndarray) -> np.ndarray:
    """The same minimums at the last prefix, none before it."""
    out = np.zeros_like(mins)
    out[-1:] = mins[-1:]
    return out


def _label(value) -> str | None:
    """A group label as the audit reads it (``inputs.normalise``): stripped text, ``None`` when
    missing, empty or one of ``UNKNOWN_VALUES`` in any case."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    text = str(value).strip()
    return None if text.lower() in UNKNOWN_VALUES else text


def _ratio_ok(counts, pool, constrained, rho) -> bool:
    ratio = impact_ratios(counts, pool, constrained)
    return bool(np.all(np.isnan(ratio) | (ratio >= rho - EPS)))


def _boxes(pool, constrained, slots, rho):
    """Candidate highest rates ``t`` and, per t, each group's [low, high] count in the top k:
    rates in [rho * t, t] for constrained groups, anything for the others."""
    steps = [np.arange(1, min(p, slots) + 1) / p for p in pool[constrained]]
    # t = 0 too: no constrained row selected leaves no ratio to fall short
    ts = np.unique(np.concatenate([np.zeros(1), *steps]))
    t = ts[:, None]
    high = np.where(constrained, np.minimum(np.floor(t * pool + EPS), pool), pool).astype(np.int64)
    low = np.where(constrained, np.ceil(rho * t * pool - EPS), 0).astype(np.int64)
    ok = (low <= high).all(axis=1) & (low.sum(axis=1) <= slots) & (high.sum(axis=1) >= slots)
    return low[ok], high[ok]


def _composition(cum, kscore, kc, pool, constrained, slots, rho):
    """The per-group counts of the best-scoring top ``slots`` (total score of the rows kept) among
    those whose impact ratios are all >= ``rho``; ``None`` when there is none.  For each candidate
    highest rate ``t`` (some group's c / n_g), the best set takes each group's ``low`` best rows and
    fills the rest in score order without passing ``high``: found by bisection on the cut rank."""
    low, high = _boxes(pool, constrained, slots, rho)
    if len(low) == 0:
        return None
    lo = np.zeros(len(low), dtype=np.int64)
    hi = np.full(len(low), len(cum) - 1, dtype=np.int64)
    while (lo < hi).any():
        mid = (lo + hi) // 2
        enough = np.clip(cum[mid], low, high).sum(axis=1) >= slots
        hi, lo = np.where(enough, mid, hi), np.where(enough, lo, mid + 1)
    counts = np.clip(cum[hi], low, high)
    # total score of each group's best c rows: prefix sums per group
    sums = np.zeros((len(pool), int(pool.max()) + 1 if len(pool) else 1))
    for g in range(len(pool)):
        sums[g, 1 : pool[g] + 1] = np.cumsum(kscore[kc == g])
    total = sums[np.arange(len(pool))[None, :], counts].sum(axis=1)
    return counts[int(np.argmax(total))]


def _largest_ratio(cum, pool, constrained, slots, rho) -> float:
    """The largest ratio below ``rho`` some composition meets (bisection; 0 always can)."""
    lo, hi = 0.0, rho
    for _ in range(30):
        mid = (lo + hi) / 2
        if len(_boxes(pool, constrained, slots, mid)[0]):
            lo = mid
        else:
            hi = mid
    return math.floor(lo * 1e6) / 1e6


def _group_table(names, pool, n, excluded, before, after, targets) -> dict[str, np.ndarray]:
    g = len(names)
    cb = np.bincount(before[before >= 0], minlength=g)
    ca = np.bincount(after[after >= 0], minlength=g)
    constrained = (~excluded) & (pool > 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        return {
            "group": np.asarray(names, dtype=object),
            "pool": pool,
            "share": pool / n if n else np.zeros(g),
            "excluded": excluded,
            "target": np.array([targets.get(x, 0.0) for x in names] if targets else [np.nan] * g),
            "top_k_before": cb,
            "top_k_after": ca,
            "rate_before": np.where(pool > 0, cb / np.maximum(pool, 1), np.nan),
            "rate_after": np.where(pool > 0, ca / np.maximum(pool, 1), np.nan),
            "impact_ratio_before": impact_ratios(cb, pool, constrained),
            "impact_ratio_after": impact_ratios(ca, pool, constrained),
        }


def _check(frame, attribute, k, min_ratio, targets, min_share, every_prefix) -> np.ndarray:
    """Every argument checked; returns the scores as floats."""
    if not isinstance(every_prefix, bool):
        raise ValueError(
            f"The 'every_prefix' parameter of rerank must be True or False. Got {every_prefix!r} "
            "instead."
        )
    if not isinstance(frame, pd.DataFrame):
        raise TypeError(f"rerank needs a pandas DataFrame. Got {type(frame).__name__} instead.")
    missing = [c for c in ("candidate_id", "score", attribute) if c not in frame.columns]
    if missing:
        raise ValueError(
            f"rerank needs columns candidate_id, score and {attribute!r} (the 'attribute' "
            f"parameter). Missing {missing}; found {list(frame.columns)}."
        )
    n = len(frame)
    if k is not None and (isinstance(k, bool) or not isinstance(k, int | np.integer) or k < 1):
        raise ValueError(f"The 'k' parameter of rerank must be an int >= 1. Got {k!r} instead.")
    if (min_ratio is None) == (targets is None):
        raise ValueError(
            "rerank needs exactly one of 'min_ratio' and 'targets'. "
            f"Got min_ratio={min_ratio!r} and targets={targets!r} instead."
        )
    if min_ratio is not None and not (
        isinstance(min_ratio, int | float) and 0.0 < float(min_ratio) <= 1.0
    ):
        raise ValueError(
            f"The 'min_ratio' parameter of rerank must be a number in (0, 1]. Got {min_ratio!r} "
            "instead."
        )
    if targets is not None:
        if not isinstance(targets, Mapping) or not all(
            isinstance(v, int | float) and 0.0 <= float(v) <= 1.0 for v in targets.values()
        ):
            raise ValueError(
                "The 'targets' parameter of rerank must map group labels to shares in [0, 1]. "
                f"Got {targets!r} instead."
            )
        if sum(float(v) for v in targets.values()) > 1.0 + EPS:
            raise ValueError(
                "The 'targets' parameter of rerank must have shares summing to at most 1. "
                f"Got {sum(float(v) for v in targets.values())!r} instead."
            )
    if not (isinstance(min_share, int | float) and 0.0 <= float(min_share) < 1.0):
        raise ValueError(
            f"The 'min_share' parameter of rerank must be a number in [0, 1). Got {min_share!r} "
            "instead."
        )
    score = pd.to_numeric(frame["score"], errors="coerce").to_numpy(dtype=np.float64)
    if n and not np.isfinite(score).all():
        row = int(np.flatnonzero(~np.isfinite(score))[0])
        value = frame["score"].iloc[row]
        value = value.item() if isinstance(value, np.generic) else value
        raise ValueError(
            f"rerank needs a finite number in column 'score' of every row. Row {row} has {value!r}."
        )
    dup = frame["candidate_id"].duplicated().to_numpy()
    if dup.any():
        row = int(np.flatnonzero(dup)[0])
        raise ValueError(
            f"rerank needs one row per candidate_id. Row {row} repeats "
            f"{frame['candidate_id'].iloc[row]!r} ({int(dup.sum())} repeated in all)."
        )
    return score
