"""``recsys ingest`` and ``recsys store init|info|export|erase|compact``: thin shells over
:mod:`recsys.store` and :mod:`recsys.ingest`.  Heavy imports happen inside the commands."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from recsys.cli.choices import IngestKind, TableFormat

StoreArg = Annotated[str, typer.Option("--store", help="Store folder or sqlite:/// URI.")]
ModelOpt = Annotated[
    str | None,
    typer.Option(
        "--model",
        help="Bundle folder or models:/… URI whose encoder and skill reader embed and read the "
        "texts (what that model reads when it serves the store).",
    ),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON.")]

store_app = typer.Typer(
    help="Create, inspect, export and erase from a live store.", no_args_is_help=True
)


def _model(model: str | None):
    if model is None:
        return None
    from recsys.recommender import Recommender

    return Recommender.from_uri(model)


def _open(store: str, create: bool = False):
    from recsys.store import Store

    try:
        return Store.open(store, create=create)
    except (FileNotFoundError, ValueError) as err:
        raise typer.BadParameter(str(err), param_hint="--store") from None


def ingest(
    files: Annotated[
        list[Path],
        typer.Argument(
            help="CSV/Parquet/JSONL tables, JSON Resume, JobPosting JSON-LD, PDF, DOCX."
        ),
    ],
    store: StoreArg,
    model: ModelOpt = None,
    kind: Annotated[
        IngestKind | None,
        typer.Option(help="Entity table of CSV/Parquet/JSONL files (else from the name)."),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Add or update candidates and roles in a store: skills read, texts embedded, indexes updated;
    bad records are listed and skipped."""
    from recsys.ingest import ingest as run

    if model is None:
        raise typer.BadParameter(
            "ingest needs the model whose reader and encoder will serve these texts.",
            param_hint="--model",
        )
    missing = [str(f) for f in files if not f.exists()]
    if missing:
        raise typer.BadParameter(f"no such file: {', '.join(missing)}", param_hint="FILES")
    rec = _model(model)
    from recsys.store import compact

    with _open(store, create=True) as st:
        report = run(st, files, recommender=rec, kind=None if kind is None else kind.value)
        rebuilt = compact(st, vacuum=False)  # indexes this batch outgrew, re-laid (usually none)
    out = {**report.to_dict(), "compacted": rebuilt}
    if as_json:
        typer.echo(json.dumps(out, indent=2, default=str))
    else:
        for name in out["added"]:
            typer.echo(
                f"{name:<11} added {out['added'][name]:>6}  updated {out['updated'][name]:>6}  "
                f"unchanged {out['unchanged'][name]:>6}"
            )
        typer.echo(
            f"skipped {out['skipped']} record(s); embedded {out['embedded']}; "
            f"read {out['read']} résumé(s) in {out['seconds']:.1f} s"
        )
        for err in out["errors"][:50]:
            typer.echo(f"  {err}", err=True)
        if len(out["errors"]) > 50:
            typer.echo(f"  … {len(out['errors']) - 50} more (--json lists all)", err=True)


@store_app.command("init")
def init(
    store: StoreArg,
    world: Annotated[Path, typer.Option(help="World folder to load into the store.")],
    model: ModelOpt = None,
) -> None:
    """Load a world into a store (created when missing).  With --model, its vectors and read
    résumé skills are reused for the entities it was trained on and the rest are made with it."""
    from recsys.data import load_world
    from recsys.ingest.pipeline import load_world_into

    rec = _model(model)
    w = load_world(world)
    with _open(store, create=True) as st:
        done = load_world_into(st, w, rec)
        counts = {k: st.count(k) for k in done}
        typer.echo(json.dumps({"store": str(st.folder), "counts": counts, "version": st.version()}))


@store_app.command("info")
def info(store: StoreArg) -> None:
    """Counts per table, vectors per index, the version and index generation."""
    from recsys.data.schemas import ENTITIES
    from recsys.store.tables import EMBEDDED

    with _open(store) as st:
        out = {
            "store": str(st.folder),
            "version": st.version(),
            "generation": st.generation(),
            "counts": {k: st.count(k) for k in ENTITIES},
            "indexed": {k: (len(ix) if (ix := st.index(k)) is not None else 0) for k in EMBEDDED},
        }
    typer.echo(json.dumps(out, indent=2))


@store_app.command("export")
def export(
    store: StoreArg,
    out: Annotated[Path, typer.Option(help="World folder to write (atomic).")],
    fmt: Annotated[
        TableFormat, typer.Option("--format", help="File format of the world's tables.")
    ] = TableFormat.parquet,
    overwrite: Annotated[bool, typer.Option(help="Replace an existing folder.")] = False,
) -> None:
    """Write the store's current content as a world folder (training reads worlds)."""
    from recsys.store.world_io import export_world

    with _open(store) as st:
        path = export_world(st, out, fmt.value, overwrite=overwrite)
    typer.echo(f"Wrote world to {path}")


@store_app.command("erase")
def erase(
    store: StoreArg,
    candidate: Annotated[list[str], typer.Option("--candidate", help="Candidate id, repeatable.")],
    model: ModelOpt = None,
) -> None:
    """Erase candidates: rows, holdings, history, outcomes, vectors, read skills, and (with
    --model) their texts' vectors and those of the résumé sentences its skill reader embedded,
    in that encoder's cache; the files are compacted."""
    from recsys.ingest import erase_candidates

    rec = _model(model)
    with _open(store) as st:
        n = erase_candidates(
            st,
            candidate,
            encoder=None if rec is None else rec.encoder,
            reader=None if rec is None else rec._skills,
        )
    typer.echo(json.dumps({"erased": n, "asked": len(candidate)}))


@store_app.command("compact")
def compact(
    store: StoreArg,
    if_due: Annotated[
        bool,
        typer.Option(
            "--if-due", help="Only the indexes whose layout no longer fits their size (for cron)."
        ),
    ] = False,
) -> None:
    """Rebuild every index from its stored vectors (the factory sized for the full count: IVF
    centroids retrained) and drop old generations.  With --if-due only what
    ``recsys.store.compaction_due`` names."""
    from recsys.store import compaction
    from recsys.store.tables import EMBEDDED

    with _open(store) as st:
        due = compaction.compaction_due(st)
        kinds = list(due) if if_due else list(EMBEDDED)
        rebuilt = compaction.compact(st, kinds)
        if not rebuilt:
            st.vacuum()
    typer.echo(json.dumps({"rebuilt": rebuilt, "due": due}))


def register(app: typer.Typer) -> None:
    """Add this area's commands to the main app."""
    app.command()(ingest)
    app.add_typer(store_app, name="store")
