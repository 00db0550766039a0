# %% [markdown]
# # 03 · The recommender report
#
# Every recommender and baseline on the simulator's temporal split (recall, NDCG, MAP, catalogue
# coverage, novelty), plans followed in a replay of the simulator against a popular baseline,
# and a few example recommendations. All from `training.recommend*` and `models.recommend`.

# %%
import os

from footprint.simulate import SimulationConfig
from models.recommend.dataset import dataset_from_snapshot
from models.recommend.popular import PopularRecommender
from training.recommend import SimSplitConfig, default_cutoffs, evaluate_simulator
from training.recommend_trajectory import TrajectoryEvalConfig, evaluate_trajectories
from training.simworld import simulate_world

PARTICIPANTS = int(os.environ.get("TALENT_NOTEBOOK_PARTICIPANTS", "20000"))
QUICK = PARTICIPANTS < 5000
world = simulate_world(SimulationConfig(participants=PARTICIPANTS, seasons=4, seed=1))

# %% [markdown]
# ## Metrics per model

# %%
split = SimSplitConfig.model_validate(
    {"models": ["popular", "popular_direction", "ease", "content"], "max_queries": 300,
     "ability_sample": 200} if QUICK else {})
report = evaluate_simulator(world.snapshot, split)
print(report.frame().round(3).to_string())

# %% [markdown]
# ## Trajectories followed in a replay

# %%
trajectories = evaluate_trajectories(world, TrajectoryEvalConfig(
    participants=20 if QUICK else 500, ability_sample=200 if QUICK else 20_000))
for key, value in sorted(trajectories.table.items()):
    print(f"{key:40s} {value:.3f}")

# %% [markdown]
# ## Example recommendations (simulated participants)

# %%
cut = default_cutoffs(world.snapshot)[0]  # 1 October: the season's activities are open
data = dataset_from_snapshot(world.snapshot_at(cut), cut)
model = PopularRecommender().fit(data)
active = world.snapshot_at(cut).achievements["participant_id"].astype("object")
someone = active.drop_duplicates().tail(3).tolist()
examples = model.recommend(someone, k=5, as_of=cut)
print(examples[["participant_id", "activity_id", "rank", "reason_text_ru"]].to_string(index=False))
