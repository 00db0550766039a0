"""Column names of the recommender's frames, each spelled once.

Footprint columns (``participant_id``, ``activity_id``, ``series_id``) come from
:mod:`footprint.columns`; these are the recommender's own.
"""

from __future__ import annotations

from footprint.columns import Columns as C


class RecColumns:
    """Columns of recommendation, candidate and plan frames."""

    SCORE = "score"
    RANK = "rank"
    MODEL = "model"
    CONDITIONAL = "conditional"
    REASON_CODES = "reason_codes"
    REASON_TEXT_RU = "reason_text_ru"
    ITEM_ID = "item_id"  # generic interaction logs: the item (a series, or a movie)
    USER_ID = "user_id"
    WEIGHT = "weight"
    TIMESTAMP = "timestamp"
    LABEL = "label"
    GROUP = "group"


RECOMMENDATION_COLUMNS: tuple[str, ...] = (
    C.PARTICIPANT_ID,
    C.ACTIVITY_ID,
    RecColumns.SCORE,
    RecColumns.RANK,
    RecColumns.MODEL,
    RecColumns.CONDITIONAL,
    RecColumns.REASON_CODES,
    RecColumns.REASON_TEXT_RU,
)
"""The fixed columns of every ``recommend`` frame, in order."""
