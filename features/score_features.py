"""The feature rows of score targets: one row per (participant, direction, time) target.

Built from :class:`features.score_history.History` (earlier visits in every direction) and the
calibrated abilities (:mod:`features.score_calibration`); every column is on the z scale or a
count or a time span, so one model serves every direction and time point.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from features.score_history import History


class ScoreFeat:
    """Names of the score-target features, spelled once."""

    N_OWN = "n_own"  # earlier visits in the target's direction
    LAST_Z = "last_z"
    MEAN_Z = "mean_z"
    WMEAN_Z = "wmean_z"  # recency-weighted mean z
    SLOPE_Z = "slope_z"
    SINCE_LAST = "since_last"  # time from the last visit in the direction
    ABILITY = "ability"  # posterior mean, correlated prior over directions
    ABILITY_SD = "ability_sd"
    OTHER_MEAN_Z = "other_mean_z"  # mean z over the participant's other directions
    N_OTHER = "n_other"


SCORE_FEATURES: tuple[str, ...] = (
    ScoreFeat.N_OWN,
    ScoreFeat.LAST_Z,
    ScoreFeat.MEAN_Z,
    ScoreFeat.WMEAN_Z,
    ScoreFeat.SLOPE_Z,
    ScoreFeat.SINCE_LAST,
    ScoreFeat.ABILITY,
    ScoreFeat.ABILITY_SD,
    ScoreFeat.OTHER_MEAN_Z,
    ScoreFeat.N_OTHER,
)


def target_features(
    h: History, ability: np.ndarray, ability_sd: np.ndarray, direction: np.ndarray, time: np.ndarray
) -> pd.DataFrame:
    """Feature rows of targets in ``direction`` (codes) at ``time`` (one row per target)."""
    i = np.arange(len(direction))

    def own(a: np.ndarray) -> np.ndarray:
        return a[i, direction]

    n = own(h.n)
    n_other = h.n.sum(axis=1) - n
    with np.errstate(invalid="ignore", divide="ignore"):
        return pd.DataFrame(
            {
                ScoreFeat.N_OWN: n,
                ScoreFeat.LAST_Z: own(h.last_z),
                ScoreFeat.MEAN_Z: np.where(n > 0, own(h.sum_z) / n, np.nan),
                ScoreFeat.WMEAN_Z: np.where(n > 0, own(h.wz) / own(h.w), np.nan),
                ScoreFeat.SLOPE_Z: own(h.slope_z),
                ScoreFeat.SINCE_LAST: time - own(h.last_time),
                ScoreFeat.ABILITY: own(ability),
                ScoreFeat.ABILITY_SD: own(ability_sd),
                ScoreFeat.OTHER_MEAN_Z: np.where(
                    n_other > 0, (h.sum_z.sum(axis=1) - own(h.sum_z)) / n_other, np.nan
                ),
                ScoreFeat.N_OTHER: n_other,
            },
            columns=list(SCORE_FEATURES),
        )
