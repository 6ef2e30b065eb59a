"""Which skills a text names, and which held-out titles it holds (no randomness here).

* :class:`PhraseScanner` — which taxonomy skills a text names, by the rules of the phrase stage of
  :class:`recsys.skills.SkillExtractor` (case-insensitive, whole words, leftmost-longest, forms of
  up to 3 characters with their own casing), less everyday one-word forms.  The generator runs
  it once over each finite text piece (task bullets, titles, tools, education and extra lines:
  :class:`PieceBook`) so that ``truth/candidates.parquet:mentioned_skills`` lists the skills such
  pieces name by accident too;
* :class:`HoldoutGuard` — the O*NET alternate titles held out for evaluating occupation inference
  (``holdout == True``) never appear as a title, and those of two or more words never appear
  anywhere in a generated text (one-word ones such as "cook", "deputy" or "conductor" are common
  words: they are kept out of titles only).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import ahocorasick
import numpy as np

from recsys.data.textkit import norm_key, strip_qualifier

_QUALIFIER = re.compile(r"^(.+?)\s*\([^)]*\)$")

_ASCII_NON_ALNUM = str.maketrans(
    {c: " " for c in map(chr, range(128)) if not (c.isascii() and c.isalnum())}
)
_ASCII_NON_ALNUM_KEEP_NL = str.maketrans(
    {c: " " for c in map(chr, range(128)) if not (c.isascii() and c.isalnum()) and c != "\n"}
)
_SPACES = re.compile(" +")
_EDGE = ".,;:!?()[]{}\"'‘’“”•*–—-/|·"


_EDGE_RE = re.compile("[" + re.escape(_EDGE) + "]")


def tokens(text: str) -> list[str]:
    """Whitespace tokens, punctuation at either end split off as tokens of its own ("(CAD)" ->
    "(", "CAD", ")"), so that a phrase never matches across it."""
    if not _EDGE_RE.search(text):
        return text.split()
    out: list[str] = []
    for w in text.split():
        core = w.strip(_EDGE)
        if core == w or not core:
            out.append(w)
            continue
        i = w.index(core)
        if i:
            out.append(w[:i])
        out.append(core)
        if i + len(core) < len(w):
            out.append(w[i + len(core) :])
    return out


class PhraseScanner:
    """Which ids a text names: leftmost-longest matches of whole-token phrases.

    Texts and patterns are split at whitespace and at punctuation ending a word (:func:`tokens`);
    tokens are compared lower-cased, except for patterns of up to 3 characters ("R", "SQL",
    "C++"), which must match with their own casing, and one-word names written with a capital
    ("Excel", "LESS"), which need a capital in the text too.  ``patterns`` yields
    ``(text, id, rank)``; a pattern shared by several ids names those of the lowest rank (0
    preferred label, 1 its head before a parenthesis, 2 alt label).  These are the rules of the
    phrase source of ``recsys.skills.SkillExtractor`` (which matches characters with word bounds
    rather than tokens; the two differ only around inner punctuation such as "Excel/Word"), less
    the ``ordinary`` words: a one-word form written in lower case that is an everyday word of work
    ("work", "write", "plan", "design" are ESCO labels or alt labels) names no skill.
    """

    def __init__(
        self, patterns: Iterable[tuple[str, int, int]], ordinary: frozenset[str] = frozenset()
    ) -> None:
        self.ordinary = ordinary  # one-word lower-case forms that name nothing (everyday words)
        ids: dict[str, list[int]] = {}
        rank_of: dict[str, int] = {}
        self.owner: dict[str, int] = {}  # the first id of each pattern ...
        self.shared: set[str] = set()  # ... and the patterns several ids have (any rank)
        self.exact: dict[str, str] = {}
        self.capital: set[str] = set()  # one-word names written with a capital ("Excel", "LESS")
        lower: set[str] = set()
        lengths: dict[str, set[int]] = {}
        for text, idx, rank in patterns:
            toks = tokens(text)
            if not toks:
                continue
            joined = " ".join(toks)
            key = joined.lower()
            if key in ordinary and joined == key:
                continue
            if len(toks) == 1 and len(key) > 3:
                (self.capital if joined[:1].isupper() else lower).add(key)
            first_owner = self.owner.setdefault(key, idx)
            if first_owner != idx:
                self.shared.add(key)
            old = rank_of.get(key)
            if old is None or rank < old:
                rank_of[key] = rank
                ids[key] = [idx]
                if len(key) <= 3:
                    self.exact[key] = joined
            elif rank == old and idx not in ids[key]:
                ids[key].append(idx)
            first = toks[0].lower()
            lengths.setdefault(first, set()).add(len(toks))
        self.ids = ids
        # per first token, the pattern lengths (in tokens) to try, longest first
        self.lengths = {k: tuple(sorted(v, reverse=True)) for k, v in lengths.items()}
        self.capital -= lower

    def unique_to(self, text: str, idx: int) -> bool:
        """True when ``text`` is a pattern of ``idx`` and of no other id."""
        key = self.key(text)
        return self.owner.get(key) == idx and key not in self.shared

    def key(self, text: str) -> str:
        return " ".join(tokens(text)).lower()

    def find(self, text: str) -> list[int]:
        """Ids named in ``text``, in order of appearance (no duplicates)."""
        low = tokens(text.lower())
        raw: list[str] | None = None  # the tokens as written, only when casing matters
        out: list[int] = []
        get_len, ids_of, exact, capital = self.lengths.get, self.ids.get, self.exact, self.capital
        i, n = 0, len(low)
        while i < n:
            hit = 0
            for m in get_len(low[i], ()):
                if i + m > n:
                    continue
                key = low[i] if m == 1 else " ".join(low[i : i + m])
                ids = ids_of(key)
                if ids is None:
                    continue
                if len(key) <= 3 or (m == 1 and key in capital):
                    raw = tokens(text) if raw is None else raw
                    if len(raw) != n:  # lower() changed a length: compare case-insensitively
                        raw = low
                    if len(key) <= 3 and " ".join(raw[i : i + m]) != exact.get(key):
                        continue
                    if m == 1 and key in capital and not raw[i][:1].isupper():
                        continue
                out.extend(j for j in ids if j not in out)
                hit = m
                break
            i += hit or 1
        return out


def skill_patterns(labels: Iterable[str], alt_labels: Iterable[Iterable[str]]):
    """(pattern, skill index, rank) of a skills table, as the extractor builds them."""
    for i, label in enumerate(labels):
        yield str(label), i, 0
        head = _QUALIFIER.match(str(label))
        if head:
            yield head.group(1), i, 1
    for i, alts in enumerate(alt_labels):
        for a in alts:
            if a:
                yield str(a), i, 2


class HoldoutGuard:
    """Keeps held-out O*NET alternate titles out of generated titles and texts.

    A title is refused when its normalised key equals a held-out title's (as written, without its
    parenthesis, or its short title); a text is refused when it contains a held-out title of two or
    more words (normalised, word-bounded).
    """

    def __init__(self, titles: Iterable[str]) -> None:
        keys: set[str] = set()
        for t in titles:
            t = str(t)
            for k in (norm_key(t), norm_key(strip_qualifier(t))):
                if k:
                    keys.add(k)
        self.keys = keys
        self.automaton = ahocorasick.Automaton()
        for k in keys:
            if " " in k:
                self.automaton.add_word(f" {k} ", k)
        self.automaton.add_word("\x00never\x00", "")  # an automaton needs one word
        self.automaton.make_automaton()

    @staticmethod
    def _norm(text: str) -> str:
        if text.isascii():
            return " ".join(text.lower().translate(_ASCII_NON_ALNUM).split())
        return " ".join(norm_key(text).split())

    def _has_multi(self, norm: str) -> bool:
        return " " in norm and next(self.automaton.iter(f" {norm} "), None) is not None

    def contains(self, text: str) -> bool:
        """True when ``text`` contains a held-out title of two or more words."""
        return self._has_multi(self._norm(text))

    def title_ok(self, title: str) -> bool:
        norm = self._norm(title)
        return norm not in self.keys and not self._has_multi(norm)

    def text_ok(self, text: str) -> bool:
        return not self._has_multi(self._norm(text))

    def texts_ok(self, texts: list[str], titles: bool = False) -> np.ndarray:
        """:meth:`text_ok` (``titles``: :meth:`title_ok`) of many one-line texts at once."""
        if not texts:
            return np.zeros(0, dtype=bool)
        big = "\n".join(texts).lower()
        if big.count("\n") != len(texts) - 1:
            check = self.title_ok if titles else self.text_ok
            return np.array([check(t) for t in texts], dtype=bool)
        if not big.isascii():  # as norm_key: a non-ASCII character separates words
            big = big.encode("ascii", "replace").decode("ascii")
        norm = _SPACES.sub(" ", big.translate(_ASCII_NON_ALNUM_KEEP_NL))
        norm = norm.replace("\n", " \n ")
        ok = np.ones(len(texts), dtype=bool)
        breaks = np.flatnonzero(np.frombuffer(norm.encode(), dtype=np.uint8) == 10)
        ends = [end for end, _ in self.automaton.iter(f" {norm} ")]
        if ends:
            ok[np.searchsorted(breaks, np.array(ends) - 1)] = False
        if titles:
            keys = self.keys
            ok &= np.array([line.strip() not in keys for line in norm.split("\n")], dtype=bool)
        return ok


class PieceBook:
    """Text pieces rendered from integer keys, each rendered and scanned once per world.

    ``render(key) -> str``; :meth:`texts` returns the pieces of many keys, :meth:`named` the
    (owner, skill) pairs the pieces name (by :class:`PhraseScanner`), for the truth of what a text
    mentions.  ``scan_as(key) -> (class key, text) | None`` lets pieces that name the same skills
    share one scan (e.g. a task statement under several frames whose words are skill-free);
    ``classes`` shares those scans between books; ``render_many(keys) -> texts`` renders in bulk.
    """

    def __init__(
        self,
        render,
        scanner: PhraseScanner,
        scan_as=None,
        classes: dict | None = None,
        render_many=None,
    ) -> None:
        self.render = render
        self.render_many = render_many  # keys -> texts, for renders cheaper in bulk
        self.scanner = scanner
        self.scan_as = scan_as
        self.text: dict[int, str] = {}
        self.skills: dict[int, list[int]] = {}
        self._by_class: dict[int, list[int]] = {} if classes is None else classes  # shareable

    def texts(self, keys: np.ndarray) -> list[str]:
        keys = np.asarray(keys, dtype=np.int64)
        text, skills, by_class = self.text, self.skills, self._by_class
        new = [k for k in set(keys.tolist()) - text.keys()]
        new.sort()
        rendered = self.render_many(new) if self.render_many is not None else map(self.render, new)
        for k, s in zip(new, rendered, strict=True):
            text[k] = s
            shared = self.scan_as(k) if self.scan_as is not None else None
            if shared is None:
                skills[k] = self.scanner.find(s)
            else:
                ck, st = shared
                if ck not in by_class:
                    by_class[ck] = self.scanner.find(st)
                skills[k] = by_class[ck]
        return [text[k] for k in keys.tolist()]

    def named(self, keys: np.ndarray, owner: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(owner, skill index) of every skill the pieces of ``keys`` name (call texts() first)."""
        lists = [self.skills[k] for k in np.asarray(keys, dtype=np.int64).tolist()]
        lens = np.fromiter(map(len, lists), np.int64, len(lists))
        flat = np.fromiter((s for r in lists for s in r), np.int64, int(lens.sum()))
        return np.repeat(np.asarray(owner, dtype=np.int64), lens), flat
