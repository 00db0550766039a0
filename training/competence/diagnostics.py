"""Aggregates behind the run plots and the report notebooks: calibration, metric by number of
records, score distributions (competence); metrics per model, NDCG by history length and the
re-ranker's scores (recommenders).

Every function returns a small frame of binned or grouped numbers and never a participant id, so
its output may go into MLflow as it is. Cells with fewer than ``min_rows`` rows are left out where
a cell's mean could describe a handful of children. An empty input raises
:class:`~core.errors.EmptyInputError` rather than drawing an empty chart that looks like a
result.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from core.errors import EmptyInputError
from features.schema import KEYS, Feat
from footprint.columns import Columns as C
from models.competence.columns import CompetenceColumns as CC
from training.competence.evaluation import MODEL, RECORD_BUCKETS, baseline_scores, spearman

ALL = "all"
MIN_CELL = 10
HISTORY_BUCKETS: tuple[tuple[str, int, int], ...] = (
    ("0 (cold)", 0, 0),
    ("1-2", 1, 2),
    ("3-5", 3, 5),
    ("6+", 6, 10**9),
)
"""Series a query participant had taken before the cut-off."""
BASELINE_MODELS = ("popular", "popular_direction", "als")
"""The recommenders every report shows as baselines (popularity and plain ALS)."""
REC_METRICS = ("ndcg@10", "recall@10", "coverage")


def require_rows(frame: pd.DataFrame | np.ndarray, what: str) -> None:
    """Raise :class:`EmptyInputError` naming ``what`` when it has no rows."""
    if len(frame) == 0:
        raise EmptyInputError(
            f"{what} has no rows: nothing was evaluated (check the snapshot's "
            "cut-offs and that the stage ran) so there is nothing to plot"
        )


def truth_at(truth: pd.DataFrame, cutoff: dt.datetime) -> pd.DataFrame:
    """The simulator's truth rows of one checkpoint (the evaluation cut-off)."""
    if C.AS_OF not in truth.columns:
        return truth
    stamps = pd.to_datetime(truth[C.AS_OF]).to_numpy("datetime64[us]")
    return truth[stamps == np.datetime64(cutoff, "us")]


def percentile_within(values: np.ndarray, groups: np.ndarray) -> np.ndarray:
    """Each value's mid-rank percentile (0-100) within its group; ties share the average rank."""
    out = np.full(len(values), np.nan)
    for g in pd.unique(groups):
        m = (groups == g) & np.isfinite(values)
        if m.any():
            ranks = pd.Series(values[m]).rank(method="average").to_numpy()
            out[m] = 100.0 * (ranks - 0.5) / m.sum()
    return out


def _dirs(frame: pd.DataFrame) -> np.ndarray:
    return frame[KEYS[1]].astype("object").to_numpy()


def calibration_table(
    predictions: pd.DataFrame,
    labels: pd.DataFrame,
    true_pct: np.ndarray | None = None,
    bins: int = 10,
    min_rows: int = MIN_CELL,
) -> pd.DataFrame:
    """Predicted against observed, per direction and decile of the estimate.

    Columns: ``direction``, ``bin`` (lower edge), ``rows``, ``mean_estimate``, ``labelled``
    (rows with a next-window label), ``mean_label`` (the ability shown in the next window, in
    ability units) and, with the truth, ``mean_truth`` (the true population percentile, on the
    estimate's own 0-100 scale: a calibrated model lies on the diagonal).
    """
    require_rows(predictions, "predictions")
    comp = predictions[CC.COMPETENCE].to_numpy(float)
    label = labels[CC.LABEL].to_numpy(float)
    dirs = _dirs(predictions)
    width = 100.0 / bins
    which = np.clip((comp // width).astype(int), 0, bins - 1)
    rows = []
    for direction in sorted(pd.unique(dirs)):
        for b in range(bins):
            m = (dirs == direction) & (which == b)
            if m.sum() < min_rows:
                continue
            known = m & np.isfinite(label)
            row = {
                "direction": direction,
                "bin": b * width,
                "rows": int(m.sum()),
                "mean_estimate": float(comp[m].mean()),
                "labelled": int(known.sum()),
                "mean_label": float(label[known].mean())
                if known.sum() >= min_rows
                else float("nan"),
            }
            if true_pct is not None:
                t = m & np.isfinite(true_pct)
                row["mean_truth"] = float(true_pct[t].mean()) if t.any() else float("nan")
            rows.append(row)
    return pd.DataFrame(rows)


def records_table(
    features: pd.DataFrame,
    labels: pd.DataFrame,
    predictions: pd.DataFrame,
    true_pct: np.ndarray | None = None,
    scorers: tuple[str, ...] = (MODEL, "rating_points"),
    extra_scores: dict[str, np.ndarray] | None = None,
) -> pd.DataFrame:
    """The model against baselines by bucket of records before the cut-off (0, 1, 2-4, 5+).

    Per direction (and ``all``, the mean of the directions' values, as in the evaluation report)
    and scorer: ``rows``, ``spearman_label`` (with the next window's label) and, with the truth,
    ``spearman_truth``, ``mae_truth`` (mean absolute error in percentile points against the true
    population percentile; the model's estimate is such a percentile already, a baseline is
    turned into its percentile within the direction), ``bias_truth`` (mean of the same
    differences: calibration in the large of the bucket; negative = estimated too low) and
    ``coverage_truth`` (the model's 90% intervals containing the truth). ``extra_scores`` adds
    baselines that need more than the feature rows (``Evaluation.extra_scores``: the last result).
    """
    require_rows(predictions, "predictions")
    scores = (
        baseline_scores(features)
        | dict(extra_scores or {})
        | {MODEL: predictions[CC.COMPETENCE].to_numpy(float)}
    )
    unknown = [s for s in scorers if s not in scores]
    if unknown:
        raise ValueError(f"unknown scorers {unknown}; known: {sorted(scores)}")
    n_rec = features[Feat.N_RECORDS].to_numpy(float)
    label = labels[CC.LABEL].to_numpy(float)
    dirs = _dirs(predictions)
    lower = predictions[CC.LOWER].to_numpy(float)
    upper = predictions[CC.UPPER].to_numpy(float)
    rows = []
    for direction in sorted(pd.unique(dirs)):
        for bucket, lo, hi in RECORD_BUCKETS:
            m = (dirs == direction) & (n_rec >= lo) & (n_rec <= hi)
            for name in scorers:
                s = scores[name]
                row = {
                    "direction": direction,
                    "records": bucket,
                    "scorer": name,
                    "rows": int(m.sum()),
                    "spearman_label": spearman(s[m], label[m]),
                }
                if true_pct is not None:
                    t = m & np.isfinite(true_pct)
                    pct = s if name == MODEL else percentile_within(s, dirs)
                    row["spearman_truth"] = spearman(s[t], true_pct[t])
                    row["mae_truth"] = (
                        float(np.abs(pct[t] - true_pct[t]).mean()) if t.any() else float("nan")
                    )
                    row["bias_truth"] = (
                        float((pct[t] - true_pct[t]).mean()) if t.any() else float("nan")
                    )
                    row["coverage_truth"] = (
                        float(((true_pct[t] >= lower[t]) & (true_pct[t] <= upper[t])).mean())
                        if name == MODEL and t.any()
                        else float("nan")
                    )
                rows.append(row)
    table = pd.DataFrame(rows)
    values = [c for c in table.columns if c not in ("direction", "records", "scorer", "rows")]
    pooled = (
        table.groupby(["records", "scorer"], sort=False)
        .agg(rows=("rows", "sum"), **{c: (c, "mean") for c in values})
        .reset_index()
    )
    pooled.insert(0, "direction", ALL)
    return pd.concat([table, pooled], ignore_index=True)


def distribution_table(predictions: pd.DataFrame, bins: int = 20) -> pd.DataFrame:
    """Histograms per direction of the estimates and of the interval widths (0-100 points).

    Columns: ``direction``, ``quantity`` (``estimate`` or ``interval_width``), ``bin`` (lower
    edge), ``rows``.
    """
    require_rows(predictions, "predictions")
    dirs = _dirs(predictions)
    values = {
        "estimate": predictions[CC.COMPETENCE].to_numpy(float),
        "interval_width": (predictions[CC.UPPER] - predictions[CC.LOWER]).to_numpy(float),
    }
    edges = np.linspace(0.0, 100.0, bins + 1)
    rows = []
    for direction in sorted(pd.unique(dirs)):
        for quantity, v in values.items():
            counts, _ = np.histogram(v[dirs == direction], bins=edges)
            rows += [
                {"direction": direction, "quantity": quantity, "bin": float(e), "rows": int(c)}
                for e, c in zip(edges[:-1], counts, strict=True)
            ]
    return pd.DataFrame(rows)


def metrics_table(
    table: dict[str, dict[str, float]], metrics: tuple[str, ...] = REC_METRICS
) -> pd.DataFrame:
    """A recommender report's table in long form: ``model``, ``baseline``, ``metric``,
    ``value`` (a :class:`~training.recommend.evaluate.RecommendReport`'s ``table``)."""
    rows = [
        {
            "model": model,
            "baseline": model in BASELINE_MODELS,
            "metric": metric,
            "value": float(values.get(metric, np.nan)),
        }
        for model, values in table.items()
        for metric in metrics
    ]
    require_rows(pd.DataFrame(rows), "the recommender report")
    return pd.DataFrame(rows)


def ndcg_by_history(queries: pd.DataFrame | None, min_rows: int = MIN_CELL) -> pd.DataFrame:
    """Mean NDCG@k per model and bucket of history length (cold to warm participants).

    ``queries`` is a report's per-query frame (``history`` and one NDCG column per model).
    Columns: ``model``, ``history``, ``queries``, ``ndcg``; buckets under ``min_rows`` queries
    are left out.
    """
    if queries is None:
        raise EmptyInputError(
            "the report has no per-query results: NDCG by history length "
            "needs the simulator split "
            "(training.recommend.evaluate.evaluate_simulator)"
        )
    require_rows(queries, "the per-query results")
    history = queries["history"].to_numpy(float)
    models = [c for c in queries.columns if c not in ("cutoff", "history")]
    rows = []
    for bucket, lo, hi in HISTORY_BUCKETS:
        m = (history >= lo) & (history <= hi)
        if m.sum() < min_rows:
            continue
        for model in models:
            v = queries[model].to_numpy(float)[m]
            rows.append(
                {
                    "model": model,
                    "history": bucket,
                    "queries": int(m.sum()),
                    "ndcg": float(np.nanmean(v)) if np.isfinite(v).any() else np.nan,
                }
            )
    return pd.DataFrame(rows, columns=["model", "history", "queries", "ndcg"])


def score_table(scores: pd.DataFrame, bins: int = 20) -> pd.DataFrame:
    """Histogram of a model's top-k scores, split by whether the item was then chosen.

    Columns: ``bin`` (lower edge), ``width``, ``chosen``, ``not_chosen`` (counts).
    """
    require_rows(scores, "the recommended scores")
    s = scores["score"].to_numpy(float)
    ok = np.isfinite(s)
    require_rows(s[ok], "the finite recommended scores")
    lo, hi = float(s[ok].min()), float(s[ok].max())
    edges = np.linspace(lo, hi if hi > lo else lo + 1.0, bins + 1)
    chosen = scores["chosen"].to_numpy(bool)
    yes, _ = np.histogram(s[ok & chosen], bins=edges)
    no, _ = np.histogram(s[ok & ~chosen], bins=edges)
    return pd.DataFrame(
        {"bin": edges[:-1], "width": np.diff(edges), "chosen": yes, "not_chosen": no}
    )
