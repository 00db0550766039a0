"""Aggregate tables the notebooks show: the footprint's funnel and activity, competence slices.

Notebooks only call these and plot; any number a decision rests on is computed here, where it is
tested and reused, not in a notebook cell. Every table is an aggregate (counts, shares,
correlations per group); groups smaller than ``min_group`` are left out so no row describes a
handful of identifiable children.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from features.schema import KEYS, Feat
from footprint.calendar import season_start_year
from footprint.columns import Columns as C
from footprint.enums import Result
from footprint.frames import Snapshot
from models.competence.columns import CompetenceColumns as CC
from training.competence.evaluation import RECORD_BUCKETS, spearman

SEASON = "season"
MIN_GROUP = 30
PRIZE = (Result.WINNER.value, Result.PRIZE_WINNER.value)


def _seasons(stamps: pd.Series) -> np.ndarray:
    days = pd.to_datetime(stamps).dt.date
    return np.array([season_start_year(d) for d in days], dtype=np.int64)


def funnel(snapshot: Snapshot) -> pd.DataFrame:
    """Participants at each step: registered, with a record, in 2+ seasons, with a prize."""
    ach = snapshot.achievements
    pid = ach[C.PARTICIPANT_ID].astype("object")
    seasons = pd.Series(_seasons(ach[C.ACHIEVED_AT]), index=ach.index)
    per = seasons.groupby(pid).nunique()
    prize = pid[ach[C.RESULT].astype("object").isin(PRIZE)].nunique()
    steps = {
        "registered": len(snapshot.participants),
        "with a record": pid.nunique(),
        "in 2+ seasons": int((per >= 2).sum()),
        "winner or prize winner": int(prize),
    }
    frame = pd.DataFrame({"step": list(steps), "participants": list(steps.values())})
    frame["share_of_registered"] = frame["participants"] / max(steps["registered"], 1)
    return frame


def activity_by_season(snapshot: Snapshot) -> pd.DataFrame:
    """Records and distinct participants per season and direction (weight-bearing links)."""
    ach = snapshot.achievements[[C.PARTICIPANT_ID, C.ACTIVITY_ID, C.ACHIEVED_AT]].copy()
    ach[SEASON] = _seasons(ach[C.ACHIEVED_AT])
    links = snapshot.activity_directions[[C.ACTIVITY_ID, C.DIRECTION]]
    joined = ach.merge(links, on=C.ACTIVITY_ID, how="inner")
    out = joined.groupby([SEASON, C.DIRECTION]).agg(
        records=(C.ACTIVITY_ID, "size"), participants=(C.PARTICIPANT_ID, "nunique")
    )
    return out.reset_index()


def kind_by_grade(snapshot: Snapshot) -> pd.DataFrame:
    """Who takes what: records per activity kind (rows) and grade at the snapshot (columns)."""
    ach = snapshot.achievements[[C.PARTICIPANT_ID, C.ACTIVITY_ID]]
    parts = snapshot.participants[[C.PARTICIPANT_ID, C.GRADE]]
    kinds = snapshot.activities[[C.ACTIVITY_ID, C.KIND]]
    joined = ach.merge(kinds, on=C.ACTIVITY_ID).merge(parts, on=C.PARTICIPANT_ID)
    table = pd.crosstab(joined[C.KIND].astype("object"), joined[C.GRADE].astype("int64"))
    return table.loc[:, table.sum() >= MIN_GROUP]


def competence_slices(
    snapshot: Snapshot,
    predictions: pd.DataFrame,
    labels: pd.DataFrame,
    by: str,
    min_group: int = MIN_GROUP,
    true_pct: np.ndarray | None = None,
) -> pd.DataFrame:
    """Fairness slices of an evaluation: per group of ``by`` (``region`` or ``grade``), rows,
    mean estimate, mean interval width, and Spearman of the estimate with the next window's label.

    ``predictions`` and ``labels`` are row-aligned (an
    :class:`~training.competence.train.Evaluation`'s
    frames); groups with fewer than ``min_group`` rows are dropped. Pass the snapshot as of the
    evaluation cut-off (``features.cutoff.snapshot_at``) to slice by the grade at the cut-off
    rather than at the snapshot's ``as_of``. With ``true_pct`` (the
    simulator's true percentile per row) also ``spearman_truth``, ``bias_truth`` (mean estimate
    minus truth: a group estimated too low has a negative bias) and ``coverage_truth`` (90%
    intervals containing the truth).
    """
    parts = snapshot.participants[[C.PARTICIPANT_ID, by]].drop_duplicates(C.PARTICIPANT_ID)
    group = (
        predictions[[KEYS[0]]]
        .astype("object")
        .merge(
            parts.astype({C.PARTICIPANT_ID: "object"}),
            left_on=KEYS[0],
            right_on=C.PARTICIPANT_ID,
            how="left",
        )[by]
        .to_numpy(dtype=object)
    )
    comp = predictions[CC.COMPETENCE].to_numpy(float)
    lower = predictions[CC.LOWER].to_numpy(float)
    upper = predictions[CC.UPPER].to_numpy(float)
    width = upper - lower
    label = labels[CC.LABEL].to_numpy(float)
    rows = []
    for value in pd.unique(group):
        m = group == value
        if m.sum() < min_group:
            continue
        known = m & np.isfinite(label)
        row = {
            by: value,
            "rows": int(m.sum()),
            "mean_estimate": float(comp[m].mean()),
            "mean_interval_width": float(width[m].mean()),
            "spearman_label": spearman(comp[known], label[known]),
        }
        if true_pct is not None:
            t = m & np.isfinite(true_pct)
            row |= {
                "spearman_truth": spearman(comp[t], true_pct[t]),
                "bias_truth": float((comp[t] - true_pct[t]).mean()) if t.any() else np.nan,
                "coverage_truth": float(
                    ((true_pct[t] >= lower[t]) & (true_pct[t] <= upper[t])).mean()
                )
                if t.any()
                else np.nan,
            }
        rows.append(row)
    return pd.DataFrame(rows).sort_values(by).reset_index(drop=True) if rows else pd.DataFrame()


def metric_by_records(
    features: pd.DataFrame, labels: pd.DataFrame, predictions: pd.DataFrame
) -> pd.DataFrame:
    """Spearman of the estimate with the next window's label per bucket of records before the
    cut-off (0, 1, 2-4, 5+): where the model has little to go on, and how much that costs."""
    n_rec = features[Feat.N_RECORDS].to_numpy(float)
    comp = predictions[CC.COMPETENCE].to_numpy(float)
    label = labels[CC.LABEL].to_numpy(float)
    rows = []
    for name, lo, hi in RECORD_BUCKETS:
        m = (n_rec >= lo) & (n_rec <= hi) & np.isfinite(label)
        rows.append(
            {"records": name, "rows": int(m.sum()), "spearman_label": spearman(comp[m], label[m])}
        )
    return pd.DataFrame(rows)


def evaluation_figure(
    features: pd.DataFrame, labels: pd.DataFrame, predictions: pd.DataFrame, path: Path
) -> Path:
    """Metric by number of records and the distribution of estimates per direction (PNG)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    table = metric_by_records(features, labels, predictions)
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.2))
    axes[0].bar(table["records"], table["spearman_label"].fillna(0.0))
    axes[0].set(
        xlabel="records before the cut-off",
        ylabel="Spearman with next-window label",
        title="Metric by number of records",
    )
    dirs = predictions[KEYS[1]].astype("object").to_numpy()
    comp = predictions[CC.COMPETENCE].to_numpy(float)
    for direction in pd.unique(dirs):
        axes[1].hist(
            comp[dirs == direction], bins=20, range=(0, 100), histtype="step", label=str(direction)
        )
    axes[1].set(xlabel="competence estimate", ylabel="rows", title="Score distributions")
    axes[1].legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
