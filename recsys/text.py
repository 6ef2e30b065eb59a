"""One deterministic text per entity: the string that gets embedded.

``entity_texts(world, kind)`` returns a ``pd.Series`` indexed by entity id.  Parts are joined with
a newline; an empty part is left out (no dangling "Skills:" line); skill ids resolve to their labels
through ``world.skills`` (an id missing from the table is kept as the id); lists keep their first
occurrence order with duplicates removed.  Structured parts come before long free text so that the
encoder's token limit (256 for MiniLM) truncates prose, not skills.

Templates (``<...>`` is a field, ``[...]`` a line present only when non-empty)::

    candidates:   [<headline>]
                  [Skills: <skill labels, comma separated>]
                  [<resume_text without its "Certifications:" paragraph>]
    roles:        <title>
                  [Required skills: <labels>]
                  [Optional skills: <labels>]
                  [Service contracts: <contract names>]
                  [<description>]
    contracts:    <name>
                  [Skills: <labels>]
                  [<description>]
    credentials:  <name>[ (<issuer>)]
                  [Skills: <labels>]
                  [Service contracts: <contract names>]
                  [<description>]

The candidate headline is left out when the résumé already starts with it (generated résumés do).
**Credentials are not part of a candidate's text** (neither the held credentials' names nor the
résumé's "Certifications:" paragraph): they are what a candidate holds *today*, while a candidate's
text is compared with roles as of their application dates (training) and its embedding is a ranking
feature.  Credentials act through the as-of-aware holdings features and the index's filters.
A candidate known only by a résumé (empty headline, no skills) is just its ``resume_text``; a role given only as a description is ``<title>`` and ``<description>``.
"""

from __future__ import annotations

import re
from typing import Any, Literal

import numpy as np
import pandas as pd

Kind = Literal["candidates", "roles", "contracts", "credentials"]
__all__ = ["ID_COLUMNS", "KINDS", "entity_texts", "strip_certifications"]

KINDS: tuple[Kind, ...] = ("candidates", "roles", "contracts", "credentials")
ID_COLUMNS: dict[str, str] = {
    "candidates": "candidate_id",
    "roles": "role_id",
    "contracts": "contract_id",
    "credentials": "credential_id",
}


_CERTS = re.compile(r"(?ims)^\s*certifications?\s*:.*?(?=^\s*$|\Z)")


def strip_certifications(texts: pd.Series) -> pd.Series:
    """Résumé texts without their "Certifications:" paragraph (credentials held today)."""
    texts = texts.fillna("").astype(str)
    has = texts.str.contains("ertification", regex=False)  # skip the regex where it cannot match
    if has.any():
        texts = texts.copy()
        texts[has] = texts[has].str.replace(_CERTS, "", regex=True)
    return texts


def _clean(values: pd.Series) -> pd.Series:
    """Strings with missing values as ``""`` and surrounding whitespace removed."""
    return values.fillna("").astype(str).str.strip()


# id(frame) → (frame, id_col, label_col, mapping).  A served free-text query embeds one row but
# would rebuild the 14k-skill label map each time (~5 ms); world tables are never mutated in place,
# and holding the frame keeps its id from being reused.
_LOOKUPS: dict[int, tuple[Any, str, str, dict[str, str]]] = {}


def _lookup(frame: Any, id_col: str, label_col: str) -> dict[str, str]:
    if frame is None or len(frame) == 0:
        return {}
    hit = _LOOKUPS.get(id(frame))
    if hit is not None and hit[0] is frame and hit[1:3] == (id_col, label_col):
        return hit[3]
    mapping = dict(zip(frame[id_col].astype(str), _clean(frame[label_col]), strict=True))
    if len(_LOOKUPS) >= 16:
        _LOOKUPS.pop(next(iter(_LOOKUPS)))
    _LOOKUPS[id(frame)] = (frame, id_col, label_col, mapping)
    return mapping


def _join_labels(lists: pd.Series, labels: dict[str, str], prefix: str) -> pd.Series:
    """``prefix + "a, b"`` per row from a column of id lists; ``""`` for empty lists."""
    out = pd.Series("", index=lists.index, dtype=object)
    if len(lists) <= 64:  # a query's row or a few: plain loops beat explode/groupby (~1 ms)
        for row, ids in lists.items():
            if isinstance(ids, str):  # explode() keeps a bare string as one id
                ids = [ids]
            elif not hasattr(ids, "__len__"):  # None / NaN: no list
                continue
            seen = dict.fromkeys(str(i) for i in ids if i is not None and i == i)
            names = [labels.get(i, i) for i in seen]
            names = [n for n in names if n != ""]
            out.loc[row] = prefix + ", ".join(names) if names else ""
        return out
    long = lists.explode().dropna()
    if long.empty:
        return out
    frame = long.astype(str).to_frame("id").reset_index(names="row")
    frame = frame.drop_duplicates(["row", "id"])
    frame["label"] = frame["id"].map(labels).fillna(frame["id"])
    frame = frame[frame["label"] != ""]
    joined = frame.groupby("row", sort=False)["label"].agg(", ".join)
    out.loc[joined.index] = prefix + joined
    return out


def _assemble(*parts: pd.Series) -> pd.Series:
    rows = zip(*(p.tolist() for p in parts), strict=True)
    return pd.Series(["\n".join(x for x in row if x) for row in rows], index=parts[0].index)


def entity_texts(world: Any, kind: Kind) -> pd.Series:
    """The text embedded for every entity of ``kind`` (see the module docstring for templates).

    ``world`` is a :class:`recsys.data.World` or any object with the same frame attributes
    (``skills``, ``contracts``, ``credentials``, ``roles``, ``candidates``, ``holdings``).
    The result is indexed by entity id (named after the id column), in the frame's row order.
    """
    if kind not in ID_COLUMNS:
        raise ValueError(
            f"The 'kind' parameter of entity_texts must be one of {list(KINDS)}. Got {kind!r} instead."
        )
    frame = getattr(world, kind, None)
    if frame is None:
        raise ValueError(f"entity_texts: the world has no {kind!r} table")
    id_col = ID_COLUMNS[kind]
    frame = frame.reset_index(drop=True)
    skills = _lookup(getattr(world, "skills", None), "skill_id", "label")
    contracts = _lookup(getattr(world, "contracts", None), "contract_id", "name")

    if kind == "candidates":
        headline = _clean(frame["headline"])
        resume = _clean(strip_certifications(frame["resume_text"]))
        repeated = np.array(
            [bool(h) and r.startswith(h) for h, r in zip(headline, resume, strict=True)], bool
        )  # an array, not a list: an empty list is no boolean mask
        text = _assemble(
            headline.mask(repeated, ""),
            _join_labels(frame["skills"], skills, "Skills: "),
            resume,
        )
    elif kind == "roles":
        text = _assemble(
            _clean(frame["title"]),
            _join_labels(frame["required_skills"], skills, "Required skills: "),
            _join_labels(frame["optional_skills"], skills, "Optional skills: "),
            _join_labels(frame["contracts"], contracts, "Service contracts: "),
            _clean(frame["description"]),
        )
    elif kind == "contracts":
        text = _assemble(
            _clean(frame["name"]),
            _join_labels(frame["skills"], skills, "Skills: "),
            _clean(frame["description"]),
        )
    else:
        issuer = _clean(frame["issuer"])
        name = _clean(frame["name"]) + issuer.map(lambda s: f" ({s})" if s else "")
        text = _assemble(
            name,
            _join_labels(frame["skills"], skills, "Skills: "),
            _join_labels(frame["contracts"], contracts, "Service contracts: "),
            _clean(frame["description"]),
        )
    text.index = pd.Index(frame[id_col].astype(str), name=id_col)
    return text.rename("text")
