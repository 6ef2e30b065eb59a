"""``recsys generate``, ``recsys validate`` and ``recsys summary``: worlds in, worlds out."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from recsys.cli.choices import TableFormat


def _print_summary(summary: dict) -> None:
    typer.echo("World summary")
    for name, count in summary["counts"].items():
        typer.echo(f"  {name:<12} {count:>10,}")
    typer.echo("Funnel stages (applications)")
    total = max(sum(summary["stages"].values()), 1)
    for stage, count in summary["stages"].items():
        bar = "#" * round(40 * count / total)
        typer.echo(f"  {stage:<12} {count:>10,}  {bar}")
    rate = summary["censoring_rate"]
    typer.echo(
        f"Hires: {summary['hires']:,}; censoring rate "
        f"{'n/a' if rate is None else f'{rate:.1%}'} (still employed at observed_until)"
    )
    apr = summary["applicants_per_role"]
    typer.echo(f"Applicants per role: mean {apr['mean']:.1f} (min {apr['min']}, max {apr['max']})")
    typer.echo(f"Candidates holding a credential: {summary['credential_coverage']:.1%}")


def generate(
    out: Annotated[
        Path,
        typer.Option(help="Folder to write the world into (an existing world there is replaced)."),
    ],
    candidates: Annotated[int | None, typer.Option(help="Number of candidates.")] = None,
    roles: Annotated[int | None, typer.Option(help="Number of roles.")] = None,
    seed: Annotated[int | None, typer.Option(help="Random seed; same seed, same bytes.")] = None,
    config: Annotated[
        Path | None, typer.Option(help="World config YAML (configs/world-*.yaml).")
    ] = None,
    fmt: Annotated[
        TableFormat, typer.Option("--format", help="File format of the tables.")
    ] = TableFormat.parquet,
) -> None:
    """Generate an example world (real ESCO/O*NET taxonomy, planted outcomes, truth/ beside it)."""
    from recsys.config import load_config
    from recsys.data.generate import WorldConfig, generate_world

    overrides = {"candidates": candidates, "roles": roles, "seed": seed}
    cfg = (
        load_config(config, WorldConfig, **overrides)
        if config
        else WorldConfig(**{k: v for k, v in overrides.items() if v is not None})
    )
    path = generate_world(out, config=cfg, fmt=fmt.value)
    typer.echo(f"Wrote world to {path}")


def validate(
    world: Annotated[Path, typer.Argument(help="World folder to check.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print problems as JSON.")] = False,
) -> None:
    """Check every table and reference of a world; exit 1 listing each problem found."""
    from dataclasses import asdict

    from recsys.data import validate_world

    problems = validate_world(world)
    if as_json:
        typer.echo(
            json.dumps({"valid": not problems, "problems": [asdict(p) for p in problems]}, indent=2)
        )
    elif problems:
        typer.echo(f"{world}: {len(problems)} problem(s)", err=True)
        for p in problems:
            typer.echo(f"  - {p}", err=True)
    else:
        typer.echo(f"{world}: valid")
    raise typer.Exit(1 if problems else 0)


def summary(
    world: Annotated[Path, typer.Argument(help="World folder.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print as JSON.")] = False,
) -> None:
    """Counts per entity, funnel stage histogram, censoring rate."""
    from recsys.data import WorldValidationError, load_world

    try:
        loaded = load_world(world)
    except WorldValidationError as err:
        typer.echo(str(err), err=True)
        raise typer.Exit(1) from None
    info = loaded.summary()
    if as_json:
        typer.echo(json.dumps(info, indent=2))
    else:
        _print_summary(info)


def register(app: typer.Typer) -> None:
    """Add this area's commands to the main app."""
    app.command()(generate)
    app.command()(validate)
    app.command()(summary)
