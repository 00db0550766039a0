"""Temporal splits: cut-offs of a snapshot, and everything computed at one cut-off.

At each cut-off C only what was known at C feeds the features (activity statistics, calibration,
rating, per-participant features); labels come from the window after C. Cut-offs are checkpoint
days (1 September and 1 March by default) with at least ``min_history_days`` of footprint before
them and a full label window after them inside the snapshot.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass

import numpy as np
import pandas as pd

from core.logs import get_logger
from features.activity_stats import ActivityStats, compute_activity_stats
from features.calibration import Calibration, CalibrationConfig, fit_calibration
from features.cutoff import as_micros, visible_participants
from features.participant import participant_features
from features.responses import build_responses
from footprint.columns import Columns as C
from footprint.frames import Snapshot
from training.competence.labels import window_labels

log = get_logger(__name__)


@dataclass(frozen=True)
class CutoffData:
    """Statistics, calibration, features (and labels when the window is known) at one cut-off."""

    cutoff: dt.datetime
    stats: ActivityStats
    calibration: Calibration
    features: pd.DataFrame
    labels: pd.DataFrame | None
    seconds: dict[str, float]


def auto_cutoffs(
    snapshot: Snapshot,
    window_days: int,
    checkpoints: tuple[tuple[int, int], ...] = ((9, 1), (3, 1)),
    min_history_days: int = 300,
) -> list[dt.datetime]:
    """Checkpoint days C with history before them and ``C + window`` within the snapshot."""
    achieved = snapshot.achievements[C.ACHIEVED_AT].to_numpy("datetime64[us]")
    if len(achieved) == 0:
        return []
    first = pd.Timestamp(achieved.min()).to_pydatetime()
    out = []
    for year in range(first.year, snapshot.as_of.year + 1):
        for month, day in checkpoints:
            c = dt.datetime(year, month, day)
            if (c - first).days >= min_history_days and c + dt.timedelta(
                days=window_days
            ) <= snapshot.as_of:
                out.append(c)
    return sorted(out)


def grades_of(snapshot: Snapshot, cutoff: dt.datetime, ids: pd.Index) -> np.ndarray:
    """Grade at ``cutoff`` of each participant id in ``ids`` (NaN when unknown)."""
    parts = visible_participants(snapshot.participants, cutoff)
    grade = parts.set_index(parts[C.PARTICIPANT_ID].astype("object"))[C.GRADE]
    return grade.reindex(ids).to_numpy(np.float64, na_value=np.nan)


def fit_at(
    snapshot: Snapshot, cutoff: dt.datetime, config: CalibrationConfig
) -> tuple[ActivityStats, Calibration]:
    """Activity statistics and calibration from what was known at ``cutoff``."""
    stats = compute_activity_stats(snapshot, cutoff)
    responses = build_responses(snapshot.achievements, stats, cutoff, config.responses)
    calibration = fit_calibration(
        responses, stats, grades_of(snapshot, cutoff, responses.participant_ids), config
    )
    return stats.with_difficulty(calibration.item_difficulty(stats)), calibration


def prepare_cutoff(
    snapshot: Snapshot,
    cutoff: dt.datetime,
    config: CalibrationConfig,
    window_days: int | None,
    rating: pd.DataFrame | None = None,
    label_prior_sd: float = 3.0,
) -> CutoffData:
    """Everything the competence model needs at one cut-off.

    Parameters
    ----------
    snapshot
        The footprint (its ``as_of`` at or after the cut-off, and after the window for labels).
    cutoff
        The cut-off.
    config
        Calibration settings.
    window_days
        Label window; no labels when None.
    rating
        Rating features at the cut-off (None: features without rating).
    label_prior_sd
        Prior spread of the labels.
    """
    seconds: dict[str, float] = {}
    t = time.perf_counter()
    stats, calibration = fit_at(snapshot, cutoff, config)
    seconds["calibration"] = time.perf_counter() - t
    t = time.perf_counter()
    features = participant_features(
        snapshot.achievements, snapshot.participants, stats, cutoff, calibration, rating
    )
    seconds["features"] = time.perf_counter() - t
    labels = None
    if window_days is not None:
        t = time.perf_counter()
        horizon = cutoff + dt.timedelta(days=window_days)
        labels = window_labels(snapshot, cutoff, horizon, calibration, label_prior_sd)
        seconds["labels"] = time.perf_counter() - t
        if as_micros(horizon) > as_micros(snapshot.as_of):
            raise ValueError("label window ends after the snapshot")
    log.info(
        "cut-off prepared",
        cutoff=cutoff.isoformat(),
        rows=len(features),
        **{k: round(v, 2) for k, v in seconds.items()},
    )
    return CutoffData(cutoff, stats, calibration, features, labels, seconds)
