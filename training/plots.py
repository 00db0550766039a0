"""The plots every pipeline run logs under ``plots/`` and the report notebooks show.

Each ``*_figure`` function draws one aggregate table of :mod:`training.competence.diagnostics`
(binned or
grouped numbers, never a participant) and returns a matplotlib figure (Agg backend, no display
needed); an empty table raises :class:`~core.errors.EmptyInputError`. The ``log_*``
functions compute the tables, draw them and log figure and table (``plots/<name>.png`` and
``plots/<name>.json``) to an MLflow run.

Competence: ``calibration`` (predicted against observed by decile), ``metric_by_records``
(model against the rating baseline by number of records), ``score_distributions`` (estimates
and interval widths per direction). Recommenders: ``metrics_per_model`` (NDCG@10, recall@10,
coverage of every recommender with the baselines marked), ``ndcg_by_history`` (cold to warm
participants) and ``rerank_scores`` (the re-ranker's top-k scores, chosen or not).
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from core.logs import get_logger
from training.competence.diagnostics import (
    ALL,
    calibration_table,
    distribution_table,
    metrics_table,
    ndcg_by_history,
    records_table,
    require_rows,
    score_table,
    truth_at,
)
from training.competence.evaluation import truth_percentiles

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from training.competence.train import Evaluation
    from training.recommend.evaluate import RecommendReport

log = get_logger(__name__)
RERANK = "rerank"


def _pyplot() -> Any:
    import matplotlib

    if "ipykernel" not in sys.modules:
        # files only (pipeline runs, servers without a display); in a notebook the kernel's
        # inline backend stays, so the figures show under their cells
        matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def calibration_figure(table: pd.DataFrame) -> Figure:
    """Mean true percentile (when known) and mean next-window label per decile of the estimate,
    one line per direction; the diagonal is perfect calibration against the truth."""
    require_rows(table, "the calibration table")
    plt = _pyplot()
    truth = "mean_truth" in table.columns and table["mean_truth"].notna().any()
    fig, axes = plt.subplots(1, 2 if truth else 1, figsize=(11 if truth else 6, 4.2), squeeze=False)
    panels = axes[0]
    for direction, g in table.groupby("direction"):
        if truth:
            panels[0].plot(g["mean_estimate"], g["mean_truth"], marker="o", label=direction)
        panels[-1].plot(g["mean_estimate"], g["mean_label"], marker="o", label=direction)
    if truth:
        panels[0].plot([0, 100], [0, 100], color="grey", linestyle="--", linewidth=1)
        panels[0].set(
            xlabel="mean estimate in the decile",
            ylabel="mean true percentile",
            title="Calibration against the truth",
            xlim=(0, 100),
            ylim=(0, 100),
        )
    panels[-1].set(
        xlabel="mean estimate in the decile",
        ylabel="mean ability shown in the next window",
        title="Calibration against the next window",
    )
    for ax in panels:
        ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def records_figure(table: pd.DataFrame, direction: str = ALL) -> Figure:
    """Grouped bars by bucket of records: Spearman with the next window's label and, when the
    truth is known, Spearman with it and the mean absolute error in percentile points."""
    require_rows(table, "the metric-by-records table")
    rows = table[table["direction"] == direction]
    require_rows(rows, f"the metric-by-records table for {direction!r}")
    plt = _pyplot()
    columns = [
        c
        for c in ("spearman_label", "spearman_truth", "mae_truth")
        if c in rows.columns and rows[c].notna().any()
    ]
    titles = {
        "spearman_label": "Spearman with the next-window label",
        "spearman_truth": "Spearman with the true competence",
        "mae_truth": "Mean absolute error vs truth (percentile points)",
    }
    fig, axes = plt.subplots(1, len(columns), figsize=(5.2 * len(columns), 4.2), squeeze=False)
    buckets = list(dict.fromkeys(rows["records"]))
    scorers = list(dict.fromkeys(rows["scorer"]))
    x = np.arange(len(buckets))
    width = 0.8 / len(scorers)
    for ax, column in zip(axes[0], columns, strict=True):
        for i, scorer in enumerate(scorers):
            values = rows[rows["scorer"] == scorer].set_index("records")[column].reindex(buckets)
            ax.bar(x + i * width, values.fillna(0.0), width, label=scorer)
        ax.set_xticks(x + width * (len(scorers) - 1) / 2, buckets)
        ax.set(xlabel="records before the cut-off", title=titles[column])
        ax.legend(fontsize=8)
    counts = rows.drop_duplicates("records").set_index("records")["rows"].reindex(buckets)
    fig.suptitle(
        f"Metric by number of records ({direction}; rows: "
        + ", ".join(f"{b}: {int(n)}" for b, n in counts.items())
        + ")",
        fontsize=10,
    )
    fig.tight_layout()
    return fig


def distributions_figure(table: pd.DataFrame) -> Figure:
    """Histograms of the estimates and of the 90% interval widths, one line per direction."""
    require_rows(table, "the score-distribution table")
    plt = _pyplot()
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.2))
    labels = {"estimate": "competence estimate", "interval_width": "90% interval width (points)"}
    for ax, (quantity, xlabel) in zip(axes, labels.items(), strict=True):
        part = table[table["quantity"] == quantity]
        for direction, g in part.groupby("direction"):
            lower = g["bin"].to_numpy(float)
            step = float(np.diff(lower).min()) if len(lower) > 1 else 100.0 - lower[0]
            ax.stairs(
                g["rows"].to_numpy(float), np.append(lower, lower[-1] + step), label=direction
            )
        ax.set(xlabel=xlabel, ylabel="rows", xlim=(0, 100))
        ax.legend(fontsize=8)
    axes[0].set_title("Estimates per direction")
    axes[1].set_title("Interval widths per direction")
    fig.tight_layout()
    return fig


def metrics_figure(table: pd.DataFrame) -> Figure:
    """One panel per metric, a bar per recommender; baselines hatched."""
    require_rows(table, "the recommender metrics table")
    plt = _pyplot()
    metrics = list(dict.fromkeys(table["metric"]))
    fig, axes = plt.subplots(1, len(metrics), figsize=(4.2 * len(metrics), 4.2), squeeze=False)
    for ax, metric in zip(axes[0], metrics, strict=True):
        part = table[table["metric"] == metric]
        bars = ax.bar(part["model"], part["value"].fillna(0.0))
        for bar, baseline in zip(bars, part["baseline"], strict=True):
            if baseline:
                bar.set_hatch("//")
                bar.set_alpha(0.6)
        ax.set_title(metric)
        ax.tick_params(axis="x", rotation=45)
    fig.suptitle("Recommenders on the simulator split (hatched: baselines)", fontsize=10)
    fig.tight_layout()
    return fig


def history_figure(table: pd.DataFrame) -> Figure:
    """Mean NDCG@10 per model by bucket of history length."""
    require_rows(table, "the NDCG-by-history table")
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(7, 4.2))
    buckets = list(dict.fromkeys(table["history"]))
    models = list(dict.fromkeys(table["model"]))
    x = np.arange(len(buckets))
    width = 0.8 / len(models)
    for i, model in enumerate(models):
        values = table[table["model"] == model].set_index("history")["ndcg"].reindex(buckets)
        ax.bar(x + i * width, values.fillna(0.0), width, label=model)
    counts = table.drop_duplicates("history").set_index("history")["queries"].reindex(buckets)
    ax.set_xticks(
        x + width * (len(models) - 1) / 2, [f"{b}\n({int(n)} queries)" for b, n in counts.items()]
    )
    ax.set(
        xlabel="series taken before the cut-off",
        ylabel="NDCG@10",
        title="NDCG by history length (cold to warm)",
    )
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def scores_figure(table: pd.DataFrame, model: str = RERANK) -> Figure:
    """Histogram of a model's top-k scores: items then chosen against the rest."""
    require_rows(table, "the score table")
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(7, 4.2))
    ax.bar(
        table["bin"],
        table["not_chosen"],
        table["width"],
        align="edge",
        alpha=0.6,
        label="not chosen",
    )
    ax.bar(
        table["bin"],
        table["chosen"],
        table["width"],
        align="edge",
        alpha=0.8,
        bottom=table["not_chosen"],
        label="chosen",
    )
    ax.set(
        xlabel=f"{model} score",
        ylabel="recommended items",
        title=f"Score distribution of {model}'s top 10",
    )
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def _log(run_id: str, fig: Figure, table: pd.DataFrame, name: str) -> None:
    import mlflow

    client = mlflow.MlflowClient()
    client.log_figure(run_id, fig, f"plots/{name}.png")
    _pyplot().close(fig)
    client.log_table(run_id, table, f"plots/{name}.json")


def log_competence_plots(
    run_id: str,
    features: pd.DataFrame,
    labels: pd.DataFrame,
    predictions: pd.DataFrame,
    true_pct: np.ndarray | None = None,
) -> list[str]:
    """Draw calibration, metric by records and score distributions and log each figure and its
    table to run ``run_id``; returns the plot names."""
    tables = {
        "calibration": calibration_table(predictions, labels, true_pct),
        "metric_by_records": records_table(features, labels, predictions, true_pct),
        "score_distributions": distribution_table(predictions),
    }
    draw = {
        "calibration": calibration_figure,
        "metric_by_records": records_figure,
        "score_distributions": distributions_figure,
    }
    for name, table in tables.items():
        _log(run_id, draw[name](table), table, name)
    return list(tables)


def log_recommender_plots(run_id: str, report: RecommendReport) -> list[str]:
    """Draw metrics per model and NDCG by history length and log them to run ``run_id``."""
    metrics = metrics_table(report.table)
    _log(run_id, metrics_figure(metrics), metrics, "metrics_per_model")
    names = ["metrics_per_model"]
    if report.queries is not None and len(report.queries):
        history = ndcg_by_history(report.queries)
        if len(history):
            _log(run_id, history_figure(history), history, "ndcg_by_history")
            names.append("ndcg_by_history")
    return names


def log_rerank_plots(run_id: str, report: RecommendReport) -> list[str]:
    """Draw the re-ranker's score distribution and log it to ``run_id`` (when it was
    evaluated)."""
    if RERANK not in report.scores or not len(report.scores[RERANK]):
        return []
    table = score_table(report.scores[RERANK])
    _log(run_id, scores_figure(table), table, "rerank_scores")
    return ["rerank_scores"]


def log_pipeline_plots(
    parent_run_id: str,
    evaluation: Evaluation,
    report: RecommendReport | None,
    truth: pd.DataFrame | None,
) -> dict[str, list[str]]:
    """Log every plot of a pipeline run into its stage's child run: competence plots into
    ``competence``, metrics per model and NDCG by history into ``recommenders``, the score
    distribution into ``reranker``. ``truth`` (the simulator's, when known) adds the truth
    panels. Returns the plot names per child run."""
    import mlflow

    client = mlflow.MlflowClient()
    parent = client.get_run(parent_run_id)
    children = client.search_runs(
        [parent.info.experiment_id], f"tags.mlflow.parentRunId = '{parent_run_id}'"
    )
    by_name = {c.data.tags.get("mlflow.runName"): c.info.run_id for c in children}
    true_pct = None
    if truth is not None:
        true_pct = truth_percentiles(
            truth_at(truth, evaluation.eval_cutoff), evaluation.predictions
        )
    logged: dict[str, list[str]] = {}
    if "competence" in by_name:
        logged["competence"] = log_competence_plots(
            by_name["competence"],
            evaluation.features,
            evaluation.labels,
            evaluation.predictions,
            true_pct,
        )
    if report is not None and "recommenders" in by_name:
        logged["recommenders"] = log_recommender_plots(by_name["recommenders"], report)
    if report is not None and "reranker" in by_name:
        logged["reranker"] = log_rerank_plots(by_name["reranker"], report)
    log.info("pipeline plots logged", **{k: len(v) for k, v in logged.items()})
    return logged
