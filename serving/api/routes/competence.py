"""Competence estimates (every role) and the competence review queue (moderator, admin); overrides
as labels (data_scientist, admin); the batch refresh of the queue (admin)."""

from __future__ import annotations

import io
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, status
from fastapi.responses import Response
from sqlalchemy import select

from core.instants import to_naive_utc
from footprint.columns import Columns as C
from footprint.spreadsheet import write_csv
from models.competence.codes import NO_ESTIMATE_TEXT_RU, FlagCode, NoEstimateCode
from models.competence.columns import CompetenceColumns as CC
from serving.api.deps import (
    AdminDep,
    MetricsDep,
    ModeratorDep,
    OperatorDep,
    ReaderDep,
    RequestIdDep,
    StateDep,
    StoreDep,
    model_work,
)
from serving.api.errors import ApiError
from serving.schemas.common import (
    DEFAULT_PAGE_SIZE,
    ID_PATTERN,
    MAX_PAGE_SIZE,
    Direction,
    Instant,
    Message,
    PageInfo,
)
from serving.schemas.competence import (
    CompetenceEstimate,
    CompetenceResponse,
    LatentInterval,
    Moderation,
    NoEstimate,
    OverrideLabel,
    RefreshRequest,
    RefreshStatusOut,
    ReviewDecisionRequest,
    ReviewDecisionResponse,
    ReviewDetail,
    ReviewItem,
    ReviewPage,
    next_result_interval,
)
from serving.schemas.moderation import AuditEntryOut, ConflictBody
from serving.services.reviews import (
    QueueFilter,
    Review,
    decide_review,
    open_queue,
    overrides,
    review_detail,
)
from serving.tables import competence_reviews

router = APIRouter(prefix="/v1")

IdPath = Annotated[str, Path(pattern=ID_PATTERN)]
NOT_READY: dict[int | str, dict[str, Any]] = {
    503: {"model": Message, "description": "no competence model loaded"}
}


def _latest_decisions(store: Any, participant_id: str) -> dict[str, Moderation]:
    rv = competence_reviews
    with store.engine.connect() as conn:
        rows = conn.execute(
            select(rv.c.direction, rv.c.status, rv.c.override_value, rv.c.decided_at)
            .where(rv.c.participant_id == participant_id, rv.c.decided_at.is_not(None))
            .order_by(rv.c.decided_at)
        ).all()
    return {
        str(r.direction): Moderation(
            status=r.status, override_value=r.override_value, decided_at=r.decided_at
        )
        for r in rows
    }


@router.get(
    "/participants/{participant_id}/competence",
    tags=["competence"],
    summary="A participant's competence per direction: value, interval, level, evidence, flags",
    responses={404: {"model": Message}, **NOT_READY},
)
@model_work
def competence(
    participant_id: IdPath,
    _: ReaderDep,
    state: StateDep,
    direction: Annotated[Direction | None, Query()] = None,
) -> CompetenceResponse:
    loaded, frame = state.competence.estimate([participant_id])
    state.recorder.submit(frame)
    decisions = _latest_decisions(state.store, participant_id)
    if direction is not None:
        frame = frame[frame[C.DIRECTION] == direction]
    estimates = [
        CompetenceEstimate(
            direction=str(r[C.DIRECTION]),
            competence=float(r[CC.COMPETENCE]),
            lower=float(r[CC.LOWER]),
            upper=float(r[CC.UPPER]),
            latent_interval=LatentInterval(
                lower=float(r[CC.LOWER]),
                upper=float(r[CC.UPPER]),
                level=float(loaded.bundle.model.config.interval_level),
            ),
            next_result_interval=next_result_interval(r),
            level=str(r[CC.LEVEL]),
            level_title_ru=str(r[CC.LEVEL_TITLE]),
            cold_start=bool(r[CC.COLD_START]),
            n_records=int(r[CC.N_RECORDS]),
            flags=r[CC.FLAGS],
            top_features=r.get(CC.TOP_FEATURES) or [],
            top_achievements=r.get(CC.TOP_ACHIEVEMENTS) or [],
            moderation=decisions.get(str(r[C.DIRECTION])),
        )
        for r in frame.to_dict("records")
    ]
    snapshot = state.live.snapshot()[1]
    estimated = {e.direction for e in estimates}
    code = NoEstimateCode.DIRECTION_NOT_IN_MODEL
    return CompetenceResponse(
        participant_id=participant_id,
        as_of=snapshot.as_of,
        model_version=loaded.version,
        estimates=estimates,
        no_estimate=[
            NoEstimate(
                direction=d.code,
                code=code.value,
                text_ru=NO_ESTIMATE_TEXT_RU[code].format(title=d.title_ru),
            )
            for d in snapshot.direction_list()
            if d.code not in estimated and direction in (None, d.code)
        ],
    )


def _with_interval(item: Review) -> dict[str, Any]:
    """A stored review item with its predictive interval as the API names it."""
    return vars(item) | {"next_result_interval": next_result_interval(item.next_result)}


@router.get(
    "/moderation/competence",
    tags=["moderation"],
    summary="Open competence reviews, the most worth a look first",
)
def review_queue(
    _: ModeratorDep,
    store: StoreDep,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)] = DEFAULT_PAGE_SIZE,
    direction: Annotated[Direction | None, Query()] = None,
    flag: Annotated[FlagCode | None, Query(description="items carrying this flag")] = None,
    participant_id: Annotated[str | None, Query(pattern=ID_PATTERN)] = None,
    updated_from: Annotated[
        Instant | None, Query(description="items refreshed at or after this instant")
    ] = None,
    updated_to: Annotated[Instant | None, Query(description="... and before this one")] = None,
) -> ReviewPage:
    filters = QueueFilter(
        direction=direction,
        flag=flag.value if flag else None,
        participant_id=participant_id,
        updated_from=to_naive_utc(updated_from),
        updated_to=to_naive_utc(updated_to),
    )
    total, items = open_queue(store, offset=offset, limit=limit, filters=filters)
    return ReviewPage(
        page=PageInfo(total=total, offset=offset, limit=limit),
        items=[ReviewItem.model_validate(_with_interval(i)) for i in items],
    )


@router.get(
    "/moderation/competence/{review_id}",
    tags=["moderation"],
    summary="One competence review with its evidence and audit trail",
    responses={404: {"model": Message}},
)
def review(review_id: IdPath, _: ModeratorDep, store: StoreDep) -> ReviewDetail:
    item = review_detail(store, review_id)
    audit = [AuditEntryOut.model_validate(a, from_attributes=True) for a in item.audit]
    return ReviewDetail.model_validate(_with_interval(item) | {"audit": audit})


@router.post(
    "/moderation/competence/{review_id}/decision",
    tags=["moderation"],
    summary="Approve, override (value + comment) or send back an estimate (audited)",
    responses={404: {"model": Message}, 409: {"model": ConflictBody}},
)
def decide(
    review_id: IdPath,
    body: ReviewDecisionRequest,
    principal: ModeratorDep,
    store: StoreDep,
    metrics: MetricsDep,
    request_id: RequestIdDep,
) -> ReviewDecisionResponse:
    action = f"competence.{body.decision.value}"
    with metrics.decision(action):  # a conflict goes on to the one error handler
        outcome = decide_review(
            store,
            review_id,
            body.decision,
            expected_version=body.expected_version,
            value=body.value,
            comment=body.comment,
            principal=principal,
            request_id=request_id,
        )
    return ReviewDecisionResponse(
        review_id=outcome.review_id,
        status=outcome.status,
        version=outcome.version,
        audit_id=outcome.audit.audit_id,
    )


@router.get(
    "/moderation/competence-overrides",
    tags=["moderation"],
    summary="Moderators' overrides as labels for the next training (JSON or CSV)",
    responses={200: {"content": {"text/csv": {}}}},
)
def override_labels(
    _: OperatorDep,
    store: StoreDep,
    since: Annotated[Instant | None, Query()] = None,
    format: Annotated[Literal["json", "csv"], Query()] = "json",
) -> Any:
    frame = overrides(store, since)
    if format == "csv":
        buffer = io.StringIO()
        write_csv(frame, buffer)
        return Response(buffer.getvalue(), media_type="text/csv")
    return [OverrideLabel.model_validate(r) for r in frame.to_dict("records")]


@router.post(
    "/admin/competence/refresh",
    tags=["admin"],
    status_code=status.HTTP_202_ACCEPTED,
    summary="Estimate participants in the background and fill the review queue",
    responses={409: {"model": Message, "description": "a refresh is running"}, **NOT_READY},
)
def start_refresh(_: AdminDep, state: StateDep, body: RefreshRequest | None = None) -> Any:
    ids = body.participant_ids if body is not None else None
    if not state.refresh.start(ids):
        raise ApiError("busy", "a refresh is already running")
    return RefreshStatusOut.model_validate(state.refresh.status.as_dict())


@router.get("/admin/competence/refresh", tags=["admin"], summary="Progress of the refresh")
def refresh_status(_: AdminDep, state: StateDep) -> RefreshStatusOut:
    return RefreshStatusOut.model_validate(state.refresh.status.as_dict())
