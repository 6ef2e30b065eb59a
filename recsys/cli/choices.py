"""The fixed value sets of the ``recsys`` options, as enums Typer turns into choices.

``--help`` lists them (``[parquet|csv|jsonl]``) and a value outside the set is refused before the
command runs, naming the option, the allowed values and the value given.  Each enum's values are
the library's own (tests/cli/test_choices_cli.py compares them), and a command hands
``option.value`` (a plain string) to the library.
"""

from __future__ import annotations

from enum import StrEnum

__all__ = [
    "AtsSource",
    "AuditPool",
    "AuditTest",
    "Engine",
    "IndexKind",
    "IngestKind",
    "LogLevel",
    "TableFormat",
]


class TableFormat(StrEnum):
    """File format of a written world (``recsys.data.write_world``)."""

    parquet = "parquet"
    csv = "csv"
    jsonl = "jsonl"


class IndexKind(StrEnum):
    """An index of ``recsys index build`` (``recsys.text.KINDS``)."""

    candidates = "candidates"
    roles = "roles"
    contracts = "contracts"
    credentials = "credentials"


class IngestKind(StrEnum):
    """The entity table of ingested CSV/Parquet/JSONL files (``recsys.ingest.records.KINDS``)."""

    candidates = "candidates"
    roles = "roles"
    history = "history"
    holdings = "holdings"


class AtsSource(StrEnum):
    """What ``recsys import`` reads."""

    ats_csv = "ats-csv"


class AuditPool(StrEnum):
    """Applicants per role in ``recsys audit``: the scored rows, or every groups row."""

    scores = "scores"
    groups = "groups"


class AuditTest(StrEnum):
    """The significance test of ``recsys audit`` (``recsys.fairness.audit``)."""

    auto = "auto"
    fisher = "fisher"
    permutation = "permutation"


class Engine(StrEnum):
    """Where ``recsys score`` runs."""

    local = "local"
    spark = "spark"


class LogLevel(StrEnum):
    """uvicorn's log levels."""

    critical = "critical"
    error = "error"
    warning = "warning"
    info = "info"
    debug = "debug"
    trace = "trace"
