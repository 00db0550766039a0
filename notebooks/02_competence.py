# %% [markdown]
# # 02 · The competence report
#
# The competence model's temporal evaluation (train on earlier cut-offs, score the next window
# after the last one) against the baselines, the 90% intervals, and fairness slices by region
# and grade. All numbers come from `training.competence` and `training.reports`.

# %%
import os

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

from footprint.simulate import SimulationConfig
from models.competence.columns import CompetenceColumns as CC
from training.competence import TrainConfig, evaluate_competence
from training.pipeline import side_by_side
from training.reports import competence_slices
from training.simworld import simulate_world

PARTICIPANTS = int(os.environ.get("TALENT_NOTEBOOK_PARTICIPANTS", "20000"))
ROUNDS = int(os.environ.get("TALENT_NOTEBOOK_ROUNDS", "300"))
world = simulate_world(SimulationConfig(participants=PARTICIPANTS, seasons=4, seed=1))
config = TrainConfig.model_validate({"model": {"booster": {"n_estimators": ROUNDS}}})
evaluation, _ = evaluate_competence(world.snapshot, config)

# %% [markdown]
# ## The model against the baselines
# Spearman with the next window's label and performance; the rating baseline is rule points.

# %%
table = side_by_side(evaluation.report)
print(table.round(3).to_string(index=False))

# %% [markdown]
# ## Intervals

# %%
pred = evaluation.predictions
width = pred[CC.UPPER] - pred[CC.LOWER]
print(width.describe().round(1).to_string())
fig, ax = plt.subplots(figsize=(6, 3.5))
ax.scatter(pred[CC.COMPETENCE], width, s=3, alpha=0.3)
ax.set(xlabel="estimate", ylabel="90% interval width", title="Interval width by estimate")
plt.close(fig)

# %% [markdown]
# ## Fairness slices by region and grade
# Groups under 30 rows are left out.

# %%
for by in ("region", "grade"):
    print(competence_slices(world.snapshot, pred, evaluation.labels, by).round(3)
          .to_string(index=False))
