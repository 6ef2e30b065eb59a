"""``recsys pathways`` and ``recsys moves``: thin shells over :mod:`recsys.pathways.plan`."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from recsys.cli.serve import ConfigOpt, JsonOpt, ModelOpt, StoreOpt, WeightOpt, _load


def _name(labels: dict[str, str], ids: list[str], n: int = 6) -> str:
    shown = [labels.get(i, i) for i in ids[:n]]
    more = f" (+{len(ids) - n})" if len(ids) > n else ""
    return ", ".join(shown) + more if shown else "-"


def pathways(
    model: ModelOpt,
    candidate: Annotated[str, typer.Option("--candidate", help="Candidate id.")],
    role: Annotated[str, typer.Option("--role", help="Role id.")],
    retention_weight: WeightOpt = None,
    as_json: JsonOpt = False,
    config: ConfigOpt = None,
    store: StoreOpt = None,
) -> None:
    """A candidate's gaps for a role, the cheapest credentials closing them, and the fit,
    retention and shortlist rank before and after (the model re-scores, nothing is guessed)."""
    rec = _load(model, config, store)
    p = rec.pathway(candidate, role, retention_weight=retention_weight)
    if as_json:
        typer.echo(json.dumps(p.to_dict(), indent=2, default=str))
        return
    a, lab = p.advice, p.labels
    typer.echo(f"{candidate} for {role} (as of {a.as_of.date()})")
    typer.echo(f"  verified skills:    {_name(lab, a.verified)}")
    typer.echo(f"  claimed unverified: {_name(lab, a.claimed_unverified)}")
    typer.echo(f"  absent:             {_name(lab, a.absent)}")
    typer.echo(f"  missing contracts:  {_name(lab, a.missing_contracts)}")
    typer.echo(
        f"  credentials:        {_name(lab, a.credentials, 10)} (cost {a.cost:g}, {a.method})"
    )
    if a.uncovered_skills or a.uncovered_contracts:
        typer.echo(
            "  no credential covers: " + _name(lab, a.uncovered_skills + a.uncovered_contracts)
        )
    typer.echo(
        f"  rank {p.rank_before} -> {p.rank_after} of {p.pool + 1}; fit {p.fit_before:.3f} -> "
        f"{p.fit_after:.3f}; stay 12m {p.retention_before:.2f} -> {p.retention_after:.2f}"
    )


def moves(
    model: ModelOpt,
    candidate: Annotated[str, typer.Option("--candidate", help="Employee (candidate) id.")],
    max_new: Annotated[
        int, typer.Option("--max-new", min=0, help="Most new credentials per move.")
    ] = 2,
    k: Annotated[int, typer.Option(min=1, help="How many roles.")] = 10,
    as_json: JsonOpt = False,
    config: ConfigOpt = None,
    store: StoreOpt = None,
) -> None:
    """Internal roles an employee reaches with at most --max-new new credentials, ranked by the
    predicted fit x retention after the move, each with its credentials and unlocked contracts."""
    rec = _load(model, config, store)
    found = rec.moves(candidate, max_new=max_new, k=k)
    if as_json:
        typer.echo(json.dumps([m.to_dict() for m in found], indent=2, default=str))
        return
    if not found:
        typer.echo(f"No role within {max_new} new credentials of {candidate}.")
        return
    from recsys.cli.render import print_table

    rows = []
    for i, m in enumerate(found, 1):
        path = _name(m.labels, m.credentials) if m.credentials else "(none needed)"
        unlocks = (
            f"\nunlocks {_name(m.labels, m.contracts_unlocked)}" if m.contracts_unlocked else ""
        )
        role = f"{m.role_id}\n{m.title}" if m.title else m.role_id
        rows.append(
            [i, role, f"{m.value:.3f}", f"{m.fit:.3f}", f"{m.retention:.2f}", path + unlocks]
        )
    right = {"justify": "right", "no_wrap": True}
    print_table(
        [("#", right), "role", ("value", right), ("fit", right), ("stay 12m", right), "path"],
        rows,
        title=f"Moves for {candidate} (at most {max_new} new credentials)",
    )


def register(app: typer.Typer) -> None:
    """Add this area's commands to the main app."""
    app.command()(pathways)
    app.command()(moves)
