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
# # 03 · The recommender report
#
# Every recommender beside the baselines (popularity, popularity by direction, plain ALS) on the
# simulator's temporal split: recall, NDCG, MAP, catalogue coverage and novelty; NDCG for cold
# and warm participants; the re-ranker's scores; plans followed in a replay of the simulator
# against a popular baseline; and a few example trajectories as the planner proposes them.
# All numbers come from `training.recommend.evaluate*`, `training.competence.diagnostics` and
# `training.recommend.plan_examples`; the figures are `training.plots`, the ones a pipeline run
# logs.
#
# Open with `uv run jupyter lab` (the `.ipynb` beside this file is its pair; jupytext keeps
# them in step) or run top to bottom with `uv run python notebooks/03_recommender.py`.

# %%
import datetime as dt
import os

from IPython.display import display

from core.logs import configure as configure_logs
from models.recommend.dataset import dataset_from_snapshot
from models.recommend.popular import PopularRecommender
from simulator import SimulationConfig
from training.competence.diagnostics import metrics_table, ndcg_by_history, score_table
from training.plots import history_figure, metrics_figure, scores_figure
from training.recommend.evaluate import SimSplitConfig, default_cutoffs, evaluate_simulator
from training.recommend.plan_examples import example_plans, plan_text
from training.simworld import simulate_world
from training.simworld.trajectory import TrajectoryEvalConfig, evaluate_trajectories

configure_logs("WARNING")  # results only: the library's info lines stay out of the outputs
PARTICIPANTS = int(os.environ.get("TALENT_NOTEBOOK_PARTICIPANTS", "20000"))
QUICK = PARTICIPANTS < 5000
world = simulate_world(SimulationConfig(participants=PARTICIPANTS, seasons=4, seed=1))

# %% [markdown]
# ## Metrics per model, with the baselines
# Pooled over the cut-offs; `coverage` is the share of the open catalogue that appears in any
# top 10. In the chart the baselines are hatched.

# %% tags=["plot"]
split = SimSplitConfig.model_validate(
    {
        "models": ["popular", "popular_direction", "ease", "content", "rerank"],
        "max_queries": 300,
        "ability_sample": 200,
        "decision_offsets_days": [365],
        "cutoffs": [default_cutoffs(world.snapshot)[0]],
    }
    if QUICK
    else {}
)
report = evaluate_simulator(world.snapshot, split)
display(report.frame().round(3))
best, value = report.best_single()
if "rerank" in report.table:
    gain = report.table["rerank"]["ndcg@10"] / value - 1
    print(
        f"re-ranker NDCG@10 {report.table['rerank']['ndcg@10']:.3f} against the best single "
        f"model {best} {value:.3f} ({gain:+.1%})"
    )
fig = metrics_figure(metrics_table(report.table))

# %% [markdown]
# ## NDCG by history length: cold and warm participants
# Queries grouped by the number of event series the participant had taken before the cut-off.

# %% tags=["plot"]
history = ndcg_by_history(report.queries)
display(history.pivot(index="history", columns="model", values="ndcg").round(3))
fig = history_figure(history)

# %% [markdown]
# ## The re-ranker's scores
# Its top-10 scores, split by whether the participant then took the activity: a useful score
# puts the chosen ones to the right.

# %% tags=["plot"]
if "rerank" in report.scores:
    scores = score_table(report.scores["rerank"])
    display(scores.drop(columns="width").round(3))
    fig = scores_figure(scores)

# %% [markdown]
# ## Trajectories followed in a replay

# %%
trajectories = evaluate_trajectories(
    world,
    TrajectoryEvalConfig(
        participants=20 if QUICK else 500, ability_sample=200 if QUICK else 20_000
    ),
)
for key, value in sorted(trajectories.table.items()):
    print(f"{key:40s} {value:.3f}")

# %% [markdown]
# ## Example trajectories
# Plans made on 1 September of the last season toward a prize-winner diploma in each
# participant's main direction: dated steps, the chance of a good result, the expected rating
# points and competence gain, and the reasons shown to the participant (Russian).

# %%
last_season = world.config.first_season + world.config.seasons - 1
plans = example_plans(
    world.snapshot, dt.datetime(last_season, 9, 1), n=3, ability_sample=200 if QUICK else 20_000
)
for p in plans:
    print(f"\n{p.participant_id} -> {p.goal.direction}:{p.goal.diploma}")
    print(plan_text(p))

# %% [markdown]
# ## Example recommendations (simulated participants)

# %%
cut = default_cutoffs(world.snapshot)[0]  # 1 October: the season's activities are open
data = dataset_from_snapshot(world.snapshot_at(cut), cut)
model = PopularRecommender().fit(data)
active = world.snapshot_at(cut).achievements["participant_id"].astype("object")
someone = active.drop_duplicates().tail(3).tolist()
examples = model.recommend(someone, k=5, as_of=cut)
display(examples[["participant_id", "activity_id", "rank", "reason_text_ru"]])
