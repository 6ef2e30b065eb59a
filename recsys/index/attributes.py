"""Entity attributes stored beside an index, and filters over them.

Attributes per kind (columns of :func:`entity_attributes`):

- candidates: ``location``, ``remote`` (open to remote), ``is_employee``, ``years_experience``,
  ``skills``, ``credentials`` (every credential held), ``verified_credentials``
- roles: ``location``, ``remote``, ``team``, ``seniority``, ``skills`` (required), ``optional_skills``,
  ``contracts``
- contracts: ``owner_team``, ``skills``
- credentials: ``issuer``, ``level``, ``skills``, ``contracts``

Filters are ``{key: value}``, all of which must hold:

- a scalar column: equal to ``value`` (or to any of them when ``value`` is a list);
- a list column (``skills``, ``credentials``, …): contains ``value`` (all of them when a list) —
  the must-have credential / skill filter;
- ``location_or_remote``: ``location`` equals the value, or ``remote`` is true.

Aliases: ``skill`` → ``skills``, ``credential`` → ``credentials``, ``contract`` → ``contracts``.
String values are coerced to the column's type (``"true"``/``"false"`` for booleans, integers, floats),
so CLI ``--filter is_employee=true`` works.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from recsys.text import ID_COLUMNS

ALIASES = {"skill": "skills", "credential": "credentials", "contract": "contracts"}
LOCATION_OR_REMOTE = "location_or_remote"


def _lists(values: pd.Series) -> pd.Series:
    return values.apply(
        lambda v: [str(x) for x in v] if isinstance(v, list | tuple | np.ndarray) else []
    )


def entity_attributes(world: Any, kind: str) -> pd.DataFrame:
    """Filterable attributes of every entity of ``kind``, indexed by entity id (see module doc)."""
    if kind not in ID_COLUMNS:
        raise ValueError(f"The 'kind' parameter must be one of {list(ID_COLUMNS)}. Got {kind!r}.")
    frame = getattr(world, kind).reset_index(drop=True)
    ids = pd.Index(frame[ID_COLUMNS[kind]].astype(str), name=ID_COLUMNS[kind])
    if kind == "candidates":
        out = pd.DataFrame(
            {
                "location": frame["location"].astype(str).to_numpy(),
                "remote": frame["open_to_remote"].astype(bool).to_numpy(),
                "is_employee": frame["is_employee"].astype(bool).to_numpy(),
                "years_experience": frame["years_experience"].astype(float).to_numpy(),
                "skills": _lists(frame["skills"]).to_numpy(),
            },
            index=ids,
        )
        holdings = getattr(world, "holdings", None)
        held: dict[str, pd.Series] = {}
        for col, subset in (("credentials", None), ("verified_credentials", "verified")):
            if holdings is None or len(holdings) == 0:
                held[col] = pd.Series(dtype=object)
                continue
            h = holdings if subset is None else holdings[holdings[subset].astype(bool)]
            h = h[["candidate_id", "credential_id"]].astype(str).drop_duplicates()
            held[col] = (
                h.sort_values("credential_id").groupby("candidate_id")["credential_id"].agg(list)
            )
        for col, per in held.items():
            out[col] = _lists(pd.Series(ids.map(per), index=ids)).to_numpy()
        return out
    if kind == "roles":
        cols = {
            "location": frame["location"].astype(str),
            "remote": frame["remote"].astype(bool),
            "team": frame["team"].astype(str),
            "seniority": frame["seniority"].astype(int),
            "skills": _lists(frame["required_skills"]),
            "optional_skills": _lists(frame["optional_skills"]),
            "contracts": _lists(frame["contracts"]),
        }
    elif kind == "contracts":
        cols = {"owner_team": frame["owner_team"].astype(str), "skills": _lists(frame["skills"])}
    else:
        cols = {
            "issuer": frame["issuer"].astype(str),
            "level": frame["level"].astype(int),
            "skills": _lists(frame["skills"]),
            "contracts": _lists(frame["contracts"]),
        }
    return pd.DataFrame({k: v.to_numpy() for k, v in cols.items()}, index=ids)


def is_list_column(values: pd.Series) -> bool:
    return values.dtype == object and len(values) > 0 and isinstance(values.iloc[0], list)


def _coerce(value: Any, column: pd.Series, key: str) -> Any:
    if not isinstance(value, str):
        return value
    if pd.api.types.is_bool_dtype(column):
        low = value.strip().lower()
        if low in {"true", "1", "yes"}:
            return True
        if low in {"false", "0", "no"}:
            return False
        raise ValueError(f"Filter {key!r} is boolean: expected true or false. Got {value!r}.")
    if pd.api.types.is_integer_dtype(column):
        try:
            return int(value)
        except ValueError:
            raise ValueError(f"Filter {key!r} expects an integer. Got {value!r}.") from None
    if pd.api.types.is_float_dtype(column):
        try:
            return float(value)
        except ValueError:
            raise ValueError(f"Filter {key!r} expects a number. Got {value!r}.") from None
    return value


def filter_mask(
    attrs: pd.DataFrame, filters: Mapping[str, Any], exploded: dict[str, pd.Series] | None = None
) -> np.ndarray:
    """Boolean mask over ``attrs`` rows meeting every filter (vectorised; see module doc).

    ``exploded`` caches ``attrs[col].explode()`` per list column between calls.
    """
    mask = np.ones(len(attrs), dtype=bool)
    exploded = {} if exploded is None else exploded
    for raw_key, value in filters.items():
        key = ALIASES.get(raw_key, raw_key)
        if key == LOCATION_OR_REMOTE:
            if not {"location", "remote"} <= set(attrs.columns):
                raise ValueError(f"Filter {raw_key!r} needs location and remote attributes.")
            mask &= (attrs["location"].to_numpy() == str(value)) | attrs["remote"].to_numpy(bool)
            continue
        if key not in attrs.columns:
            allowed = sorted([*attrs.columns, LOCATION_OR_REMOTE, *ALIASES])
            raise ValueError(f"Unknown filter key {raw_key!r}: expected one of {allowed}.")
        column = attrs[key]
        values = list(value) if isinstance(value, list | tuple | set) else [value]
        if key in exploded or is_list_column(column):
            if key not in exploded:
                exploded[key] = column.reset_index(drop=True).explode().dropna()
            long = exploded[key]
            want = {str(v) for v in values}
            hits = long[long.isin(want)]
            counts = hits.groupby(level=0).nunique()
            rows = counts.index[counts.to_numpy() == len(want)].to_numpy()
            keep = np.zeros(len(attrs), dtype=bool)
            keep[rows] = True
            mask &= keep
        else:
            values = [_coerce(v, column, raw_key) for v in values]
            mask &= column.isin(values).to_numpy()
    return mask
