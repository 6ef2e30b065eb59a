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
# # 01 — Explore an example world
#
# The world comes from `$RECSYS_WORLD`; when it is unset a tiny world (400 candidates, 60 roles) is
# generated into `$RECSYS_NOTEBOOK_DIR` (default `artifacts/notebooks`) so the notebook runs anywhere.

# %%
import os
from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd

from recsys.data import load_world
from recsys.data.generate import generate_world

world_dir = os.environ.get("RECSYS_WORLD")
if not world_dir:
    base = Path(os.environ.get("RECSYS_NOTEBOOK_DIR", "artifacts/notebooks"))
    world_dir = base / "world"
    if not (world_dir / "manifest.json").exists():
        generate_world(world_dir, candidates=400, roles=60, seed=3)
world = load_world(world_dir)
summary = world.summary()
pd.Series(summary["counts"], name="rows")

# %% [markdown]
# ## The funnel: how far applications get

# %%
stages = pd.Series(summary["stages"])
ax = stages.plot.bar(title="Applications by furthest funnel stage", rot=0)
ax.set_ylabel("applications")
plt.show()

# %% [markdown]
# ## Requisitions over time (the training/test split is by `opened_at`)

# %%
opened = world.roles.set_index("opened_at").resample("QS").size()
ax = opened.plot(marker="o", title="Roles opened per quarter")
ax.set_ylabel("roles")
plt.show()

# %% [markdown]
# ## Tenure of hires (censored at `observed_until`)

# %%
from lifelines import KaplanMeierFitter

from recsys.models.retention import tenure_targets

tenure = tenure_targets(world.outcomes)
km = KaplanMeierFitter().fit(tenure["duration"], tenure["event"], label="all hires")
ax = km.plot_survival_function()
ax.axvline(365, color="grey", ls=":")
ax.set_xlabel("days since hire")
ax.set_title(f"Kaplan–Meier retention ({summary['censoring_rate']:.0%} censored)")
plt.show()

# %% [markdown]
# ## Skills: required-skill coverage of applicants by stage

# %%
req = world.roles[["role_id", "required_skills"]].explode("required_skills").dropna()
claims = world.candidates[["candidate_id", "skills"]].explode("skills").dropna()
claims = claims.rename(columns={"skills": "required_skills"}).assign(has=True)
apps = world.outcomes[["candidate_id", "role_id", "stage"]]
long = apps.merge(req, on="role_id").merge(
    claims, on=["candidate_id", "required_skills"], how="left"
)
o = long.assign(has=long["has"].notna()).groupby(["candidate_id", "role_id", "stage"])["has"].mean()
o = o.rename("coverage").reset_index()
ax = o.groupby("stage")["coverage"].mean().plot.bar(rot=0, title="Mean required-skill coverage")
ax.set_ylabel("share of required skills claimed")
plt.show()
