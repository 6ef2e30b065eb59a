"""One tiny trained run (MLflow on, under a per-session folder) shared by the training tests: the
pipeline, registry and tuning tests (test_train_pipeline.py) and the audit pack's
(test_audit_pack.py).  Training is the slow part, so it runs once per session."""

from __future__ import annotations

import pytest
from trained import tiny_config, tiny_world


@pytest.fixture(scope="session")
def prepared_tiny(tmp_path_factory):
    """``(root, world, config, Prepared)`` of the tiny world (embedded, split, paired)."""
    from recsys_training.pipeline import prepare

    root = tmp_path_factory.mktemp("train")
    world = tiny_world(root / "world")
    config = tiny_config(root, world)
    return root, world, config, prepare(config, world)


@pytest.fixture(scope="session")
def trained(prepared_tiny):
    """``(root, world, config, TrainResult)`` of ``train(config)`` with MLflow tracking on."""
    from recsys_training.train import train

    root, world, config, prep = prepared_tiny
    return root, world, config, train(config, prepared=prep)
