"""Free text → taxonomy skills with evidence (:class:`SkillExtractor`), and its measurement.

See :mod:`recsys.skills.extract` for the two sources (phrases, embedding neighbours) and
:mod:`recsys.skills.evaluate` for precision/recall against a generated world's truth.
"""

from __future__ import annotations

from recsys.skills.evaluate import evaluate_extraction, score_sets
from recsys.skills.extract import SkillExtractor, SkillMatch, chunk_spans, chunk_text

__all__ = [
    "SkillExtractor",
    "SkillMatch",
    "chunk_spans",
    "chunk_text",
    "evaluate_extraction",
    "score_sets",
]
