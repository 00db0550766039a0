"""Column names of the frames that ``features`` produces, each spelled once.

Footprint columns (``participant_id``, ``activity_id``, ``direction`` ...) come from
:mod:`footprint.columns`; the names below are the feature pipelines' own. Per-participant feature
names live in :mod:`features.schema`.
"""

from __future__ import annotations


class FeatureColumns:
    """Columns of activity statistics, responses and ability frames."""

    # activity statistics (one row per activity)
    N_ENTRANTS = "n_entrants"
    N_SCORED = "n_scored"
    SCORE_MEAN = "score_mean"
    SCORE_STD = "score_std"
    SHARE_PREFIX = "share_"  # + result code: share of the activity's records with that result
    DIFFICULTY_PREFIX = "difficulty_"  # + direction code: calibrated difficulty (logits)

    # responses (one row per achievement and direction, the calibration's input)
    PERFORMANCE = "performance"  # in [0, 1]: score percentile in the activity, or from the result
    CATEGORY = "category"  # ordinal category of the performance, 0 .. K-1
    AGE_DAYS = "age_days"  # days from achieved_at to the cut-off
    RESPONSE_WEIGHT = "response_weight"  # direction weight x recency weight

    # abilities (one row per participant and direction)
    ABILITY = "ability"
    ABILITY_SE = "ability_se"
    PRIOR_MEAN = "prior_mean"
    PRIOR_SD = "prior_sd"
    N_RESPONSES = "n_responses"

    # interactions
    ROW = "row"
    COL = "col"
    VALUE = "value"
