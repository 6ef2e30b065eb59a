# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 02 — Train the ranker and retention model, compare with baselines
#
# Runs the same pipeline as `recsys train` (time split, retrieved negatives, FitRanker + RetentionModel)
# without MLflow, then compares the ranker with BM25, raw embedding cosine and the oracle (planted
# true fit), and the retention model with Kaplan–Meier and the naive classifier.
# `$RECSYS_WORLD` picks the world (default: a tiny generated one); `$RECSYS_ENCODER` the encoder
# (default `hashing:128`, the fast test double; unset it to `default` for the real model).

# %%
import os
from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd

from recsys.data.generate import generate_world
from recsys_training import plots
from recsys_training.config import TrainConfig
from recsys_training.pipeline import evaluate_models, prepare
from recsys_training.train import fit_models

base = Path(os.environ.get("RECSYS_NOTEBOOK_DIR", "artifacts/notebooks"))
world_dir = os.environ.get("RECSYS_WORLD")
if not world_dir:
    world_dir = base / "world"
    if not (world_dir / "manifest.json").exists():
        generate_world(world_dir, candidates=400, roles=60, seed=3)
encoder = os.environ.get("RECSYS_ENCODER", "hashing:128")
config = TrainConfig.model_validate(
    {
        "world": str(world_dir),
        "out": str(base / "train"),
        "embedding": {"model": None if encoder == "default" else encoder},
        "fit": {"n_estimators": 200},
    }
)
prep = prepare(config, world_dir)
pd.Series(prep.split.summary())

# %%
ranker, retention = fit_models(prep, config)
evaluation = evaluate_models(prep, ranker, retention, config)
report = evaluation["report"]
pd.DataFrame(report["ranking"]).drop(columns="ranker_vs").T.round(3)

# %%
pd.Series(report["ranking"]["ranker_vs"]).round(3)

# %%
plots.ndcg_curve_figure(evaluation["curve"])
plt.show()

# %%
plots.importance_figure(ranker.feature_importance())
plt.show()

# %% [markdown]
# ## Retention: survival model vs Kaplan–Meier vs naive (drops censored hires)

# %%
ret = report["retention"]
pd.DataFrame({k: v for k, v in ret.items() if k in ("model", "km", "naive")}).T.round(
    3
) if "model" in ret else ret

# %%
if evaluation["calibration"]:
    plots.calibration_figure(evaluation["calibration"], config.evaluate.horizon_days)
    plt.show()
