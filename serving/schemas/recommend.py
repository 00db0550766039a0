"""Bodies of the recommendation and trajectory routes. The plan is the planner's own model
(:class:`models.recommend.planner.Plan`), returned as it is with timestamps marked as UTC."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    Field,
    SerializerFunctionWrapHandler,
    model_serializer,
)

from footprint.columns import Columns as C
from footprint.ingest.fields import REGION_PATTERN
from models.recommend.columns import RecColumns as RC
from models.recommend.planner import Plan
from serving.schemas.common import (
    ID_PATTERN,
    Direction,
    Score,
    Strict,
    UtcDateTime,
    plausible_instant,
    rounded,
    zulu,
)

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

    @classmethod
    def from_row(cls, r: Mapping[str, Any]) -> Recommendation:
        """One row of :meth:`serving.services.recommend.RecommendService.recommend`."""
        return cls(
            activity_id=str(r[C.ACTIVITY_ID]),
            rank=int(r[RC.RANK]),
            score=float(r[RC.SCORE]),
            conditional=bool(r[RC.CONDITIONAL]),
            reason_codes=[str(c) for c in r[RC.REASON_CODES]],
            reason_text_ru=str(r[RC.REASON_TEXT_RU]),
            title=r[C.TITLE],
            kind=r[C.KIND],
            level=r[C.LEVEL],
            format=r[C.FORMAT],
            start_at=r[C.START_AT],
            registration_deadline=r[C.REGISTRATION_DEADLINE],
        )


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
        None, description="last instant (default: 31 May)"
    )
    as_of: Annotated[UtcDateTime, AfterValidator(plausible_instant)] | None = Field(
        None, description="planning instant (default: now)"
    )
    monthly_cap: Annotated[int, Field(ge=1, le=10)] = 2
    max_steps: Annotated[int, Field(ge=1, le=20)] = 8
    online_only: bool = False
    regions: Annotated[list[REGION] | None, Field(max_length=MAX_REGIONS)] = None


class TrajectoryResponse(BaseModel):
    model_version: str
    plan: Plan

    @model_serializer(mode="wrap", when_used="json")
    def _utc(self, handler: SerializerFunctionWrapHandler) -> Any:
        return rounded(zulu(handler(self)))


MAX_BATCH = 500
"""Participants per batch call. A nightly job over 250,000 participants makes 500 calls; one call
is one pass of the model over its participants (seconds, not minutes, on the model-work
threads), so other requests are not starved behind it."""

ParticipantId = Annotated[str, Field(pattern=ID_PATTERN, examples=["p000001"])]


class BatchRecommendationsRequest(Strict):
    """Up to :data:`MAX_BATCH` participants and the options of the single-participant route,
    applied to each."""

    participant_ids: Annotated[list[ParticipantId], Field(min_length=1, max_length=MAX_BATCH)]
    k: Annotated[int, Field(ge=1, le=MAX_K)] = 10
    direction: Direction | None = None
    as_of: Annotated[UtcDateTime, AfterValidator(plausible_instant)] | None = Field(
        None, description="request instant (default now)"
    )
    online_only: bool = False
    regions: Annotated[list[REGION] | None, Field(max_length=MAX_REGIONS)] = None


class ParticipantRecommendations(BaseModel):
    participant_id: str
    items: list[Recommendation]


class ParticipantError(BaseModel):
    """Why one participant of a batch has no answer: the code, status and texts the
    single-participant route would have answered with."""

    participant_id: str
    status: int
    code: str
    detail: str
    text_ru: str


class BatchRecommendationsResponse(BaseModel):
    """Each answered participant's recommendations (in the order asked, a repeated id once) and
    one error per participant without an answer; the call itself succeeds."""

    as_of: UtcDateTime
    model: str
    model_version: str
    results: list[ParticipantRecommendations]
    errors: list[ParticipantError]
