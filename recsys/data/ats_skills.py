"""Skills of an imported ATS export: named in a column, or read from the text.

- **Named skills** (a ``skills`` / ``required_skills`` cell: ``Python; SQL`` or a JSON array) are
  resolved against the skill reader's own vocabulary (:class:`recsys.skills.SkillVocabulary`: the
  shipped ESCO skills and O*NET technologies): a skill id as written, else the preferred label, the
  head of a qualified label ("Python" of "Python (computer programming)"), an alt label or a
  technology name or alias, compared case-insensitively.  A name that is none of these is kept as a
  skill of its own, ``ats-skill:<slug>`` labelled as written, so that a role and a candidate naming
  it still match (the import report lists them).
- **Read skills** (no column, or a blank cell): what :class:`recsys.skills.SkillExtractor` finds
  in the text, the reader free-text queries go through; a role whose description names few skills
  is completed from its likely occupation by :func:`recsys.adhoc.role_skills` (the rule of served
  free-text job descriptions) when an encoder is given.  One skill is kept per label, and none
  whose label three or more taxonomy skills share (see :func:`read_skills`).
- :func:`skills_table` writes the world's ``skills`` table: every skill referenced, with the
  taxonomy's label, alt labels and description (technologies: aliases, category, group
  ``technology``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from typing import Any

import pandas as pd

__all__ = ["SkillResolver", "read_skills", "skills_table", "split_names"]

LOCAL_PREFIX = "ats-skill:"
MANY_NAMESAKES = 3


def split_names(cell: str, separators: str) -> list[str] | None:
    """The names in a skills cell (JSON array or separated list); ``None`` if the cell is blank,
    raises ``ValueError`` for a malformed JSON array."""
    text = cell.strip()
    if not text:
        return None
    if text.startswith("["):
        value = json.loads(text)
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ValueError("a JSON array of strings")
        names = value
    else:
        names = re.split("[" + re.escape(separators) + "]", text)
    return [n.strip() for n in names if n.strip()]


class SkillResolver:
    """Skill names (or ids) → skill ids of the shipped vocabulary, local ids for the rest."""

    def __init__(self) -> None:
        from recsys.skills import SkillVocabulary

        self.vocab_ = SkillVocabulary.build()
        ids = [str(x) for x in self.vocab_.skill_ids]
        self.ids_ = set(ids)
        best: dict[str, tuple[int, int]] = {}
        for form, index, rank in self.vocab_.forms:
            key = " ".join(form.lower().split())
            if key not in best or (rank, index) < best[key]:
                best[key] = (rank, index)
        self.forms_ = {key: ids[i] for key, (_, i) in best.items()}
        self.local_: dict[str, str] = {}  # local id -> the name as first written

    def resolve(self, names: Iterable[str]) -> list[str]:
        """Ids of ``names`` in order, each once."""
        out: list[str] = []
        for name in names:
            sid = name if name in self.ids_ else self.forms_.get(" ".join(name.lower().split()))
            if sid is None:
                slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "skill"
                sid = LOCAL_PREFIX + slug
                self.local_.setdefault(sid, name)
            if sid not in out:
                out.append(sid)
        return out


def read_skills(
    texts: Sequence[str],
    encoder: Any,
    *,
    roles: bool = False,
    complete_short: bool = True,
) -> list[list[str]]:
    """Skill ids the shared skill reader finds in each text (``roles``: a short job description
    completed from its occupation when an encoder is given, as served free-text roles are)."""
    if not texts:
        return []
    from recsys.adhoc import role_skills
    from recsys.skills import SkillExtractor

    reader = SkillExtractor(encoder=encoder).fit()
    if not roles:
        found = [[m.skill_id for m in ms] for ms in reader.extract(list(texts))]
    else:
        matcher = None
        if encoder is not None and complete_short:
            from recsys.features.occupation import matcher_for

            matcher = matcher_for(encoder)
        found, _ = role_skills(list(texts), None, reader, matcher)
    return _one_per_label(found, reader)


def _one_per_label(found: list[list[str]], reader: Any) -> list[list[str]]:
    """Each text's skills with one skill per label (the best-scored), and none whose label names
    ``MANY_NAMESAKES``+ skills: text cannot tell those apart (the shipped ESCO build holds 67
    language skills labelled just "write", 67 "understand written", …: their language is lost)."""
    labels = pd.Series(reader.labels_, index=reader.skill_ids_)
    counts = labels.value_counts()
    out = []
    for ids in found:
        seen: set[str] = set()
        kept = []
        for sid in ids:
            label = labels.get(sid, sid)
            if label in seen or counts.get(label, 1) >= MANY_NAMESAKES:
                continue
            seen.add(label)
            kept.append(sid)
        out.append(kept)
    return out


def skills_table(ids: Iterable[str], local: dict[str, str]) -> pd.DataFrame:
    """The world's ``skills`` rows of ``ids`` (taxonomy skills, technologies, local names)."""
    from recsys.data import taxonomy

    wanted = list(dict.fromkeys(ids))
    esco = taxonomy.skills().set_index("skill_id")
    tech = taxonomy.technologies().set_index("tech_id")
    rows = []
    for sid in wanted:
        if sid in esco.index:
            r = esco.loc[sid]
            rows.append((sid, r["label"], list(r["alt_labels"]), r["description"], r["group"]))
        elif sid in tech.index:
            r = tech.loc[sid]
            rows.append((sid, r["name"], list(r["aliases"]), r["category"], "technology"))
        elif sid in local:
            rows.append((sid, local[sid], [], "", "imported"))
        else:
            raise KeyError(f"skill id {sid!r} is neither in the taxonomy nor a local skill")
    frame = pd.DataFrame(rows, columns=["skill_id", "label", "alt_labels", "description", "group"])
    for col in ("description", "group"):
        frame[col] = frame[col].fillna("").astype(str)
    return frame
