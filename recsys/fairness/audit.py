"""The adverse-impact audit: rates, impact ratios and tests per category and intersection.

>>> report = audit("scores.parquet", "worlds/demo/groups.parquet", k=50)
>>> report.to_frame()            # one row per grouping × measure × category
>>> report.to_html("audit.html")  # the readable report with plots

Definitions (NYC Local Law 144 and its rules, 6 RCNY §5-300) and the choices made where they leave
room are in docs/fairness.md.  Counts are over candidate–role pairs: a person assessed for three
roles counts three times, as three assessments.  The test is chosen per audit: Fisher's exact test
over pairs when every candidate is one pair, the candidate-level permutation test when candidates
repeat (their pairs are not independent).  This package is the only code that reads the
``groups`` table.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from recsys.fairness import categories, outcomes, stats
from recsys.fairness.inputs import AuditInputError, load_groups, load_scores
from recsys.fairness.report import COLUMNS, AuditReport

Pool = Literal["scores", "groups"]
SEP = " × "


def audit(
    scores: pd.DataFrame | str | Path,
    groups: pd.DataFrame | str | Path,
    *,
    k: int | None = None,
    attributes: list[str] | None = None,
    intersections: list[list[str]] | None = None,
    alpha: float = 0.05,
    threshold: float = 0.8,
    min_share: float = 0.02,
    pool: Pool = "scores",
    adjust: stats.Adjust = "holm",
    test: stats.Test = "auto",
    permutations: int = 2000,
    seed: int | None = 0,
) -> AuditReport:
    """Audit scored pairs against the groups table.

    ``scores``: a frame or file with ``role_id, candidate_id, score`` (``rank``, ``selected``
    optional; see :mod:`recsys.fairness.inputs`).  ``groups``: ``candidate_id`` + attributes.
    ``k``: selected = top ``k`` per role; else the ``selected`` column; else scoring rates only.
    ``attributes``: default every groups column.  ``intersections``: lists of attributes crossed
    (default: all ``attributes`` together when there are two or more; ``[]`` for none).
    ``alpha``: significance level of the exact tests and 1 - confidence of the intervals.
    ``threshold``: the four-fifths line.  ``min_share``: categories below this share of the pairs
    get no impact ratio (reported as excluded).  ``pool``: ``"scores"``, each role's applicants are
    its scored rows; ``"groups"``, every candidate of the groups table applied to every role of the
    scores (for a shortlist, which lists only the selected).  ``adjust``: Holm's adjustment of the
    p-values within each grouping × measure (``"none"``: per comparison).
    ``test``: ``"fisher"``, Fisher's exact test over pairs (valid when pairs are independent);
    ``"permutation"``, the candidate-level permutation test (:func:`stats.permutation_vs`:
    ``permutations`` shuffles of the candidates' labels, seeded by ``seed``; ``None`` draws a seed,
    recorded in the params); ``"auto"`` (default), Fisher when every candidate is at most one pair
    of the applicant pool (one shortlist, a file of applicants), the permutation test when any
    candidate repeats.  The intervals follow the test's unit: pair-level Wilson with Fisher,
    Wilson at the candidate-clustered effective size with the permutation test.
    """
    _check(k, alpha, threshold, min_share, pool, adjust)
    _check_test(test, permutations, seed)
    frame, scores_src = load_scores(scores)
    table, attributes, groups_src = load_groups(groups, attributes)
    crossed = _intersections(attributes, intersections, groups_src)
    roles, n_roles = outcomes.role_codes(frame)
    picked = outcomes.selected(frame, roles, k)
    measures: dict[str, np.ndarray] = {}
    notes: list[str] = []
    if picked is not None:
        measures["selection"] = picked
        if picked.all() and pool == "scores":
            notes.append(
                "Every scored pair is selected, so every selection rate is 1: the file lists only "
                "the selected (a shortlist or a top-k output); audit it with pool='groups' "
                "(--pool groups) to count every candidate of the groups table as an applicant."
            )
    else:
        notes.append("No selection: pass k (--k) or a 'selected' column for selection rates.")
    if pool == "scores":
        measures["scoring"] = outcomes.above_median(frame, roles)
    else:
        notes.append(
            "pool='groups': scoring rates are not computed (unlisted applicants have no score)."
        )
    if not measures:
        raise AuditInputError(
            f"{scores_src}: expected a selection (k, or a 'selected' column) with pool='groups', "
            "found neither: there is nothing to audit."
        )
    cand = frame["candidate_id"].to_numpy()
    coded = categories.encode(table, attributes, cand)
    missing = np.unique(cand[~coded.in_groups])
    if len(missing):
        notes.append(
            f"{len(missing)} scored candidate(s) have no row in {groups_src} and count as unknown "
            f"(e.g. {missing[0]!r})."
        )
    people = _people(table, cand, pool, n_roles, measures)
    chosen = test if test != "auto" else ("permutation" if people.repeats else "fisher")
    sequence = np.random.SeedSequence(seed)
    notes.append(_test_note(chosen, test, people, permutations, sequence.entropy))
    groupings = [(a,) for a in attributes] + crossed
    rngs = [np.random.default_rng(s) for s in sequence.spawn(len(groupings))]
    rows, unknown, most = [], [], 0  # most: comparisons in one table
    for attrs, rng in zip(groupings, rngs, strict=True):
        n, hits, unknowns = _count(coded, attrs, measures, n_roles, pool, cand)
        labels = categories.category_labels(coded, attrs)
        unknown.append({"grouping": SEP.join(attrs), "attributes": list(attrs), **unknowns})
        total = n.sum() + unknowns["pairs"]
        with np.errstate(divide="ignore", invalid="ignore"):
            excluded = n / total < min_share
        refs = {m: _reference(n, h, excluded) for m, h in hits.items()}
        most = max(most, int((~excluded & (n > 0)).sum()) - 1)
        if chosen == "fisher":
            p = {m: stats.fisher_vs(hits[m], n, r) for m, r in refs.items() if r is not None}
            ci = {m: stats.wilson(h, n, 1 - alpha) for m, h in hits.items()}
        else:
            p, ci = _by_candidate(coded, attrs, people, refs, len(n), alpha, permutations, rng)
        for measure, h in hits.items():
            rates = _rates(
                labels, n, h, total, excluded, refs[measure], p.get(measure), ci[measure],
                alpha, threshold, adjust,
            )  # fmt: skip
            rows.append(rates.assign(grouping=SEP.join(attrs), measure=measure))
    floor = (most if adjust == "holm" else 1) / (permutations + 1)
    if chosen == "permutation" and most > 0 and floor >= alpha:
        notes.append(
            f"With {permutations:,} permutations no comparison can be flagged: the smallest "
            f"{'Holm-adjusted ' if adjust == 'holm' else ''}p-value of a table of {most} "
            f"comparisons is {floor:.3g} >= alpha {alpha:g}; raise permutations (--permutations)."
        )
    params = {
        "k": k,
        "attributes": attributes,
        "intersections": [list(a) for a in crossed],
        "alpha": alpha,
        "threshold": threshold,
        "min_share": min_share,
        "pool": pool,
        "adjust": adjust,
        "test": chosen,
        "test_requested": test,
        "permutations": permutations if chosen == "permutation" else None,
        "seed": sequence.entropy if chosen == "permutation" else None,
        "scores": scores_src,
        "groups": groups_src,
    }
    summary = {
        "pairs": len(frame),
        "roles": n_roles,
        "candidates": int(pd.Series(cand).nunique()),
        "max_pairs_per_candidate": people.max_pairs,
        "selected": None if picked is None else int(picked.sum()),
        "people_in_groups": len(table),
        "candidates_without_groups_row": len(missing),
    }
    return AuditReport(
        table=pd.concat(rows, ignore_index=True)[[*COLUMNS, *attributes]],
        unknown=pd.DataFrame(unknown),
        params=params,
        summary=summary,
        notes=notes,
    )


def _check(k, alpha, threshold, min_share, pool, adjust) -> None:
    if k is not None and (isinstance(k, bool) or not isinstance(k, int | np.integer) or k < 1):
        raise ValueError(
            f"The 'k' parameter of audit must be an int >= 1 or None. Got {k!r} instead."
        )
    for name, value in (("alpha", alpha), ("threshold", threshold), ("min_share", min_share)):
        if not 0 <= value < 1 or (name == "alpha" and value == 0):
            raise ValueError(
                f"The '{name}' parameter of audit must be in (0, 1). Got {value!r} instead."
            )
    if pool not in ("scores", "groups"):
        raise ValueError(
            f"The 'pool' parameter of audit must be 'scores' or 'groups'. Got {pool!r} instead."
        )
    if adjust not in ("holm", "none"):
        raise ValueError(
            f"The 'adjust' parameter of audit must be 'holm' or 'none'. Got {adjust!r} instead."
        )


def _check_test(test, permutations, seed) -> None:
    if test not in ("auto", "fisher", "permutation"):
        raise ValueError(
            "The 'test' parameter of audit must be 'auto', 'fisher' or 'permutation'. "
            f"Got {test!r} instead."
        )
    if not _count_at_least(permutations, 1):
        raise ValueError(
            f"The 'permutations' parameter of audit must be an int >= 1. Got {permutations!r} "
            "instead."
        )
    if seed is not None and not _count_at_least(seed, 0):
        raise ValueError(
            f"The 'seed' parameter of audit must be an int >= 0 or None. Got {seed!r} instead."
        )


def _count_at_least(value, low: int) -> bool:
    return not isinstance(value, bool) and isinstance(value, int | np.integer) and value >= low


@dataclass
class _People:
    """The applicant pool per candidate: the unit the permutation test shuffles."""

    n: np.ndarray  # pairs per candidate
    row: np.ndarray  # the candidate's groups row (-1: none, unknown)
    hits: dict[str, np.ndarray]  # measure → hits per candidate
    max_pairs: int

    @property
    def repeats(self) -> bool:
        return self.max_pairs > 1


def _people(table, cand, pool, n_roles, measures) -> _People:
    """Per candidate: pairs, groups row and hits.  ``pool="scores"``: the scored candidates and
    their scored pairs; ``"groups"``: every groups row, an applicant to each of the roles."""
    ids = pd.Index(table["candidate_id"])
    if pool == "scores":
        unit, uniques = pd.factorize(cand)
        n = np.bincount(unit, minlength=len(uniques))
        row = ids.get_indexer(uniques)
    else:
        unit = ids.get_indexer(cand)  # scored ids without a groups row are unknown pairs
        n = np.full(len(table), n_roles, dtype=np.int64)
        row = np.arange(len(table))
    ok = unit >= 0
    hits = {
        m: np.bincount(unit[ok], weights=v[ok].astype(np.float64), minlength=len(n))
        for m, v in measures.items()
    }
    return _People(n, row, hits, int(n.max()) if len(n) else 0)


def _by_candidate(coded, attrs, people, refs, n_cat, alpha, permutations, rng):
    """Permutation p-values and clustered intervals of one grouping, from per-candidate counts."""
    sizes = [len(coded.labels[a]) for a in attrs]
    code = categories.combine(coded.people, sizes, attrs)
    label = np.where(people.row >= 0, code[people.row], -1)
    known = label >= 0
    label, n = label[known], people.n[known]
    tested = [m for m, r in refs.items() if r is not None]
    p = {}
    if tested:
        hits = np.stack([people.hits[m][known] for m in tested])
        refs_ = [refs[m] for m in tested]
        out = stats.permutation_vs(
            label, n, hits, refs_, n_categories=n_cat, permutations=permutations, rng=rng
        )
        p = dict(zip(tested, out, strict=True))
    ci = {
        m: stats.wilson_clustered(label, n, h[known], n_cat, 1 - alpha)
        for m, h in people.hits.items()
    }
    return p, ci


def _test_note(chosen, requested, people, permutations, entropy) -> str:
    count, most = f"{len(people.n):,}", f"{people.max_pairs:,}"
    if chosen == "permutation":
        why = (
            f"candidates repeat (up to {most} pairs per candidate), so a candidate's pairs are not "
            "independent observations"
            if people.repeats
            else "requested"
        )
        return (
            f"Test: candidate-level permutation test ({permutations:,} shuffles of the {count} "
            f"candidates' labels, seed {entropy}), Holm-adjusted per table: {why}.  Intervals: "
            "Wilson at the candidate-clustered effective number of pairs."
        )
    if people.repeats:  # Fisher asked for on clustered data
        return (
            f"Test: Fisher's exact test over pairs (requested), although candidates repeat (up to "
            f"{most} pairs per candidate among {count}): it and the pair-level Wilson intervals "
            "treat a candidate's pairs as independent, so p-values are too small and intervals too "
            "narrow; test='permutation' (--test permutation) tests at the candidate level."
        )
    how = "requested" if requested == "fisher" else f"each of the {count} candidates is one pair"
    return (
        f"Test: Fisher's exact test over pairs, Holm-adjusted per table ({how}); intervals: "
        "Wilson over pairs."
    )


def _intersections(
    attributes: list[str], intersections: list[list[str]] | None, source: str
) -> list[tuple[str, ...]]:
    if intersections is None:
        return [tuple(attributes)] if len(attributes) > 1 else []
    out = []
    for attrs in intersections:
        unknown = [a for a in attrs if a not in attributes]
        if unknown or len(attrs) < 2:
            raise AuditInputError(
                f"{source}: expected intersections of two or more audited attributes "
                f"{attributes}, found {list(attrs)}."
            )
        out.append(tuple(attrs))
    return out


def _count(coded, attrs, measures, n_roles, pool, cand):
    """Applicants and hits per category, and the unknowns (pairs and people) of one grouping."""
    sizes = [len(coded.labels[a]) for a in attrs]
    n_cat = int(np.prod(sizes))
    pair_code = categories.combine(coded.pairs, sizes, attrs)
    hits = {m: categories.count(pair_code, n_cat, v) for m, v in measures.items()}
    if pool == "scores":
        n = categories.count(pair_code, n_cat)
        unknown_pairs = int((pair_code < 0).sum())
        unknown_people = int(pd.Series(cand[pair_code < 0]).nunique())
    else:  # every groups row applied to every role; scored ids without a row add unknown pairs
        people_code = categories.combine(coded.people, sizes, attrs)
        n = n_roles * categories.count(people_code, n_cat)
        outside = ~coded.in_groups
        unknown_pairs = n_roles * int((people_code < 0).sum()) + int(outside.sum())
        unknown_people = int((people_code < 0).sum()) + int(pd.Series(cand[outside]).nunique())
    return n, hits, {"pairs": unknown_pairs, "people": unknown_people}


def _reference(n, hits, excluded) -> int | None:
    """The highest-rate category among those not excluded (None: no rate above 0 to compare to)."""
    included = np.flatnonzero(~excluded & (n > 0))
    if not len(included):
        return None
    rate = hits[included] / n[included]
    return int(included[np.argmax(rate)]) if rate.max() > 0 else None


def _rates(labels, n, hits, total, excluded, ref, p, ci, alpha, threshold, adjust):
    """The rows of one grouping × measure: rate, interval, share, ratio, test, flags."""
    with np.errstate(divide="ignore", invalid="ignore"):
        rate = hits / n
        share = n / total
    frame = labels.copy()
    frame.insert(0, "category", labels.astype(str).agg(" / ".join, axis=1) if len(labels) else [])
    frame.insert(0, "measure", "")
    frame.insert(0, "grouping", "")
    ratio = np.full(len(n), np.nan)
    p_value, p_adj = ratio.copy(), ratio.copy()
    if ref is not None:
        p_value = np.where(excluded, np.nan, p)
        p_ref_free = p_value.copy()
        p_ref_free[ref] = np.nan  # the reference is not a comparison
        p_adj = stats.adjust(p_ref_free, adjust)
        p_adj[ref] = 1.0
        ratio = np.where(excluded, np.nan, rate / rate[ref])
    four_fifths = np.nan_to_num(ratio, nan=1.0) < threshold
    frame = frame.assign(
        n=n,
        hits=hits,
        rate=rate,
        ci_low=ci[0],
        ci_high=ci[1],
        share=share,
        excluded=excluded,
        reference=np.arange(len(n)) == (-1 if ref is None else ref),
        impact_ratio=ratio,
        p_value=p_value,
        p_adjusted=p_adj,
        four_fifths=four_fifths,
        flagged=four_fifths & (np.nan_to_num(p_adj, nan=1.0) < alpha),
    )
    return frame[n > 0].reset_index(drop=True)
