"""Bodies of the moderation routes: the verification queue, decisions and the audit trail."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, Field

from footprint.enums import ActivityKind, Level, ModerationStatus, Result
from serving.schemas.common import MAX_COMMENT_LENGTH, PageInfo, Score, Strict, UtcDateTime
from serving.services.moderation import AchievementDecision


class SourceRef(BaseModel):
    source: str
    source_record_id: str


class ActivityBrief(BaseModel):
    title: str
    kind: ActivityKind
    level: Level
    max_score: Score | None
    start_at: UtcDateTime
    end_at: UtcDateTime


class AchievementItem(BaseModel):
    """A footprint record with the evidence a moderator needs, and the version to decide on."""

    achievement_id: str
    participant_id: str
    activity_id: str
    activity: ActivityBrief
    team_id: str | None
    result: Result
    score: Score | None
    rank: int | None
    evidence: str | None
    status: ModerationStatus
    status_changed_at: UtcDateTime | None
    achieved_at: UtcDateTime
    recorded_at: UtcDateTime
    sources: list[SourceRef]
    version: int = Field(description="send it back with a decision (optimistic concurrency)")


class QueuePage(BaseModel):
    page: PageInfo
    items: list[AchievementItem]


class HistoryEntry(BaseModel):
    seq: int
    status: ModerationStatus
    changed_at: UtcDateTime
    source: str


class AuditEntryOut(BaseModel):
    """One recorded decision: who, when, the state before and after, and why."""

    audit_id: str
    occurred_at: UtcDateTime
    actor: str
    actor_role: str
    action: str
    subject_type: str
    subject_id: str = Field(
        description="a random key: the review item's id, or the achievement's subject key "
        "(never a participant or achievement id)"
    )
    achievement_id: str | None = Field(
        default=None,
        description="the achievement an achievement decision is about, while it is stored; "
        "null once it was erased",
    )
    before: dict[str, Any]
    after: dict[str, Any]
    comment: str


class AchievementDetail(AchievementItem):
    history: list[HistoryEntry]
    audit: list[AuditEntryOut]


class DecisionRequest(Strict):
    """Verify or reject; ``expected_version`` is the ``version`` the moderator was shown.
    A rejection needs a comment."""

    decision: AchievementDecision
    expected_version: Annotated[int, Field(ge=0)]
    comment: Annotated[str, Field(max_length=MAX_COMMENT_LENGTH)] = ""


class DecisionResponse(BaseModel):
    achievement_id: str
    status: ModerationStatus
    version: int
    audit_id: str


class ConflictDetail(BaseModel):
    message: str
    current: dict[str, Any] = Field(description="the item's status and version now")


class ConflictBody(BaseModel):
    """Someone decided first: what the item looks like now."""

    detail: ConflictDetail


class AuditPage(BaseModel):
    page: PageInfo
    items: list[AuditEntryOut]
