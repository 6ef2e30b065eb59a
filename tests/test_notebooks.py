"""The numbered notebooks execute top to bottom on a tiny generated world (``pytest --nbmake``)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]-*.ipynb"))


def test_every_notebook_has_its_jupytext_pair():
    assert NOTEBOOKS, "no numbered notebooks found"
    for nb in NOTEBOOKS:
        assert nb.with_suffix(".py").is_file(), f"{nb.name} lacks its py:percent pair"


@pytest.mark.slow
def test_notebooks_execute_on_a_tiny_world(tmp_path):
    env = {**os.environ, "RECSYS_NOTEBOOK_DIR": str(tmp_path), "MLFLOW_DISABLE_TELEMETRY": "true"}
    env.pop("RECSYS_WORLD", None)
    res = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "--nbmake",
            "--nbmake-timeout=600",
            "-p",
            "no:cacheprovider",
            *map(str, NOTEBOOKS),
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=1500,
    )
    assert res.returncode == 0, res.stdout[-4000:] + res.stderr[-2000:]
