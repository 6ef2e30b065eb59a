"""A tiny generated world and a fast training config for pipeline, registry and pyfunc tests."""

from __future__ import annotations

from pathlib import Path


def tiny_world(path: Path, candidates: int = 400, roles: int = 60, seed: int = 3) -> Path:
    from recsys.data.generate import generate_world

    return generate_world(path, candidates=candidates, roles=roles, seed=seed)


def tiny_config(root: Path, world: Path, **updates):
    """A TrainConfig on the HashingEncoder with a per-test MLflow store under ``root``."""
    from recsys_training.config import TrainConfig

    raw = {
        "world": str(world),
        "out": str(root / "artifacts"),
        "embedding": {"model": "hashing:128"},
        "fit": {"n_estimators": 60, "early_stopping_rounds": 20},
        "retention": {"penalizer": 0.1},
        "tracking": {
            "tracking_uri": f"sqlite:///{root / 'mlflow.db'}",
            "artifact_location": (root / "mlartifacts").as_uri(),
        },
    }
    for key, value in updates.items():
        section = raw.setdefault(key, {})
        if isinstance(value, dict) and isinstance(section, dict):
            section.update(value)
        else:
            raw[key] = value
    return TrainConfig.model_validate(raw)
