"""Verification of pending achievements, as an API (moderator, admin). The web pages in
:mod:`serving.api.routes.pages` call the same service functions."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from serving.api.deps import MetricsDep, ModeratorDep, RatingDep, RequestIdDep, StoreDep
from serving.schemas.common import DEFAULT_PAGE_SIZE, ID_PATTERN, MAX_PAGE_SIZE, Message, PageInfo
from serving.schemas.moderation import (
    AchievementDetail,
    AchievementItem,
    AuditEntryOut,
    AuditPage,
    ConflictBody,
    DecisionRequest,
    DecisionResponse,
    QueuePage,
)
from serving.services.audit import audit_entries
from serving.services.moderation import achievement_detail, decide_achievement, pending_queue

router = APIRouter(prefix="/v1/moderation", tags=["moderation"])

AchievementPath = Annotated[str, Path(pattern=ID_PATTERN)]
Offset = Annotated[int, Query(ge=0, le=10_000_000)]
Limit = Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)]


@router.get("/achievements", summary="Pending achievements, oldest first, with their evidence")
def queue(
    _: ModeratorDep,
    store: StoreDep,
    offset: Offset = 0,
    limit: Limit = DEFAULT_PAGE_SIZE,
    activity_id: Annotated[str | None, Query(pattern=ID_PATTERN)] = None,
) -> QueuePage:
    total, items = pending_queue(store, offset=offset, limit=limit, activity_id=activity_id)
    return QueuePage(
        page=PageInfo(total=total, offset=offset, limit=limit),
        items=[AchievementItem.model_validate(i, from_attributes=True) for i in items],
    )


@router.get(
    "/achievements/{achievement_id}",
    summary="One achievement with its sources, status history and audit trail",
    responses={404: {"model": Message}},
)
def detail(achievement_id: AchievementPath, _: ModeratorDep, store: StoreDep) -> AchievementDetail:
    item = achievement_detail(store, achievement_id)
    return AchievementDetail.model_validate(item, from_attributes=True)


@router.post(
    "/achievements/{achievement_id}/decision",
    summary="Verify or reject an achievement (audited; 409 if someone decided first)",
    responses={
        404: {"model": Message},
        409: {"model": ConflictBody, "description": "the version changed: reload, decide again"},
    },
)
def decide(
    achievement_id: AchievementPath,
    body: DecisionRequest,
    principal: ModeratorDep,
    store: StoreDep,
    rating: RatingDep,
    metrics: MetricsDep,
    request_id: RequestIdDep,
) -> DecisionResponse:
    action = f"achievement.{body.decision.value}"
    with metrics.decision(action):  # a conflict goes on to the one error handler
        outcome = decide_achievement(
            store,
            achievement_id,
            body.decision,
            expected_version=body.expected_version,
            comment=body.comment,
            principal=principal,
            request_id=request_id,
        )
    rating.refresh()
    return DecisionResponse(
        achievement_id=outcome.achievement_id,
        status=outcome.status,
        version=outcome.version,
        audit_id=outcome.audit.audit_id,
    )


@router.get("/audit", summary="The audit trail of decisions, newest first")
def audit(
    _: ModeratorDep,
    store: StoreDep,
    subject_type: Annotated[str | None, Query(pattern=r"^[a-z_]{1,20}$")] = None,
    subject_id: Annotated[str | None, Query(pattern=ID_PATTERN)] = None,
    offset: Offset = 0,
    limit: Limit = DEFAULT_PAGE_SIZE,
) -> AuditPage:
    with store.engine.connect() as conn:
        total, entries = audit_entries(
            conn, subject_type=subject_type, subject_id=subject_id, offset=offset, limit=limit
        )
    return AuditPage(
        page=PageInfo(total=total, offset=offset, limit=limit),
        items=[AuditEntryOut.model_validate(e, from_attributes=True) for e in entries],
    )
