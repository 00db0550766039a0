# %% [markdown]
# # 01 · The footprint explored
#
# The funnel from registration to prizes, activity by season and direction, and who takes
# which kind of activity by grade, on a simulated world (set `TALENT_NOTEBOOK_PARTICIPANTS`;
# the tests run it on 700 participants). Every table comes from `training.reports`; this
# notebook only shows them.
#
# Open as a notebook with `jupytext --to ipynb` or run top to bottom with `uv run python`.

# %%
import os

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

from footprint.simulate import SimulationConfig
from training.reports import activity_by_season, funnel, kind_by_grade
from training.simworld import simulate_world

PARTICIPANTS = int(os.environ.get("TALENT_NOTEBOOK_PARTICIPANTS", "20000"))
world = simulate_world(SimulationConfig(participants=PARTICIPANTS, seasons=4, seed=1))
snapshot = world.snapshot
print(f"snapshot {snapshot.snapshot_id} as of {snapshot.as_of:%Y-%m-%d}")

# %% [markdown]
# ## Funnel

# %%
steps = funnel(snapshot)
print(steps.to_string(index=False))
assert steps["participants"].is_monotonic_decreasing

# %% [markdown]
# ## Activity by season and direction

# %%
by_season = activity_by_season(snapshot)
pivot = by_season.pivot(index="season", columns="direction", values="participants").fillna(0)
print(pivot.to_string())
ax = pivot.plot(kind="bar", stacked=True, figsize=(9, 4), title="Participants per season")
ax.set_ylabel("distinct participants")
plt.close("all")

# %% [markdown]
# ## Who takes what: activity kinds by grade

# %%
kinds = kind_by_grade(snapshot)
print(kinds.to_string())
