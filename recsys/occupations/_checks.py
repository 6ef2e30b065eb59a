"""Parameter and input checks of :class:`~recsys.occupations.OccupationMatcher`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

__all__ = ["as_texts", "check_k", "check_params"]


def as_texts(texts: Sequence[str], method: str) -> list[str]:
    """``texts`` as a list of str (None and NaN become "")."""
    if isinstance(texts, str):
        raise TypeError(f"{method}() takes a sequence of texts; wrap a single text in a list")
    out = []
    for t in texts:
        if t is None or (isinstance(t, float) and np.isnan(t)):
            t = ""
        if not isinstance(t, str):
            raise TypeError(
                f"{method}(): every text must be a str or None. Found {type(t).__name__}."
            )
        out.append(t)
    return out


def check_k(k: object, name: str, method: str, upper: int) -> int:
    if not isinstance(k, int | np.integer) or isinstance(k, bool) or not 1 <= k <= upper:
        raise ValueError(
            f"The '{name}' parameter of {method} must be an int in [1, {upper}]. Got {k!r} instead."
        )
    return int(k)


def check_params(m: Any) -> None:
    """Raise on a hyper-parameter out of range (the message names it, the range and the value)."""
    ranges = {
        "lexical_weight": (0.0, np.inf),
        "support_weight": (0.0, np.inf),
        "link_weight": (0.0, 1.0),
        "description_weight": (0.0, 1.0),
        "text_weight": (0.0, 1.0),
        "esco_holdout": (0.0, 0.5),
        "validation": (0.0, 0.5),
    }
    for name, (lo, hi) in ranges.items():
        v = getattr(m, name)
        if isinstance(v, bool) or not isinstance(v, int | float) or not lo <= v <= hi:
            allowed = f"in [{lo}, {hi}]" if np.isfinite(hi) else f">= {lo}"
            raise ValueError(
                f"The '{name}' parameter of OccupationMatcher must be a float {allowed}. "
                f"Got {v!r} instead."
            )
    t = m.temperature
    if isinstance(t, bool) or not isinstance(t, int | float) or not t > 0:
        raise ValueError(
            f"The 'temperature' parameter of OccupationMatcher must be a float > 0. Got {t!r} instead."
        )
    for name in ("title_words", "chunk_size"):
        v = getattr(m, name)
        if isinstance(v, bool) or not isinstance(v, int) or v < 1:
            raise ValueError(
                f"The '{name}' parameter of OccupationMatcher must be an int >= 1. Got {v!r} instead."
            )
    if not isinstance(m.clean_titles, bool):
        raise ValueError(
            "The 'clean_titles' parameter of OccupationMatcher must be a bool. "
            f"Got {m.clean_titles!r} instead."
        )
    if m.encoder is not None and not (
        hasattr(m.encoder, "encode") and hasattr(m.encoder, "model_id")
    ):
        raise TypeError(
            "The 'encoder' parameter of OccupationMatcher must have .encode(texts) and "
            f".model_id. Got {type(m.encoder).__name__} instead."
        )
