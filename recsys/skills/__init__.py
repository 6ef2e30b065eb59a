"""Free text → taxonomy skills with evidence (:class:`SkillExtractor`), and its measurement.

See :mod:`recsys.skills.extract` for how a text is read (sentences and spans matched densely
against the vocabulary, phrases, ambiguous tool names checked in context, calibrated scores),
:mod:`recsys.skills.vocabulary` for the vocabulary (ESCO + O*NET technologies) and
:mod:`recsys.skills.evaluate` for measurement on real annotated sentences and on a world's truth.
"""

from __future__ import annotations

from recsys.skills.evaluate import (
    evaluate_annotations,
    evaluate_extraction,
    read_annotations,
    score_sets,
)
from recsys.skills.extract import SkillExtractor, SkillMatch, chunk_spans, chunk_text
from recsys.skills.vocabulary import SkillVocabulary, skills_with_technologies

__all__ = [
    "SkillExtractor",
    "SkillMatch",
    "SkillVocabulary",
    "chunk_spans",
    "chunk_text",
    "evaluate_annotations",
    "evaluate_extraction",
    "read_annotations",
    "score_sets",
    "skills_with_technologies",
]
