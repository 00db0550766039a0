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
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 01 · The footprint explored
#
# The funnel from registration to prizes, activity by season and direction, and who takes
# which kind of activity by grade, on a simulated world (set `TALENT_NOTEBOOK_PARTICIPANTS`;
# the tests run it on 700 participants). Every table comes from `training.reports`; this
# notebook only shows them.
#
# Open with `uv run jupyter lab` (the `.ipynb` beside this file is its pair; jupytext keeps
# them in step) or run top to bottom with `uv run python notebooks/01_footprint.py`.

# %%
import os

from IPython.display import display

from core.logs import configure as configure_logs
from simulator import SimulationConfig
from training.reports import activity_by_season, funnel, kind_by_grade
from training.simworld import simulate_world

configure_logs("WARNING")  # results only: the library's info lines stay out of the outputs
PARTICIPANTS = int(os.environ.get("TALENT_NOTEBOOK_PARTICIPANTS", "20000"))
world = simulate_world(SimulationConfig(participants=PARTICIPANTS, seasons=4, seed=1))
snapshot = world.snapshot
print(f"snapshot {snapshot.snapshot_id} as of {snapshot.as_of:%Y-%m-%d}")

# %% [markdown]
# ## Funnel

# %%
steps = funnel(snapshot)
display(steps)
assert steps["participants"].is_monotonic_decreasing

# %% [markdown]
# ## Activity by season and direction

# %% tags=["plot"]
by_season = activity_by_season(snapshot)
pivot = by_season.pivot(index="season", columns="direction", values="participants").fillna(0)
display(pivot)
ax = pivot.plot(kind="bar", stacked=True, figsize=(9, 4), title="Participants per season")
_ = ax.set_ylabel("distinct participants")

# %% [markdown]
# ## Who takes what: activity kinds by grade

# %%
kinds = kind_by_grade(snapshot)
display(kinds)
