"""Footprint pushes (platform, admin) and erasure on withdrawn consent (platform)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Path

from footprint.enums import Entity
from footprint.sweep import sweep_erased
from serving.api.deps import (
    MetricsDep,
    PlatformDep,
    PusherDep,
    RatingDep,
    SettingsDep,
    StoreDep,
)
from serving.schemas.common import ID_PATTERN, Message
from serving.schemas.footprint import (
    ErasureRequest,
    ErasureResponse,
    PushRequest,
    PushResponse,
    RowProblem,
)
from serving.services.footprint import erase, push_records

router = APIRouter(prefix="/v1", tags=["footprint"])

_EXAMPLE_RECORDS: dict[Entity, dict[str, Any]] = {
    Entity.DIRECTIONS: {
        "code": "drones",
        "title_ru": "Беспилотные авиационные системы",
    },
    Entity.PARTICIPANTS: {
        "participant_id": "p0001234",
        "grade": 8,
        "grade_year": 2025,
        "region": "RU-TAT",
        "school_id": "s00412",
        "registered_at": "2024-09-12T10:00:00",
        "account_verified_at": "2024-09-20T08:00:00",
        "declared_interests": "python;robotics",
        "consent_status": "given",
    },
    Entity.ACTIVITIES: {
        "activity_id": "a-nti-py-2025-s1",
        "series_id": "nti-python-s1",
        "title": "Олимпиада НТИ: Программирование, 1 этап",
        "kind": "olympiad_stage_individual",
        "directions": "python:0.7;robotics:0.3",
        "level": "national",
        "format": "online",
        "start_at": "2025-10-01",
        "end_at": "2025-10-20",
        "grade_min": 5,
        "grade_max": 11,
        "max_score": 100,
        "is_team": False,
        "olympiad_list_level": 1,
        "published_at": "2025-06-15",
    },
    Entity.ACTIVITY_EDGES: {
        "from_activity_id": "a-nti-py-2025-s1",
        "to_activity_id": "a-nti-py-2025-s2",
        "edge_type": "selection",
    },
    Entity.ACHIEVEMENTS: {
        "source_record_id": "r-000981",
        "participant_id": "p0001234",
        "activity_id": "a-nti-py-2025-s1",
        "result": "prize_winner",
        "score": 71.5,
        "rank": 140,
        "evidence": "doc:88123",
        "status": "pending",
        "achieved_at": "2025-10-20",
        "recorded_at": "2025-10-25T12:00:00",
    },
    Entity.IDENTITIES: {
        "source": "olympiad_org",
        "source_participant_id": "nti-77812",
        "participant_id": "p0001234",
    },
    Entity.CONSENTS: {
        "participant_id": "p0001234",
        "consent_status": "withdrawn",
        "changed_at": "2026-01-10T08:00:00",
    },
    Entity.CONSENT_SCOPES: {
        "participant_id": "p0001234",
        "scope": "university_search",
        "consent_status": "given",
        "changed_at": "2026-01-10T08:00:00",
    },
}

PUSH_EXAMPLES = {
    entity.value: {
        "summary": f"one {entity.value} record",
        "value": {"source": "platform", "records": [record]},
    }
    for entity, record in _EXAMPLE_RECORDS.items()
}


@router.post(
    "/footprint/{entity}",
    summary="Push a batch of footprint records (platform, admin)",
    description=(
        "Validated like file ingestion (`talent ingest`): rows with problems are quarantined and "
        "listed in `problems` (row number, field, reason code, reason); the other rows are "
        "applied in one transaction. Idempotent: re-sending a batch changes nothing. A record "
        "with a key that is not a column of the entity refuses the whole batch with 422. "
        "Fields and formats: docs/data-model.md."
    ),
    responses={422: {"description": "malformed batch (the field is named)"}},
)
def push(
    entity: Entity,
    body: Annotated[PushRequest, Body(openapi_examples=PUSH_EXAMPLES)],
    principal: PusherDep,
    store: StoreDep,
    settings: SettingsDep,
    rating: RatingDep,
    metrics: MetricsDep,
) -> PushResponse:
    result = push_records(
        store, entity, body.records, source=body.source, salt=settings.erasure_salt
    )
    s = result.summary
    if s.added or s.updated or s.merged or s.erased:
        rating.refresh()
    if s.erased:
        sweep_erased(store, settings.erasure_salt, settings.data_dir)
    accepted = s.rows - s.quarantined
    metrics.pushed_rows.labels(entity.value, "accepted").inc(accepted)
    metrics.pushed_rows.labels(entity.value, "quarantined").inc(s.quarantined)
    problems = [
        RowProblem(
            row_number=int(p["row_number"]),
            field=str(p["field"]),
            reason_code=str(p["reason_code"]),
            reason=str(p["reason"]),
        )
        for p in result.problems.to_dict("records")
    ]
    return PushResponse(
        entity=entity.value,
        source=body.source,
        rows=s.rows,
        added=s.added,
        updated=s.updated,
        unchanged=s.unchanged,
        merged=s.merged,
        quarantined=s.quarantined,
        erased=s.erased,
        accepted=accepted,
        problems=problems,
    )


@router.post(
    "/participants/{participant_id}/erasure",
    summary="Erase a participant who withdrew consent (platform)",
    description=(
        "Deletes the participant's records everywhere in the store and leaves a tombstone so "
        "later pushes of their rows are refused (152-FZ); the erasure is logged with the actor "
        "and the reason code, without ids. Idempotent."
    ),
    responses={404: {"model": Message, "description": "no such participant"}},
)
def erasure(
    participant_id: Annotated[str, Path(pattern=ID_PATTERN)],
    principal: PlatformDep,
    store: StoreDep,
    settings: SettingsDep,
    rating: RatingDep,
    metrics: MetricsDep,
    body: Annotated[ErasureRequest | None, Body()] = None,
) -> ErasureResponse:
    request = body or ErasureRequest()
    outcome = erase(
        store,
        participant_id,
        principal=principal,
        reason_code=request.reason_code,
        salt=settings.erasure_salt,
        source=request.source,
    )
    # snapshots and rating files naming the participant (or anyone erased) go too
    sweep_erased(store, settings.erasure_salt, settings.data_dir)
    if outcome.report is None:
        return ErasureResponse(status="already_erased", erasure_id=None, rows_deleted={})
    rating.refresh()
    metrics.erasures.inc()
    return ErasureResponse(
        status="erased",
        erasure_id=outcome.report.erasure_id,
        rows_deleted=outcome.report.rows_deleted,
    )
