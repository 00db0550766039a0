"""Bodies of the recommendation and trajectory routes. The plan is the planner's own model
(:class:`models.recommend.planner.Plan`), returned as it is with timestamps marked as UTC."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    Field,
    SerializerFunctionWrapHandler,
    model_serializer,
)

from footprint.ingest.fields import REGION_PATTERN
from models.recommend.planner import Plan
from serving.schemas.common import Score, Strict, UtcDateTime, plausible_instant, zulu

MAX_K = 50
MAX_REGIONS = 20
REGION = Annotated[str, Field(pattern=REGION_PATTERN, examples=["RU-MOW"])]


class Recommendation(BaseModel):
    """One recommended activity with its reasons (codes and the Russian default text)."""

    activity_id: str
    rank: int
    score: Score
    conditional: bool = Field(description="open only to those who pass a selection stage")
    reason_codes: list[str]
    reason_text_ru: str
    title: str | None
    kind: str | None
    level: str | None
    format: str | None
    start_at: UtcDateTime | None
    registration_deadline: UtcDateTime | None


class RecommendationsResponse(BaseModel):
    participant_id: str
    as_of: UtcDateTime
    model: str
    model_version: str
    items: list[Recommendation]


class TrajectoryRequest(Strict):
    """A goal (``DIRECTION:LEVEL``: a band, a 0-100 value or a diploma), an optional horizon and
    the calendar constraints."""

    goal: Annotated[
        str,
        Field(
            pattern=r"^[a-z_]{1,32}:[a-z_0-9.]{1,20}$",
            examples=["python:prize_winner", "robotics:advanced", "engineering:70"],
        ),
    ]
    horizon: Annotated[UtcDateTime, AfterValidator(plausible_instant)] | None = Field(
        None, description="last instant (default: 31 May)")
    as_of: Annotated[UtcDateTime, AfterValidator(plausible_instant)] | None = Field(
        None, description="planning instant (default: now)")
    monthly_cap: Annotated[int, Field(ge=1, le=10)] = 2
    max_steps: Annotated[int, Field(ge=1, le=20)] = 8
    online_only: bool = False
    regions: Annotated[list[REGION] | None, Field(max_length=MAX_REGIONS)] = None


class TrajectoryResponse(BaseModel):
    model_version: str
    plan: Plan

    @model_serializer(mode="wrap", when_used="json")
    def _utc(self, handler: SerializerFunctionWrapHandler) -> Any:
        return zulu(handler(self))
