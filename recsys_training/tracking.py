"""MLflow logging for training runs: where runs go, params, dataset fingerprint, metrics, plots.

- Tracking URI: the config's, else ``$MLFLOW_TRACKING_URI``, else ``sqlite:///mlflow.db`` in the working
  folder.  A new experiment gets an explicit artifact location (``./mlartifacts`` by default) so
  artifacts never land in a stray ``./mlruns``.
- Params: the whole config, flattened (``fit.learning_rate``), and the exact config as ``config.yaml``.
- Dataset fingerprint: the world manifest's per-file sha256 as ``dataset.*`` params, one combined
  ``dataset.fingerprint`` and the manifest itself as an artifact.
- Metric keys: MLflow refuses ``@``, so ``ndcg@10`` is logged as ``ndcg_at_10`` (:func:`metric_key`).

This module uses MLflow's tracking API only; the model API lives in ``recsys.serving.pyfunc`` and
``recsys.registry``.
"""

from __future__ import annotations

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
]

DEFAULT_TRACKING_URI = "sqlite:///mlflow.db"
_MAX_PARAM = 6000  # MLflow's limit on a param value


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


def log_dataset(manifest: Mapping[str, Any], world_path: str | Path | None = None) -> str:
    """Log the world's fingerprint (params + ``dataset/manifest.json``); returns the fingerprint."""
    import mlflow

    fp = dataset_fingerprint(manifest)
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
