"""``tune(config, trials)``: Optuna search over the ranker's hyper-parameters.

The objective is NDCG@10 on the **validation** slice (the test period is never looked at while
searching).  The world is prepared once (embedding, split, pairs, features); each trial fits a
:class:`recsys.models.fit.FitRanker` with early stopping and is logged as a nested MLflow run under one
parent run.  The sampler is seeded (``TPESampler(seed=config.seed)``) and LightGBM runs single-threaded
with the config's seed, so the same call gives the same trials.  The best parameters are written as a
complete train config (``--out``) that ``recsys train --config`` reproduces exactly.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from recsys_training.config import TrainConfig
from recsys_training.pipeline import Prepared, prepare

__all__ = ["TuneResult", "suggest", "valid_ndcg", "tune"]


@dataclass
class TuneResult:
    best_value: float
    best_trial: int
    best_config: TrainConfig
    config_path: Path | None
    run_id: str | None
    values: list[float]


def suggest(trial: Any) -> dict[str, Any]:
    """The search space (LightGBM lambdarank parameters; the rest of the config is kept)."""
    return {
        "learning_rate": trial.suggest_float("learning_rate", 0.01, 0.2, log=True),
        "num_leaves": trial.suggest_int("num_leaves", 7, 127, log=True),
        "min_child_samples": trial.suggest_int("min_child_samples", 5, 100, log=True),
        "subsample": trial.suggest_float("subsample", 0.5, 1.0),
        "colsample_bytree": trial.suggest_float("colsample_bytree", 0.4, 1.0),
        "reg_lambda": trial.suggest_float("reg_lambda", 1e-3, 10.0, log=True),
    }


def valid_ndcg(prep: Prepared, config: TrainConfig, k: int = 10) -> tuple[float, int]:
    """Fit a ranker with ``config.fit`` on the training pairs; NDCG@k on the validation pairs."""
    from recsys import metrics
    from recsys_training.train import fit_ranker, ranker_data

    ranker = fit_ranker(prep, config)
    Xv, yv, gv = ranker_data(prep, config, "valid")
    score = metrics.ndcg_at_k(yv, ranker.predict(Xv), gv, k)
    return float(score), ranker.best_iteration_


def tune(
    config: TrainConfig,
    world: str | Path | None = None,
    *,
    trials: int = 20,
    out: str | Path | None = None,
    track: bool = True,
    prepared: Prepared | None = None,
    callbacks: Sequence[Callable[[Any, Any], None]] = (),
) -> TuneResult:
    """Search, log every trial as a nested run, write the best config to ``out`` (see module doc).

    ``callbacks``: Optuna study callbacks, each called ``(study, frozen_trial)`` after every trial
    (``recsys tune`` prints a line per trial with one)."""
    import optuna

    from recsys.config import dump_config
    from recsys_training.train import resolve_world

    if not isinstance(trials, int) or trials < 1:
        raise ValueError(f"The 'trials' parameter of tune must be an int >= 1. Got {trials!r}.")
    prep = prepared or prepare(config, resolve_world(config, world))
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(
        direction="maximize", sampler=optuna.samplers.TPESampler(seed=config.seed)
    )
    best_iters: dict[int, int] = {}

    def trial_config(params: dict[str, Any]) -> TrainConfig:
        fit = config.fit.model_copy(update=params)
        return config.model_copy(update={"fit": fit})

    def objective(trial: optuna.Trial) -> float:
        cfg = trial_config(suggest(trial))
        value, best_iters[trial.number] = valid_ndcg(prep, cfg)
        if track:
            import mlflow

            from recsys_training import tracking

            with mlflow.start_run(run_name=f"trial-{trial.number}", nested=True):
                mlflow.log_params({f"fit.{k}": v for k, v in trial.params.items()})
                tracking.log_metrics(
                    {"valid.ndcg@10": value, "best_iteration": best_iters[trial.number]}
                )
        return value

    run_id = None
    if track:
        import mlflow

        from recsys_training import tracking

        tracking.configure(config.tracking)
        with mlflow.start_run(run_name=f"tune-{prep.world_dir.name}") as parent:
            run_id = parent.info.run_id
            tracking.log_config(config)
            tracking.log_dataset(prep.world.manifest, prep.world_dir)
            study.optimize(objective, n_trials=trials, callbacks=list(callbacks))
            tracking.log_metrics({"best.valid.ndcg@10": study.best_value})
            mlflow.log_params({f"best.{k}": v for k, v in study.best_params.items()})
    else:
        study.optimize(objective, n_trials=trials, callbacks=list(callbacks))

    best = trial_config(study.best_params)
    path = None
    if out is not None:
        path = Path(out)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.tmp")
        dump_config(best, tmp)
        tmp.replace(path)
        if track:
            import mlflow

            mlflow.MlflowClient().log_artifact(run_id, str(path), "best")
    return TuneResult(
        study.best_value,
        study.best_trial.number,
        best,
        path,
        run_id,
        [t.value for t in study.trials],
    )
