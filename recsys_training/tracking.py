"""MLflow logging for training runs: where runs go, params, dataset fingerprint, metrics, plots.

- Tracking URI: the config's, else ``$MLFLOW_TRACKING_URI``, else ``sqlite:///mlflow.db`` in the working
  folder.  A new experiment gets an explicit artifact location (``./mlartifacts`` by default) so
  artifacts never land in a stray ``./mlruns``.
- Params: the whole config, flattened (``fit.learning_rate``), and the exact config as ``config.yaml``.
- Dataset: the world as the run's MLflow dataset input (``mlflow.log_input``, context
  ``training``, tag ``split``: the time split's cut-off): source = the world folder, digest = the world
  fingerprint (:func:`dataset_fingerprint`; its first 36 hex characters, MLflow's limit on a
  digest; the whole one is in the dataset profile), profile = rows per table.  The fingerprint
  is also the ``dataset.fingerprint`` param and tag, with each file's sha256 as ``dataset.*``
  params and the manifest itself as an artifact.
- Provenance tags (:func:`log_provenance`): ``mlflow.source.git.commit`` / ``.branch`` /
  ``.repoURL`` of the checkout the code was imported from and ``recsys.git.dirty`` (uncommitted
  changes to tracked files); ``config.sha256`` and the config's headline choices as
  ``config.*`` tags; ``recsys.version``.
- Learning curves (:func:`log_curves`): every metric LightGBM recorded on the validation slice per
  boosting iteration (``curve.ranker.valid.ndcg_at_10``, step = number of trees), for the
  ranker and the text-only ranker.  The retention model has none: lifelines fits the Cox model
  by Newton–Raphson in a few steps and keeps no per-step record.
- Description (:func:`describe_run`): what the model is, its world and its headline metrics as
  the run's description (``mlflow.note.content``), reused for the registered version.
- Metric keys: MLflow refuses ``@``, so ``ndcg@10`` is logged as ``ndcg_at_10`` (:func:`metric_key`).

This module uses MLflow's tracking API only; the model API lives in ``recsys.serving.pyfunc`` and
``recsys.registry``.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from recsys_training.config import TrackingConfig, flatten

__all__ = [
    "DEFAULT_TRACKING_URI",
    "configure",
    "metric_key",
    "dataset_fingerprint",
    "log_config",
    "log_dataset",
    "log_metrics",
    "log_figure",
    "log_json",
    "log_curves",
    "log_provenance",
    "git_info",
    "world_dataset",
    "describe_run",
]

DEFAULT_TRACKING_URI = "sqlite:///mlflow.db"
_MAX_PARAM = 6000  # MLflow's limit on a param value
_MAX_DIGEST = 36  # MLflow's limit on a dataset digest
_MAX_TAG = 8000  # well under MLflow's limit on a tag value


def tracking_uri(config: TrackingConfig | None = None) -> str:
    if config is not None and config.tracking_uri:
        return config.tracking_uri
    return os.environ.get("MLFLOW_TRACKING_URI") or DEFAULT_TRACKING_URI


def configure(config: TrackingConfig) -> str:
    """Point MLflow at the store and experiment of ``config``; returns the experiment id."""
    os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
    import mlflow

    mlflow.set_tracking_uri(tracking_uri(config))
    client = mlflow.MlflowClient()
    exp = client.get_experiment_by_name(config.experiment)
    if exp is None:
        location = config.artifact_location or Path("mlartifacts").resolve().as_uri()
        exp_id = client.create_experiment(config.experiment, artifact_location=location)
    else:
        exp_id = exp.experiment_id
    mlflow.set_experiment(experiment_id=exp_id)
    return exp_id


def metric_key(name: str) -> str:
    """An MLflow-safe metric name (``@`` → ``_at_``, ``/`` kept)."""
    return name.replace("@", "_at_")


def dataset_fingerprint(manifest: Mapping[str, Any]) -> str:
    """sha256 over the sorted ``entity:sha256`` lines of a world manifest (stable, order-free)."""
    files = manifest.get("files", {})
    lines = sorted(f"{name}:{info['sha256']}" for name, info in files.items())
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()


def log_config(config: BaseModel) -> None:
    """Every config value as a param, and the config itself as ``config.yaml``."""
    import mlflow
    import yaml

    params = {k: v[:_MAX_PARAM] for k, v in flatten(config).items()}
    mlflow.log_params(params)
    mlflow.log_text(
        yaml.safe_dump(config.model_dump(mode="json"), sort_keys=False), "config/config.yaml"
    )


def world_dataset(manifest: Mapping[str, Any], world_path: str | Path) -> Any:
    """The world as an MLflow dataset (metadata only: the tables stay where they are): source =
    the world folder, digest = the fingerprint's first 36 hex characters, profile = the whole
    fingerprint, rows per table and the generator's seed."""
    import warnings

    from mlflow.data.dataset_source_registry import resolve_dataset_source
    from mlflow.data.meta_dataset import MetaDataset

    path = Path(world_path).resolve()
    fp = dataset_fingerprint(manifest)
    profile = {
        "fingerprint": fp,
        "rows": {
            name: info.get("rows") for name, info in sorted(manifest.get("files", {}).items())
        },
        "seed": manifest.get("seed"),
    }

    class WorldDataset(MetaDataset):
        @property
        def profile(self) -> dict[str, Any]:
            return profile

        def to_dict(self) -> dict[str, str]:
            return {**super().to_dict(), "profile": json.dumps(profile, default=str)}

    with warnings.catch_warnings():  # "can be interpreted in multiple ways": both are local
        warnings.simplefilter("ignore", UserWarning)
        source = resolve_dataset_source(str(path))
    return WorldDataset(source, name=f"world:{path.name}", digest=fp[:_MAX_DIGEST])


def log_dataset(
    manifest: Mapping[str, Any],
    world_path: str | Path | None = None,
    split: Mapping[str, Any] | None = None,
) -> str:
    """Log the world's fingerprint (params + ``dataset/manifest.json``) and, given its path, the
    world as the run's dataset input (context ``training``; ``split``: the time split's summary,
    whose cut-off becomes the input's ``split`` tag: the same world's newest roles are the test
    period); returns the fingerprint."""
    import mlflow

    fp = dataset_fingerprint(manifest)
    if world_path is not None:
        tags = None
        if split is not None:  # one input per dataset and run: MLflow drops a second context
            cut = split.get("test_cutoff", "?")
            tags = {"split": f"train + valid: roles opened before {cut}; test: from {cut}"}
        mlflow.log_input(world_dataset(manifest, world_path), context="training", tags=tags)
    params = {"dataset.fingerprint": fp}
    if world_path is not None:
        params["dataset.path"] = str(world_path)
    for name, info in manifest.get("files", {}).items():
        params[f"dataset.sha256.{name}"] = info["sha256"]
        params[f"dataset.rows.{name}"] = str(info.get("rows", ""))
    if manifest.get("seed") is not None:
        params["dataset.seed"] = str(manifest["seed"])
    mlflow.log_params(params)
    mlflow.set_tag("dataset.fingerprint", fp)
    mlflow.log_text(json.dumps(dict(manifest), indent=2, default=str), "dataset/manifest.json")
    return fp


def log_metrics(flat: Mapping[str, float], step: int | None = None) -> None:
    """Log ``{name: value}`` with MLflow-safe names (NaN and inf are skipped)."""
    import math

    import mlflow

    clean = {metric_key(k): float(v) for k, v in flat.items() if math.isfinite(float(v))}
    mlflow.log_metrics(clean, step=step)


def log_figure(fig: Any, path: str) -> None:
    """Save a matplotlib figure as an artifact (``plots/ndcg_at_k.png``) and close it."""
    import matplotlib.pyplot as plt
    import mlflow

    mlflow.log_figure(fig, path)
    plt.close(fig)


def log_json(payload: Any, path: str) -> None:
    import mlflow

    mlflow.log_text(json.dumps(payload, indent=2, sort_keys=True, default=str), path)


def log_curves(models: Mapping[str, Any]) -> dict[str, int]:
    """Per-iteration validation metrics of each LightGBM model (``evals_result_``) as step metrics
    ``curve.<model>.<set>.<metric>`` with step = number of trees; returns ``{key: points}``.
    One ``log_batch`` per 1,000 points (one request each, not one per iteration)."""
    import time

    import mlflow
    from mlflow.entities import Metric

    now = int(time.time() * 1000)
    points: list[Any] = []
    counts: dict[str, int] = {}
    for name, model in models.items():
        for vset, metrics in (getattr(model, "evals_result_", None) or {}).items():
            label = "valid" if vset == "valid_0" else vset
            for metric, values in metrics.items():
                key = metric_key(f"curve.{name}.{label}.{metric}")
                counts[key] = len(values)
                points += [Metric(key, float(v), now, i + 1) for i, v in enumerate(values)]
    run_id = mlflow.active_run().info.run_id
    client = mlflow.MlflowClient()
    for start in range(0, len(points), 1000):
        client.log_batch(run_id, metrics=points[start : start + 1000])
    return counts


def git_info(path: str | Path | None = None) -> dict[str, str]:
    """``mlflow.source.git.*`` tags of the git checkout holding ``path`` (default: the folder
    ``recsys_training`` was imported from) and ``recsys.git.dirty``; ``{}`` outside a checkout
    or without git."""
    import subprocess

    where = Path(path) if path is not None else Path(__file__).resolve().parent

    def git(*args: str) -> str | None:
        try:
            done = subprocess.run(
                ["git", "-C", str(where), *args], capture_output=True, text=True, timeout=10
            )
        except (OSError, subprocess.SubprocessError):
            return None
        return done.stdout.strip() if done.returncode == 0 else None

    commit = git("rev-parse", "HEAD")
    if not commit:
        return {}
    tags = {"mlflow.source.git.commit": commit}
    branch = git("rev-parse", "--abbrev-ref", "HEAD")
    if branch and branch != "HEAD":
        tags["mlflow.source.git.branch"] = branch
    remote = git("config", "--get", "remote.origin.url")
    if remote:
        tags["mlflow.source.git.repoURL"] = remote
    status = git("status", "--porcelain", "--untracked-files=no")
    if status is not None:
        tags["recsys.git.dirty"] = "true" if status else "false"
    return tags


def log_provenance(config: BaseModel) -> dict[str, str]:
    """Tag the active run with the git commit of the code (:func:`git_info`), the config's
    sha256 and headline choices, and the recsys version; returns the tags."""
    import importlib.metadata as md

    import mlflow

    dumped = json.dumps(config.model_dump(mode="json"), sort_keys=True, default=str)
    tags = dict(git_info())
    tags["config.sha256"] = hashlib.sha256(dumped.encode()).hexdigest()
    flat = flatten(config)
    for key in (
        "seed",
        "embedding.model",
        "fit.objective",
        "fit.text_model",
        "retention.calibration",
        "evaluate.gate_metric",
    ):
        if key in flat:
            tags[f"config.{key}"] = flat[key][:_MAX_TAG] or "None"
    with contextlib.suppress(md.PackageNotFoundError):
        tags["recsys.version"] = md.version("recsys")
    mlflow.set_tags(tags)
    return tags


def _headline(report: Mapping[str, Any], k: int = 10) -> list[str]:
    ranking = report.get("ranking", {})
    key = f"ndcg@{k}"
    ranker = ranking.get("ranker", {}).get(key)
    lines = []
    if ranker is not None:
        baselines = {
            n: m[key]
            for n, m in ranking.items()
            if n not in ("ranker", "oracle", "ranker_vs") and isinstance(m, Mapping) and key in m
        }
        best = max(baselines, key=baselines.get) if baselines else None
        text = f"NDCG@{k} **{ranker:.4f}** (ranker)"
        if best is not None:
            text += f", best baseline {best} {baselines[best]:.4f}"
        if "oracle" in ranking and key in ranking["oracle"]:
            text += f", oracle {ranking['oracle'][key]:.4f}"
        lines.append(text)
    text_only = report.get("ranking_text_only", {}).get("ranker", {}).get(key)
    if text_only is not None:
        lines.append(f"NDCG@{k} on text-only pairs {text_only:.4f}")
    retention = report.get("retention", {})
    if "model" in retention and "c_index" in retention["model"]:
        line = f"retention C-index {retention['model']['c_index']:.4f}"
        if "km" in retention and "c_index" in retention["km"]:
            line += f" (Kaplan–Meier {retention['km']['c_index']:.4f})"
        if "ibs" in retention["model"]:
            line += f", integrated Brier {retention['model']['ibs']:.4f}"
        lines.append(line)
    elif "skipped" in retention:
        lines.append(f"retention metrics skipped: {retention['skipped']}")
    return lines


def _penalizer(ret: Any, report: Mapping[str, Any]) -> str:
    used = report.get("retention", {}).get("model", {}).get("penalizer")
    if ret.penalizer == "cv" and used is not None:
        return f"{used:g}, chosen by cross-validation"
    return str(ret.penalizer)


def describe_run(
    config: Any,
    report: Mapping[str, Any],
    manifest: Mapping[str, Any],
    world_path: str | Path,
    *,
    ranker: Any,
    text_ranker: Any = None,
    decision: Any = None,
) -> str:
    """What the run's model is, its world and its headline test metrics, as Markdown; set as the
    active run's description (``mlflow.note.content``) and returned (the registered version
    reuses it).  ``decision``: the promotion gate's (``recsys.registry.PromotionDecision``)."""
    import mlflow

    fit, ret = config.fit, config.retention
    trees = getattr(ranker, "best_iteration_", None)
    kept = f"{trees} of {fit.n_estimators} trees" if trees else f"{fit.n_estimators} trees"
    stop = (
        f", early-stopped on validation NDCG@{list(getattr(ranker, 'eval_at', [10]))[0]}"
        if fit.early_stopping_rounds
        else ""
    )
    model = (
        f"**recsys recommender**: a FitRanker (LightGBM `{fit.objective}`, {kept}{stop}) and a "
        f"RetentionModel (penalised Cox PH, penalizer {_penalizer(ret, report)}, calibration "
        f"{ret.calibration}: P(still in role at {config.evaluate.horizon_days:g} days))"
    )
    if text_ranker is not None:
        model += ", with a text-only ranker for pairs known only by their texts"
    model += f"; encoder `{config.embedding.model or 'all-MiniLM-L6-v2'}`."
    fp = dataset_fingerprint(manifest)
    rows = {n: i.get("rows") for n, i in manifest.get("files", {}).items()}
    sizes = ", ".join(f"{rows[n]} {n}" for n in ("candidates", "roles", "outcomes") if n in rows)
    path = Path(world_path).resolve()
    world = f"**World** `{path.name}` ({path}): fingerprint `{fp[:16]}…`"
    world += f", {sizes}." if sizes else "."
    k = 10 if 10 in config.evaluate.ks else config.evaluate.ks[0]
    head = _headline(report, k)
    parts = [model, world]
    if head:
        parts.append("**Test period**: " + "; ".join(h.rstrip(".") for h in head) + ".")
    if decision is not None:
        parts.append(
            f"**Registry**: {decision.name} version {decision.version}: {decision.reason}."
        )
    text = "\n\n".join(parts)
    mlflow.set_tag("mlflow.note.content", text[:_MAX_TAG])
    return text
