"""Recommendations for many participants in one call: the platform's nightly jobs.

One call takes up to :data:`~serving.schemas.recommend.MAX_BATCH` participants and scores them
in one pass of the served model. A participant the store does not hold (never pushed, or erased)
is one entry of ``errors`` with the code and texts the single-participant route answers with;
the call itself succeeds, so one unknown id does not cost the job its other answers.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from core.instants import to_naive_utc
from serving.api.deps import ReaderDep, StateDep, model_work
from serving.api.errors import CODES
from serving.schemas.common import Message
from serving.schemas.recommend import (
    BatchRecommendationsRequest,
    BatchRecommendationsResponse,
    ParticipantError,
    ParticipantRecommendations,
    Recommendation,
)

router = APIRouter(prefix="/v1/recommendations", tags=["recommend"])

ERRORS: dict[int | str, dict[str, Any]] = {
    503: {"model": Message, "description": "no recommender loaded"},
}
UNKNOWN_DETAIL = "no such participant in the store"


@router.post(
    "/batch",
    summary="Recommendations for many participants in one call (nightly jobs); unknown "
    "participants are reported one by one",
    responses=ERRORS,
)
@model_work
def batch_recommendations(
    body: BatchRecommendationsRequest, _: ReaderDep, state: StateDep
) -> BatchRecommendationsResponse:
    loaded, instant, results, unknown = state.recommend.recommend_many(
        body.participant_ids,
        k=body.k,
        direction=body.direction,
        as_of=to_naive_utc(body.as_of),
        online_only=body.online_only,
        regions=tuple(body.regions) if body.regions else None,
    )
    missing = CODES["not_found"]
    return BatchRecommendationsResponse(
        as_of=instant,
        model=str(loaded.bundle.label),
        model_version=loaded.version,
        results=[
            ParticipantRecommendations(
                participant_id=pid, items=[Recommendation.from_row(r) for r in rows]
            )
            for pid, rows in results.items()
        ],
        errors=[
            ParticipantError(
                participant_id=pid,
                status=missing.status,
                code="not_found",
                detail=UNKNOWN_DETAIL,
                text_ru=missing.text_ru,
            )
            for pid in unknown
        ],
    )
