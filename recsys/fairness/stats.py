"""Intervals and tests for rates: Wilson intervals, Fisher's exact test, a candidate-level
permutation test, Holm's adjustment.

Wilson's interval is the closed form, vectorised over categories (the same numbers as
``scipy.stats.binomtest(x, n).proportion_ci(method="wilson")``, which takes one rate at a time;
statsmodels' ``proportion_confint`` is not a dependency of this project).

Fisher's test and Wilson's interval treat every pair as an independent observation.  When the same
candidate is in many roles' pools, their pairs are not: a strong candidate is selected in many
roles.  :func:`permutation_vs` then tests at the level of candidates (their labels are what is
exchangeable under a group-blind process) and :func:`wilson_clustered` widens the interval by the
candidate-clustered design effect.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np
from scipy.stats import fisher_exact, norm

Adjust = Literal["holm", "none"]
Test = Literal["auto", "fisher", "permutation"]


def wilson(hits: np.ndarray, n: np.ndarray, confidence: float = 0.95) -> tuple[np.ndarray, ...]:
    """Wilson score interval ``(low, high)`` of ``hits / n`` per element; NaN where ``n == 0``."""
    hits = np.asarray(hits, dtype=np.float64)
    n = np.asarray(n, dtype=np.float64)
    z = norm.ppf(0.5 + confidence / 2)
    with np.errstate(divide="ignore", invalid="ignore"):
        p = hits / n
        denom = 1 + z**2 / n
        centre = (p + z**2 / (2 * n)) / denom
        half = z * np.sqrt(p * (1 - p) / n + z**2 / (4 * n**2)) / denom
    # the interval holds the rate: at 0 or 1 rounding would leave it a hair outside
    low = np.clip(np.fmin(centre - half, p), 0.0, 1.0)
    high = np.clip(np.fmax(centre + half, p), 0.0, 1.0)
    return np.where(n > 0, low, np.nan), np.where(n > 0, high, np.nan)


def fisher_vs(hits: np.ndarray, n: np.ndarray, ref: int) -> np.ndarray:
    """Two-sided Fisher exact p-value of each category's rate against category ``ref``'s
    (1 for ``ref`` itself, NaN where a category has no rows).  One 2×2 table per category."""
    out = np.full(len(hits), np.nan)
    a_ref, n_ref = int(hits[ref]), int(n[ref])
    for i, (a, m) in enumerate(zip(hits.tolist(), n.tolist(), strict=True)):
        if i == ref:
            out[i] = 1.0
        elif m > 0 and n_ref > 0:
            table = [[int(a), int(m - a)], [a_ref, n_ref - a_ref]]
            out[i] = float(fisher_exact(table, alternative="two-sided").pvalue)
    return out


def permutation_vs(
    labels: np.ndarray,
    n: np.ndarray,
    hits: np.ndarray,
    refs: int | Sequence[int],
    *,
    n_categories: int | None = None,
    permutations: int = 2000,
    rng: np.random.Generator | int | None = None,
) -> np.ndarray:
    """Candidate-level permutation p-value of each category's rate against category ``refs``'.

    One entry per *candidate* (not per pair): ``labels`` its category code (``0 ..
    n_categories - 1``; the joint code for an intersection), ``n`` its pairs and ``hits`` its
    selected pairs (or pairs above the pool median); ``hits`` may be 2-D, one row per measure,
    with one reference per row in ``refs`` (the rows share the permutations).  A category's rate is
    ``Σ hits / Σ n`` over its candidates.  Under the null of a group-blind process the labels are
    exchangeable across candidates whatever the candidates' own effects, so each of the
    ``permutations`` draws shuffles the labels over the candidates (a candidate's pairs move
    together) and recomputes every rate.  The statistic is the difference of a category's rate to
    the reference's; the p-value is two-sided with the +1 correction:
    ``(1 + #{|d_perm| >= |d_obs|}) / (1 + permutations)``, so never below
    ``1 / (1 + permutations)``.

    The reference is the *label* of the category with the highest observed rate, held fixed: in
    each permutation the category compared against is whoever carries that label then, not the
    highest permuted rate.  That is the same conditional comparison Fisher's test makes (it does
    not account for the reference having been picked as the highest; Holm's adjustment over the
    comparisons of a table is what limits false flags there).

    Returns ``p`` shaped like one row of ``hits`` per measure (1-D for 1-D ``hits``): 1 for the
    reference, NaN for a category without candidates.  ``rng``: a seed or Generator (the same seed,
    the same p-values).  Vectorised over candidates and over batches of permutations (one
    ``bincount`` per batch and measure); memory about ``batch × candidates`` integers.
    """
    labels = np.asarray(labels, dtype=np.int64)
    n = np.asarray(n, dtype=np.float64)
    one_d = np.ndim(hits) == 1
    hits = np.atleast_2d(np.asarray(hits, dtype=np.float64))
    refs = np.broadcast_to(np.atleast_1d(np.asarray(refs, dtype=np.int64)), (len(hits),))
    if isinstance(permutations, bool) or not isinstance(permutations, int | np.integer):
        raise ValueError(
            f"The 'permutations' parameter must be an int >= 1. Got {permutations!r} instead."
        )
    if permutations < 1:
        raise ValueError(
            f"The 'permutations' parameter must be an int >= 1. Got {permutations!r} instead."
        )
    if len(labels) and labels.min() < 0:
        raise ValueError("permutation_vs: expected category codes >= 0 (drop unknowns first).")
    c = int(n_categories if n_categories is not None else (labels.max() + 1 if len(labels) else 0))
    rng = np.random.default_rng(rng)
    total_n = np.bincount(labels, weights=n, minlength=c)
    with np.errstate(divide="ignore", invalid="ignore"):
        rate = np.stack([np.bincount(labels, weights=h, minlength=c) for h in hits]) / total_n
    rows = np.arange(len(hits))
    observed = np.abs(rate - rate[rows, refs][:, None])
    bar = observed - 1e-10  # equal differences (up to rounding) count as extreme
    extreme = np.zeros_like(observed)
    size = len(labels)
    batch = int(max(1, min(permutations, 2**21 // max(size, 1))))
    offsets = (np.arange(batch, dtype=np.int64) * c)[:, None]
    # the shuffle is most of the time: shuffling 1- or 2-byte codes is faster than 8-byte ones
    small = labels.astype(np.int8 if c <= 127 else np.int16 if c <= 32767 else np.int64)
    same_n = size > 0 and bool((n == n[0]).all())  # then every shuffle keeps each Σ n
    tiled_n = None if same_n else np.tile(n, batch)
    tiled_hits = [np.tile(h, batch) for h in hits]
    done = 0
    while done < permutations:
        b = min(batch, permutations - done)
        shuffled = rng.permuted(np.broadcast_to(small, (b, size)), axis=1)
        idx = shuffled.astype(np.int64)
        idx += offsets[:b]
        idx = idx.ravel()
        if tiled_n is None:
            perm_n = np.broadcast_to(total_n, (b, c))
        else:
            perm_n = np.bincount(idx, weights=tiled_n[: b * size], minlength=b * c).reshape(b, c)
        for m in rows:
            perm_h = np.bincount(idx, weights=tiled_hits[m][: b * size], minlength=b * c)
            with np.errstate(divide="ignore", invalid="ignore"):
                perm_rate = perm_h.reshape(b, c) / perm_n
            diff = np.abs(perm_rate - perm_rate[:, refs[m]][:, None])
            extreme[m] += (diff >= bar[m]).sum(axis=0)
        done += b
    p = (1.0 + extreme) / (1.0 + permutations)
    p[:, total_n <= 0] = np.nan
    p[rows, refs] = 1.0
    return p[0] if one_d else p


def wilson_clustered(
    labels: np.ndarray,
    n: np.ndarray,
    hits: np.ndarray,
    n_categories: int,
    confidence: float = 0.95,
) -> tuple[np.ndarray, ...]:
    """Wilson interval of each category's pooled rate ``Σ hits / Σ n`` when a candidate's pairs
    are not independent: Wilson's formula at the *effective* number of pairs ``Σ n / deff``.

    One entry per candidate (as :func:`permutation_vs`).  The design effect ``deff`` is the
    candidate-clustered (linearised ratio-estimator) variance of the rate over the binomial one,
    ``G/(G-1) Σ_i (hits_i - r n_i)^2 / (Σn · r(1-r))`` over the category's ``G`` candidates, floored
    at 1 (never narrower than the pair-level interval).  Where it cannot be estimated, rate 0 or 1
    or a single candidate, the effective size is the number of candidates (as if each candidate
    were one observation: the widest the clustering can make it).  NaN where a category has no
    candidates.
    """
    labels = np.asarray(labels, dtype=np.int64)
    n = np.asarray(n, dtype=np.float64)
    hits = np.asarray(hits, dtype=np.float64)
    total_n = np.bincount(labels, weights=n, minlength=n_categories)
    people = np.bincount(labels, minlength=n_categories).astype(np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        rate = np.bincount(labels, weights=hits, minlength=n_categories) / total_n
        resid = np.bincount(labels, weights=(hits - rate[labels] * n) ** 2, minlength=n_categories)
        deff = people / (people - 1) * resid / (total_n * rate * (1 - rate))
        estimable = (people >= 2) & (rate > 0) & (rate < 1)
        n_eff = np.where(estimable, total_n / np.fmax(deff, 1.0), np.fmin(people, total_n))
    n_eff = np.where(total_n > 0, n_eff, 0.0)
    return wilson(np.nan_to_num(rate) * n_eff, n_eff, confidence)


def adjust(p: np.ndarray, method: Adjust = "holm") -> np.ndarray:
    """Holm–Bonferroni adjusted p-values over the finite entries of ``p`` (``none``: unchanged)."""
    p = np.asarray(p, dtype=np.float64)
    if method == "none":
        return p.copy()
    if method != "holm":
        raise ValueError(
            f"The 'adjust' parameter must be 'holm' or 'none'. Got {method!r} instead."
        )
    out = p.copy()
    ok = np.flatnonzero(np.isfinite(p))
    m = len(ok)
    if m == 0:
        return out
    order = ok[np.argsort(p[ok], kind="stable")]
    scaled = np.maximum.accumulate((m - np.arange(m)) * p[order])
    out[order] = np.minimum(scaled, 1.0)
    return out
