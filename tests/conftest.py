from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

# Offline everywhere: no test may reach a model hub, and MLflow must not phone home.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")

sys.path.insert(0, str(Path(__file__).parent))


@pytest.fixture
def handmade(tmp_path):
    """A tiny valid world written to a folder: (World, path)."""
    from handmade import handmade_world

    from recsys.data import write_world

    world = handmade_world()
    path = write_world(world, tmp_path / "world", seed=0)
    return world, path


@pytest.fixture(scope="session")
def minilm():
    """The packaged all-MiniLM-L6-v2 with the project's on-disk cache (.cache/embeddings): the
    taxonomy's skill vectors are computed once per machine, not once per test run."""
    from recsys.embedding import Encoder

    return Encoder(cache_dir=Path(__file__).parents[1] / ".cache" / "embeddings")


@pytest.fixture(scope="session")
def spark():
    """One local Spark session (2 cores, no UI) for every ``spark``-marked test; skipped where
    pyspark is absent (``make test-spark`` installs it and Java)."""
    pytest.importorskip("pyspark")
    from pyspark.sql import SparkSession

    monkey = pytest.MonkeyPatch()
    monkey.setenv("PYSPARK_PYTHON", sys.executable)  # workers run this interpreter
    session = (
        SparkSession.builder.master("local[2]")
        .appName("recsys-test")
        .config("spark.ui.enabled", "false")
        .getOrCreate()
    )
    yield session
    session.stop()
    monkey.undo()
