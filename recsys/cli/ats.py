"""``recsys import --from ats-csv DIR --out WORLD``: a thin shell over :mod:`recsys.data.ats`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from recsys.cli.choices import AtsSource, TableFormat


def import_cmd(
    src: Annotated[
        Path, typer.Argument(help="Export folder: candidates.csv, roles.csv, applications.csv, …")
    ],
    out: Annotated[Path, typer.Option(help="World folder to write.")],
    source: Annotated[
        AtsSource, typer.Option("--from", help="What the export is; only 'ats-csv' so far.")
    ] = AtsSource.ats_csv,
    mapping: Annotated[
        Path | None,
        typer.Option(help="YAML/JSON column and stage mapping (docs/ats-import.md)."),
    ] = None,
    overwrite: Annotated[
        bool, typer.Option("--overwrite", help="Replace an existing world at --out.")
    ] = False,
    observed_until: Annotated[
        str | None,
        typer.Option(help="The export date, YYYY-MM-DD (default: the latest date in the export)."),
    ] = None,
    encoder: Annotated[
        str,
        typer.Option(
            help="Skill reader's encoder for résumés and descriptions without a skills column: "
            "'default' (the packaged MiniLM, as training), 'none' (unambiguous phrases only, "
            "fast), 'hashing:<dim>' or a sentence-transformers path."
        ),
    ] = "default",
    cache_dir: Annotated[Path | None, typer.Option(help="Embedding cache folder.")] = Path(
        ".cache/embeddings"
    ),
    fmt: Annotated[
        TableFormat, typer.Option("--format", help="File format of the world's tables.")
    ] = TableFormat.parquet,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the import report as JSON.")
    ] = False,
) -> None:
    """Import an applicant-tracking-system export as a world (then `recsys train --world`)."""
    from recsys.data import WorldValidationError
    from recsys.data.ats import import_ats_csv

    enc: object = encoder
    if encoder == "none":
        enc = None
    elif encoder != "default":
        from recsys.embedding import EmbeddingConfig, make_encoder

        enc = make_encoder(EmbeddingConfig(model=encoder, cache_dir=cache_dir))
    try:
        report = import_ats_csv(
            src,
            out,
            mapping,
            encoder=enc,
            cache_dir=cache_dir,
            observed_until=observed_until,
            overwrite=overwrite,
            fmt=fmt.value,
        )
    except WorldValidationError as err:
        typer.echo(f"{src}: nothing written to {out}; {err}", err=True)
        raise typer.Exit(1) from None
    except (ValueError, FileExistsError) as err:
        typer.echo(f"Error: {err}", err=True)
        raise typer.Exit(1) from None
    if as_json:
        typer.echo(json.dumps(report.to_dict(), indent=2))
        return
    counts = ", ".join(f"{n} {name}" for name, n in report.counts.items() if n)
    typer.echo(f"Wrote world to {report.path} ({counts}) in {report.seconds:.1f} s")
    typer.echo("Stages: " + ", ".join(f"{k} {v}" for k, v in report.stages.items()))
    s = report.skills
    typer.echo(
        f"Skills: {s['world_skills']} in the world; read from text for "
        f"{s['candidates_read_from_text']} candidates and {s['roles_read_from_text']} roles"
    )
    if report.unresolved_skills:
        shown = ", ".join(report.unresolved_skills[:10])
        more = len(report.unresolved_skills) - 10
        typer.echo(
            f"Skill names not in the taxonomy (kept as skills of their own): {shown}"
            + (f" … and {more} more" if more > 0 else "")
        )
    typer.echo(f"Observed until {report.observed_until}; derived: {report.derived}")
    ignored = {t: cols for t, cols in report.ignored_columns.items() if cols}
    if ignored:
        typer.echo(f"Columns not read: {ignored}")


def register(app: typer.Typer) -> None:
    """Add this area's commands to the main app."""
    app.command("import")(import_cmd)
