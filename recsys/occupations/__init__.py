"""Occupation inference: job title or free text → ESCO occupations and O*NET-SOC codes.

    >>> from recsys.embedding import Encoder
    >>> from recsys.occupations import OccupationMatcher
    >>> m = OccupationMatcher(Encoder(cache_dir=".cache/embeddings")).fit()  # doctest: +SKIP
    >>> m.predict(["Senior backend engineer (Kotlin, PostgreSQL)"], k=3)      # doctest: +SKIP

Method, measured figures and limitations: ``docs/occupations.md``.
"""

from __future__ import annotations

from recsys.occupations.evaluate import evaluate_occupations
from recsys.occupations.matcher import OccupationMatcher

__all__ = ["OccupationMatcher", "evaluate_occupations"]
