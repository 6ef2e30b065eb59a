"""The entities of a world, as pandera models, plus the facts validation needs about them.

Every id is a string.  List-valued columns (skills, contracts, …) hold Python lists of strings
in memory and in Parquet/JSONL; in CSV they are written as JSON arrays (``["a", "b"]``).
Timestamps are naive UTC ``datetime64[ns]`` ("date" in the docs means a timestamp at midnight).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd
import pandera.pandas as pa
from pandera import extensions
from pandera.typing import Series


def _is_str_list(value: object) -> bool:
    return isinstance(value, list) and all(isinstance(v, str) for v in value)


@extensions.register_check_method(check_type="element_wise")
def list_of_strings(value: object) -> bool:
    """A list-valued column: every cell a list of strings (possibly empty)."""
    return _is_str_list(value)


class _Base(pa.DataFrameModel):
    class Config:
        strict = True
        coerce = True


class Skill(_Base):
    skill_id: Series[str] = pa.Field(unique=True, str_length={"min_value": 1})
    label: Series[str] = pa.Field(str_length={"min_value": 1})
    alt_labels: Series[object] = pa.Field(list_of_strings=())
    description: Series[str]
    group: Series[str]


class Contract(_Base):
    """A service contract: an internal API a team runs, and the skills needed to operate it."""

    contract_id: Series[str] = pa.Field(unique=True, str_length={"min_value": 1})
    name: Series[str] = pa.Field(str_length={"min_value": 1})
    description: Series[str]
    skills: Series[object] = pa.Field(list_of_strings=())
    owner_team: Series[str]


class Credential(_Base):
    """A micro-credential in the catalogue: the skills it certifies, the contracts it maps to."""

    credential_id: Series[str] = pa.Field(unique=True, str_length={"min_value": 1})
    name: Series[str] = pa.Field(str_length={"min_value": 1})
    issuer: Series[str]
    description: Series[str]
    skills: Series[object] = pa.Field(list_of_strings=())
    contracts: Series[object] = pa.Field(list_of_strings=())
    level: Series[int] = pa.Field(ge=1, le=3)
    validity_months: Series[pd.Int64Dtype] = pa.Field(nullable=True, ge=1)


class Role(_Base):
    role_id: Series[str] = pa.Field(unique=True, str_length={"min_value": 1})
    title: Series[str] = pa.Field(str_length={"min_value": 1})
    description: Series[str]
    required_skills: Series[object] = pa.Field(list_of_strings=())
    optional_skills: Series[object] = pa.Field(list_of_strings=())
    contracts: Series[object] = pa.Field(list_of_strings=())
    seniority: Series[int] = pa.Field(ge=0, le=4)
    location: Series[str]
    remote: Series[bool]
    team: Series[str]
    occupation_id: Series[str] = pa.Field(nullable=True)
    opened_at: Series[pd.Timestamp]


class Candidate(_Base):
    candidate_id: Series[str] = pa.Field(unique=True, str_length={"min_value": 1})
    headline: Series[str]
    resume_text: Series[str]
    skills: Series[object] = pa.Field(list_of_strings=())
    years_experience: Series[float] = pa.Field(ge=0, le=60, nullable=True)  # NaN = unknown
    location: Series[str]
    open_to_remote: Series[bool]
    is_employee: Series[bool]
    current_role_id: Series[str] = pa.Field(nullable=True)
    # when the profile (headline, résumé, claimed skills, years, location) was captured; NaT = unknown
    profile_at: Series[pd.Timestamp] = pa.Field(nullable=True)


class Holding(_Base):
    """A credential held by a candidate.  ``verified`` is the issuer's confirmation."""

    candidate_id: Series[str] = pa.Field(str_length={"min_value": 1})
    credential_id: Series[str] = pa.Field(str_length={"min_value": 1})
    issued_at: Series[pd.Timestamp]
    expires_at: Series[pd.Timestamp] = pa.Field(nullable=True)
    verified: Series[bool]


class History(_Base):
    candidate_id: Series[str] = pa.Field(str_length={"min_value": 1})
    title: Series[str] = pa.Field(str_length={"min_value": 1})
    occupation: Series[str] = pa.Field(nullable=True)
    started_at: Series[pd.Timestamp]
    ended_at: Series[pd.Timestamp] = pa.Field(nullable=True)


class Outcome(_Base):
    """One application: the funnel stage reached and, for hires, the (censored) tenure."""

    candidate_id: Series[str] = pa.Field(str_length={"min_value": 1})
    role_id: Series[str] = pa.Field(str_length={"min_value": 1})
    applied_at: Series[pd.Timestamp]
    stage: Series[int] = pa.Field(ge=0, le=4)
    hired_at: Series[pd.Timestamp] = pa.Field(nullable=True)
    left_at: Series[pd.Timestamp] = pa.Field(nullable=True)
    observed_until: Series[pd.Timestamp]


class Group(_Base):
    """Protected attributes, for adverse-impact audits only; never joined into features."""

    candidate_id: Series[str] = pa.Field(unique=True, str_length={"min_value": 1})
    gender: Series[str] = pa.Field(nullable=True)
    age_band: Series[str] = pa.Field(nullable=True)
    ethnicity: Series[str] = pa.Field(nullable=True)


STAGES = {0: "applied", 1: "screened", 2: "interviewed", 3: "offered", 4: "hired"}
HIRED = 4


@dataclass(frozen=True)
class Reference:
    """``column`` of this entity holds ids (or lists of ids) of ``target`` entity."""

    column: str
    target: str
    nullable: bool = False


@dataclass(frozen=True)
class Entity:
    name: str  # the file stem inside a world folder
    model: type[_Base]
    id_column: str | None
    required: bool = True
    may_be_empty: bool = False  # a table with no rows is valid (nothing known, e.g. an ATS import)
    references: tuple[Reference, ...] = ()
    list_columns: tuple[str, ...] = ()
    date_order: tuple[tuple[str, str], ...] = ()  # (earlier, later) pairs
    unique_together: tuple[str, ...] = field(default_factory=tuple)
    optional_columns: tuple[str, ...] = ()  # may be absent from a file: read as missing values

    @property
    def columns(self) -> list[str]:
        return list(self.model.to_schema().columns)

    @property
    def blank_text_columns(self) -> list[str]:
        """Required text columns where an empty string is a legitimate value (a CSV blank → "")."""
        schema = self.model.to_schema()
        return [
            c
            for c, col in schema.columns.items()
            if str(col.dtype) == "str"
            and not col.nullable
            and not any(chk.name == "str_length" for chk in col.checks)
        ]

    @property
    def bool_columns(self) -> list[str]:
        schema = self.model.to_schema()
        return [c for c, col in schema.columns.items() if str(col.dtype) == "bool"]

    @property
    def date_columns(self) -> list[str]:
        schema = self.model.to_schema()
        return [c for c, col in schema.columns.items() if "datetime" in str(col.dtype)]


ENTITIES: dict[str, Entity] = {
    e.name: e
    for e in (
        Entity("skills", Skill, "skill_id", list_columns=("alt_labels",)),
        Entity(
            "contracts",
            Contract,
            "contract_id",
            may_be_empty=True,
            references=(Reference("skills", "skills"),),
            list_columns=("skills",),
        ),
        Entity(
            "credentials",
            Credential,
            "credential_id",
            may_be_empty=True,
            references=(Reference("skills", "skills"), Reference("contracts", "contracts")),
            list_columns=("skills", "contracts"),
        ),
        Entity(
            "roles",
            Role,
            "role_id",
            references=(
                Reference("required_skills", "skills"),
                Reference("optional_skills", "skills"),
                Reference("contracts", "contracts"),
            ),
            list_columns=("required_skills", "optional_skills", "contracts"),
        ),
        Entity(
            "candidates",
            Candidate,
            "candidate_id",
            references=(
                Reference("skills", "skills"),
                Reference("current_role_id", "roles", nullable=True),
            ),
            list_columns=("skills",),
            optional_columns=("profile_at",),
        ),
        Entity(
            "holdings",
            Holding,
            None,
            may_be_empty=True,
            references=(
                Reference("candidate_id", "candidates"),
                Reference("credential_id", "credentials"),
            ),
            date_order=(("issued_at", "expires_at"),),
            unique_together=("candidate_id", "credential_id", "issued_at"),
        ),
        Entity(
            "history",
            History,
            None,
            may_be_empty=True,
            references=(Reference("candidate_id", "candidates"),),
            date_order=(("started_at", "ended_at"),),
        ),
        Entity(
            "outcomes",
            Outcome,
            None,
            references=(Reference("candidate_id", "candidates"), Reference("role_id", "roles")),
            date_order=(
                ("applied_at", "hired_at"),
                ("hired_at", "left_at"),
                ("applied_at", "observed_until"),
            ),
            unique_together=("candidate_id", "role_id"),
        ),
        Entity(
            "groups",
            Group,
            "candidate_id",
            required=False,
            references=(Reference("candidate_id", "candidates"),),
        ),
    )
}
