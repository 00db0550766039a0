"""Bodies of the rating routes. Explanations and what-ifs are the library's own models
(:mod:`models.rating.explain`, :mod:`models.rating.whatif`), returned as they are."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, Field, SerializerFunctionWrapHandler, model_serializer

from models.rating import HypotheticalAchievement, RatingExplanation, WhatIf
from models.rating.codes import Diploma, View
from serving.schemas.common import PageInfo, Score, Strict, UtcDateTime, rounded, zulu

MAX_HYPOTHETICAL = 10


class RatingRow(BaseModel):
    """One participant's line of a direction's table."""

    participant_id: str
    place: int
    raw_points: Score
    score: Score
    diploma: Diploma
    diploma_text_ru: str
    n_counted: int


class Thresholds(BaseModel):
    """The direction's reference points and diploma quotas."""

    n_rated: int
    reference_points: Score | None
    winner_slots: int
    prize_winner_slots: int
    n_winners: int
    n_prize_winners: int


class RatingPage(BaseModel):
    """One page of a direction's rating table, in place order."""

    season: str
    direction: str
    view: View
    rules_version: str
    as_of: UtcDateTime
    thresholds: Thresholds
    page: PageInfo
    items: list[RatingRow]


class Standing(BaseModel):
    """A participant's standing: the full explanation and how far the diplomas are (the rating
    library's own models, with timestamps marked as UTC)."""

    explanation: RatingExplanation
    what_if: WhatIf

    @model_serializer(mode="wrap", when_used="json")
    def _utc(self, handler: SerializerFunctionWrapHandler) -> Any:
        return rounded(zulu(handler(self)))


class WhatIfRequest(Strict):
    """Achievements the participant might earn (each assumed verified and in the season)."""

    hypothetical: Annotated[
        list[HypotheticalAchievement], Field(min_length=1, max_length=MAX_HYPOTHETICAL)
    ]
