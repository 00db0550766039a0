"""The client's models of the API's answers and bodies (written from the OpenAPI document, not
imported from the service). Answers ignore unknown fields; bodies are checked before sending."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field


class _Answer(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class Recommendation(_Answer):
    activity_id: str
    rank: int
    score: float
    conditional: bool
    reason_codes: list[str]
    reason_text_ru: str
    title: str | None = None
    kind: str | None = None
    level: str | None = None
    format: str | None = None
    start_at: dt.datetime | None = None
    registration_deadline: dt.datetime | None = None


class Recommendations(_Answer):
    participant_id: str
    as_of: dt.datetime
    model: str
    model_version: str
    items: list[Recommendation]


class ParticipantRecommendations(_Answer):
    participant_id: str
    items: list[Recommendation]


class ParticipantError(_Answer):
    participant_id: str
    status: int
    code: str
    detail: str
    text_ru: str


class BatchRecommendations(_Answer):
    as_of: dt.datetime
    model: str
    model_version: str
    results: list[ParticipantRecommendations]
    errors: list[ParticipantError]


class FeedbackEvent(StrEnum):
    SHOWN = "shown"
    CLICKED = "clicked"
    REGISTERED = "registered"
    DISMISSED = "dismissed"


class FeedbackItem(BaseModel):
    """One event to report. ``occurred_at`` should carry its offset (UTC is assumed when it
    does not)."""

    model_config = ConfigDict(extra="forbid")

    participant_id: str = Field(min_length=1, max_length=64)
    activity_id: str = Field(min_length=1, max_length=64)
    event: FeedbackEvent
    occurred_at: dt.datetime
    model_version: str | None = None
    rank: int | None = Field(default=None, ge=1)


class RefusedEvent(ParticipantError):
    index: int


class FeedbackResult(_Answer):
    accepted: int
    refused: list[RefusedEvent]


class StoredFeedback(_Answer):
    seq: int
    participant_id: str
    activity_id: str
    event: FeedbackEvent
    occurred_at: dt.datetime
    received_at: dt.datetime
    model_version: str | None = None
    rank: int | None = None


class FeedbackPage(_Answer):
    items: list[StoredFeedback]
    next_after: int | None = None
