"""What a re-ranking reports: counts, selection rates and impact ratios before and after, the NDCG
cost against the unconstrained list, and whether the constraints could be met."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from recsys.fairness.report import _json


def impact_ratios(counts: np.ndarray, pool: np.ndarray, constrained: np.ndarray) -> np.ndarray:
    """LL144 impact ratio per group: (count in the top k / count in the list) over the highest such
    rate among ``constrained`` groups; NaN for the others and when every rate is 0."""
    counts = np.asarray(counts, dtype=np.float64)
    pool = np.asarray(pool, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        rate = np.where(constrained & (pool > 0), counts / pool, np.nan)
    top = np.nanmax(rate) if np.isfinite(rate).any() else np.nan
    if not top > 0:
        return np.full(len(rate), np.nan)
    return rate / top


def ndcg_at(sorted_scores: np.ndarray, perm: np.ndarray, k: int) -> float | None:
    """NDCG@k of the order ``perm`` (positions into ``sorted_scores``, which is sorted descending:
    the unconstrained list, hence the ideal one) with **linear** gains = the scores (shifted up by
    the lowest score when some are negative), discount 1/log2(1 + position): sklearn's
    ``ndcg_score`` and ``recsys.metrics.ndcg_at_k(gain="linear")``, without their per-call pandas
    and validation cost (tests check they agree).  ``None`` when every gain in the top k is 0."""
    gains = np.asarray(sorted_scores, dtype=np.float64)
    if len(gains) and gains.min() < 0:
        gains = gains - gains.min()
    k = min(k, len(gains))
    discount = 1.0 / np.log2(np.arange(2, k + 2))
    ideal = float(gains[:k] @ discount)
    if ideal <= 0:
        return None
    return float(gains[np.asarray(perm)[:k]] @ discount) / ideal


@dataclass
class RerankReport:
    """Result of :func:`recsys.fairness.rerank` besides the list.

    ``groups`` (a frame built from ``columns``): one row per group label (sorted) with ``pool`` (rows in the list), ``share``,
    ``excluded`` (under ``min_share``: not constrained, no ratio), ``target`` (targets mode),
    ``top_k_before/after``, ``rate_before/after`` (selection rate = top-k rows / pool rows) and
    ``impact_ratio_before/after`` (rate / highest rate of the groups not excluded).  ``unknown``:
    rows of unknown group in the list and in the top k (the same before and after: they keep their
    positions).  ``ndcg``: NDCG@k of the new list against the unconstrained one (linear gains =
    scores); ``ndcg_cost = 1 - ndcg``.  ``feasible``: every constraint met; else ``unmet`` says
    which (targets: per group, the first prefix of known rows short of its minimum; min_ratio: the
    ratio asked and the best a composition allows, which was applied: ``min_ratio_applied``).
    """

    mode: str
    attribute: str
    k: int
    params: dict[str, Any]
    feasible: bool
    min_ratio_applied: float | None
    unmet: list[dict[str, Any]]
    columns: dict[str, np.ndarray]  # the groups table, column by column
    unknown: dict[str, int]
    ndcg: float | None
    changed: bool
    entered: list[Any]
    left: list[Any]
    notes: list[str] = field(default_factory=list)

    @property
    def groups(self) -> pd.DataFrame:
        """One row per group (built on access: a re-ranking need not pay for a frame)."""
        return pd.DataFrame(self.columns)

    @property
    def ndcg_cost(self) -> float | None:
        return None if self.ndcg is None else max(0.0, 1.0 - self.ndcg)

    def min_impact_ratio(self, when: str = "after") -> float | None:
        """The lowest impact ratio among the groups not excluded, ``when`` = before or after."""
        col = np.asarray(self.columns[f"impact_ratio_{when}"], dtype=np.float64)
        return float(np.nanmin(col)) if np.isfinite(col).any() else None

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe (NaN as null)."""
        return _json(
            {
                "mode": self.mode,
                "attribute": self.attribute,
                "k": self.k,
                "params": self.params,
                "feasible": self.feasible,
                "min_ratio_applied": self.min_ratio_applied,
                "unmet": self.unmet,
                "ndcg": self.ndcg,
                "ndcg_cost": self.ndcg_cost,
                "gain": "linear",
                "min_impact_ratio_before": self.min_impact_ratio("before"),
                "min_impact_ratio_after": self.min_impact_ratio("after"),
                "changed": self.changed,
                "entered": list(self.entered),
                "left": list(self.left),
                "groups": [
                    dict(zip(self.columns, row, strict=True))
                    for row in zip(*self.columns.values(), strict=True)
                ],
                "unknown": self.unknown,
                "notes": list(self.notes),
            }
        )
