"""Recommendations of next events and courses, and season trajectories toward a goal (every
role; the platform's main use)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query

from core.instants import to_naive_utc
from models.recommend.planner import PlanConstraints
from serving.api.deps import ReaderDep, StateDep, model_work
from serving.schemas.common import ID_PATTERN, Direction, Instant, Message
from serving.schemas.recommend import (
    MAX_K,
    MAX_REGIONS,
    REGION,
    Recommendation,
    RecommendationsResponse,
    TrajectoryRequest,
    TrajectoryResponse,
)

router = APIRouter(prefix="/v1/participants", tags=["recommend"])

IdPath = Annotated[str, Path(pattern=ID_PATTERN)]
ERRORS: dict[int | str, dict[str, Any]] = {
    404: {"model": Message, "description": "participant not in the store"},
    503: {"model": Message, "description": "no recommender loaded"},
}


@router.get(
    "/{participant_id}/recommendations",
    summary="The next feasible events and courses, best first, with reasons",
    responses=ERRORS,
)
@model_work
def recommendations(
    participant_id: IdPath,
    _: ReaderDep,
    state: StateDep,
    k: Annotated[int, Query(ge=1, le=MAX_K)] = 10,
    direction: Annotated[Direction | None, Query()] = None,
    as_of: Annotated[Instant | None, Query(description="request instant (default now)")] = None,
    online_only: bool = False,
    region: Annotated[list[REGION] | None, Query(max_length=MAX_REGIONS)] = None,
) -> RecommendationsResponse:
    loaded, instant, rows = state.recommend.recommend(
        participant_id,
        k=k,
        direction=direction,
        as_of=to_naive_utc(as_of),
        online_only=online_only,
        regions=tuple(region) if region else None,
    )
    items = [Recommendation.from_row(r) for r in rows]
    return RecommendationsResponse(
        participant_id=participant_id,
        as_of=instant,
        model=str(loaded.bundle.label),
        model_version=loaded.version,
        items=items,
    )


@router.post(
    "/{participant_id}/trajectory",
    summary="A dated season trajectory toward a goal, with reasons, points and competence gain",
    responses=ERRORS,
)
@model_work
def trajectory(
    participant_id: IdPath, body: TrajectoryRequest, _: ReaderDep, state: StateDep
) -> TrajectoryResponse:
    constraints = PlanConstraints(
        monthly_cap=body.monthly_cap,
        max_steps=body.max_steps,
        online_only=body.online_only,
        regions=tuple(body.regions) if body.regions else None,
    )
    loaded, plan = state.recommend.plan(
        participant_id,
        body.goal,
        horizon=to_naive_utc(body.horizon),
        constraints=constraints,
        as_of=to_naive_utc(body.as_of),
    )
    return TrajectoryResponse(model_version=loaded.version, plan=plan)
