"""Predictive intervals of the next year's results, beside the latent-competence interval.

The competence interval (``lower``/``upper``) is about the latent competence: where the
participant stands in the population. Users also ask "where will the next results fall?", and
that interval is much wider (a year's results are noisy around the competence). This module
answers the second question, on the scale results are recorded in across events: the **result
percentile** (0-100: the share of an event's participants the participant outperforms, or the
result's mid-rank for placings), averaged over the participant's records in the direction in
the twelve months after the estimate.

Per direction, a line maps the estimate (0-100) to the expected next percentile, and
split-conformal quantiles of the absolute residual, one per records bucket (0, 1, 2-4, 5+
earlier records; :class:`~models.competence.conformal.GroupConformal`), give the half-width.
Both are fitted at training on held-out *future* results: the evaluation model (trained on the
earlier cut-offs) predicting the held-out cut-off, against what participants then did in the
following window. The interval is clipped to 0-100. A bucket with fewer than ``MIN_GROUP``
calibration results uses the direction's pooled quantile.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from features.schema import KEYS
from models.competence.columns import CompetenceColumns as CC
from models.competence.conformal import MIN_GROUP, GroupConformal, bucket_of

NEXT_RESULT_COLUMNS: tuple[str, ...] = (CC.NEXT_RESULT, CC.NEXT_LOWER, CC.NEXT_UPPER, CC.NEXT_LEVEL)


@dataclass(frozen=True)
class DirectionIntervals:
    """One direction's line (next percentile = ``a + b x competence``) and its quantiles."""

    a: float
    b: float
    conformal: GroupConformal


@dataclass(frozen=True)
class NextResultIntervals:
    """Fitted parameters only (per direction: two numbers and a quantile per bucket)."""

    level: float
    directions: dict[str, DirectionIntervals]

    @classmethod
    def fit(
        cls, predictions: pd.DataFrame, next_performance: np.ndarray, level: float
    ) -> NextResultIntervals:
        """Fit on held-out rows: ``predictions`` (the model's output at a cut-off) and the mean
        result percentile in the window after it (0-1, NaN where the participant did nothing
        there; those rows are left out). Directions with fewer than ``MIN_GROUP`` results get no
        interval."""
        y = 100.0 * np.asarray(next_performance, np.float64)
        comp = predictions[CC.COMPETENCE].to_numpy(np.float64)
        dirs = predictions[KEYS[1]].astype("object").to_numpy()
        buckets = bucket_of(predictions[CC.N_RECORDS].to_numpy(np.int64))
        out: dict[str, DirectionIntervals] = {}
        for direction in pd.unique(dirs):
            m = (dirs == direction) & np.isfinite(y) & np.isfinite(comp)
            if m.sum() < MIN_GROUP:
                continue
            if np.ptp(comp[m]) > 0:
                b, a = np.polyfit(comp[m], y[m], 1)
            else:
                a, b = float(np.mean(y[m])), 0.0
            resid = np.abs(y[m] - (a + b * comp[m]))
            out[str(direction)] = DirectionIntervals(
                float(a), float(b), GroupConformal.fit(resid, buckets[m], level)
            )
        return cls(level, out)

    def apply(self, predictions: pd.DataFrame) -> pd.DataFrame:
        """:data:`NEXT_RESULT_COLUMNS` for each prediction row (0-100; NaN in a direction
        without a fitted interval)."""
        comp = predictions[CC.COMPETENCE].to_numpy(np.float64)
        dirs = predictions[KEYS[1]].astype("object").to_numpy()
        buckets = bucket_of(predictions[CC.N_RECORDS].to_numpy(np.int64))
        point = np.full(len(comp), np.nan)
        half = np.full(len(comp), np.nan)
        for direction, fit in self.directions.items():
            m = dirs == direction
            if m.any():
                point[m] = np.clip(fit.a + fit.b * comp[m], 0.0, 100.0)
                half[m] = fit.conformal.half_width(buckets[m])
        return pd.DataFrame(
            {
                CC.NEXT_RESULT: point,
                CC.NEXT_LOWER: np.clip(point - half, 0.0, 100.0),
                CC.NEXT_UPPER: np.clip(point + half, 0.0, 100.0),
                CC.NEXT_LEVEL: np.where(np.isfinite(point), self.level, np.nan),
            },
            index=predictions.index,
        )


def coverage_by_bucket(
    predictions: pd.DataFrame, intervals: pd.DataFrame, next_performance: np.ndarray
) -> dict[str, float]:
    """Share of results inside their interval, per records bucket and ``all``, with counts
    (``n.<bucket>``), over rows with a result and an interval."""
    y = 100.0 * np.asarray(next_performance, np.float64)
    lo = intervals[CC.NEXT_LOWER].to_numpy(np.float64)
    hi = intervals[CC.NEXT_UPPER].to_numpy(np.float64)
    ok = np.isfinite(y) & np.isfinite(lo)
    inside = (y >= lo) & (y <= hi)
    buckets = bucket_of(predictions[CC.N_RECORDS].to_numpy(np.int64))
    out: dict[str, float] = {}
    for name in [*pd.unique(buckets[ok]), "all"]:
        m = ok if name == "all" else ok & (buckets == name)
        if m.any():
            out[f"coverage.{name}"] = float(inside[m].mean())
            out[f"width.{name}"] = float(np.mean(hi[m] - lo[m]))
            out[f"n.{name}"] = float(m.sum())
    return out
