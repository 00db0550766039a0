"""Bodies of the feedback routes: events the platform reports about recommended activities."""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, BaseModel, Field

from serving.schemas.common import ID_PATTERN, Strict, UtcDateTime, plausible_instant
from serving.schemas.recommend import MAX_K, ParticipantError
from serving.services.feedback import FeedbackEvent

MAX_FEEDBACK = 1000
"""Events per call (a night's events come in many calls; one call is one transaction)."""
MAX_FEEDBACK_PAGE = 1000

Id = Annotated[str, Field(pattern=ID_PATTERN)]


class FeedbackItem(Strict):
    """One event: who, which activity, what happened and when; the model version and rank of the
    recommendation that showed it, when the platform kept them (the answer's ``model_version``
    and the item's ``rank``)."""

    participant_id: Id
    activity_id: Id
    event: FeedbackEvent
    occurred_at: Annotated[UtcDateTime, AfterValidator(plausible_instant)]
    model_version: Annotated[str, Field(min_length=1, max_length=200)] | None = None
    rank: Annotated[int, Field(ge=1, le=MAX_K)] | None = None


class FeedbackRequest(Strict):
    events: Annotated[list[FeedbackItem], Field(min_length=1, max_length=MAX_FEEDBACK)]


class RefusedEvent(ParticipantError):
    """An event not stored: ``index`` is its position in the request's ``events``."""

    index: int


class FeedbackResponse(BaseModel):
    accepted: int = Field(description="events stored")
    refused: list[RefusedEvent]


class StoredFeedbackItem(BaseModel):
    seq: int = Field(description="arrival order; pass the last one as `after` for the next page")
    participant_id: str
    activity_id: str
    event: FeedbackEvent
    occurred_at: UtcDateTime
    received_at: UtcDateTime
    model_version: str | None
    rank: int | None


class FeedbackPage(BaseModel):
    items: list[StoredFeedbackItem]
    next_after: int | None = Field(description="cursor of the next page (None: no more)")
