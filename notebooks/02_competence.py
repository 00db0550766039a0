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
# # 02 · The competence report
#
# The competence model's temporal evaluation (train on earlier cut-offs, score the next window
# after the last one) on a simulated world, read against three references:
#
# 1. **the simulator's truth** (each participant's true competence at the cut-off, which no
#    model input may read): Spearman, calibration and 90% interval coverage, per direction and
#    by number of records;
# 2. **the rule-based rating** and the other baselines: the same figures side by side;
# 3. **fairness slices** by region and grade.
#
# Every number comes from `training.competence.train`, `training.competence.evaluation`,
# `training.competence.diagnostics`
# and `training.reports`; the figures are `training.plots`, the same ones a pipeline run logs.
# Set `TALENT_NOTEBOOK_PARTICIPANTS` (the tests use 500).
#
# Open with `uv run jupyter lab` (the `.ipynb` beside this file is its pair; jupytext keeps
# them in step) or run top to bottom with `uv run python notebooks/02_competence.py`.

# %%
import os

from IPython.display import display

from core.logs import configure as configure_logs
from simulator import SimulationConfig
from training.competence.diagnostics import (
    ALL,
    calibration_table,
    distribution_table,
    records_table,
    truth_at,
)
from training.competence.evaluation import BASELINES, MODEL, truth_percentiles
from training.competence.train import TrainConfig, evaluate_competence
from training.pipeline import side_by_side
from training.plots import calibration_figure, distributions_figure, records_figure
from training.reports import competence_slices
from training.simworld import simulate_world, truth_frame

configure_logs("WARNING")  # results only: the library's info lines stay out of the outputs
PARTICIPANTS = int(os.environ.get("TALENT_NOTEBOOK_PARTICIPANTS", "20000"))
ROUNDS = int(os.environ.get("TALENT_NOTEBOOK_ROUNDS", "300"))
world = simulate_world(SimulationConfig(participants=PARTICIPANTS, seasons=4, seed=1))
truth = truth_frame(world)  # evaluation only: the model never sees it
config = TrainConfig.model_validate({"model": {"booster": {"n_estimators": ROUNDS}}})
evaluation, _ = evaluate_competence(world.snapshot, config, truth=truth)
features, labels, pred = evaluation.features, evaluation.labels, evaluation.predictions
true_pct = truth_percentiles(truth_at(truth, evaluation.eval_cutoff), pred)
print(
    f"trained on {[f'{c:%Y-%m-%d}' for c in evaluation.train_cutoffs]}, "
    f"evaluated at {evaluation.eval_cutoff:%Y-%m-%d}: {len(pred)} rows, "
    f"{int(labels['label'].notna().sum())} with a next-window label"
)

# %% [markdown]
# ## Against the truth, per direction and by number of records
# Spearman with the true competence (percentile within the evaluated population), the mean
# absolute error in percentile points and the bias (mean estimate minus truth: calibration in
# the large of each bucket; negative = estimated too low). Every baseline is turned into its
# percentile within the direction for the error and the bias.

# %% tags=["plot"]
scorers = (MODEL, *BASELINES)
by_records = records_table(
    features, labels, pred, true_pct, scorers=scorers, extra_scores=evaluation.extra_scores
)
for column in ("spearman_truth", "mae_truth", "bias_truth"):
    print(f"{column} (rows: records bucket; columns: scorer), mean over directions")
    wide = by_records[by_records["direction"] == ALL].pivot(
        index="records", columns="scorer", values=column
    )
    display(wide[list(scorers)].round(3))
for column in ("spearman_truth", "bias_truth"):
    print(f"{column} of the model per direction")
    display(
        by_records[by_records["scorer"] == MODEL]
        .pivot(index="records", columns="direction", values=column)
        .round(3)
    )
fig = records_figure(by_records[by_records["scorer"].isin([MODEL, "rating_points"])])

# %% [markdown]
# ## Calibration
# Mean true percentile per decile of the estimate (the diagonal is perfect) and the mean
# ability shown in the next window. An estimate of 80 should mean "above about 80% of the
# population".

# %% tags=["plot"]
calibration = calibration_table(pred, labels, true_pct)
display(calibration.pivot(index="bin", columns="direction", values="mean_truth").round(1))
fig = calibration_figure(calibration)

# %% [markdown]
# ## Intervals: coverage of the truth and width
# Nominal coverage is 90%. Coverage is lowest where the model is surest (many records).

# %% tags=["plot"]
coverage = by_records[by_records["scorer"] == MODEL].pivot(
    index="records", columns="direction", values="coverage_truth"
)
display(coverage.round(3))
for direction in [*sorted(set(pred["direction"].astype(str))), "all"]:
    print(f"{direction:12s} coverage {evaluation.report[f'{direction}.coverage']:.3f}")
fig = distributions_figure(distribution_table(pred))

# %% [markdown]
# ## Against the rating and the other baselines
# Spearman with the next window's label and performance (what a real-data evaluation can
# measure); the rating baseline is the rule-based points of the current and previous season.

# %%
display(side_by_side(evaluation.report).round(3))
label_wide = by_records[by_records["direction"] == ALL].pivot(
    index="records", columns="scorer", values="spearman_label"
)
print("Spearman with the next-window label by number of records")
display(label_wide[list(scorers)].round(3))

# %% [markdown]
# ## Fairness slices by region and grade
# Per group: the Spearman with the next window's label and with the truth, the bias against the
# truth (mean estimate minus true percentile; negative: the group is estimated too low) and the
# interval coverage. Grades are the grades at the cut-off. Groups under 30 rows are left out.

# %%
at_cutoff = world.snapshot_at(evaluation.eval_cutoff)  # grades as they were at the cut-off
for by in ("region", "grade"):
    slices = competence_slices(at_cutoff, pred, labels, by, true_pct=true_pct)
    display(slices.round(3))
    if not slices.empty:
        gap = slices["bias_truth"].max() - slices["bias_truth"].min()
        print(f"largest bias gap between {by} groups: {gap:.1f} percentile points")
