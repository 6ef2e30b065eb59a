"""The adverse-impact audit: rates, impact ratios and exact tests per category and intersection.

>>> report = audit("scores.parquet", "worlds/demo/groups.parquet", k=50)
>>> report.to_frame()            # one row per grouping × measure × category
>>> report.to_html("audit.html")  # the readable report with plots

Definitions (NYC Local Law 144 and its rules, 6 RCNY §5-300) and the choices made where they leave
room are in docs/fairness.md.  Counts are over candidate–role pairs: a person assessed for three
roles counts three times, as three assessments.  This package is the only code that reads the
``groups`` table.
"""

from __future__ import annotations

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
    """
    _check(k, alpha, threshold, min_share, pool, adjust)
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
    rows, unknown = [], []
    for attrs in [(a,) for a in attributes] + crossed:
        n, hits, unknowns = _count(coded, attrs, measures, n_roles, pool, cand)
        labels = categories.category_labels(coded, attrs)
        unknown.append({"grouping": SEP.join(attrs), "attributes": list(attrs), **unknowns})
        for measure, h in hits.items():
            rates = _rates(labels, n, h, unknowns["pairs"], alpha, threshold, min_share, adjust)
            rows.append(rates.assign(grouping=SEP.join(attrs), measure=measure))
    params = {
        "k": k,
        "attributes": attributes,
        "intersections": [list(a) for a in crossed],
        "alpha": alpha,
        "threshold": threshold,
        "min_share": min_share,
        "pool": pool,
        "adjust": adjust,
        "scores": scores_src,
        "groups": groups_src,
    }
    summary = {
        "pairs": len(frame),
        "roles": n_roles,
        "candidates": int(pd.Series(cand).nunique()),
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


def _rates(labels, n, hits, unknown_pairs, alpha, threshold, min_share, adjust):
    """The rows of one grouping × measure: rate, interval, share, ratio, test, flags."""
    present = n > 0
    labels, n, hits = labels[present].reset_index(drop=True), n[present], hits[present]
    total = n.sum() + unknown_pairs
    with np.errstate(divide="ignore", invalid="ignore"):
        rate = hits / n
        share = n / total
    low, high = stats.wilson(hits, n, 1 - alpha)
    excluded = share < min_share
    frame = labels.copy()
    frame.insert(0, "category", labels.astype(str).agg(" / ".join, axis=1) if len(labels) else [])
    frame.insert(0, "measure", "")
    frame.insert(0, "grouping", "")
    frame = frame.assign(
        n=n,
        hits=hits,
        rate=rate,
        ci_low=low,
        ci_high=high,
        share=share,
        excluded=excluded,
        reference=False,
        impact_ratio=np.nan,
        p_value=np.nan,
        p_adjusted=np.nan,
        four_fifths=False,
        flagged=False,
    )
    included = np.flatnonzero(~excluded)
    if not len(included) or rate[included].max() <= 0:
        return frame
    ref = int(included[np.argmax(rate[included])])
    p = stats.fisher_vs(hits, n, ref)
    p[excluded] = np.nan
    p_ref_free = p.copy()
    p_ref_free[ref] = np.nan  # the reference is not a comparison
    p_adj = stats.adjust(p_ref_free, adjust)
    p_adj[ref] = 1.0
    ratio = np.where(excluded, np.nan, rate / rate[ref])
    four_fifths = np.nan_to_num(ratio, nan=1.0) < threshold
    frame["reference"] = np.arange(len(frame)) == ref
    frame["impact_ratio"] = ratio
    frame["p_value"] = p
    frame["p_adjusted"] = p_adj
    frame["four_fifths"] = four_fifths
    frame["flagged"] = four_fifths & (np.nan_to_num(p_adj, nan=1.0) < alpha)
    return frame
