"""The evaluation report: the model against baselines on the window after a held-out cut-off.

Every figure is a Spearman correlation over the (participant, direction) rows that have records
in the window, per direction and averaged over directions (``all``), for two targets:

- ``label``: the ability shown in the window (difficulty-adjusted, see
:mod:`training.competence.labels`);
- ``next_performance``: the plain mean score percentile / result mid-rank in the window.

Baselines: the rule-based rating's points (current plus previous season as of the cut-off), the
number of achievements, the mean of past results (mean percentile so far), the last result (the
percentile of the record nearest the cut-off) and the calibrated ability alone; the promotion
gate refuses a competence model that does not beat the best of them. With the
simulator's truth, ``recovery`` (Spearman with the true competence by number of records) and
``coverage`` (share of 90% intervals containing the true population percentile) are added.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import spearmanr

from core.logs import get_logger
from features.activity_stats import ActivityStats
from features.responses import ResponseConfig, build_responses
from features.schema import KEYS, Feat
from footprint.columns import Columns as C
from models.competence.columns import CompetenceColumns as CC
from models.competence.conformal import RECORD_BUCKETS

log = get_logger(__name__)

MODEL = "model"
BASELINES: dict[str, str] = {
    "rating_points": "rule-based rating points (current + previous season)",
    "n_achievements": "number of achievements in the direction",
    "mean_percentile": "mean result percentile so far (the mean of past results)",
    "last_result": "percentile of the last result before the cut-off",
    "ability": "calibrated ability alone (no LightGBM)",
}


def baseline_scores(features: pd.DataFrame) -> dict[str, np.ndarray]:
    """Each baseline's score per row (higher = more competent); missing counts as lowest."""
    points = features[[Feat.RATING_POINTS_CURRENT, Feat.RATING_POINTS_PREVIOUS]].to_numpy(float)
    return {
        "rating_points": np.nan_to_num(points, nan=0.0).sum(axis=1),
        "n_achievements": features[Feat.N_RECORDS].to_numpy(float),
        "mean_percentile": np.nan_to_num(features[Feat.PERF_MEAN].to_numpy(float), nan=0.0),
        "ability": features[Feat.ABILITY].to_numpy(float),
    }


def last_results(
    achievements: pd.DataFrame,
    stats: ActivityStats,
    cutoff: dt.datetime,
    features: pd.DataFrame,
    config: ResponseConfig | None = None,
) -> np.ndarray:
    """The "last result" baseline per row of ``features``: the performance (score percentile or
    result mid-rank, as in ``perf_mean``) of the participant's latest record in the direction
    known at ``cutoff`` (the mean of records on that same day); 0 without records, so that, as
    for the mean percentile, no record ranks lowest."""
    pid = features[KEYS[0]].astype("object")
    pids = pd.Index(pd.unique(pid))
    dirs = stats.directions
    n_d = len(dirs)
    out = np.zeros(len(features))
    r = build_responses(achievements, stats, cutoff, config, participant_ids=pids)
    ok = np.isfinite(r.performance) & np.isfinite(r.age_days)
    if not ok.any():
        return out
    key = r.person[ok].astype(np.int64) * n_d + r.direction[ok].astype(np.int64)
    age, perf = r.age_days[ok], r.performance[ok]
    size = len(pids) * n_d
    newest = np.full(size, np.inf)
    np.minimum.at(newest, key, age)
    last = age <= newest[key]
    total = np.bincount(key[last], weights=perf[last], minlength=size)
    count = np.bincount(key[last], minlength=size)
    person = np.asarray(pids.get_indexer(pd.Index(pid)), dtype=np.int64)
    direction = np.asarray(
        pd.Index(dirs).get_indexer(pd.Index(features[KEYS[1]].astype("object"))), dtype=np.int64
    )
    known = (person >= 0) & (direction >= 0)
    row = person * n_d + direction
    have = np.zeros(len(features), bool)
    have[known] = count[row[known]] > 0
    out[have] = total[row[have]] / count[row[have]]
    return out


def spearman(x: np.ndarray, y: np.ndarray) -> float:
    """Spearman correlation over pairs where both are finite; NaN with fewer than 3 pairs."""
    ok = np.isfinite(x) & np.isfinite(y)
    if ok.sum() < 3 or np.ptp(x[ok]) == 0 or np.ptp(y[ok]) == 0:
        return float("nan")
    return float(spearmanr(x[ok], y[ok]).statistic)


def align_predictions(features: pd.DataFrame, predictions: pd.DataFrame) -> pd.DataFrame:
    """``predictions`` reordered to the rows of ``features`` by (participant, direction); NaN
    rows where the model has no estimate (a direction it was not fitted on: no labelled rows at
    the training cut-offs). Reports index features and predictions with one mask, so they must
    line up row for row."""
    key = pd.MultiIndex.from_arrays([predictions[k].astype("object") for k in KEYS])
    want = pd.MultiIndex.from_arrays([features[k].astype("object") for k in KEYS])
    cols = [
        c
        for c in (CC.COMPETENCE, CC.LOWER, CC.UPPER, CC.VALUE, CC.VALUE_SD)
        if c in predictions.columns
    ]
    body = predictions[cols].set_axis(key)
    return body[~body.index.duplicated(keep="last")].reindex(want).reset_index(drop=True)


def predicted_directions(features: pd.DataFrame, aligned: pd.DataFrame) -> list[str]:
    """Directions of ``features`` that have estimates; the others are logged with the reason."""
    dirs = features[KEYS[1]].astype("object").to_numpy()
    has = np.isfinite(aligned[CC.COMPETENCE].to_numpy(float))
    out = []
    for direction in pd.unique(dirs):
        if has[dirs == direction].any():
            out.append(str(direction))
        else:
            log.warning(
                "direction skipped in the report: the model has no estimate for it "
                "(no labelled rows at the training cut-offs)",
                direction=str(direction),
            )
    return out


def prediction_report(
    features: pd.DataFrame,
    labels: pd.DataFrame,
    predictions: pd.DataFrame,
    extra: Mapping[str, np.ndarray] | None = None,
) -> dict[str, float]:
    """Spearman of the model and each baseline with both targets, per direction and ``all``.

    ``extra`` adds baselines that the feature rows do not carry (``last_result``, from
    :func:`last_results`), one score per row of ``features``.

    ``features`` and ``labels`` line up row for row; ``predictions`` may cover fewer rows (a
    direction without labelled training rows has no fitted model): it is aligned by key, and a
    direction without estimates is skipped with a logged reason (``<direction>.skipped`` = 1).
    """
    out: dict[str, float] = {}
    aligned = align_predictions(features, predictions)
    scores = (
        baseline_scores(features)
        | dict(extra or {})
        | {MODEL: aligned[CC.COMPETENCE].to_numpy(float)}
    )
    dirs = features[KEYS[1]].astype("object").to_numpy()
    per_dir: dict[str, list[float]] = {}
    done = predicted_directions(features, aligned)
    for direction in pd.unique(dirs):
        if direction not in done:
            out[f"{direction}.skipped"] = 1.0
            continue
        m = dirs == direction
        for target in (CC.LABEL, CC.NEXT_PERFORMANCE):
            y = labels[target].to_numpy(float)[m]
            for name, s in scores.items():
                value = spearman(s[m], y)
                out[f"{direction}.spearman_{target}.{name}"] = value
                per_dir.setdefault(f"all.spearman_{target}.{name}", []).append(value)
        out[f"{direction}.n_labelled"] = float(
            np.isfinite(labels[CC.LABEL].to_numpy(float)[m]).sum()
        )
        width = aligned[CC.UPPER].to_numpy(float) - aligned[CC.LOWER].to_numpy(float)
        out[f"{direction}.interval_width_mean"] = float(np.mean(width[m]))
    out |= {k: float(np.nanmean(v)) for k, v in per_dir.items()}
    return out


def truth_percentiles(truth: pd.DataFrame, keys: pd.DataFrame) -> np.ndarray:
    """The true competence of each key row as a population percentile (0-100) within its direction,
    the population being the rows of ``keys`` (the same participants the estimates rank)."""
    t = truth.set_index(
        [truth[C.PARTICIPANT_ID].astype("object"), truth[C.DIRECTION].astype("object")]
    )
    col = C.TRUE_COMPETENCE if C.TRUE_COMPETENCE in t.columns else C.TRUE_ABILITY
    true: pd.Series = t[~t.index.duplicated(keep="last")][col]
    idx = pd.MultiIndex.from_arrays(
        [keys[KEYS[0]].astype("object"), keys[KEYS[1]].astype("object")]
    )
    value = true.reindex(idx).to_numpy(np.float64, na_value=np.nan)
    out = np.full(len(value), np.nan)
    dirs = keys[KEYS[1]].astype("object").to_numpy()
    for direction in pd.unique(dirs):
        m = (dirs == direction) & np.isfinite(value)
        ranks = pd.Series(value[m]).rank(method="average").to_numpy()
        out[m] = 100.0 * (ranks - 0.5) / m.sum()
    return out


def truth_report(
    features: pd.DataFrame, predictions: pd.DataFrame, truth: pd.DataFrame
) -> dict[str, float]:
    """Recovery of the true competence by number of records, and interval coverage, over the
    directions the model has estimates for (others skipped, as in :func:`prediction_report`)."""
    out: dict[str, float] = {}
    aligned = align_predictions(features, predictions)
    done = predicted_directions(features, aligned)
    keep = features[KEYS[1]].astype("object").isin(done).to_numpy()
    features = features[keep].reset_index(drop=True)
    aligned = aligned[keep].reset_index(drop=True)
    true_pct = truth_percentiles(truth, features)
    comp = aligned[CC.COMPETENCE].to_numpy(float)
    lower = aligned[CC.LOWER].to_numpy(float)
    upper = aligned[CC.UPPER].to_numpy(float)
    n_rec = features[Feat.N_RECORDS].to_numpy(float)
    elsewhere = np.nan_to_num(features[Feat.N_DIRECTIONS].to_numpy(float), nan=0.0)
    other = features[Feat.ABILITY_OTHER].to_numpy(float)
    dirs = features[KEYS[1]].astype("object").to_numpy()
    scores = baseline_scores(features) | {MODEL: comp}
    for direction in [*pd.unique(dirs), "all"]:
        dm = np.ones(len(dirs), bool) if direction == "all" else dirs == direction
        for name, lo, hi in RECORD_BUCKETS:
            m = dm & (n_rec >= lo) & (n_rec <= hi) & np.isfinite(true_pct)
            out[f"{direction}.recovery_n{name}.count"] = float(m.sum())
            if direction == "all":
                # pooled over directions would mix scales; average the per-direction values
                vals = [out.get(f"{d}.recovery_n{name}.{MODEL}", np.nan) for d in pd.unique(dirs)]
                out[f"all.recovery_n{name}.{MODEL}"] = (
                    float(np.nanmean(vals)) if np.isfinite(vals).any() else float("nan")
                )
            else:
                for s_name, s in scores.items():
                    out[f"{direction}.recovery_n{name}.{s_name}"] = spearman(s[m], true_pct[m])
            inside = (true_pct[m] >= lower[m]) & (true_pct[m] <= upper[m])
            out[f"{direction}.coverage_n{name}"] = float(inside.mean()) if m.any() else np.nan
        # records only in other directions: the estimate against the plain mean ability there
        m = dm & (n_rec == 0) & (elsewhere > 0) & np.isfinite(true_pct)
        out[f"{direction}.recovery_other_only.count"] = float(m.sum())
        if direction != "all":
            out[f"{direction}.recovery_other_only.{MODEL}"] = spearman(comp[m], true_pct[m])
            out[f"{direction}.recovery_other_only.mean_other_directions"] = spearman(
                other[m], true_pct[m]
            )
        else:
            for name in (MODEL, "mean_other_directions"):
                vals = [out.get(f"{d}.recovery_other_only.{name}", np.nan) for d in pd.unique(dirs)]
                out[f"all.recovery_other_only.{name}"] = (
                    float(np.nanmean(vals)) if np.isfinite(vals).any() else float("nan")
                )
        m = dm & np.isfinite(true_pct)
        out[f"{direction}.coverage"] = float(
            ((true_pct[m] >= lower[m]) & (true_pct[m] <= upper[m])).mean()
        )
        out[f"{direction}.recovery_all.{MODEL}"] = spearman(comp[m], true_pct[m])
    return out


def format_report(report: dict[str, Any]) -> str:
    """A plain-text table of the report for the terminal."""
    lines = []
    width = max((len(k) for k in report), default=10)
    for key in sorted(report):
        value = report[key]
        text = f"{value:.4f}" if isinstance(value, float) else str(value)
        lines.append(f"{key:<{width}}  {text}")
    return "\n".join(lines)
