"""``recsys audit``: the adverse-impact audit of scored pairs or shortlists, a thin shell over
:func:`recsys.fairness.audit` (docs/fairness.md)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from recsys.cli.choices import AuditPool, AuditTest

GROUP_FILES = ("groups.parquet", "groups.csv", "groups.jsonl")


def _groups_file(path: Path) -> Path:
    """A groups file, or the groups table of a world folder."""
    if path.is_dir():
        found = next((path / n for n in GROUP_FILES if (path / n).is_file()), None)
        if found is None:
            raise typer.BadParameter(
                f"{path} is a folder without {', '.join(GROUP_FILES)}.", param_hint="--groups"
            )
        return found
    return path


def audit(
    scores: Annotated[
        Path,
        typer.Option(
            help="Scored pairs (recsys score output; role_id, candidate_id, score[, rank, "
            "selected]) or a shortlist JSON (recsys shortlist --json): .parquet/.csv/.jsonl/.json."
        ),
    ],
    groups: Annotated[
        Path,
        typer.Option(help="Groups table (candidate_id + protected attributes) or a world folder."),
    ],
    out: Annotated[Path, typer.Option(help="HTML report to write (plots embedded).")],
    k: Annotated[
        int | None,
        typer.Option("--k", min=1, help="Selected = top K per role (else the 'selected' column)."),
    ] = None,
    attributes: Annotated[
        str | None,
        typer.Option(help="Comma-separated attributes to audit (default: every groups column)."),
    ] = None,
    alpha: Annotated[
        float, typer.Option(help="Significance level of the tests (intervals: 1 - alpha).")
    ] = 0.05,
    min_share: Annotated[
        float, typer.Option(help="Categories under this share of the pairs get no impact ratio.")
    ] = 0.02,
    pool: Annotated[
        AuditPool,
        typer.Option(
            help="Applicants per role: 'scores' (its scored rows) or 'groups' (every groups row: "
            "for a shortlist, which lists only the selected)."
        ),
    ] = AuditPool.scores,
    test: Annotated[
        AuditTest,
        typer.Option(
            help="Significance test: 'fisher' (exact test over pairs: assumes independent pairs), "
            "'permutation' (shuffles the candidates' labels: valid when a candidate is in many "
            "roles' pools) or 'auto' (fisher when every candidate is at most one pair, else "
            "permutation)."
        ),
    ] = AuditTest.auto,
    permutations: Annotated[
        int,
        typer.Option(
            min=1, help="Permutations of the permutation test (p-values no smaller than 1/(N+1))."
        ),
    ] = 2000,
    seed: Annotated[int, typer.Option(min=0, help="Seed of the permutation test.")] = 0,
    as_json: Annotated[bool, typer.Option("--json", help="Print the audit as JSON.")] = False,
) -> None:
    """Adverse-impact audit (NYC Local Law 144): selection and scoring rates, impact ratios, the
    four-fifths flag confirmed by a significance test (Fisher's exact test over pairs, or a
    candidate-level permutation test when candidates repeat across roles), per category and
    intersection."""
    from recsys.fairness import AuditInputError
    from recsys.fairness import audit as run

    names = None if attributes is None else [a.strip() for a in attributes.split(",") if a.strip()]
    try:
        report = run(
            scores,
            _groups_file(groups),
            k=k,
            attributes=names,
            alpha=alpha,
            min_share=min_share,
            pool=pool.value,  # type: ignore[arg-type]
            test=test.value,  # type: ignore[arg-type]
            permutations=permutations,
            seed=seed,
        )
    except AuditInputError as err:
        typer.echo(f"error: {err}", err=True)
        raise typer.Exit(2) from None
    except ValueError as err:
        raise typer.BadParameter(str(err)) from None
    report.to_html(out)
    if as_json:
        typer.echo(json.dumps(report.to_dict(), indent=2))
        return
    info = report.to_dict()
    s = info["summary"]
    typer.echo(f"{s['pairs']:,} pairs, {s['roles']:,} roles, {s['candidates']:,} candidates")
    for measure, low in s["min_impact_ratio"].items():
        if low is not None:
            typer.echo(
                f"lowest {measure} impact ratio {low['impact_ratio']:.3f} "
                f"({low['grouping']}: {low['category']})"
            )
    for row in info["rows"]:
        if row["flagged"]:
            typer.echo(
                f"FLAGGED {row['measure']} {row['grouping']}={row['category']}: ratio "
                f"{row['impact_ratio']:.3f}, p adjusted {row['p_adjusted']:.2g}"
            )
    for u in info["unknown"]:
        typer.echo(f"unknown {u['grouping']}: {u['pairs']:,} pairs, {u['people']:,} people")
    for e in info["excluded"]:
        typer.echo(
            f"excluded (< {min_share:.0%}) {e['grouping']}={e['category']}: {e['share']:.2%}"
        )
    for note in info["notes"]:
        typer.echo(f"note: {note}")
    typer.echo(
        f"{s['flagged']} flagged ({s['four_fifths']} under the four-fifths line; "
        f"{info['params']['test']} test); wrote {out}"
    )


def verify_events(
    folder: Annotated[Path, typer.Argument(help="The event log folder (serve's --event-log).")],
) -> None:
    """Check the served-recommendation event log: every day's file parses and its hash chain is
    unbroken (an edited, inserted or removed line is named); prints the events per file."""
    from recsys.eventlog import EventLogError, verify

    if not folder.is_dir():
        raise typer.BadParameter(f"{folder} is not a folder.", param_hint="FOLDER")
    try:
        counts = verify(folder)
    except EventLogError as err:
        typer.echo(f"FAILED: {err}", err=True)
        raise typer.Exit(1) from None
    for name, n in counts.items():
        typer.echo(f"{name}: {n} events, chain intact")
    if not counts:
        typer.echo(f"No events-*.jsonl files in {folder}.")


def register(app: typer.Typer) -> None:
    """Add this area's commands to the main app."""
    app.command()(audit)
    app.command("verify-events")(verify_events)
