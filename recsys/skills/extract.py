"""Free text (resumes, job descriptions) → taxonomy skill ids, with evidence.

Two sources, combined per document:

1. **phrase**: case-insensitive, word-bounded matches of skill labels and alt labels (one
   Aho–Corasick automaton over all patterns, ``pyahocorasick``), leftmost-longest: a match inside a
   longer match is dropped.  A label such as ``"Python (computer programming)"`` also matches its
   head ``"Python"``.  Patterns of up to 3 characters (``"R"``, ``"SQL"``, ``"C++"``) must match
   with the label's own casing.  Score 1.0, evidence = the matched span, ``start``/``end`` offsets.
2. **embedding**: the text is split into sentences (long ones into windows of ``chunk_words``
   words); phrase-matched spans are blanked out (so this source only explains what the phrases
   did not, and chunks left with under ``min_chunk_words`` words are skipped); each chunk is embedded and compared with the skill-label embeddings (cosine); a skill
   whose best chunk reaches ``embedding_threshold`` is kept with that chunk as evidence.  The
   label matrix is cached per (encoder model id, skill set).

A skill found by both keeps the phrase match.  Each document keeps at most ``max_skills`` skills,
phrase matches first, then by score.

    >>> from recsys.skills import SkillExtractor
    >>> ex = SkillExtractor()                     # the whole ESCO taxonomy, phrase matching only
    >>> [m.label for m in ex.extract(["Built ETL jobs in Python and SQL."])[0]]  # doctest: +SKIP
    ['Python (computer programming)', 'SQL']
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal, Protocol

import ahocorasick
import numpy as np
import pandas as pd

__all__ = ["SkillExtractor", "SkillMatch", "chunk_spans", "chunk_text"]

_WORD = re.compile(r"\w")
_SENTENCE = re.compile(r"[^.!?;\n]+(?:[.!?;]+|\n|$)")
_QUALIFIER = re.compile(r"^(.+?)\s*\([^)]*\)$")
_LABEL_CACHE: dict[tuple[str, str], np.ndarray] = {}


class TextEncoder(Protocol):
    model_id: str

    def encode(self, texts: list[str]) -> np.ndarray: ...


@dataclass(frozen=True)
class SkillMatch:
    skill_id: str
    label: str
    score: float
    method: Literal["phrase", "embedding"]
    evidence: str
    start: int | None = None  # character offsets of a phrase match in the document
    end: int | None = None


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
    """Sentences of ``text`` (split at . ! ? ; and line breaks), long ones cut into word windows."""
    return [" ".join(text[a:b].split()) for a, b in chunk_spans(text, chunk_words)]


def _fold(text: str) -> str:
    """Lower-case with whitespace as single characters, keeping every offset."""
    low = text.lower()
    if len(low) != len(text):  # a few characters lower-case to two; keep those as they are
        low = "".join(c.lower() if len(c.lower()) == 1 else c for c in text)
    return re.sub(r"\s", " ", low)


class SkillExtractor:
    """Extract taxonomy skills from free text.

    Parameters
    ----------
    skills:
        A skills table (``skill_id``, ``label``, ``alt_labels``; e.g. a world's ``skills``); ``None``
        means the shipped ESCO taxonomy (:func:`recsys.data.taxonomy.skills`).
    encoder:
        An object with ``.encode(list[str]) -> np.ndarray`` (L2-normalised float32) and ``.model_id``,
        e.g. :class:`recsys.embedding.Encoder`.  ``None`` turns the embedding source off.
    embedding_threshold:
        Minimum cosine between a chunk and a skill label for an embedding match, in (0, 1].
    max_skills:
        Most skills kept per document (phrase matches first), >= 1.
    chunk_words:
        Longest chunk embedded, in words.
    min_chunk_words:
        Chunks with fewer words left after blanking out phrase matches are not embedded.
    use_alt_labels:
        Match alt labels as phrases too.
    """

    def __init__(
        self,
        skills: pd.DataFrame | None = None,
        encoder: Any = None,
        embedding_threshold: float = 0.7,
        max_skills: int = 100,
        chunk_words: int = 40,
        min_chunk_words: int = 3,
        use_alt_labels: bool = True,
    ) -> None:
        self.skills = skills
        self.encoder = encoder
        self.embedding_threshold = embedding_threshold
        self.max_skills = max_skills
        self.chunk_words = chunk_words
        self.min_chunk_words = min_chunk_words
        self.use_alt_labels = use_alt_labels

    # ------------------------------------------------------------------ fit
    def _check_params(self) -> None:
        t = self.embedding_threshold
        if not isinstance(t, int | float) or not 0 < t <= 1:
            raise ValueError(
                f"The 'embedding_threshold' parameter of SkillExtractor must be a float in (0, 1]. Got {t!r} instead."
            )
        for name in ("max_skills", "chunk_words", "min_chunk_words"):
            v = getattr(self, name)
            if not isinstance(v, int) or isinstance(v, bool) or v < 1:
                raise ValueError(
                    f"The '{name}' parameter of SkillExtractor must be an int >= 1. Got {v!r} instead."
                )
        if self.encoder is not None and not (
            hasattr(self.encoder, "encode") and hasattr(self.encoder, "model_id")
        ):
            raise TypeError(
                "The 'encoder' parameter of SkillExtractor must have .encode(texts) and .model_id. "
                f"Got {type(self.encoder).__name__} instead."
            )

    def fit(self) -> SkillExtractor:
        """Build the phrase automaton over the skills table; returns ``self``."""
        self._check_params()
        if self.skills is None:
            from recsys.data import taxonomy

            table = taxonomy.skills()
        else:
            table = self.skills
        missing = [c for c in ("skill_id", "label") if c not in table.columns]
        if missing:
            raise ValueError(
                f"skills table: missing column(s) {missing}; expected skill_id, label[, alt_labels]. "
                f"Found {list(table.columns)}"
            )
        ids = table["skill_id"].astype(str).to_numpy()
        if len(set(ids)) != len(ids):
            dup = pd.Series(ids)[pd.Series(ids).duplicated()].iloc[0]
            raise ValueError(f"skills table: column skill_id must be unique. Found {dup!r} twice")
        labels = table["label"].astype(str).tolist()
        alts = (
            table["alt_labels"].tolist()
            if self.use_alt_labels and "alt_labels" in table.columns
            else [[] for _ in labels]
        )
        self.skill_ids_ = ids
        self.labels_ = np.asarray(labels, dtype=object)
        self.automaton_ = self._build_automaton(labels, alts)
        self.n_patterns_ = len(self.automaton_)
        return self

    @staticmethod
    def _build_automaton(labels: list[str], alts: list[Any]) -> ahocorasick.Automaton:
        # pattern (folded) -> (rank, skill indices, exact casing or None); rank 0 = preferred label
        found: dict[str, tuple[int, list[int], str | None]] = {}

        def add(pattern: str, idx: int, rank: int) -> None:
            pattern = " ".join(pattern.split())
            key = _fold(pattern)
            if not _WORD.search(key):
                return
            exact = pattern if len(pattern) <= 3 else None
            old = found.get(key)
            if old is None or rank < old[0]:
                found[key] = (rank, [idx], exact)
            elif rank == old[0] and idx not in old[1]:
                old[1].append(idx)

        for i, label in enumerate(labels):
            add(label, i, 0)
            head = _QUALIFIER.match(label)
            if head:
                add(head.group(1), i, 1)
        for i, alt in enumerate(alts):
            for a in alt if isinstance(alt, list | tuple | np.ndarray) else []:
                add(str(a), i, 2)
        automaton = ahocorasick.Automaton()
        for key, (_, idx, exact) in found.items():
            automaton.add_word(key, (len(key), tuple(idx), exact))
        automaton.make_automaton()
        return automaton

    def _fitted(self) -> None:
        if not hasattr(self, "automaton_"):
            self.fit()

    # ------------------------------------------------------------------ phrase
    def _phrases(self, text: str) -> list[tuple[int, int, int]]:
        """(start, end, skill index) of leftmost-longest word-bounded matches."""
        folded = _fold(text)
        n = len(folded)
        spans: list[tuple[int, int, tuple[int, ...]]] = []
        for end_incl, (length, idx, exact) in self.automaton_.iter(folded):
            start, end = end_incl - length + 1, end_incl + 1
            if start > 0 and (folded[start - 1].isalnum() or folded[start - 1] == "_"):
                continue
            if end < n and (folded[end].isalnum() or folded[end] == "_"):
                continue
            if exact is not None and text[start:end] != exact:
                continue
            spans.append((start, end, idx))
        spans.sort(key=lambda s: (s[0], -(s[1] - s[0])))
        out: list[tuple[int, int, int]] = []
        reach = -1
        for start, end, idx in spans:
            if end <= reach:  # inside a longer (or equal, earlier) match
                continue
            reach = max(reach, end)
            out.extend((start, end, i) for i in idx)
        return out

    # ------------------------------------------------------------------ embedding
    def label_matrix(self) -> np.ndarray:
        """Skill-label embeddings (n_skills, dim), cached per encoder model id and skill set."""
        self._fitted()
        if self.encoder is None:
            raise ValueError("label_matrix() needs an encoder; SkillExtractor(encoder=...) is None")
        digest = hashlib.sha256(
            "\x1f".join(
                f"{i}\x1e{lab}" for i, lab in zip(self.skill_ids_, self.labels_, strict=True)
            ).encode()
        ).hexdigest()
        key = (str(self.encoder.model_id), digest)
        if key not in _LABEL_CACHE:
            _LABEL_CACHE[key] = np.asarray(
                self.encoder.encode(list(self.labels_)), dtype=np.float32
            )
        return _LABEL_CACHE[key]

    def _embedding(
        self, texts: Sequence[str], phrases: Sequence[list[tuple[int, int, int]]]
    ) -> list[dict[int, tuple[float, str]]]:
        """Embedding neighbours per document.  Phrase-matched spans are blanked out before the
        chunks are embedded, so this source only explains text the phrases did not."""
        out: list[dict[int, tuple[float, str]]] = [{} for _ in texts]
        chunks: list[str] = []  # what is embedded
        evidence: list[str] = []  # the original chunk
        owner: list[int] = []
        for d, (text, found) in enumerate(zip(texts, phrases, strict=True)):
            masked = list(text)
            for start, end, _ in found:
                masked[start:end] = " " * (end - start)
            residual = "".join(masked)
            for a, b in chunk_spans(text, self.chunk_words):
                rest = residual[a:b].split()
                if sum(bool(_WORD.search(w)) for w in rest) < self.min_chunk_words:
                    continue
                chunks.append(" ".join(rest))
                evidence.append(" ".join(text[a:b].split()))
                owner.append(d)
        if not chunks:
            return out
        labels = self.label_matrix()
        vecs = np.asarray(self.encoder.encode(chunks), dtype=np.float32)
        owner_arr = np.asarray(owner)
        block = max(1, 2_000_000 // max(1, labels.shape[0]))
        hits: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
        for lo in range(0, len(chunks), block):
            sims = vecs[lo : lo + block] @ labels.T  # (chunks in block, skills)
            rows, cols = np.nonzero(sims >= self.embedding_threshold)
            hits.append((rows + lo, cols, sims[rows, cols]))
        chunk_i = np.concatenate([h[0] for h in hits])
        skill_i = np.concatenate([h[1] for h in hits])
        score = np.concatenate([h[2] for h in hits])
        doc_i = owner_arr[chunk_i]
        # best chunk per (document, skill): sort by score descending, keep the first of each pair
        order = np.lexsort((-score, skill_i, doc_i))
        pair = doc_i[order].astype(np.int64) * labels.shape[0] + skill_i[order]
        first = np.ones(len(order), dtype=bool)
        first[1:] = pair[1:] != pair[:-1]
        for k in order[first].tolist():
            out[int(doc_i[k])][int(skill_i[k])] = (float(score[k]), evidence[int(chunk_i[k])])
        return out

    # ------------------------------------------------------------------ public
    def extract(self, texts: Sequence[str]) -> list[list[SkillMatch]]:
        """One list of :class:`SkillMatch` per text: phrase matches first, then by score."""
        if isinstance(texts, str):
            raise TypeError("extract() takes a sequence of texts; wrap a single text in a list")
        self._fitted()
        texts = [
            "" if t is None or (isinstance(t, float) and np.isnan(t)) else str(t) for t in texts
        ]
        phrases = [self._phrases(t) for t in texts]
        no_emb: list[dict[int, tuple[float, str]]] = [{} for _ in texts]
        emb = self._embedding(texts, phrases) if self.encoder is not None else no_emb
        results: list[list[SkillMatch]] = []
        for text, found, near in zip(texts, phrases, emb, strict=True):
            matches: list[SkillMatch] = []
            seen: set[int] = set()
            for start, end, i in found:
                if i in seen:
                    continue
                seen.add(i)
                matches.append(
                    SkillMatch(
                        str(self.skill_ids_[i]),
                        str(self.labels_[i]),
                        1.0,
                        "phrase",
                        text[start:end],
                        start,
                        end,
                    )  # fmt: skip
                )
            for i, (score, chunk) in sorted(near.items(), key=lambda kv: -kv[1][0]):
                if i not in seen:
                    matches.append(
                        SkillMatch(
                            str(self.skill_ids_[i]),
                            str(self.labels_[i]),
                            round(score, 6),
                            "embedding",
                            chunk,
                        )  # fmt: skip
                    )
            results.append(matches[: self.max_skills])
        return results

    def extract_frame(self, texts: Sequence[str], ids: Sequence[str] | None = None) -> pd.DataFrame:
        """Long frame ``doc_id, skill_id, score, method, evidence`` (``ids`` default: positions)."""
        texts = list(texts)
        ids = [str(i) for i in range(len(texts))] if ids is None else [str(i) for i in ids]
        if len(ids) != len(texts):
            raise ValueError(f"extract_frame(): {len(texts)} texts but {len(ids)} ids")
        rows = [
            (doc, m.skill_id, m.score, m.method, m.evidence)
            for doc, ms in zip(ids, self.extract(texts), strict=True)
            for m in ms
        ]
        return pd.DataFrame(rows, columns=["doc_id", "skill_id", "score", "method", "evidence"])
