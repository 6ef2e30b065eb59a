"""``recsys train``, ``recsys evaluate`` and ``recsys tune``: thin shells over ``training`` (and
``recsys.pool_eval`` for ``evaluate --pool``).

``training`` is imported inside each command (``recsys`` itself never imports it at module level).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Annotated

import typer


def _env() -> None:
    os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


def _config(path: Path | None, world: Path | None):
    from recsys.config import load_config
    from recsys_training.config import TrainConfig

    cfg = load_config(path, TrainConfig) if path else TrainConfig()
    return cfg.model_copy(update={"world": world}) if world is not None else cfg


def _headline(report: dict) -> list[str]:
    rk = report["ranking"]
    lines = ["scorer          ndcg@5  ndcg@10  ndcg@20  recall@10  map"]
    for name in ("ranker", "linear", "hand_weighted", "bm25", "cosine", "oracle"):
        if name in rk:
            m = rk[name]
            lines.append(
                f"{name:<14} {m['ndcg@5']:7.4f} {m['ndcg@10']:8.4f} {m['ndcg@20']:8.4f} "
                f"{m['recall@10']:10.4f} {m['map']:6.4f}"
            )
    only = report.get("ranking_text_only", {})
    if "ranker" in only:
        names = [n for n in ("ranker", "linear", "hand_weighted", "bm25", "cosine") if n in only]
        lines.append(
            "text only (every test entity known by its text alone), ndcg@10: "
            + ", ".join(f"{n} {only[n]['ndcg@10']:.4f}" for n in names)
        )
    vs = rk.get("ranker_vs", {})
    if "ndcg@10/oracle" in vs:
        lines.append(
            f"ranker NDCG@10 = {vs['ndcg@10/oracle']:.3f} x oracle, "
            f"{vs.get('ndcg@10/best_baseline', float('nan')):.3f} x best of BM25 and cosine, "
            f"{vs.get('ndcg@10/best_simple_model', float('nan')):.3f} x best of linear and "
            "hand-weighted"
        )
    combined = report.get("combined", {})
    for target, what in (("stage", "funnel stage"), ("value", "interviewed x planted P(stay)")):
        if target in combined:
            lines.append(
                f"test applicants by {what}, ndcg@10: "
                + ", ".join(f"{n} {m['ndcg@10']:.4f}" for n, m in combined[target].items())
            )
    ret = report.get("retention", {})
    if "model" in ret:
        lines.append("retention   c_index  ibs     calib_max_err")
        for name in ("model", "linear_cox", "km", "naive", "oracle"):
            if name not in ret:
                continue
            m = ret[name]
            lines.append(
                f"{name:<10} {m['c_index']:8.4f} {m['ibs']:7.4f} "
                f"{m['calibration_max_abs_error']:8.4f}"
            )
    return lines


def train_cmd(
    config: Annotated[
        Path | None, typer.Option(help="Train config YAML (configs/train.yaml).")
    ] = None,
    world: Annotated[
        Path | None, typer.Option(help="World folder (overrides the config's).")
    ] = None,
    indexes: Annotated[
        Path | None,
        typer.Option(help="Reuse indexes built by `recsys index build` (same encoder)."),
    ] = None,
    no_track: Annotated[
        bool, typer.Option("--no-track", help="Skip MLflow (no log, no registry).")
    ] = False,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the evaluation report as JSON.")
    ] = False,
) -> None:
    """Split by time, fit ranker + retention, evaluate vs baselines, log to MLflow, gate @champion."""
    _env()
    from recsys_training.pipeline import prepare
    from recsys_training.train import resolve_world, train

    cfg = _config(config, world)
    world_dir = resolve_world(cfg, None)
    prepared = None
    if indexes is not None:
        from recsys.embedding import make_encoder
        from recsys.index import load_indexes

        encoder = make_encoder(cfg.embedding)
        prepared = prepare(cfg, world_dir, indexes=load_indexes(indexes, encoder), encoder=encoder)
    result = train(cfg, world_dir, track=not no_track, prepared=prepared)
    if as_json:
        typer.echo(
            json.dumps(
                {
                    "report": result.report,
                    "run_id": result.run_id,
                    "version": result.version,
                    "decision": result.decision.to_dict() if result.decision else None,
                    "timings": result.timings,
                },
                indent=2,
                default=str,
            )
        )
        return
    for line in _headline(result.report):
        typer.echo(line)
    if result.run_id:
        typer.echo(f"MLflow run {result.run_id}; model {result.model_uri}")
    if result.decision is not None:
        d = result.decision
        typer.echo(
            f"registered {d.name} v{d.version}: "
            f"{'PROMOTED to @' + d.alias if d.promoted else 'not promoted'} ({d.reason})"
        )
    typer.echo("timings: " + ", ".join(f"{k}={v:.1f}" for k, v in result.timings.items()))


def _pool_table(report: dict, k: int) -> list[str]:
    """The pool comparison table (``recsys.pool_eval.evaluate_pool`` report) and its notes."""
    names = {"ranker_fit": "ranker fit", "ranker_score": "ranker score"}
    head = [f"ndcg@{x}" for x in (5, 10, 20)] + ["map", f"recall@{k}"]
    p, s, fd = report["pool"], report["settings"], report["fit_distinct"]
    unlabelled = "counted as 0" if p["missing"] == "zero" else "excluded"
    lines = [
        f"pool {p['path']}: {p['candidates']} candidates x {p['roles']} roles, {p['pairs']} pairs "
        f"({p['labelled_pairs']} labelled; unlabelled pairs {unlabelled}); "
        f"{p['roles_evaluated']} roles with a relevant candidate",
        f"{'scorer':<13}" + "".join(f"{h:>10}" for h in head),
    ]
    for name, m in report["scorers"].items():
        lines.append(f"{names.get(name, name):<13}" + "".join(f"{m[h]:10.4f}" for h in head))
    lines.append(
        f"ranker fit: {fd['distinct']} distinct values over {fd['pairs']} pairs; "
        f"{fd['per_role_min']}-{fd['per_role_max']} per role "
        f"(of up to {fd['candidates_per_role_max']} candidates)"
    )
    lines.append(
        f"NDCG gain {s['gain']}; relevant = relevance >= {s['relevant_min']}; ties: {s['ties']}; "
        f"encoder {s['encoder']}; retention weight {s['retention_weight']}"
    )
    return lines


def _evaluate_pool(
    model: str, pool: Path, labels: Path | None, k: int, relevant_min: int, exclude: bool
) -> dict:
    if labels is None:
        found = next(iter(sorted(pool.glob("labels.*"))), None) if pool.is_dir() else None
        hint = f" (e.g. --labels {found})" if found else ""
        raise typer.BadParameter(
            f"--pool {pool} needs --labels: a file with candidate_id, role_id, relevance{hint}.",
            param_hint="--labels",
        )
    from recsys.pool_eval import evaluate_pool
    from recsys.recommender import Recommender

    rec = Recommender.from_uri(model)
    try:
        return evaluate_pool(
            rec,
            pool,
            labels,
            ks=(5, 10, 20, k),
            relevant_min=relevant_min,
            missing="exclude" if exclude else "zero",
        )
    except (ValueError, FileNotFoundError) as err:
        typer.echo(f"Error: {err}", err=True)
        raise typer.Exit(1) from None


def evaluate_cmd(
    model: Annotated[
        str,
        typer.Option(help="models:/recsys@champion, models:/recsys/3, runs:/… or a bundle folder."),
    ] = "models:/recsys@champion",
    world: Annotated[
        Path | None, typer.Option(help="World folder (default: the one it was trained on).")
    ] = None,
    pool: Annotated[
        Path | None,
        typer.Option(
            help="A labelled free-text pool instead of a world: a folder with candidates.* "
            "(candidate_id, resume_text) and roles.* (role_id, description[, title])."
        ),
    ] = None,
    labels: Annotated[
        Path | None,
        typer.Option(help="With --pool: a file with candidate_id, role_id, relevance (ints >= 0)."),
    ] = None,
    k: Annotated[int, typer.Option(min=1, help="With --pool: the recall@k column.")] = 10,
    relevant_min: Annotated[
        int, typer.Option(min=1, help="With --pool: relevant = relevance >= this (MAP, recall).")
    ] = 1,
    exclude_unlabelled: Annotated[
        bool,
        typer.Option(
            "--exclude-unlabelled",
            help="With --pool: leave pairs missing from --labels out (default: relevance 0).",
        ),
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """Evaluate a trained recommender on a world's test period, next to BM25, cosine and the oracle.

    With --pool and --labels: on your own labelled free-text pool instead, next to BM25, TF-IDF and
    the encoder's cosine (recsys.pool_eval.evaluate_pool; docs/evaluation.md).
    """
    _env()
    if pool is not None:
        if world is not None:
            raise typer.BadParameter("give --world or --pool, not both.", param_hint="--pool")
        report = _evaluate_pool(model, pool, labels, k, relevant_min, exclude_unlabelled)
        if as_json:
            typer.echo(json.dumps(report, indent=2, default=str))
            return
        typer.echo(f"model {model}")
        for line in _pool_table(report, k):
            typer.echo(line)
        return
    if labels is not None:
        raise typer.BadParameter("--labels needs --pool.", param_hint="--labels")
    from recsys_training.evaluate_model import evaluate_model

    out = evaluate_model(model, world)
    if as_json:
        typer.echo(json.dumps(out, indent=2, default=str))
        return
    typer.echo(f"model {model} on {out['world']} (test period from {out['split']['test_cutoff']})")
    for line in _headline(out["report"]):
        typer.echo(line)


def trial_line(study, trial, total: int) -> str:
    """One finished Optuna trial: number, validation NDCG@10, the best so far, its parameters
    and how long it took."""
    took = ""
    if trial.datetime_start is not None and trial.datetime_complete is not None:
        took = f"  {(trial.datetime_complete - trial.datetime_start).total_seconds():.1f} s"
    params = " ".join(
        f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}" for k, v in trial.params.items()
    )
    if trial.value is None:
        return f"trial {trial.number + 1}/{total}  {trial.state.name.lower()}  {params}{took}"
    best = study.best_trial
    return (
        f"trial {trial.number + 1}/{total}  valid ndcg@10 {trial.value:.4f}  "
        f"best {best.value:.4f} (trial {best.number + 1})  {params}{took}"
    )


def tune_cmd(
    config: Annotated[Path | None, typer.Option(help="Base train config YAML.")] = None,
    world: Annotated[
        Path | None, typer.Option(help="World folder (overrides the config's).")
    ] = None,
    trials: Annotated[int, typer.Option(min=1, help="Optuna trials.")] = 20,
    out: Annotated[Path, typer.Option(help="Where to write the best config.")] = Path(
        "configs/train-tuned.yaml"
    ),
) -> None:
    """Optuna search over ranker hyper-parameters on the validation slice; writes the best config.

    Prints a line per trial (its parameters, validation NDCG@10 and the best so far) and, on a
    terminal, a progress bar."""
    _env()
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from recsys.cli.render import console
    from recsys_training.tune import tune

    cfg = _config(config, world)
    out_console = console()
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=out_console,
        transient=True,
    ) as progress:
        task = progress.add_task("preparing the world", total=trials)

        def report(study, trial) -> None:
            # soft_wrap: one line per trial whatever the width (off a terminal rich assumes 80).
            progress.console.print(trial_line(study, trial, trials), markup=False, soft_wrap=True)
            progress.update(task, advance=1, description="tuning")

        result = tune(cfg, trials=trials, out=out, callbacks=[report])
    out_console.print(
        f"best valid ndcg@10 {result.best_value:.4f} (trial {result.best_trial + 1}); "
        f"wrote {result.config_path}; parent run {result.run_id}",
        markup=False,
        soft_wrap=True,
    )


def register(app: typer.Typer) -> None:
    """Add ``train``, ``evaluate`` and ``tune`` to the main app."""
    app.command("train")(train_cmd)
    app.command("evaluate")(evaluate_cmd)
    app.command("tune")(tune_cmd)
