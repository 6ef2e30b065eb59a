"""``recsys shortlist``, ``recsys roles-for``, ``recsys serve`` and ``recsys score``.

Thin shells over :class:`recsys.recommender.Recommender`, :func:`recsys.serving.api.create_app` and
:func:`recsys.serving.batch.score_pool`; heavy imports happen inside the commands.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Annotated, Any

import typer

from recsys.cli.choices import Engine, LogLevel

ModelOpt = Annotated[
    str, typer.Option("--model", help="Bundle folder, models:/recsys@champion or runs:/<id>/…")
]
WeightOpt = Annotated[
    float | None, typer.Option(min=0.0, max=1.0, help="0–1; default from the model.")
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]
ConfigOpt = Annotated[
    Path | None, typer.Option(help="configs/serve.yaml (limits, batch, overrides).")
]
StoreOpt = Annotated[
    str | None,
    typer.Option(
        "--store",
        help="Live store (folder or sqlite:/// URI): rank its current candidates and roles "
        "instead of the model's training world.",
    ),
]


DEFAULT_EVENT_LOG = "logs/events"  # relative to where the server runs


def _filters(values: list[str] | None) -> dict[str, object] | None:
    if not values:
        return None
    out: dict[str, object] = {}
    for item in values:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise typer.BadParameter(
                f"Filters are KEY=VALUE. Got {item!r} instead.", param_hint="--filter"
            )
        out[key] = value
    return out


def _fairness(values: list[str] | None) -> dict[str, object] | None:
    """``attribute=gender min_ratio=0.8`` or ``targets.female=0.45 …`` → shortlist's option."""
    if not values:
        return None
    out: dict[str, object] = {}
    for item in values:
        key, sep, value = item.partition("=")
        if not sep or not key or not value:
            raise typer.BadParameter(
                "Fairness settings are KEY=VALUE: attribute=NAME, min_ratio=R or "
                f"targets.GROUP=SHARE, min_share=S, every_prefix=true|false. Got {item!r} instead.",
                param_hint="--fairness",
            )
        if key == "attribute":
            out[key] = value
        elif key == "every_prefix":
            if value.lower() not in ("true", "false"):
                raise typer.BadParameter(
                    f"every_prefix is true or false. Got {value!r} instead.",
                    param_hint="--fairness",
                )
            out[key] = value.lower() == "true"
        else:
            try:
                number = float(value)
            except ValueError:
                raise typer.BadParameter(
                    f"{key} takes a number. Got {value!r} instead.", param_hint="--fairness"
                ) from None
            if key.startswith("targets."):
                out.setdefault("targets", {})[key.removeprefix("targets.")] = number  # type: ignore[index]
            else:
                out[key] = number  # unknown keys are named by the library's check
    return out


def _load(model: str, config: Path | None, store: str | None = None):
    os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
    from recsys.recommender import Recommender
    from recsys.serving.settings import load_serve_config

    settings = load_serve_config(config)
    rec = Recommender.from_uri(
        model, config=settings.recommender, store=store, paged=settings.store_paged
    )
    if store is None and not rec.holds_data:  # a registered model: the data is in a store
        typer.echo(
            f"Note: {model} is a model bundle (no candidates or roles); it answers free text "
            "only. Give --store DIR to rank a store's candidates and roles.",
            err=True,
        )
    return rec


def _headlines(rec, ids: list[str]) -> dict[str, str]:
    """Candidate id → headline, for the ids the recommender's data knows (none for a model
    bundle answering free text)."""
    try:
        cards = rec.candidate_cards(ids)
    except (AttributeError, KeyError, ValueError):
        return {}
    return {str(c["candidate_id"]): c["headline"] for c in cards if c.get("headline")}


def _title(result, id_col: str, query: str) -> str:
    """The table's title: what was ranked, for which role or candidate."""
    frame = result.frame
    if id_col == "candidate_id":
        role_title = str(frame["title"].iloc[0]) if len(frame) and "title" in frame else ""
        return f"Shortlist for {query}" + (f" · {role_title}" if role_title else "")
    return f"Roles for {query}"


def _print(result, as_json: bool, id_col: str, rec=None, query: str = "") -> None:
    if as_json:
        typer.echo(json.dumps(result.to_dict(), indent=2, default=str))
        return
    from recsys.cli.render import console, ranking_table

    ids = [str(c) for c in result.frame["candidate_id"]] if len(result.frame) else []
    headlines = _headlines(rec, ids) if rec is not None and id_col == "candidate_id" else {}
    out = console()
    out.print(
        ranking_table(result, id_col, headlines=headlines, title=_title(result, id_col, query))
    )
    fair = result.manifest.get("fairness")
    if fair:
        cost = fair.get("ndcg_cost")
        out.print(
            f"re-ranked by {fair['attribute']} ({fair['mode']}): lowest impact ratio "
            f"{_num(fair.get('min_impact_ratio_before'))} -> "
            f"{_num(fair.get('min_impact_ratio_after'))}, NDCG cost "
            f"{_num(cost)}{'' if fair.get('feasible') else ' (constraint not met: see --json)'}",
            markup=False,
        )


def _num(x: float | None) -> str:
    return "n/a" if x is None else f"{x:.3f}"


def shortlist(
    model: ModelOpt,
    role: Annotated[str | None, typer.Option("--role", help="Role id to shortlist for.")] = None,
    jd: Annotated[
        Path | None, typer.Option("--jd", help="File with a free-text job description.")
    ] = None,
    k: Annotated[int, typer.Option(min=1, max=1000, help="How many candidates (1–1000).")] = 20,
    filter_: Annotated[
        list[str] | None, typer.Option("--filter", help="KEY=VALUE candidate filter, repeatable.")
    ] = None,
    retention_weight: WeightOpt = None,
    as_json: JsonOpt = False,
    config: ConfigOpt = None,
    store: StoreOpt = None,
    fairness: Annotated[
        list[str] | None,
        typer.Option(
            "--fairness",
            help="Re-rank for representation (off by default; can be unlawful for selection "
            "decisions in some jurisdictions: docs/fairness.md). KEY=VALUE, repeatable: "
            "attribute=gender plus min_ratio=0.8 or targets.GROUP=SHARE; needs group data "
            "(--store).",
        ),
    ] = None,
) -> None:
    """Rank candidates for a role (or a JD file) with fit, retention, combined score and reasons."""
    option = _fairness(fairness)
    rec = _load(model, config, store)
    text = jd.read_text("utf-8") if jd is not None else None
    result = rec.shortlist(
        role_id=role,
        job_description=text,
        k=k,
        filters=_filters(filter_),
        retention_weight=retention_weight,
        fairness=option,
    )
    _print(result, as_json, "candidate_id", rec, role or f"the job description in {jd}")


def roles_for(
    model: ModelOpt,
    candidate: Annotated[str | None, typer.Option("--candidate", help="Candidate id.")] = None,
    resume: Annotated[
        Path | None, typer.Option("--resume", help="File with a free-text résumé.")
    ] = None,
    k: Annotated[int, typer.Option(min=1, max=1000, help="How many roles (1–1000).")] = 20,
    filter_: Annotated[
        list[str] | None, typer.Option("--filter", help="KEY=VALUE role filter.")
    ] = None,
    retention_weight: WeightOpt = None,
    as_json: JsonOpt = False,
    config: ConfigOpt = None,
    store: StoreOpt = None,
) -> None:
    """Rank roles for a candidate (internal mobility) or a résumé file (job seekers)."""
    rec = _load(model, config, store)
    text = resume.read_text("utf-8") if resume is not None else None
    result = rec.roles_for(
        candidate_id=candidate,
        resume_text=text,
        k=k,
        filters=_filters(filter_),
        retention_weight=retention_weight,
    )
    _print(result, as_json, "role_id", rec, candidate or f"the résumé in {resume}")


def _listening(host: str, port: int, workers: int = 1) -> str:
    """The line ``recsys serve`` prints: the URL to open (an any-address bind is reached
    locally at 127.0.0.1 / ::1), the page and the API docs."""
    local = {"0.0.0.0": "127.0.0.1", "": "127.0.0.1", "::": "::1"}.get(host, host)
    url = f"http://[{local}]:{port}" if ":" in local else f"http://{local}:{port}"
    where = f" (bound to {host}: every interface)" if local != host else ""
    who = f"{workers} workers" if workers > 1 else "recsys serve"
    return (
        f"{who} listening on {url}{where}: recruiter page {url}/, API docs {url}/docs; "
        "Ctrl+C stops."
    )


def serve(
    model: ModelOpt,
    host: Annotated[str, typer.Option(help="Interface to bind.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=0, max=65535, help="TCP port.")] = 8000,
    key_file: Annotated[
        Path | None, typer.Option(help="API keys, one per line (else RECSYS_API_KEYS).")
    ] = None,
    config: ConfigOpt = None,
    log_level: Annotated[LogLevel, typer.Option(help="uvicorn log level.")] = LogLevel.warning,
    workers: Annotated[
        int,
        typer.Option(
            min=1,
            help="uvicorn worker processes; requests are CPU-bound, so one per core.",
        ),
    ] = 1,
    share_model: Annotated[
        bool,
        typer.Option(
            help="--workers N: load the model once and fork the workers, which share its memory "
            "(else each loads its own: memory x N).",
        ),
    ] = True,
    store: StoreOpt = None,
    event_log: Annotated[
        str | None,
        typer.Option(
            "--event-log",
            help="Folder of the append-only log of answered requests (EU AI Act Art. 12; "
            "docs/serving.md); 'off' to disable. Default: event_log in --config, else logs/events.",
        ),
    ] = None,
) -> None:
    """Serve the HTTP API (/v1/shortlist, /v1/roles-for, /v1/score, /metrics, /docs) and the web
    page; with --store also POST /v1/candidates, POST /v1/roles and DELETE /v1/candidates/{id}."""
    import uvicorn

    from recsys.serving import api
    from recsys.serving.settings import load_serve_config

    os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
    settings = load_serve_config(config)
    if key_file is not None:
        settings.api.key_file = key_file
    if event_log is not None or settings.event_log is None:
        chosen = event_log or DEFAULT_EVENT_LOG
        settings.event_log = None if chosen.lower() == "off" else chosen
    try:
        app = api.create_app(model, settings=settings, store=store)  # keys checked, model later
    except ValueError as err:  # no API keys, a bad key file: say so without a traceback
        typer.echo(f"Error: {err}", err=True)
        raise typer.Exit(2) from None
    if workers == 1:
        server = uvicorn.Config(app, host=host, port=port, log_level=log_level.value)
        sock = server.bind_socket()  # bound here, so the URL names the real port (--port 0)
        typer.echo(_listening(host, sock.getsockname()[1]))
        uvicorn.Server(server).run(sockets=[sock])
        return
    # N processes, one SO_REUSEPORT socket each (recsys.serving.workers says why not uvicorn's)
    from recsys.serving.workers import run_workers, share_of_cores

    if share_model:  # loaded and warmed here once, then forked: the workers share its memory
        if store is not None:
            settings = settings.model_copy(update={"store": str(store)})

        def preload() -> Any:
            rec = api._load(model, settings)
            return lambda: api.create_app(model, recommender=rec, settings=settings)

        typer.echo(_listening(host, port, workers))
        run_workers("recsys serve", workers, host, port, log_level.value, preload=preload)
        return
    # spawned: each builds its app from these variables and loads the model in its own lifespan
    os.environ[api.ENV_MODEL] = model
    for name, path in ((api.ENV_CONFIG, config), (api.ENV_KEY_FILE, key_file)):
        if path is not None:
            os.environ[name] = str(Path(path).resolve())
    if store is not None:
        os.environ[api.ENV_STORE] = store
    os.environ[api.ENV_EVENT_LOG] = settings.event_log or "off"
    share_of_cores(workers)
    typer.echo(_listening(host, port, workers))
    run_workers("recsys.serving.api:app_from_env", workers, host, port, log_level.value)


def score(
    model: ModelOpt,
    pool: Annotated[
        Path, typer.Option(help="Pairs file, or a folder with pairs/candidates/roles.")
    ],
    out: Annotated[Path, typer.Option(help="Output .parquet or .csv (written atomically).")],
    top_k: Annotated[
        int | None, typer.Option(min=1, help="Keep the best K candidates per role.")
    ] = None,
    engine: Annotated[Engine, typer.Option(help="Where to score.")] = Engine.local,
    chunk_size: Annotated[
        int | None, typer.Option(min=1, help="Pairs per chunk (checkpoint unit).")
    ] = None,
    retention_weight: WeightOpt = None,
    restart: Annotated[bool, typer.Option(help="Ignore checkpoints of an earlier run.")] = False,
    config: ConfigOpt = None,
    store: StoreOpt = None,
) -> None:
    """Score a pool in chunks (resumable after a kill) and print a JSON summary."""
    from recsys.serving.settings import load_serve_config

    settings = load_serve_config(config)
    chunk = chunk_size or settings.batch.chunk_size
    if engine is Engine.spark and store is not None:
        raise typer.BadParameter(
            "the Spark engine scores a pool folder; export the store first "
            "(recsys store export) or use --engine local.",
            param_hint="--store",
        )
    if engine is Engine.spark:
        from recsys.serving.spark import score_pool_spark

        summary = score_pool_spark(
            model,
            pool,
            out,
            top_k=top_k,
            retention_weight=retention_weight,
            master=settings.batch.spark_master,
            partitions=settings.batch.spark_partitions,
        )
    else:
        from recsys.serving.batch import Pool, check_output, score_pool

        pool_ = Pool(pool)  # the whole pool and the output path checked before the model loads
        check_output(out, pool_)
        rec = _load(model, config, store)
        summary = score_pool(
            rec,
            pool_,
            out,
            top_k=top_k,
            chunk_size=chunk,
            retention_weight=retention_weight,
            resume=not restart,
        )
    typer.echo(json.dumps(summary, indent=2))


def register(app: typer.Typer) -> None:
    """Add this area's commands to the main app."""
    app.command()(shortlist)
    app.command("roles-for")(roles_for)
    app.command()(serve)
    app.command()(score)
