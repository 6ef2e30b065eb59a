"""The column mapping of an ATS export: which file, header and stage name means what.

An export rarely uses the schema's own names ("Applicant ID" for ``candidate_id``, "Status" for
``stage``).  An :class:`AtsMapping`, read from a YAML or JSON file by :func:`load_mapping`, says
so without anyone editing the CSVs::

    files:                      # table -> file name inside the export folder (default <table>.csv)
      candidates: applicants.csv
    columns:                    # table -> {schema column: the export's header}
      applications:
        candidate_id: Applicant ID
        role_id: Job Req ID
        stage: Status
    stages:                     # the export's stage names -> 0 applied .. 4 hired (added to DEFAULT_STAGES)
      Phone Screen: 1
      Onsite: 2
    date_format: "%m/%d/%Y"     # strftime format of every date cell (default: ISO 8601)
    observed_until: 2025-06-30  # the export date (default: the latest date in the export)

Every key is optional; an empty file (or no file) means the schema's names and the default stage
names.  Headers match case-insensitively and ignoring surrounding spaces; so do stage names, which
also ignore ``_``/``-`` versus space.  The schema and the defaults are documented in
``docs/ats-import.md``.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

__all__ = [
    "COLUMNS",
    "DEFAULT_STAGES",
    "REQUIRED",
    "TABLES",
    "AtsMapping",
    "load_mapping",
    "stage_key",
]

TableName = Literal["candidates", "roles", "applications", "history", "credentials", "holdings"]
TABLES: tuple[str, ...] = TableName.__args__  # type: ignore[attr-defined]
OPTIONAL_TABLES = ("history", "credentials", "holdings")

# Every column the importer reads, per table; REQUIRED ones must be in the export.
COLUMNS: dict[str, tuple[str, ...]] = {
    "candidates": (
        "candidate_id",
        "resume_text",
        "headline",
        "skills",
        "years_experience",
        "location",
        "open_to_remote",
        "is_employee",
        "current_role_id",
        "profile_at",
    ),
    "roles": (
        "role_id",
        "title",
        "description",
        "required_skills",
        "optional_skills",
        "location",
        "remote",
        "seniority",
        "team",
        "opened_at",
    ),
    "applications": (
        "candidate_id",
        "role_id",
        "applied_at",
        "stage",
        "hired_at",
        "left_at",
        "observed_until",
    ),
    "history": ("candidate_id", "title", "started_at", "ended_at", "occupation"),
    "credentials": (
        "credential_id",
        "name",
        "issuer",
        "description",
        "skills",
        "level",
        "validity_months",
    ),
    "holdings": ("candidate_id", "credential_id", "issued_at", "expires_at", "verified"),
}
REQUIRED: dict[str, tuple[str, ...]] = {
    "candidates": ("candidate_id", "resume_text"),
    "roles": ("role_id", "title", "description"),
    "applications": ("candidate_id", "role_id", "applied_at", "stage"),
    "history": ("candidate_id", "title", "started_at"),
    "credentials": ("credential_id", "name"),
    "holdings": ("candidate_id", "credential_id", "issued_at"),
}

# Stage names most ATS use, by the world's ordinal (0 applied, 1 screened, 2 interviewed,
# 3 offered, 4 hired); the digits 0-4 are accepted too.  A stage is the furthest one reached.
DEFAULT_STAGES: dict[str, int] = {
    **dict.fromkeys(["applied", "application", "new", "submitted", "application review"], 0),
    **dict.fromkeys(
        ["screen", "screened", "screening", "phone screen", "recruiter screen", "assessment"], 1
    ),
    **dict.fromkeys(["interview", "interviewed", "interviewing", "onsite", "final interview"], 2),
    **dict.fromkeys(["offer", "offered", "offer extended", "offer declined"], 3),
    **dict.fromkeys(["hired", "hire", "started", "joined"], 4),
    **{str(i): i for i in range(5)},
}


def stage_key(name: object) -> str:
    """How a stage name is compared: lower case, ``_``/``-`` as spaces, spaces collapsed."""
    return " ".join(str(name).lower().replace("_", " ").replace("-", " ").split())


class AtsMapping(BaseModel):
    """How an export's files, headers and stage names map onto the schema (module doc)."""

    model_config = ConfigDict(extra="forbid")

    files: dict[TableName, str] = Field(
        default_factory=dict, description="table -> file name in the export folder"
    )
    columns: dict[TableName, dict[str, str]] = Field(
        default_factory=dict, description="table -> {schema column: export header}"
    )
    stages: dict[str, int] = Field(
        default_factory=dict, description="export stage name -> 0..4, added to DEFAULT_STAGES"
    )
    default_stages: bool = Field(True, description="false: only the names under 'stages' count")
    date_format: str | None = Field(None, description="strftime format; None = ISO 8601")
    list_separators: str = Field(
        ";,|", min_length=1, description="characters that split a skills cell (JSON arrays too)"
    )
    observed_until: dt.date | None = Field(
        None, description="the export date; None = the latest date in the export"
    )

    @field_validator("columns")
    @classmethod
    def _known_columns(cls, value: dict[str, dict[str, str]]) -> dict[str, dict[str, str]]:
        for table, cols in value.items():
            unknown = sorted(set(cols) - set(COLUMNS[table]))
            if unknown:
                raise ValueError(
                    f"{table}: unknown schema column(s) {unknown}; "
                    f"expected some of {list(COLUMNS[table])}"
                )
        return value

    @field_validator("stages")
    @classmethod
    def _ordinals(cls, value: dict[str, int]) -> dict[str, int]:
        bad = {k: v for k, v in value.items() if not 0 <= v <= 4}
        if bad:
            raise ValueError(f"every value must be an int in [0, 4]. Got {bad}")
        return value

    def file(self, table: str) -> str:
        """The file name of ``table`` in the export folder."""
        return self.files.get(table, f"{table}.csv")  # type: ignore[call-overload]

    def header(self, table: str, column: str) -> str:
        """The export's header for schema ``column`` of ``table``."""
        return self.columns.get(table, {}).get(column, column)  # type: ignore[call-overload]

    def stage_table(self) -> dict[str, int]:
        """Normalised stage name -> ordinal, the mapping's names over the defaults."""
        table = dict(DEFAULT_STAGES) if self.default_stages else {}
        table.update({stage_key(k): v for k, v in self.stages.items()})
        return table


def load_mapping(source: str | Path | dict[str, Any] | AtsMapping | None) -> AtsMapping:
    """An :class:`AtsMapping` from a YAML/JSON file, a dict, a mapping or ``None`` (defaults).

    Raises ``ValueError`` naming the file and the key that is wrong.
    """
    if source is None:
        return AtsMapping()
    if isinstance(source, AtsMapping):
        return source
    where = "mapping"
    raw: Any = source
    if not isinstance(source, dict):
        path = Path(source)
        where = str(path)
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise ValueError(f"{path}: mapping file not found") from None
        try:
            raw = json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
        except (json.JSONDecodeError, yaml.YAMLError) as err:
            raise ValueError(f"{path}: not valid {path.suffix[1:] or 'YAML'}: {err}") from None
        raw = raw or {}
    if not isinstance(raw, dict):
        raise ValueError(
            f"{where}: expected a mapping at the top level, found {type(raw).__name__}"
        )
    try:
        return AtsMapping.model_validate(raw)
    except ValidationError as err:
        lines = [f"{where}: {len(err.errors())} problem(s) in the column mapping"]
        for e in err.errors():
            key = ".".join(str(p) for p in e["loc"]) or "(top level)"
            found = "" if e["type"] == "value_error" else f" (found {e.get('input')!r})"
            lines.append(f"  {key}: {e['msg'].removeprefix('Value error, ')}{found}")
        raise ValueError("\n".join(lines)) from None
