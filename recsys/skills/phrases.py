"""Phrase matching of skill surface forms: one Aho–Corasick automaton (``pyahocorasick``).

Case-insensitive, word-bounded, leftmost-longest (a match inside a longer match is dropped).  Casing
rules keep proper names from matching ordinary words: forms of up to 3 characters ("R", "SQL",
"C++") match only with their own casing, and a one-word tool name written with a capital ("Excel",
"Chef", "Spark") matches only when the text capitalises it too.  Each match says whether its form is
**ambiguous** (:class:`recsys.skills.vocabulary.SkillVocabulary`): the extractor treats those as a
hint to check in context, not as proof.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import ahocorasick

from recsys.skills.vocabulary import RANK_HEAD, RANK_TECH, SkillVocabulary

__all__ = ["PhraseMatch", "PhraseMatcher", "fold"]

_WORD = re.compile(r"\w")


def fold(text: str) -> str:
    """Lower-case with whitespace as single characters, keeping every offset."""
    low = text.lower()
    if len(low) != len(text):  # a few characters lower-case to two; keep those as they are
        low = "".join(c.lower() if len(c.lower()) == 1 else c for c in text)
    return re.sub(r"\s", " ", low)


@dataclass(frozen=True)
class PhraseMatch:
    start: int
    end: int
    skills: tuple[int, ...]
    rank: int
    ambiguous: bool


class PhraseMatcher:
    """Surface forms of a :class:`SkillVocabulary` → matches in text (see the module doc)."""

    def __init__(self, vocab: SkillVocabulary) -> None:
        # folded form -> (rank, skill indices, exact casing or None, needs a capital)
        found: dict[str, tuple[int, list[int], str | None, bool]] = {}
        for form, idx, rank in vocab.forms:
            form = " ".join(form.split())
            key = fold(form)
            if not _WORD.search(key):
                continue
            exact = form if len(form) <= 3 else None
            capital = rank in (RANK_HEAD, RANK_TECH) and " " not in form and form[:1].isupper()
            old = found.get(key)
            if old is None or rank < old[0]:
                found[key] = (rank, [idx], exact, capital)
            elif rank == old[0] and idx not in old[1]:
                old[1].append(idx)
        self.automaton = ahocorasick.Automaton()
        for key, (rank, idx, exact, capital) in found.items():
            self.automaton.add_word(
                key, (len(key), tuple(idx), exact, capital, rank, key in vocab.ambiguous)
            )
        self.automaton.make_automaton()

    def __len__(self) -> int:
        return len(self.automaton)

    def find(self, text: str) -> list[PhraseMatch]:
        """Leftmost-longest word-bounded matches in ``text``, in order."""
        if not text:
            return []
        folded = fold(text)
        n = len(folded)
        spans = []
        for end_incl, (length, idx, exact, capital, rank, amb) in self.automaton.iter(folded):
            start, end = end_incl - length + 1, end_incl + 1
            if start > 0 and (folded[start - 1].isalnum() or folded[start - 1] == "_"):
                continue
            if end < n and (folded[end].isalnum() or folded[end] == "_"):
                continue
            if exact is not None and text[start:end] != exact:
                continue
            if capital and not text[start].isupper():
                continue
            spans.append(PhraseMatch(start, end, idx, rank, amb))
        spans.sort(key=lambda s: (s.start, -(s.end - s.start)))
        out: list[PhraseMatch] = []
        reach = -1
        for m in spans:
            if m.end <= reach:  # inside a longer (or equal, earlier) match
                continue
            reach = max(reach, m.end)
            out.append(m)
        return out
