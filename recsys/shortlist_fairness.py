"""The opt-in representation constraint of ``Recommender.shortlist(fairness=...)``.

Runs after every score is fixed: the candidates' group labels (the world's or store's ``groups``
table, never a model input) only move rows of the retrieved, scored pool into or within the top
``k`` with :func:`recsys.fairness.rerank` (DetConstSort for ``min_ratio`` / ``targets``).  The
answer's manifest records that it was applied, its NDCG cost against the unconstrained list and
the composition before and after.

Adjusting a ranking by a protected attribute can be unlawful for selection decisions in some
jurisdictions (e.g. US 42 U.S.C. §2000e-2(l) forbids adjusting scores or cut-offs by race, sex,
religion or national origin): this is meant for sourcing and representation reviews, with legal
advice, and it is off unless asked for (docs/fairness.md).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

__all__ = ["FairOrder", "OPTION_KEYS", "check_option", "fair_order", "recruiter_view"]

OPTION_KEYS = ("attribute", "min_ratio", "targets", "min_share", "every_prefix")
# categories under 2% of the pool get no ratio and no minimum, as in the audit's LL144 exclusion
DEFAULT_MIN_SHARE = 0.02


class FairOrder(NamedTuple):
    """``original_rank`` of each shown row in the unconstrained list, and the manifest entry."""

    original_rank: np.ndarray
    manifest: dict[str, Any]


def check_option(option: Any) -> dict[str, Any]:
    """``option`` as rerank's keyword arguments, or a ValueError naming what is wrong."""
    if not isinstance(option, Mapping):
        raise ValueError(
            "The 'fairness' option of shortlist must be a mapping such as "
            '{"attribute": "gender", "min_ratio": 0.8}. '
            f"Got {type(option).__name__} instead."
        )
    unknown = sorted(set(option) - set(OPTION_KEYS))
    if unknown:
        raise ValueError(
            f"The 'fairness' option of shortlist takes keys {list(OPTION_KEYS)}. "
            f"Got unknown {unknown} instead."
        )
    attribute = option.get("attribute")
    if not isinstance(attribute, str) or not attribute:
        raise ValueError(
            "The 'fairness' option of shortlist needs 'attribute': the group column to constrain "
            f"(e.g. 'gender'). Got {attribute!r} instead."
        )
    out = {k: option[k] for k in OPTION_KEYS if k in option and option[k] is not None}
    out.setdefault("min_share", DEFAULT_MIN_SHARE)
    return out


def fair_order(
    option: Mapping[str, Any],
    groups: pd.DataFrame | None,
    cand: np.ndarray,
    score: np.ndarray,
    order: np.ndarray,
    k: int,
) -> tuple[np.ndarray, FairOrder]:
    """The pool's order (positions into ``cand``/``score``) re-ranked so that its top ``k`` meets
    ``option``; ``order`` is the unconstrained one (best first)."""
    from recsys.fairness import rerank  # imported only when asked: the audit's dependencies

    params = check_option(option)
    attribute = params.pop("attribute")
    labels = _labels(groups, attribute, cand[order])
    frame = pd.DataFrame(
        {"candidate_id": cand[order], "score": score[order], attribute: labels}, copy=False
    )
    # ``order`` sorts by score first, so rerank's own stable sort keeps its tie order
    out, report = rerank(frame, attribute=attribute, k=min(k, len(frame)) or None, **params)
    position = out["original_rank"].to_numpy() - 1
    manifest = {"applied": True, "pool": len(frame), **report.to_dict()}
    return order[position], FairOrder(out["original_rank"].to_numpy()[:k], manifest)


# per-group composition and the ids moved in or out: group data an auditor, not a recruiter, reads
GROUP_DETAIL = ("groups", "entered", "left", "unmet", "unknown")


def recruiter_view(entry: Mapping[str, Any]) -> dict[str, Any]:
    """The manifest's ``fairness`` entry without :data:`GROUP_DETAIL`: that it was applied, how
    (attribute, mode, params), whether it was met, the lowest impact ratio before and after, and
    the NDCG cost."""
    return {k: v for k, v in entry.items() if k not in GROUP_DETAIL}


def _labels(groups: pd.DataFrame | None, attribute: str, ids: np.ndarray) -> np.ndarray:
    if groups is None or not len(groups):
        raise ValueError(
            f"Re-ranking by {attribute!r} needs the candidates' group labels, and this "
            "recommender's data holds no groups table (a model bundle without a store, or a store "
            "where none was ingested). Serve it over a store or world with a groups table."
        )
    if attribute not in groups.columns or attribute == "candidate_id":
        found = [c for c in groups.columns if c != "candidate_id"]
        raise ValueError(
            f"The 'fairness' option's attribute must be a column of the groups table {found}. "
            f"Got {attribute!r} instead."
        )
    table = groups.drop_duplicates("candidate_id", keep="last")
    where = pd.Index(table["candidate_id"].astype(str)).get_indexer(ids.astype(str))
    values = table[attribute].to_numpy(dtype=object)
    return np.where(where >= 0, values[np.maximum(where, 0)], None)
