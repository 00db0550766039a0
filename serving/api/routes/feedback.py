"""Feedback on recommendations: the platform reports what participants did with what they were
shown (shown, clicked, registered, dismissed); data scientists read it back for evaluation.

An event of a participant the store does not hold (unknown, or erased) is refused and reported
by its position, with the code the participant routes answer with; the others are stored in one
transaction.
"""

from __future__ import annotations

from typing import Annotated

import anyio.to_thread
from fastapi import APIRouter, Query

from core.instants import to_naive_utc, utc_now
from serving.api.deps import OperatorDep, PusherDep, StoreDep
from serving.api.errors import CODES
from serving.schemas.common import Instant
from serving.schemas.feedback import (
    MAX_FEEDBACK_PAGE,
    FeedbackPage,
    FeedbackRequest,
    FeedbackResponse,
    RefusedEvent,
    StoredFeedbackItem,
)
from serving.services.feedback import Feedback, list_feedback, record_feedback

router = APIRouter(prefix="/v1/feedback", tags=["feedback"])


@router.post("", summary="Report what participants did with recommended activities")
async def post_feedback(
    body: FeedbackRequest, principal: PusherDep, store: StoreDep
) -> FeedbackResponse:
    events = [
        Feedback(
            participant_id=e.participant_id,
            activity_id=e.activity_id,
            event=e.event,
            occurred_at=to_naive_utc(e.occurred_at) or e.occurred_at,
            model_version=e.model_version,
            rank=e.rank,
        )
        for e in body.events
    ]
    now = utc_now()
    refused = await anyio.to_thread.run_sync(
        lambda: record_feedback(store, events, actor=principal.actor, now=now)
    )
    missing = CODES["not_found"]
    return FeedbackResponse(
        accepted=len(events) - len(refused),
        refused=[
            RefusedEvent(
                index=i,
                participant_id=events[i].participant_id,
                status=missing.status,
                code="not_found",
                detail="no such participant in the store",
                text_ru=missing.text_ru,
            )
            for i in refused
        ],
    )


@router.get("", summary="Stored feedback in arrival order, for evaluation (a cursor page)")
async def get_feedback(
    _: OperatorDep,
    store: StoreDep,
    after: Annotated[int, Query(ge=0, description="the last `seq` already read")] = 0,
    limit: Annotated[int, Query(ge=1, le=MAX_FEEDBACK_PAGE)] = 500,
    since: Annotated[Instant | None, Query(description="occurred at or after")] = None,
    until: Annotated[Instant | None, Query(description="occurred before")] = None,
) -> FeedbackPage:
    rows = await anyio.to_thread.run_sync(
        lambda: list_feedback(
            store, after=after, limit=limit, since=to_naive_utc(since), until=to_naive_utc(until)
        )
    )
    items = [
        StoredFeedbackItem(
            seq=r.seq,
            participant_id=r.feedback.participant_id,
            activity_id=r.feedback.activity_id,
            event=r.feedback.event,
            occurred_at=r.feedback.occurred_at,
            received_at=r.received_at,
            model_version=r.feedback.model_version,
            rank=r.feedback.rank,
        )
        for r in rows
    ]
    return FeedbackPage(items=items, next_after=items[-1].seq if len(items) == limit else None)
