"""The strings an :class:`~recsys.occupations.OccupationMatcher` is built from, and what is kept out.

Built from three taxonomy tables (``occupations``, ``onet_occupations``, ``onet_alt_titles``):

* ESCO side: each occupation's preferred label and alt labels.
* O*NET side: each occupation's title, alternate titles and short titles ("RN", "CEO").
* Held apart, never built from: O*NET alternate titles with ``holdout=True`` (the package's 10%
  slice: every title with the same normalised key is dropped from the O*NET side, short titles
  included); a seeded ``esco_holdout`` share of ESCO alt labels (by a hash of the normalised label,
  so a label shared by two occupations is held out under both; never one equal to a preferred
  label, which is always built from); and, for tuning only, a second
  seeded ``validation`` share of the remaining ESCO alt labels and O*NET alternate titles.
* The ESCO → O*NET link used for scoring is *recomputed* with the taxonomy's own rule
  (``scripts/build_taxonomy.py``: exact normalised title match, label before alt labels, O*NET
  titles before alternate titles) from the building strings only.  The shipped ``onet_code`` was
  matched against every alternate title, held-out ones included (129 of 3,039 links differ), so
  scoring with it would let an evaluation title find its own answer through the link.
"""

from __future__ import annotations

import collections
import hashlib
import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = ["Catalogue", "build_catalogue", "clean_title", "norm_key", "norm_text"]

_NON_ALNUM = re.compile(r"[^a-z0-9]+")
# a leading seniority word ("Senior", "Sr.", "Junior") says nothing about the occupation, except
# in the few titles where it is part of the name ("Junior High School Teacher", "Senior Adults")
_SENIORITY = re.compile(
    r"^(?:(?:senior|sr\.?|junior|jr\.?)\s+)+(?!high\b|school\b|adults?\b|citizens?\b)", re.I
)
_ASIDE = re.compile(r"\([^)]*\)|\[[^\]]*\]")  # "(Kotlin, PostgreSQL)", "[remote]"
_ESCO_COLUMNS = ("occupation_id", "label", "alt_labels", "description", "isco_code")
_ONET_COLUMNS = ("onet_code", "title", "description")
_ALT_COLUMNS = ("onet_code", "title", "short_title", "holdout")


def norm_text(text: object) -> str:
    """The string that is embedded: whitespace collapsed (the encoder cache key)."""
    return " ".join(str(text).split())


def clean_title(text: str) -> str:
    """The title as matched: bracketed asides and a leading seniority word dropped, whitespace
    and stray punctuation trimmed; the text itself when nothing would be left."""
    out = _SENIORITY.sub("", _ASIDE.sub(" ", text))
    out = norm_text(out).strip(" ,;:-/|")
    return out if norm_key(out) else norm_text(text)


def norm_key(text: str) -> str:
    """Lower case, alphanumerics only: the taxonomy's key for "the same title"."""
    return _NON_ALNUM.sub(" ", text.lower()).strip()


def in_slice(keys: list[str], fraction: float, salt: str) -> np.ndarray:
    """Boolean mask: a key is in the slice when sha256(salt:key) maps below ``fraction``."""
    if fraction <= 0:
        return np.zeros(len(keys), dtype=bool)
    scale = float(2**64)
    u = [
        int.from_bytes(hashlib.sha256(f"{salt}:{k}".encode()).digest()[:8], "big") / scale
        for k in keys
    ]
    return np.asarray(u, dtype=np.float64) < fraction


@dataclass
class Catalogue:
    """Everything the matcher builds from (see the module docstring)."""

    esco: pd.DataFrame  # one row per ESCO occupation, in the matcher's column order
    onet: pd.DataFrame  # onet_code, title, description
    entries: pd.DataFrame  # text, side ("esco"/"onet"), owner (row in esco/onet), kind, key
    link: np.ndarray  # per ESCO row: row in ``onet`` of its recomputed O*NET link, or -1
    esco_heldout: pd.DataFrame  # text, occupation_id: ESCO alt labels held apart
    validation: dict[str, pd.DataFrame]  # "esco": text, occupation_id; "onet": text, onet_code


def _check(frame: pd.DataFrame, name: str, columns: tuple[str, ...]) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(
            f"The '{name}' table must have columns {list(columns)}. Missing {missing}; "
            f"found {list(frame.columns)}."
        )


def build_catalogue(
    occupations: pd.DataFrame,
    onet_occupations: pd.DataFrame,
    onet_alt_titles: pd.DataFrame,
    esco_holdout: float,
    validation: float,
    seed: int,
) -> Catalogue:
    _check(occupations, "occupations", _ESCO_COLUMNS)
    _check(onet_occupations, "onet_occupations", _ONET_COLUMNS)
    _check(onet_alt_titles, "onet_alt_titles", _ALT_COLUMNS)
    if occupations["occupation_id"].duplicated().any():
        dup = occupations.loc[occupations["occupation_id"].duplicated(), "occupation_id"].iloc[0]
        raise ValueError(
            f"The 'occupations' table must have unique occupation_id. Found {dup!r} twice."
        )
    esco = occupations.reset_index(drop=True)
    onet = onet_occupations.drop_duplicates("onet_code").reset_index(drop=True)
    onet_row = {c: i for i, c in enumerate(onet["onet_code"])}

    # ESCO alt labels: held out, validation, kept
    alt_rows = [
        (i, norm_text(a))
        for i, alts in enumerate(esco["alt_labels"])
        for a in alts
        if str(a).strip()
    ]
    alt_owner = np.asarray([r[0] for r in alt_rows], dtype=np.int64)
    alt_text = [r[1] for r in alt_rows]
    alt_keys = [norm_key(t) for t in alt_text]
    # a preferred label is always built from, so an alt label equal to one is never held apart
    eligible = ~np.isin(alt_keys, [norm_key(t) for t in esco["label"]])
    held = in_slice(alt_keys, esco_holdout, f"esco-holdout:{seed}") & eligible
    valid = in_slice(alt_keys, validation, f"validation:{seed}") & ~held & eligible
    keep = ~held & ~valid
    ids = esco["occupation_id"].to_numpy()

    # O*NET alternate titles: the package's holdout, validation, kept
    alt = onet_alt_titles[onet_alt_titles["onet_code"].isin(onet_row)]
    alt_title = [norm_text(t) for t in alt["title"]]
    memo = {t: norm_key(t) for t in set(alt_title)}
    title_keys = [memo[t] for t in alt_title]
    holdout = alt["holdout"].astype(bool).to_numpy()
    onet_valid = in_slice(title_keys, validation, f"validation:{seed}") & ~holdout
    barred = {k for k, h, v in zip(title_keys, holdout, onet_valid, strict=True) if h or v}
    alt_code_row = alt["onet_code"].map(onet_row).to_numpy()

    rows: list[tuple[str, str, int, str]] = []
    rows += [(norm_text(t), "esco", i, "label") for i, t in enumerate(esco["label"])]
    rows += [
        (t, "esco", int(o), "alt") for t, o, k in zip(alt_text, alt_owner, keep, strict=True) if k
    ]
    rows += [(norm_text(t), "onet", i, "title") for i, t in enumerate(onet["title"])]
    usable = [not (h or v) for h, v in zip(holdout, onet_valid, strict=True)]
    rows += [
        (t, "onet", int(o), "alt")
        for t, o, ok in zip(alt_title, alt_code_row, usable, strict=True)
        if ok
    ]
    shorts = [norm_text(s) for s in alt["short_title"].fillna("")]
    rows += [
        (s, "onet", int(o), "short")
        for s, o, ok in zip(shorts, alt_code_row, usable, strict=True)
        if ok and s and norm_key(s) not in barred
    ]
    entries = pd.DataFrame(rows, columns=["text", "side", "owner", "kind"])
    entries = entries.drop_duplicates(["text", "side", "owner"], ignore_index=True)
    keys = {t: norm_key(t) for t in entries["text"].unique()}
    entries["key"] = entries["text"].map(keys)
    entries = entries[entries["key"] != ""].reset_index(drop=True)

    link = _link(esco, onet, entries)
    heldout = pd.DataFrame(
        {"text": np.asarray(alt_text, dtype=object)[held], "occupation_id": ids[alt_owner[held]]}
    )
    val_esco = pd.DataFrame(
        {"text": np.asarray(alt_text, dtype=object)[valid], "occupation_id": ids[alt_owner[valid]]}
    )
    val_onet = pd.DataFrame(
        {
            "text": np.asarray(alt_title, dtype=object)[onet_valid],
            "onet_code": alt["onet_code"].to_numpy()[onet_valid],
        }
    )
    return Catalogue(
        esco=esco,
        onet=onet,
        entries=entries,
        link=link,
        esco_heldout=heldout,
        validation={"esco": val_esco, "onet": val_onet},
    )


def _link(esco: pd.DataFrame, onet: pd.DataFrame, entries: pd.DataFrame) -> np.ndarray:
    """The taxonomy's ESCO → O*NET rule, on building strings only (module docstring)."""
    by_title: dict[str, list[int]] = collections.defaultdict(list)
    by_alt: dict[str, list[int]] = collections.defaultdict(list)
    esco_names: dict[int, tuple[list[str], list[str]]] = collections.defaultdict(lambda: ([], []))
    columns = (entries[c].tolist() for c in ("key", "side", "owner", "kind"))
    for key, side, owner, kind in zip(*columns, strict=True):
        if side == "onet":
            if kind == "title":
                by_title[key].append(owner)
            elif kind == "alt":
                by_alt[key].append(owner)
        else:
            esco_names[owner][0 if kind == "label" else 1].append(key)
    codes = onet["onet_code"].to_numpy()
    out = np.full(len(esco), -1, dtype=np.int64)
    for i in range(len(esco)):
        labels, alts = esco_names[i]
        for names, table in (
            (labels, by_title),
            (labels, by_alt),
            (alts, by_title),
            (alts, by_alt),
        ):
            hits = collections.Counter(c for n in names for c in table.get(n, ()))
            if hits:
                out[i] = sorted(hits.items(), key=lambda kv: (-kv[1], codes[kv[0]]))[0][0]
                break
    return out
