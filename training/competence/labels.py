"""Labels from after the cut-off: how a participant performs in the following window.

The label of (participant, direction) at cut-off C is the ability the participant shows in the
records achieved in ``(C, C + window]``, estimated with the calibration fitted at C (activities of
the window are new editions: they get their series' difficulty, else their kind and level's) and
a wide prior, so it is nearly the maximum-likelihood ability of the window alone. It is on the
same scale as the features' ability, is comparable across events of different difficulty, and
comes with a standard error used to weight training rows and to calibrate interval widths.
``next_performance`` is the plain mean performance (score percentile or result mid-rank) in the
window, the simpler target of the evaluation report.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import numpy as np
import pandas as pd

from features.activity_stats import compute_activity_stats
from features.calibration import Calibration
from features.cutoff import as_micros, visible_participants
from features.responses import build_responses
from features.schema import KEYS
from footprint.columns import Columns as C
from footprint.frames import Snapshot
from models.competence.columns import CompetenceColumns as CC

LABEL_COLUMNS: tuple[str, ...] = (*KEYS, CC.LABEL, CC.LABEL_SE, CC.NEXT_PERFORMANCE)


def window_labels(
    snapshot: Snapshot,
    cutoff: dt.datetime,
    horizon: dt.datetime,
    calibration: Calibration,
    label_prior_sd: float = 3.0,
) -> pd.DataFrame:
    """Labels of every participant registered by ``cutoff``, per direction.

    Parameters
    ----------
    snapshot
        A snapshot whose ``as_of`` is at or after ``horizon``.
    cutoff, horizon
        The window is ``(cutoff, horizon]`` (by ``achieved_at``; records known by ``horizon``).
    calibration
        The calibration fitted at ``cutoff``.
    label_prior_sd
        Spread of the labels' prior around the grade mean (wide: labels are barely shrunk).

    Returns
    -------
    pandas.DataFrame
        :data:`LABEL_COLUMNS`, one row per participant and direction, sorted like the features;
        NaN labels where the participant has no record of the direction in the window.
    """
    if as_micros(horizon) > as_micros(snapshot.as_of):
        raise ValueError(f"label horizon {horizon} is after the snapshot's as_of {snapshot.as_of}")
    parts = visible_participants(snapshot.participants, cutoff).sort_values(C.PARTICIPANT_ID)
    pids = pd.Index(parts[C.PARTICIPANT_ID].to_numpy(dtype=object))
    stats = compute_activity_stats(snapshot, horizon, calibration.directions)
    stats = stats.with_difficulty(calibration.item_difficulty(stats))
    ach = snapshot.achievements
    achieved = ach[C.ACHIEVED_AT].to_numpy("datetime64[us]")
    window = ach[(achieved > as_micros(cutoff)) & (achieved <= as_micros(horizon))]
    r = build_responses(window, stats, horizon, calibration.config.responses, pids)
    r = replace(r, weight=r.direction_weight)  # every record of the window counts fully
    grades = parts[C.GRADE].to_numpy(np.float64, na_value=np.nan)
    theta, se, count = calibration.abilities(r, stats, grades, prior_sd=label_prior_sd)
    n_dir = len(calibration.directions)
    key = r.person * n_dir + r.direction
    size = len(pids) * n_dir
    wsum = np.bincount(key, weights=r.direction_weight, minlength=size)
    psum = np.bincount(key, weights=r.direction_weight * r.performance, minlength=size)
    has = count.ravel() > 0
    with np.errstate(invalid="ignore", divide="ignore"):
        perf = np.where(wsum > 0, psum / np.where(wsum > 0, wsum, 1), np.nan)
    return pd.DataFrame(
        {
            KEYS[0]: pd.array(np.repeat(pids.to_numpy(), n_dir), dtype="string"),
            KEYS[1]: pd.array(
                np.tile(np.asarray(calibration.directions, dtype=object), len(pids)), dtype="string"
            ),
            CC.LABEL: np.where(has, theta.ravel(), np.nan),
            CC.LABEL_SE: np.where(has, se.ravel(), np.nan),
            CC.NEXT_PERFORMANCE: perf,
        }
    )
