"""Where skills are looked for: chunks (sentences) of a document and candidate spans inside them.

A **chunk** is a sentence (split at ``. ! ? ;``, bullets and line breaks); a long one is cut into
windows of ``chunk_words`` words.  **Spans** are the word n-grams (1 … ``max_words``) of a chunk that
do not cross punctuation (commas, colons, brackets, slashes between phrases), do not start or end
with a stop word, and are not a single generic word ("design", "manage") or a bare number.  A span
is what a skill mention looks like ("debug issues", "Kafka", "payroll reconciliation"); the chunk is
its context.
"""

from __future__ import annotations

import re

from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

__all__ = ["chunk_spans", "chunk_text", "candidate_spans"]

_WORD = re.compile(r"\w")
_SENTENCE = re.compile(r"[^.!?;\n•]+(?:[.!?;]+|\n|•|$)")
_PIECES = re.compile(r"[,:()\[\]{}|•·!?\"“”]|\s[-–—/&+]\s|\.(?:\s|$)|;")
_TOKEN = re.compile(r"[A-Za-z0-9+#]+(?:[.\-/'’][A-Za-z0-9+#]+)*[+#]*")
_STOP = frozenset(ENGLISH_STOP_WORDS) | {"etc", "e.g", "i.e", "including", "using", "strong"}


def chunk_spans(text: str, chunk_words: int = 40) -> list[tuple[int, int]]:
    """(start, end) offsets of the chunks of :func:`chunk_text`."""
    out: list[tuple[int, int]] = []
    for m in _SENTENCE.finditer(text):
        words = [(w.start(), w.end()) for w in re.finditer(r"\S+", m.group(0))]
        for i in range(0, len(words), chunk_words):
            piece = words[i : i + chunk_words]
            start, end = m.start() + piece[0][0], m.start() + piece[-1][1]
            if _WORD.search(text, start, end):
                out.append((start, end))
    return out


def chunk_text(text: str, chunk_words: int = 40) -> list[str]:
    """Sentences of ``text`` (split at . ! ? ; bullets and line breaks), long ones cut into windows."""
    return [" ".join(text[a:b].split()) for a, b in chunk_spans(text, chunk_words)]


def candidate_spans(chunk: str, generic: frozenset[str], max_words: int = 4) -> list[str]:
    """Distinct candidate spans of one chunk, in order of first appearance (see the module doc)."""
    out: dict[str, None] = {}
    for piece in _PIECES.split(chunk):
        words = _TOKEN.findall(piece)
        low = [w.lower() for w in words]
        for n in range(1, max_words + 1):
            for i in range(len(words) - n + 1):
                if low[i] in _STOP or low[i + n - 1] in _STOP:
                    continue
                if n == 1 and (
                    low[i] in generic
                    or low[i].isdigit()
                    or (len(low[i]) < 2 and words[i].islower())
                ):
                    continue
                out.setdefault(" ".join(words[i : i + n]))
    return list(out)
