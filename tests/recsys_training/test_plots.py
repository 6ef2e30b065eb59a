"""recsys_training.plots leaves matplotlib's backend to the environment (a notebook's inline
backend renders its figures) and still saves files on a machine without a display."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = """
import sys
import matplotlib
import pandas as pd
from recsys_training import plots
curve = pd.DataFrame({"ranker": [0.5, 0.6], "oracle": [0.8, 0.9]}, index=[5, 10])
fig = plots.ndcg_curve_figure(curve)
fig.savefig(sys.argv[1])
print(matplotlib.get_backend().lower())
"""


def _run(tmp_path: Path, **env: str) -> str:
    base = {k: v for k, v in os.environ.items() if k not in ("MPLBACKEND", "DISPLAY")}
    base["MPLCONFIGDIR"] = str(tmp_path / "mpl")
    out = tmp_path / "curve.png"
    res = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(out)],
        cwd=ROOT,
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert res.returncode == 0, res.stderr[-2000:]
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    return res.stdout.strip().splitlines()[-1]


def test_import_keeps_the_backend_the_environment_chose(tmp_path):
    # a notebook kernel sets MPLBACKEND to its inline backend; importing plots must not replace it
    assert _run(tmp_path, MPLBACKEND="svg") == "svg"


def test_headless_script_saves_png_without_a_display(tmp_path):
    assert _run(tmp_path) == "agg"  # matplotlib's own fallback when no display is reachable
