"""Column names of the competence model's frames, each spelled once."""

from __future__ import annotations


class CompetenceColumns:
    """Columns of predictions, labels, evidence and flags."""

    # dataset
    LABEL = "label"  # the participant's ability in the following window (logits)
    LABEL_SE = "label_se"
    NEXT_PERFORMANCE = "next_performance"  # mean performance in the following window, [0, 1]
    CUTOFF = "cutoff"

    # predictions
    VALUE = "value"  # predicted following-window ability (logits)
    VALUE_SD = "value_sd"  # standard deviation of the competence around VALUE (logits)
    COMPETENCE = "competence"  # 0-100
    LOWER = "lower"
    UPPER = "upper"
    LEVEL = "level"  # band code
    LEVEL_TITLE = "level_title_ru"
    COLD_START = "cold_start"
    N_RECORDS = "n_records"
    MODEL_VERSION = "model_version"
    # the predictive interval of the next year's mean result percentile (0-100), beside the
    # latent-competence interval above (models.competence.predictive)
    NEXT_RESULT = "next_result"
    NEXT_LOWER = "next_result_lower"
    NEXT_UPPER = "next_result_upper"
    NEXT_LEVEL = "next_result_level"  # its nominal coverage

    # rating frame: places between the participant and the nearest diploma boundary of the
    # current season (0: on the last place of a diploma or the first place after it)
    DIPLOMA_GAP = "rating_diploma_gap"

    # evidence and flags (lists of dicts per row)
    TOP_FEATURES = "top_features"
    TOP_ACHIEVEMENTS = "top_achievements"
    FLAGS = "flags"
    # the columns above holding lists of dicts: JSON text in Parquet files (the Spark batch
    # estimates, loaded into the service's tables by serving.services.batch_load)
    LIST_COLUMNS = (FLAGS, TOP_FEATURES, TOP_ACHIEVEMENTS)
