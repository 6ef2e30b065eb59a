"""The audit's result: one table of rates per grouping × measure × category, plus what it excluded,
the unknowns, the parameters and notes; as a frame, JSON-safe dict or HTML report."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

COLUMNS = [
    "grouping",
    "measure",
    "category",
    "n",
    "hits",
    "rate",
    "ci_low",
    "ci_high",
    "share",
    "excluded",
    "reference",
    "impact_ratio",
    "p_value",
    "p_adjusted",
    "four_fifths",
    "flagged",
]


@dataclass
class AuditReport:
    """Result of :func:`recsys.fairness.audit`.

    ``table``: one row per grouping (an attribute or an intersection) × measure (``selection``,
    ``scoring``) × category present in the data, with ``n`` (pairs), ``hits`` (selected or above
    the median), ``rate`` and its Wilson interval ``ci_low, ci_high`` (confidence 1 - alpha; over
    pairs with Fisher's test, at the candidate-clustered effective size with the permutation test),
    ``share`` of the grouping's pairs (unknowns included), ``excluded`` (share < min_share: no
    impact ratio), ``reference`` (the highest-rate category), ``impact_ratio``, ``p_value`` of the
    test against the reference (``params["test"]``: ``fisher`` or ``permutation``) and
    ``p_adjusted``, ``four_fifths`` (ratio < threshold) and ``flagged`` (ratio < threshold and
    p_adjusted < alpha), and one column per attribute of the category.
    ``unknown``: per grouping, the pairs and people with an unknown category.
    """

    table: pd.DataFrame
    unknown: pd.DataFrame
    params: dict[str, Any]
    summary: dict[str, Any]
    notes: list[str] = field(default_factory=list)

    def to_frame(self) -> pd.DataFrame:
        return self.table.copy()

    @property
    def flagged(self) -> pd.DataFrame:
        """Rows flagged by the four-fifths rule *and* the test."""
        return self.table[self.table["flagged"]].reset_index(drop=True)

    def excluded(self) -> pd.DataFrame:
        """Categories under ``min_share`` per grouping (the same for every measure)."""
        rows = self.table[self.table["excluded"]]
        return rows.drop_duplicates(["grouping", "category"])[
            ["grouping", "category", "n", "share"]
        ]

    def min_impact_ratio(
        self, measure: str = "selection", grouping: str | None = None
    ) -> dict[str, Any] | None:
        """The lowest impact ratio of ``measure`` over every grouping (or over ``grouping`` only,
        e.g. ``"gender"``): grouping, category, ratio, p_adjusted, flagged; ``None`` when the
        measure has no ratio there."""
        rows = self.table[(self.table["measure"] == measure) & self.table["impact_ratio"].notna()]
        if grouping is not None:
            rows = rows[rows["grouping"] == grouping]
        if rows.empty:
            return None
        row = rows.loc[rows["impact_ratio"].idxmin()]
        return {
            "grouping": row["grouping"],
            "category": row["category"],
            "impact_ratio": float(row["impact_ratio"]),
            "p_adjusted": _json(row["p_adjusted"]),
            "flagged": bool(row["flagged"]),
        }

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe: params, summary (with the minimum impact ratio per measure and the flag
        counts), unknowns, excluded categories, every row (NaN as null) and notes."""
        measures = list(dict.fromkeys(self.table["measure"]))
        attrs = [c for c in self.table.columns if c not in COLUMNS]
        rows = []
        for rec in self.table.to_dict("records"):
            out = {c: _json(rec[c]) for c in COLUMNS}
            out["values"] = {a: rec[a] for a in attrs if isinstance(rec[a], str)}
            rows.append(out)
        return {
            "params": _json(self.params),
            "summary": {
                **_json(self.summary),
                "min_impact_ratio": {m: self.min_impact_ratio(m) for m in measures},
                "flagged": int(self.table["flagged"].sum()),
                "four_fifths": int(self.table["four_fifths"].sum()),
            },
            "unknown": _json(self.unknown.to_dict("records")),
            "excluded": _json(self.excluded().to_dict("records")),
            "rows": rows,
            "notes": list(self.notes),
        }

    def to_html(self, path: str | Path) -> Path:
        """Write the self-contained HTML report (plots embedded) atomically; returns ``path``."""
        from recsys.fairness.html import write_html

        return write_html(self, Path(path))


def _json(value: Any) -> Any:
    """Python scalars, lists and dicts only; NaN and infinities as ``None``."""
    if isinstance(value, dict):
        return {str(k): _json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if value is pd.NA or value is pd.NaT:
        return None
    return value
