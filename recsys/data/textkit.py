"""Small language tools for the example world's realistic texts (no randomness here).

* verb forms of O*NET task statements: :func:`past_tense` / :func:`gerund` of the leading verb
  (and of verbs coordinated with it: "Plan, direct, or coordinate ..." -> "Planned, directed, or
  coordinated ..."), :func:`shorten` (cut at "such as", ", including", "; " ...);
* :func:`title_case` for ESCO's lower-case titles, :func:`typo` for a common misspelling.

Scanning texts for skill names and held-out titles is in ``recsys.data.text_scan``.
"""

from __future__ import annotations

import re

from recsys.data.text_words import TYPOS, TYPOS_FALLBACK
from recsys.data.world_words import DOUBLING_VERBS, IRREGULAR_PAST

_NON_ALNUM = re.compile(r"[^a-z0-9]+")
_QUALIFIER = re.compile(r"^(.+?)\s*\([^)]*\)$")
_PAREN = re.compile(r"\s*\([^)]*\)")

_VOWELS = "aeiou"


def _doubles(verb: str) -> bool:
    if verb in DOUBLING_VERBS:
        return True
    if len(verb) < 3 or verb[-1] in "wxy" + _VOWELS:
        return False
    if not (verb[-2] in _VOWELS and verb[-3] not in _VOWELS):
        return False
    return len(re.findall(r"[aeiouy]+", verb)) == 1  # one syllable: plan, ship, stop


def past_tense(verb: str) -> str:
    """Simple past of a lower-case base-form verb ("coordinate" -> "coordinated")."""
    if verb in IRREGULAR_PAST:
        return IRREGULAR_PAST[verb]
    if verb.endswith("e"):
        return verb + "d"
    if verb.endswith("y") and len(verb) > 1 and verb[-2] not in _VOWELS:
        return verb[:-1] + "ied"
    if _doubles(verb):
        return verb + verb[-1] + "ed"
    return verb + "ed"


def gerund(verb: str) -> str:
    """-ing form of a lower-case base-form verb ("plan" -> "planning", "oversee" -> "overseeing")."""
    if verb.endswith("ie"):
        return verb[:-2] + "ying"
    if verb.endswith("e") and not verb.endswith(("ee", "ye", "oe")) and len(verb) > 2:
        return verb[:-1] + "ing"
    if _doubles(verb):
        return verb + verb[-1] + "ing"
    return verb + "ing"


_PREPS = {"with", "on", "for", "to", "about", "in", "from", "upon", "at"}
_OBJECTS = {"the", "a", "an", "them", "it", "their", "all", "any", "new", "and"}


def _inflect(task: str, verbs: frozenset[str], nounish: frozenset[str], form) -> str:
    """Apply ``form`` to the leading verb (after an adverb: "Visually inspect"), to the verbs
    coordinated with it at the start ("Plan, direct, or coordinate", "Confer with or interview")
    and to later verbs after "and"/"or" or a comma, unless the word is often a noun in task
    statements ("test", "order", "work") or belongs to an infinitive ("to maintain, improve, or
    restore")."""
    words = task.split(" ")
    out = list(words)
    lead = (
        1
        if (len(words) > 1 and words[0].lower().endswith("ly") and words[0].lower() not in verbs)
        else 0
    )
    if lead:
        out[0] = words[0].lower()
    chain, after_verb, infinitive = True, True, False
    for i in range(lead, len(words)):
        w = words[i]
        core = w.rstrip(",;:.")
        low = core.lower()
        tail = w[len(core) :]
        if i == lead:
            out[i] = form(low) + tail
            continue
        prev = words[i - 1]
        joined = prev in ("and", "or") or prev.endswith(",")
        is_verb = low in verbs and core == low
        if chain:
            if low in ("and", "or"):
                continue
            if joined and is_verb:
                out[i], after_verb = form(low) + tail, True
                continue
            if after_verb and low in _PREPS and core == w:
                after_verb = False
                continue
            chain = False
        if prev == "to" and is_verb:
            infinitive = True
            continue
        if infinitive:
            if low in ("and", "or") or (joined and is_verb):
                continue
            infinitive = False
        if not is_verb or low in nounish:
            continue
        nxt = words[i + 1] if i + 1 < len(words) else ""
        if prev in ("and", "or") or (prev.endswith(",") and nxt in _OBJECTS):
            out[i] = form(low) + tail
    return " ".join(out)


def past_sentence(task: str, verbs: frozenset[str], nounish: frozenset[str]) -> str:
    """A task statement in the simple past, capitalised ("Prepared budget reports.")."""
    s = _inflect(task, verbs, nounish, past_tense)
    return s[:1].upper() + s[1:]


def gerund_phrase(task: str, verbs: frozenset[str], nounish: frozenset[str]) -> str:
    """A task statement as a lower-case gerund phrase ("preparing budget reports")."""
    return _inflect(task, verbs, nounish, gerund)


_DANGLING = {"a", "an", "and", "by", "for", "in", "of", "or", "that", "the", "to", "with"}
_CUTS = (
    " such as ",
    ", including ",
    " including ",
    "; ",
    " in order to ",
    ", to ensure ",
    " to ensure ",
    ", using ",
    " in accordance with ",
    ", according to ",
)


def shorten(task: str, max_words: int = 18) -> str | None:
    """Cut a task statement at its first qualifying clause ("such as", ", including", "; " ...),
    then, if still longer than ``max_words``, at a comma or conjunction; None if no cut keeps a
    sentence of 4+ words.  The final full stop is dropped."""
    s = task.strip().rstrip(".")
    for cut in _CUTS:
        k = s.find(cut)
        if k > 0 and len(s[:k].split()) >= 4:
            s = s[:k]
    words = s.split()
    if len(words) > max_words:
        head = " ".join(words[:max_words])
        for sep in (",", " and ", " that ", " for ", " by ", " to "):
            k = head.rfind(sep)
            if k > 0 and len(head[:k].split()) >= 6:
                s = head[:k]
                break
        else:
            return None
    words = s.rstrip(",;: ").split()
    while words and words[-1] in _DANGLING:
        words.pop()
    return " ".join(words).rstrip(",;: ") if len(words) >= 4 else None


_SMALL = {"a", "an", "and", "at", "by", "for", "in", "of", "on", "or", "the", "to", "with"}


def title_case(title: str) -> str:
    """ "data scientist" -> "Data Scientist"; words with capitals ("ICT") are kept as written,
    small words after the first stay lower case."""
    return " ".join(
        w if (w != w.lower() or (i and w in _SMALL)) else w.capitalize()
        for i, w in enumerate(title.split())
    )


def norm_key(text: str) -> str:
    """Lower case, alphanumerics only (``recsys.occupations``' key for "the same title")."""
    return _NON_ALNUM.sub(" ", text.lower()).strip()


def strip_qualifier(text: str) -> str:
    """ "Chief Financial Officer (CFO)" -> "Chief Financial Officer"."""
    return " ".join(_PAREN.sub("", text).split())


_TYPO_RE = re.compile(r"\b(" + "|".join(map(re.escape, TYPOS)) + r")\b", re.IGNORECASE)
_TYPO_FALLBACK_RE = re.compile(r"\b(" + "|".join(map(re.escape, TYPOS_FALLBACK)) + r")\b")


def _misspell(table: dict[str, str]):
    def sub(m: re.Match) -> str:
        word = m.group(1)
        wrong = table[word.lower()]
        return wrong[:1].upper() + wrong[1:] if word[:1].isupper() else wrong

    return sub


def typo(text: str) -> str:
    """``text`` with its first commonly misspelt word misspelt ("experience" -> "experiance"),
    else its first "with"/"and"/"the"."""
    out = _TYPO_RE.sub(_misspell(TYPOS), text, count=1)
    if out == text:
        out = _TYPO_FALLBACK_RE.sub(_misspell(TYPOS_FALLBACK), text, count=1)
    return out
