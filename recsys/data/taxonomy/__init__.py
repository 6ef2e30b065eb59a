"""The shipped ESCO 1.2.0 + O*NET 29.2 tables, loaded lazily from package data.

Each function returns a fresh copy of a cached DataFrame, so callers may add or drop columns and
rows freely; the list cells (``alt_labels``, ``essential_skills``, …) are shared Python lists and
must not be mutated in place.  The tables are built by ``scripts/build_taxonomy.py`` (rules and
measured quality in ``docs/taxonomy.md``); provenance and row counts are in ``version()``.

This product uses the ESCO classification of the European Commission.  This product includes
information from O*NET 29.2 Database by the U.S. Department of Labor, Employment and Training
Administration (USDOL/ETA).  Used under the CC BY 4.0 license.
"""

from __future__ import annotations

import functools
import json
from importlib import resources
from typing import Any

import pandas as pd

__all__ = [
    "TABLES",
    "occupations",
    "onet_alt_titles",
    "onet_occupations",
    "onet_related",
    "onet_tasks",
    "onet_technology",
    "skill_lookup",
    "skills",
    "technologies",
    "version",
]

TABLES = (
    "skills",
    "occupations",
    "onet_occupations",
    "onet_technology",
    "onet_related",
    "onet_alt_titles",
    "onet_tasks",
    "technologies",
)
_LIST_COLUMNS = {
    "skills": ("alt_labels",),
    "technologies": ("aliases",),
    "occupations": ("alt_labels", "essential_skills", "optional_skills"),
}
_NULLABLE_STR = {"occupations": ("onet_code",), "technologies": ("esco_skill_id",)}
_NULLABLE_INT = {"onet_occupations": ("job_zone",)}


@functools.cache
def _load(name: str) -> pd.DataFrame:
    if name not in TABLES:
        raise ValueError(
            f"The 'name' parameter must be one of {list(TABLES)}. Got {name!r} instead."
        )
    path = resources.files(__name__).joinpath(f"{name}.parquet")
    with resources.as_file(path) as p:
        if not p.is_file():
            raise FileNotFoundError(
                f"{p}: taxonomy table missing; rebuild with "
                "`python scripts/build_taxonomy.py --src ../shared/data`"
            )
        frame = pd.read_parquet(p)
    for col in _LIST_COLUMNS.get(name, ()):
        frame[col] = [list(v) for v in frame[col]]
    for col in _NULLABLE_STR.get(name, ()):
        frame[col] = frame[col].astype(object).where(frame[col].notna(), None)
    for col in _NULLABLE_INT.get(name, ()):
        frame[col] = frame[col].astype("Int64")
    return frame


def skills() -> pd.DataFrame:
    """ESCO skills: ``skill_id`` (uri), ``label``, ``alt_labels``, ``description``, ``group``, ``is_digital``."""
    return _load("skills").copy()


def occupations() -> pd.DataFrame:
    """ESCO occupations: ``occupation_id``, ``label``, ``alt_labels``, ``description``,
    ``isco_code`` (4 digits), ``essential_skills``/``optional_skills`` (skill ids), ``onet_code``."""
    return _load("occupations").copy()


def onet_occupations() -> pd.DataFrame:
    """O*NET occupations: ``onet_code``, ``title``, ``description``, ``job_zone`` (Int64, nullable)."""
    return _load("onet_occupations").copy()


def onet_technology() -> pd.DataFrame:
    """O*NET technology skills: ``onet_code``, ``technology``, ``category``, ``hot``, ``in_demand``."""
    return _load("onet_technology").copy()


def onet_related() -> pd.DataFrame:
    """O*NET related occupations: ``onet_code``, ``related_code``, ``tier``, ``rank``."""
    return _load("onet_related").copy()


def onet_alt_titles() -> pd.DataFrame:
    """O*NET alternate titles: ``onet_code``, ``title``, ``short_title``, ``holdout`` (1 in 10
    titles, by a hash of the title: for evaluating occupation inference, never for building it)."""
    return _load("onet_alt_titles").copy()


def onet_tasks() -> pd.DataFrame:
    """O*NET task statements: ``onet_code``, ``task_id``, ``task``, ``core`` (Core vs Supplemental)."""
    return _load("onet_tasks").copy()


def technologies() -> pd.DataFrame:
    """One row per O*NET technology name: ``tech_id``, ``name``, ``aliases`` (vendor-less name,
    acronym), ``category``, ``hot``, ``in_demand``, ``n_occupations``, ``product`` (False for
    descriptive names such as "Inventory management software"), ``esco_skill_id`` (the ESCO skill
    it is, or None: a skill of its own).  Rules: ``scripts/build_taxonomy.py``."""
    return _load("technologies").copy()


@functools.cache
def _lookup() -> dict[str, str]:
    table = _load("skills")
    out: dict[str, str] = {}
    # alt labels first, preferred labels last so a preferred label wins over another skill's alt label
    for sid, alts in zip(table["skill_id"], table["alt_labels"], strict=True):
        for alt in alts:
            out.setdefault(alt.lower(), sid)
    pref: dict[str, str] = {}
    for sid, label in zip(table["skill_id"], table["label"], strict=True):
        pref.setdefault(label.lower(), sid)
    out.update(pref)
    return out


def skill_lookup() -> dict[str, str]:
    """Lower-cased preferred and alt labels → skill_id (a preferred label beats an alt label;
    otherwise the first skill in id order wins).  A fresh dict each call."""
    return dict(_lookup())


def version() -> dict[str, Any]:
    """The build record: sources, versions, row counts, sha256 of inputs and tables."""
    return json.loads(resources.files(__name__).joinpath("VERSION.json").read_text())
