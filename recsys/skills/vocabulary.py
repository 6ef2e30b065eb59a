"""The skill vocabulary extraction reads: skills, their surface forms, and which words say little.

:class:`SkillVocabulary` is built from a skills table (a world's, or the shipped ESCO taxonomy) and,
optionally, the O*NET technology vocabulary (:func:`recsys.data.taxonomy.technologies`):

- **surface forms** for phrase matching, each with a rank (0 preferred label, 1 the head of a
  qualified label — "Python" of "Python (computer programming)" —, 2 an alt label, 3 a technology
  name or alias);
- **technologies**: a technology that *is* an ESCO skill (``esco_skill_id``) lends its name and
  aliases as surface forms of that skill ("Oracle Java" → Java (computer programming)); one that is
  not becomes a skill of its own (``onet-tech:…`` ids: Kafka, Terraform, Docker…) when the vocabulary
  includes technologies as skills;
- **ambiguous forms**: one-word forms that are also ordinary words of the taxonomy's own prose
  (occupation labels and descriptions, non-digital skill labels and descriptions): "Chef", "Puppet",
  "Spark", "Go".  A match of such a form proves nothing by itself; the extractor checks its context;
- **generic words**: words found in many skill labels ("design", "manage", "process", "support"):
  a span made of one such word never triggers a skill on its own.

Everything is derived from the tables, nothing from example texts.
"""

from __future__ import annotations

import functools
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

__all__ = ["SkillVocabulary", "ordinary_words", "skills_with_technologies"]

_QUALIFIER = re.compile(r"^(.+?)\s*\([^)]*\)$")
_WORDS = re.compile(r"[^\W\d_][\w+#]*")
RANK_LABEL, RANK_HEAD, RANK_ALT, RANK_TECH = 0, 1, 2, 3


@functools.cache
def _ordinary_counts() -> Counter:
    from recsys.data import taxonomy

    skills, occ = taxonomy.skills(), taxonomy.occupations()
    prose = [lab for lab in skills["label"] if lab == lab.lower()]
    prose += [
        d for d, dig in zip(skills["description"], skills["is_digital"], strict=True) if not dig
    ]
    prose += list(occ["label"]) + list(occ["description"])
    return Counter(w for text in prose for w in set(_WORDS.findall(str(text).lower())))


def ordinary_words(min_count: int = 2) -> frozenset[str]:
    """Lower-case words used in ``min_count``+ texts of the taxonomy's own prose (see module doc)."""
    return frozenset(w for w, c in _ordinary_counts().items() if c >= min_count)


def _ordinary_senses(words: frozenset[str], per_word: int = 5) -> dict[str, list[str]]:
    """For each ambiguous word, the shortest taxonomy labels using it as an ordinary word
    (occupation labels, all-lower-case skill labels: "chef", "head chef" for *chef*), else the word."""
    from recsys.data import taxonomy

    skills, occ = taxonomy.skills(), taxonomy.occupations()
    texts = sorted(
        set(occ["label"]) | {lab for lab in skills["label"] if lab == lab.lower()}, key=len
    )
    out: dict[str, list[str]] = {w: [] for w in words}
    for text in texts:
        for w in set(_WORDS.findall(text)) & words:
            if len(out[w]) < per_word:
                out[w].append(text)
    return {w: uses or [w] for w, uses in out.items()}


def _technology_skills(min_occupations: int = 2) -> pd.DataFrame:
    """The O*NET technologies a vocabulary knows: named products, "hot" or listed for
    ``min_occupations``+ occupations (see :meth:`SkillVocabulary.build`)."""
    from recsys.data import taxonomy

    tech = taxonomy.technologies()
    return tech[tech["product"] & (tech["hot"] | (tech["n_occupations"] >= min_occupations))]


def skills_with_technologies(skills: pd.DataFrame, min_occupations: int = 2) -> pd.DataFrame:
    """``skills`` plus a row for every O*NET technology a vocabulary makes a skill of its own
    (not linked to an ESCO skill, see :meth:`SkillVocabulary.build`): ``skill_id`` its
    ``onet-tech:…`` id, ``label`` its name, ``group`` "technology" (its aliases are read from the
    technology table by :meth:`SkillVocabulary.build`).

    A model's skill columns are its world's skills table: a world written in ESCO terms has no
    column for Kafka, Terraform or Kubernetes, so a posting that asks for them and a résumé that
    names them share nothing the features can see.  A technology whose id is already in
    ``skills``, or any of whose names is already a label or alt label there (a table with its own
    "Kafka"), is not added; calling this twice adds nothing the second time.
    """
    from recsys.data.ats_skills import skills_table

    have = set(skills["skill_id"].astype(str))
    forms = {str(x).lower() for x in skills["label"]}
    if "alt_labels" in skills.columns:
        forms.update(a.lower() for alts in skills["alt_labels"] for a in _as_list(alts))
    tech = _technology_skills(min_occupations)
    tech = tech[tech["esco_skill_id"].isna() & ~tech["tech_id"].isin(have)]
    named = [
        {n.lower() for n in [name, *_as_list(aliases)]}
        for name, aliases in zip(tech["name"], tech["aliases"], strict=True)
    ]
    keep = np.fromiter((not (n & forms) for n in named), dtype=bool, count=len(named))
    extra = skills_table(tech.loc[keep, "tech_id"], {})
    if not len(extra):
        return skills
    # no alt labels: a reader over the table gives a technology's names their own rank (proof,
    # as in the shipped vocabulary); as alt labels they would count only by span similarity
    extra["alt_labels"] = [[] for _ in range(len(extra))]
    extra = extra.reindex(columns=skills.columns)
    for col in skills.columns.difference(["skill_id", "label", "alt_labels"]):
        if skills[col].dtype == bool:
            extra[col] = col == "is_digital"
        elif skills[col].dtype == object:
            extra[col] = extra[col].fillna("")
    return pd.concat([skills, extra], ignore_index=True)


def _as_list(value: Any) -> list[str]:
    if isinstance(value, list | tuple | np.ndarray):
        return [str(v) for v in value if isinstance(v, str) and v.strip()]
    return []


@dataclass
class SkillVocabulary:
    """Skills and their surface forms (see the module doc); build with :meth:`build`."""

    skill_ids: np.ndarray  # str, one per skill
    labels: np.ndarray  # object (str)
    kinds: np.ndarray  # "skill" | "technology"
    forms: list[tuple[str, int, int]]  # (surface form, skill index, rank)
    ambiguous: frozenset[str]  # folded one-word forms that are ordinary words
    generic: frozenset[str]  # words in many skill labels
    digital: np.ndarray = field(default_factory=lambda: np.zeros(0, bool))
    senses: dict[str, list[str]] = field(default_factory=dict)  # ambiguous word → ordinary uses

    def __len__(self) -> int:
        return len(self.skill_ids)

    @property
    def embed_texts(self) -> list[str]:
        """The text embedded per skill for dense matching: its preferred label (or name)."""
        return [str(x) for x in self.labels]

    def is_ambiguous(self, form: str) -> bool:
        return " ".join(form.lower().split()) in self.ambiguous

    @classmethod
    def build(
        cls,
        skills: pd.DataFrame | None = None,
        *,
        technologies: Literal["auto"] | bool = "auto",
        use_alt_labels: bool = True,
        generic_min_labels: int = 20,
        technology_min_occupations: int = 2,
    ) -> SkillVocabulary:
        """A vocabulary from ``skills`` (``None`` = the shipped ESCO taxonomy).

        ``technologies``: ``True`` adds every O*NET technology product not linked to an ESCO skill
        as a skill of its own and lends linked names to their skills; ``"auto"`` does that for the
        shipped taxonomy and only lends names (no new ids) for a custom table; ``False`` neither.
        A technology becomes a skill of its own only when it is "hot" in O*NET or listed for
        ``technology_min_occupations``+ occupations (2,215 of 7,760 unlinked products at 2: Kafka,
        Kotlin, Terraform; not one-occupation niche products whose names are ordinary phrases).
        """
        from recsys.data import taxonomy

        table = taxonomy.skills() if skills is None else skills
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
            [_as_list(a) for a in table["alt_labels"]]
            if use_alt_labels and "alt_labels" in table.columns
            else [[] for _ in labels]
        )
        kinds = ["skill"] * len(labels)
        digital = (
            table["is_digital"].fillna(False).astype(bool).tolist()
            if "is_digital" in table.columns
            else [False] * len(labels)
        )
        forms: list[tuple[str, int, int]] = []
        for i, label in enumerate(labels):
            forms.append((label, i, RANK_LABEL))
            head = _QUALIFIER.match(label)
            if head:
                forms.append((head.group(1), i, RANK_HEAD))
            forms.extend((a, i, RANK_ALT) for a in alts[i])

        add_new = technologies is True or (technologies == "auto" and skills is None)
        if technologies is not False:
            tech = _technology_skills(technology_min_occupations)
            pos = {sid: i for i, sid in enumerate(ids)}
            for row in tech.itertuples(index=False):
                names = [row.name, *_as_list(row.aliases)]
                target = pos.get(row.esco_skill_id) if row.esco_skill_id is not None else None
                if target is None and row.tech_id in pos:  # a table that already holds it
                    target = pos[row.tech_id]
                if target is None:
                    if not add_new or row.esco_skill_id is not None:
                        continue
                    target = len(labels)
                    labels.append(row.name)
                    kinds.append("technology")
                    digital.append(True)
                    ids = np.append(ids, row.tech_id)
                    pos[row.tech_id] = target
                forms.extend((n, target, RANK_TECH) for n in names)

        label_words = Counter(w for lab in labels for w in set(_WORDS.findall(lab.lower())))
        generic = frozenset(w for w, c in label_words.items() if c >= generic_min_labels)
        ordinary = ordinary_words()
        # a tool's name that is also an ordinary word; a plain skill label ("accounting") is not
        # ambiguous: its ordinary sense is the skill
        ambiguous = frozenset(
            key
            for key, tool in (
                (
                    " ".join(f.lower().split()),
                    r in (RANK_HEAD, RANK_TECH) or (digital[i] and f[:1].isupper()),
                )
                for f, i, r in forms
            )
            if tool and " " not in key and key in ordinary
        )
        return cls(
            senses=_ordinary_senses(ambiguous),
            skill_ids=np.asarray(ids, dtype=object).astype(str),
            labels=np.asarray(labels, dtype=object),
            kinds=np.asarray(kinds, dtype=object),
            forms=forms,
            ambiguous=ambiguous,
            generic=generic,
            digital=np.asarray(digital, dtype=bool),
        )
