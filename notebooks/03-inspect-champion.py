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
# # 03 — Inspect the champion: where the ranker goes wrong, and why
#
# Loads `models:/recsys@champion` from an MLflow registry, reads its training run (metrics,
# logged plots), rebuilds the test period of the world it was trained on and looks at its errors:
# the roles it ranks worst (NDCG@10 among their applicants), the interviewed and hired applicants
# it ranks low (false negatives) with the feature contributions and skill gaps behind each, and
# what the features do overall (TreeSHAP contributions, the values the served reasons come from).
#
# Settings (environment variables):
# - `MLFLOW_TRACKING_URI`: the registry to read, e.g. `sqlite:///mlflow.db` from the repository
#   root after `make demo`.  Unset: the notebook's own registry in `$RECSYS_NOTEBOOK_DIR`
#   (default `artifacts/notebooks`), where a tiny model is trained and registered when no champion
#   is there yet (400 candidates, 60 roles, the `hashing:128` test encoder; about a minute).
# - `RECSYS_MODEL`: another model URI (`models:/recsys/3`, `runs:/<id>/model`, a bundle folder).
# - `RECSYS_WORLD`: the world to inspect (default: the one the model was trained on).

# %%
import os
from pathlib import Path

import matplotlib.pyplot as plt
import mlflow
import pandas as pd
from IPython.display import display

from recsys.recommender import Recommender
from recsys.registry import champion
from recsys_training import plots
from recsys_training.error_analysis import ranker_errors

pd.set_option("display.max_colwidth", 120)
base = Path(os.environ.get("RECSYS_NOTEBOOK_DIR", "artifacts/notebooks")).resolve()
tracking_uri = os.environ.get("MLFLOW_TRACKING_URI") or f"sqlite:///{base / 'mlflow.db'}"
model_uri = os.environ.get("RECSYS_MODEL", "models:/recsys@champion")
mlflow.set_tracking_uri(tracking_uri)
found = champion("recsys", "champion", tracking_uri=tracking_uri)
print(f"registry {tracking_uri}: recsys@champion = {found or 'none yet'}")

# %% [markdown]
# ## A champion to inspect
#
# With no `recsys@champion` in the registry (and no `RECSYS_MODEL`), train a tiny one exactly as
# `recsys train` does: MLflow run, registered model, promotion gate.  Masking and the text-only
# model are off to keep it quick; a real run keeps them (configs/train.yaml).

# %%
if found is None and "RECSYS_MODEL" not in os.environ:
    from recsys.data.generate import generate_world
    from recsys_training.config import TrainConfig
    from recsys_training.train import train

    world_dir = Path(os.environ.get("RECSYS_WORLD") or base / "world")
    if not (world_dir / "manifest.json").exists():
        generate_world(world_dir, candidates=400, roles=60, seed=3)
    config = TrainConfig.model_validate(
        {
            "world": str(world_dir),
            "out": str(base / "train-03"),
            "embedding": {"model": "hashing:128", "cache_dir": str(base / "cache")},
            "mask": {"candidates": 0.0, "roles": 0.0, "text_only_eval": False},
            "fit": {"n_estimators": 100, "early_stopping_rounds": 20, "text_model": False},
            "tracking": {
                "tracking_uri": tracking_uri,
                "artifact_location": (base / "mlartifacts").as_uri(),
            },
        }
    )
    trained = train(config)
    print(trained.decision.reason)

rec = Recommender.from_uri(model_uri)
pd.Series(rec.describe()).drop("index_sha256")

# %% [markdown]
# ## Its MLflow run: the test metrics it was promoted on, and the plots logged with it

# %%
client = mlflow.MlflowClient()
run = client.get_run(rec.info["run_id"]) if rec.info.get("run_id") else None
if run is not None:
    m = pd.Series(run.data.metrics)
    wanted = ["ndcg_at_5", "ndcg_at_10", "ndcg_at_20", "recall_at_10", "map"]
    table = pd.DataFrame(
        {
            scorer: {k: m.get(f"test.ranking.{scorer}.{k}") for k in wanted}
            for scorer in ("ranker", "linear", "hand_weighted", "bm25", "cosine", "oracle")
        }
    ).T
    display(table.round(3))

# %%
if run is not None:
    for name in ("plots/ndcg_at_k.png", "plots/importance.png"):
        image = mlflow.artifacts.load_image(f"runs:/{run.info.run_id}/{name}")
        fig, ax = plt.subplots(figsize=(7, 5))
        ax.imshow(image)
        ax.set_axis_off()
        ax.set_title(f"logged artifact {name}", fontsize=9)
        plt.show()

# %% [markdown]
# ## Errors on the test period
#
# Every test applicant scored by the champion's fit ranker; `rank` is among the role's applicants,
# `ideal_rank` the rank its stage deserves (1 + applicants who got further).

# %%
errors = ranker_errors(rec, os.environ.get("RECSYS_WORLD"))
print(
    f"{len(errors.pairs):,} applicants of {errors.pairs['role_id'].nunique()} test roles; "
    f"stages {errors.pairs['stage'].value_counts().sort_index().to_dict()}"
)
errors.pairs.head()

# %% [markdown]
# ### Roles ranked worst

# %%
roles = errors.per_role(k=10)
ax = roles["ndcg@10"].plot.hist(bins=20, title="NDCG@10 per test role (among its applicants)")
ax.set_xlabel("NDCG@10")
plt.show()
roles.head(10).round(3)

# %% [markdown]
# The worst role's applicants in the ranker's order: where did its interviews and hires land?

# %%
worst = roles.index[0]
errors.pairs[errors.pairs["role_id"] == worst].sort_values("rank")[
    ["rank", "ideal_rank", "stage", "fit", "candidate_id", "headline"]
]

# %% [markdown]
# ### False negatives: interviewed or hired, ranked below 5
#
# For each, the contributions that pulled its fit down most and up most (feature = value:
# contribution), and the role's required skills it has or lacks.

# %%
fn = errors.false_negatives(min_stage=2, k=5)
print(f"{len(fn)} of {int((errors.pairs['stage'] >= 2).sum())} interviewed-or-hired applicants")
why = errors.explain(fn.head(8), n=3)
why[
    [
        "role_id",
        "title",
        "headline",
        "stage",
        "rank",
        "ideal_rank",
        "pulled_down",
        "missing_skills",
        "matched_skills",
    ]
]

# %% [markdown]
# What sets them apart: mean contribution per feature for the false negatives against the
# interviewed-or-hired applicants the ranker placed in the top 5.

# %%
good = errors.pairs[(errors.pairs["stage"] >= 2) & (errors.pairs["rank"] <= 5)]
contrib = errors.contributions.drop(columns="bias")
gap = contrib.loc[fn.index].mean() - contrib.loc[good.index].mean()
gap = gap[gap.abs().sort_values().index[-12:]]
fig, ax = plt.subplots(figsize=(6, 4))
ax.barh(gap.index, gap.to_numpy(), color=["tab:red" if v < 0 else "tab:blue" for v in gap])
ax.axvline(0, color="grey", lw=0.5)
ax.set_xlabel("mean contribution: false negatives - interviewed/hired in the top 5")
ax.set_title("Where the false negatives lose fit")
fig.tight_layout()
plt.show()

# %% [markdown]
# ## Feature effects over the whole test period
#
# Mean |contribution| is the importance the ranker actually used on these pairs; the correlation
# of a feature's value with its contribution gives its direction.

# %%
effects = errors.feature_effects()
plots.importance_figure(
    effects["mean_abs_contribution"].rename("mean |contribution|"),
    top=15,
    title="Feature effects on the test period (TreeSHAP)",
)
plt.show()
effects.head(10).round(3)

# %%
top = list(effects.index[:3])
fig, axes = plt.subplots(1, len(top), figsize=(4 * len(top), 3.2), sharey=True)
for ax, name in zip(axes, top, strict=True):
    ax.scatter(errors.features[name], contrib[name], s=8, c=errors.pairs["stage"], cmap="viridis")
    ax.set_xlabel(name)
    ax.axhline(0, color="grey", lw=0.5)
axes[0].set_ylabel("contribution to fit (colour: stage)")
fig.suptitle("Dependence: feature value vs its contribution")
fig.tight_layout()
plt.show()
