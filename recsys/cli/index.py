"""``recsys index build|search|info``: a thin shell over :mod:`recsys.index`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from recsys.cli.choices import IndexKind

index_app = typer.Typer(
    name="index", help="Build, search and inspect the vector indexes.", no_args_is_help=True
)


def _settings(config: Path | None):  # -> IndexSettings
    from recsys.config import load_config
    from recsys.index import IndexSettings

    return load_config(config, IndexSettings) if config else IndexSettings()


@index_app.command("build")
def build(
    world: Annotated[Path, typer.Option(help="World folder to index.")],
    out: Annotated[Path, typer.Option(help="Folder to write the four indexes into.")],
    config: Annotated[
        Path | None, typer.Option(help="YAML with embedding/index sections (configs/index.yaml).")
    ] = None,
    model: Annotated[
        str | None,
        typer.Option(help="Override embedding.model (a name, a path, or hashing:<dim>)."),
    ] = None,
) -> None:
    """Embed every candidate, role, contract and credential of WORLD and write one index per kind."""
    import time

    from recsys.data import load_world
    from recsys.embedding import make_encoder
    from recsys.index import build_indexes

    settings = _settings(config)
    if model is not None:
        settings.embedding.model = model
    encoder = make_encoder(settings.embedding)
    started = time.perf_counter()
    built = build_indexes(load_world(world), encoder, out, settings.index)
    for kind, index in built.items():
        typer.echo(f"  {kind:<12} {len(index):>9,}  {index.factory_}")
    typer.echo(
        f"Wrote {len(built)} indexes ({encoder.model_id}, dim {encoder.dim}) to {out} "
        f"in {time.perf_counter() - started:.1f}s"
    )


def _parse_filters(pairs: list[str]) -> dict[str, object]:
    filters: dict[str, object] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise typer.BadParameter(
                f"expected key=value (e.g. credential=cr:py, is_employee=true). Got {pair!r}.",
                param_hint="--filter",
            )
        values = [v for v in value.split(",") if v]
        filters[key.strip()] = values if len(values) > 1 else value
    return filters


@index_app.command("search")
def search(
    index: Annotated[Path, typer.Option(help="Index folder written by `recsys index build`.")],
    text: Annotated[str, typer.Option(help="Query text (e.g. a role description).")],
    kind: Annotated[IndexKind, typer.Option(help="Which index to search.")] = IndexKind.candidates,
    k: Annotated[int, typer.Option(help="Number of results.", min=1)] = 10,
    filter: Annotated[
        list[str] | None,
        typer.Option(
            "--filter",
            help="key=value, repeatable; a,b = all of (lists) / any of (scalars). "
            "Keys: location, remote, location_or_remote, is_employee, credential, skill, …",
        ),
    ] = None,
    config: Annotated[
        Path | None, typer.Option(help="YAML (embedding device/cache, nprobe…).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print results as JSON.")] = False,
) -> None:
    """Embed TEXT with the index's model and print the top-k entities of KIND."""
    from recsys.embedding import encoder_for_model_id
    from recsys.index import IndexLoadError, load_index, read_manifest

    kind = kind.value
    filters = _parse_filters(filter or [])
    settings = _settings(config)
    try:
        manifest = read_manifest(index, kind)
        encoder = encoder_for_model_id(manifest["model_id"], settings.embedding)
        vindex = load_index(
            index, kind, model_id=encoder.model_id, dim=encoder.dim, config=settings.index
        )
    except IndexLoadError as err:
        typer.echo(f"Error: {err}", err=True)
        raise typer.Exit(1) from None
    try:
        hits = vindex.search(encoder.encode([text])[0], k=k, filters=filters)
    except ValueError as err:
        raise typer.BadParameter(str(err), param_hint="--filter") from None
    if as_json:
        typer.echo(json.dumps([{"id": i, "score": round(s, 6)} for i, s in hits], indent=2))
        return
    from recsys.cli.render import print_table

    right = {"justify": "right", "no_wrap": True}
    print_table(
        [("#", right), ("score", right), kind.rstrip("s") + " id"],
        [[rank, f"{score:.4f}", entity_id] for rank, (entity_id, score) in enumerate(hits, 1)],
        title=f"{kind} nearest to the text",
    )
    if len(hits) < k:
        typer.echo(f"({len(hits)} of {k} requested: no more {kind} match the filters)")


@index_app.command("info")
def info(
    index: Annotated[Path, typer.Argument(help="Index folder.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the manifests as JSON.")] = False,
) -> None:
    """Show each index's manifest: model, dim, count, factory, sha256, created_at."""
    from recsys.index import read_manifest
    from recsys.text import KINDS

    manifests = {k: read_manifest(index, k) for k in KINDS if (index / f"{k}.json").exists()}
    if not manifests:
        typer.echo(f"Error: {index}: no index manifests (<kind>.json) found", err=True)
        raise typer.Exit(1)
    if as_json:
        typer.echo(json.dumps(manifests, indent=2))
        return
    from recsys.cli.render import print_table

    encoders = {m["model_id"] for m in manifests.values()}
    one = len(encoders) == 1
    rows = []
    for kind, m in manifests.items():
        size = (index / f"{kind}.faiss").stat().st_size
        row = [kind, f"{m['count']:,}", m["factory"], m["dim"], f"{size / 2**20:.1f}"]
        rows.append(
            row
            + ([] if one else [m["model_id"]])
            + [m["sha256"][:12], str(m["created_at"])[:16].replace("T", " ")]
        )
    right = {"justify": "right", "no_wrap": True}
    columns = ["index", ("vectors", right), "factory", ("dim", right), ("MiB", right)]
    columns += [] if one else ["encoder"]
    columns += [("sha256", {"no_wrap": True}), ("created (UTC)", {"no_wrap": True})]
    encoder = f" (encoder {next(iter(encoders))})" if one else ""
    print_table(columns, rows, title=f"Indexes in {index}{encoder}")


def register(app: typer.Typer) -> None:
    """Add the ``index`` sub-app to the main app."""
    app.add_typer(index_app, name="index")
