"""``train(config, world)``: pairs → time split → FitRanker + RetentionModel → evaluate → MLflow → gate.

One call does the whole run::

    from recsys_training.config import TrainConfig
    from recsys_training.train import train
    result = train(TrainConfig(), "worlds/demo")
    result.report["ranking"]["ranker"]["ndcg@10"], result.decision.promoted

The ranker early-stops on the validation slice (the newest requisitions before the test cutoff); the
retention model is fitted on the hires of the training and validation periods, with tenures censored
at the test cutoff.  The recommender bundle (``recsys.recommender.Recommender.save``) is logged as the
``model`` of the run through :mod:`recsys.serving.pyfunc`, registered, and ``@champion`` moves only
through :func:`recsys.registry.promote_if_better`.  Every run writes its audit pack (model card, the
test-period audit, evaluation plots: :mod:`recsys_training.audit_pack`) to ``<out>/audit_pack`` and, when
tracked, logs it as the run's ``audit_pack`` artifact folder.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from recsys_training.config import TrainConfig
from recsys_training.pipeline import (
    Prepared,
    evaluate_models,
    hire_pairs,
    prepare,
    select,
    with_as_of,
)

__all__ = [
    "TrainResult",
    "fit_models",
    "fit_ranker",
    "ranker_data",
    "resolve_world",
    "scale_fit",
    "train",
]

log = logging.getLogger(__name__)


@dataclass
class TrainResult:
    report: dict[str, Any]
    metrics: dict[str, float]
    run_id: str | None = None
    model_uri: str | None = None
    version: str | None = None
    decision: Any = None
    bundle: Path | None = None
    timings: dict[str, float] = field(default_factory=dict)
    audit: dict[str, Any] | None = None  # the test-period audit's summary (recsys_training.audit)
    audit_pack: Path | None = None  # <out>/audit_pack (recsys_training.audit_pack)


def resolve_world(config: TrainConfig, world: str | Path | None) -> Path:
    path = Path(world) if world is not None else config.world
    if path is None:
        raise ValueError("No world given: pass --world DIR or set 'world:' in the train config.")
    if not (Path(path) / "manifest.json").is_file():
        raise FileNotFoundError(
            f"{path}: not a world folder (no manifest.json). Run `recsys generate`."
        )
    return Path(path)


def ranker_data(
    prep: Prepared, config: TrainConfig, period: str, *, text_only: bool = False
) -> tuple[Any, Any, Any]:
    """``(X, labels, role ids)`` the ranker trains (or early-stops) on in ``period``
    (``text_only``: with every candidate and role of the period known only by its text).

    Applicants, plus in the training period the random negatives (``fit.train_on_random``,
    ``pairs.random_per_role``); retrieved non-applicants only with ``fit.train_on_retrieved``: they
    are unlabelled, not bad fits, and labelling them 0 cost 0.03 test NDCG@10 (docs/training.md,
    Results).  They stay in ``prep.pairs`` for the pool evaluation.
    """
    name = f"{period}_text_only" if text_only else period
    pairs, X = prep.pairs[period], select(prep.features(name), config.fit.features)
    unknown = sorted(set(config.fit.exclude_features) - set(X.columns))
    if unknown:
        raise ValueError(f"fit.exclude_features names unknown feature(s) {unknown}.")
    X = X.drop(columns=config.fit.exclude_features)
    sources = {"outcome"}
    if config.fit.train_on_retrieved:
        sources.add("retrieved")
    if config.fit.train_on_random and period == "train":
        sources.add("random")  # early stopping still watches real applicants
    keep = pairs["source"].isin(sources).to_numpy()
    pairs, X = pairs[keep], X[keep]
    return X, pairs["label"].to_numpy(), pairs["role_id"].to_numpy()


def fit_ranker(prep: Prepared, config: TrainConfig, *, text_only: bool = False) -> Any:
    """A FitRanker fitted on the training period, early-stopped on the validation period;
    ``text_only``: the model of text-only pairs, fitted with every entity masked."""
    from recsys.models.fit import FitRanker

    Xtr, ytr, gtr = ranker_data(prep, config, "train", text_only=text_only)
    params = config.fit.ranker_params()
    if text_only:
        params.update(config.fit.text_overrides)
    return FitRanker(**params, random_state=config.seed).fit(
        Xtr,
        ytr,
        gtr,
        eval_set=ranker_data(prep, config, "valid", text_only=text_only),
        early_stopping_rounds=config.fit.early_stopping_rounds,
    )


def fit_models(prep: Prepared, config: TrainConfig) -> tuple[Any, Any]:
    """Fit the ranker (early stopping on the validation slice) and the retention model."""
    from recsys.models.retention import RetentionModel

    t0 = time.perf_counter()
    ranker = fit_ranker(prep, config)
    prep.timings["fit_ranker_s"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    hires, durations, events = hire_pairs(prep.hires["train"])
    X = select(
        prep.builder.transform(with_as_of(hires, prep.world.roles)), config.retention.features
    )
    from recsys.features import FEATURES

    groups = set(config.retention.required_groups)
    required = [c for c in X.columns if c in FEATURES and FEATURES[c].group in groups]
    retention = RetentionModel(
        **config.retention.model_dump(exclude={"features", "required_groups"}),
        required_inputs=required,
        calibration_horizons=(config.evaluate.horizon_days,),
        random_state=config.seed,
    ).fit(X, durations, events)
    prep.timings["fit_retention_s"] = time.perf_counter() - t0
    return ranker, retention


def scale_fit(prep: Prepared, config: TrainConfig, ranker: Any) -> TrainConfig:
    """``config`` with the pair-score sigmoid set from the ranker's validation scores
    (``combine.fit_scale``): ``calibrated`` = Platt scaling on the validation applications, so
    the sigmoid is P(reaching ``fit_outcome_stage``) (falls back to ``auto``, with a warning,
    when the applications hold too few of either class); ``auto`` = centre at the median,
    temperature the standard deviation; ``fixed`` = unchanged."""
    import numpy as np

    from recsys.models.combine import calibrate_fit

    combine = config.recommender.combine
    if combine.fit_scale == "fixed":
        return config
    X = select(prep.features("valid"), config.fit.features).drop(
        columns=config.fit.exclude_features
    )
    fit = np.asarray(ranker.predict(X), dtype=float)
    scale = None
    if combine.fit_scale == "calibrated":
        pairs = prep.pairs["valid"]
        applied = (pairs["source"] == "outcome").to_numpy()
        reached = pairs["label"].to_numpy()[applied] >= combine.fit_outcome_stage
        scale = calibrate_fit(fit[applied], reached)
        if scale is None:
            log.warning(
                "fit_scale calibrated: %d validation applications, %d reached stage %d: too few "
                "of one class (or no rising relation) to calibrate; using the median / standard "
                "deviation (fit_scale auto) instead",
                int(applied.sum()),
                int(reached.sum()),
                combine.fit_outcome_stage,
            )
    if scale is None:
        scale = float(np.median(fit)), float(max(np.std(fit), 1e-6))
        combine = combine.model_copy(update={"fit_scale": "auto"})
    scaled = combine.model_copy(update={"fit_center": scale[0], "fit_temperature": scale[1]})
    recommender = config.recommender.model_copy(update={"combine": scaled})
    return config.model_copy(update={"recommender": recommender})


def _log_run(
    prep: Prepared,
    config: TrainConfig,
    ranker: Any,
    evaluation: dict[str, Any],
    bundle: Path,
    rec: Any,
) -> tuple[str, str]:
    """Log params, dataset, metrics, plots and the pyfunc model in the active run."""
    from recsys.serving.pyfunc import log_recommender
    from recsys_training import plots, tracking
    from recsys_training.evaluate import flatten_metrics

    tracking.log_config(config)
    tracking.log_provenance(config)
    tracking.log_dataset(prep.world.manifest, prep.world_dir, prep.split.summary())
    tracking.log_json(prep.split.summary(), "split.json")
    tracking.log_json(evaluation["report"], "evaluation/report.json")
    tracking.log_metrics(flatten_metrics(evaluation["report"], "test."))
    tracking.log_metrics({"best_iteration": ranker.best_iteration_})
    tracking.log_curves({"ranker": ranker, "text_ranker": rec.text_ranker})
    tracking.log_figure(plots.ndcg_curve_figure(evaluation["curve"]), "plots/ndcg_at_k.png")
    if evaluation["calibration"]:
        tracking.log_figure(
            plots.calibration_figure(evaluation["calibration"], config.evaluate.horizon_days),
            "plots/calibration.png",
        )
    tracking.log_figure(
        plots.importance_figure(ranker.feature_importance()), "plots/importance.png"
    )
    info = log_recommender(
        bundle,
        _input_example(prep),
        retention_weight=config.recommender.combine.retention_weight,
        scorer=rec,
    )
    return info.model_uri, getattr(info, "model_id", "")


# The registered model's input example: texts written here, never the training data's (the
# registry must not hold a résumé), with ids that name no one.
EXAMPLE_TEXTS = [
    (
        "Backend engineer, 6 years. Python, PostgreSQL, Kafka; built payment APIs and their "
        "monitoring. AWS Certified Developer.",
        "Senior backend engineer for our payments platform: Python, SQL, event streaming; you "
        "will own the payments API and its on-call.",
    ),
    (
        "Registered nurse, 4 years in intensive care; patient assessment, medication "
        "administration, electronic health records.",
        "ICU nurse: patient monitoring and assessment, medication administration, shift work.",
    ),
    (
        "Financial analyst: budgeting, forecasting, Excel and Power BI reporting for a retail "
        "group; CFA level I.",
        "Financial planning analyst: forecasts, budget variance reports, Power BI dashboards.",
    ),
]


def _input_example(prep: Prepared) -> Any:
    """Five pairs as the registered model takes them: three free-text pairs (:data:`EXAMPLE_TEXTS`,
    what the logged example holds: a model bundle scores texts without a store) and two id pairs
    of the test period (run once to infer the signature, where they keep the text columns
    optional; not logged)."""
    import pandas as pd

    texts = pd.DataFrame(
        {
            "candidate_id": [f"example-candidate-{i}" for i in range(1, 4)],
            "role_id": [f"example-role-{i}" for i in range(1, 4)],
            "candidate_text": [c for c, _ in EXAMPLE_TEXTS],
            "role_text": [r for _, r in EXAMPLE_TEXTS],
        }
    )
    ids = prep.pairs["test"][["candidate_id", "role_id"]].head(2)
    return pd.concat([texts, ids.assign(candidate_text=None, role_text=None)], ignore_index=True)


def train(
    config: TrainConfig,
    world: str | Path | None = None,
    *,
    track: bool = True,
    prepared: Prepared | None = None,
) -> TrainResult:
    """Run the whole pipeline (see the module doc).  ``track=False`` skips MLflow entirely."""
    from recsys.recommender import Recommender
    from recsys_training.evaluate import flatten_metrics

    world_dir = resolve_world(config, world) if prepared is None else prepared.world_dir
    t_all = time.perf_counter()
    prep = prepared or prepare(config, world_dir)
    ranker, retention = fit_models(prep, config)
    config = scale_fit(prep, config, ranker)
    text_ranker = None
    if config.fit.text_model:  # the model of pairs known only by text on both sides
        t0 = time.perf_counter()
        text_ranker = fit_ranker(prep, config, text_only=True)
        prep.timings["fit_text_ranker_s"] = time.perf_counter() - t0
    evaluation = evaluate_models(prep, ranker, retention, config, text_ranker=text_ranker)
    flat = flatten_metrics(evaluation["report"], "test.")

    t0 = time.perf_counter()
    rec = Recommender.from_parts(
        prep.world,
        prep.encoder,
        prep.indexes,
        ranker,
        retention,
        config.recommender,
        text_ranker=text_ranker,
        resume_skills=(
            prep.builder.resume_.frame(prep.builder.cand_ids_)
            if prep.builder.resume_ is not None
            else None
        ),
        train_config=config.model_dump(mode="json"),
        dataset_fingerprint=_fingerprint(prep.world.manifest),
        world_dir=str(world_dir),
    )
    # a model bundle: models, config, encoder id and feature statistics, no candidate pool —
    # the registry never holds a résumé; it serves a store's data (Recommender.over_store)
    bundle = rec.save(Path(config.out) / "bundle", overwrite=True, data=False)
    prep.timings["bundle_s"] = time.perf_counter() - t0
    result = TrainResult(evaluation["report"], flat, bundle=bundle, timings=prep.timings)
    from recsys_training.audit import audit_test_period, gate_refusal

    fairness = audit_test_period(prep, ranker, config)
    result.audit = None if fairness is None else fairness.to_dict()["summary"]
    pack = {
        "prep": prep,
        "config": config,
        "ranker": ranker,
        "retention": retention,
        "text_ranker": text_ranker,
        "evaluation": evaluation,
        "fairness": fairness,
    }
    if not track:
        result.audit_pack = _write_pack(pack, result)
        result.timings["total_s"] = time.perf_counter() - t_all
        return result

    import mlflow

    from recsys.registry import promote_if_better, register_model
    from recsys_training import tracking

    tracking.configure(config.tracking)
    t0 = time.perf_counter()
    with mlflow.start_run(run_name=f"train-{world_dir.name}") as run:
        model_uri, _ = _log_run(prep, config, ranker, evaluation, bundle, rec)
        result.run_id, result.model_uri = run.info.run_id, model_uri
        if fairness is not None:
            from recsys_training.audit import log_audit

            log_audit(fairness)
        gate = tracking.metric_key(config.evaluate.gate_metric)
        value = {tracking.metric_key(k): v for k, v in flat.items()}.get(gate)
        if config.tracking.register_model:
            if value is None:
                raise ValueError(
                    f"gate metric {gate!r} was not computed; check evaluate.gate_metric."
                )
            result.version = register_model(model_uri, config.tracking.model_name)
            result.decision = promote_if_better(
                result.version,
                value,
                name=config.tracking.model_name,
                alias=config.tracking.alias,
                metric=gate,
                run_id=run.info.run_id,
                refuse=gate_refusal(fairness, config.evaluate.min_impact_ratio),
            )
        note = tracking.describe_run(
            config,
            evaluation["report"],
            prep.world.manifest,
            world_dir,
            ranker=ranker,
            text_ranker=text_ranker,
            decision=result.decision,
        )
        if result.version is not None:
            from recsys.registry import describe_model

            describe_model(
                result.version,
                note,
                name=config.tracking.model_name,
                alias=config.tracking.alias,
                promoted=result.decision.promoted,
            )
        from recsys_training.audit_pack import log_audit_pack

        # written after registration so that the card names the version and the gate's decision
        result.audit_pack = _write_pack(pack, result, config.tracking.model_name)
        log_audit_pack(result.audit_pack)
        prep.timings["mlflow_s"] = time.perf_counter() - t0
        result.timings["total_s"] = time.perf_counter() - t_all
        tracking.log_metrics({f"time.{k}": v for k, v in prep.timings.items()})
        tracking.log_json(result.timings, "timings.json")
    return result


def _write_pack(pack: dict[str, Any], result: TrainResult, name: str | None = None) -> Path:
    """The run's audit pack at ``<out>/audit_pack`` (recsys_training.audit_pack), naming what is known of
    the logged model."""
    from recsys_training.audit_pack import write_audit_pack

    t0 = time.perf_counter()
    d = result.decision
    model = {
        "run_id": result.run_id,
        "model_uri": result.model_uri,
        "registered_name": name if result.version else None,
        "version": result.version,
        "promoted": None if d is None else d.promoted,
        "promotion_reason": None if d is None else d.reason,
    }
    out = Path(pack["config"].out) / "audit_pack"
    path = write_audit_pack(out, **pack, model=model)
    result.timings["audit_pack_s"] = time.perf_counter() - t0
    return path


def _fingerprint(manifest: dict[str, Any]) -> str:
    from recsys_training.tracking import dataset_fingerprint

    return dataset_fingerprint(manifest)
