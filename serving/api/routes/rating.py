"""The contest rating on the live store: a direction's table, one participant's standing with
its explanation, and what-ifs. Every role may read it."""

from __future__ import annotations

import math
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query

from core.errors import ConfigError
from footprint.columns import Columns as C
from models.rating import RatingResult, UnknownParticipantError, what_if
from models.rating.codes import DIPLOMA_TEXT_RU, Diploma, View
from models.rating.columns import RatingColumns as RC
from serving.api.deps import ReaderDep, StateDep, model_work
from serving.errors import InvalidInputError, NotFoundError
from serving.schemas.common import (
    DEFAULT_PAGE_SIZE,
    ID_PATTERN,
    MAX_PAGE_SIZE,
    Direction,
    Message,
    PageInfo,
    Season,
)
from serving.schemas.rating import RatingPage, RatingRow, Standing, Thresholds, WhatIfRequest
from serving.services.rating import RatingService

router = APIRouter(prefix="/v1/rating", tags=["rating"])

SeasonQuery = Annotated[
    Season | None, Query(description="season YYYY/YY; default: the current one")
]
ViewQuery = Annotated[View, Query(description="official, or provisional (pending counted)")]
ParticipantPath = Annotated[str, Path(pattern=ID_PATTERN, examples=["p0001234"])]
NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"model": Message, "description": "participant not in the store"}
}


def _result(rating: RatingService, season: str | None, view: View) -> RatingResult:
    try:
        return rating.result(season or rating.default_season(), view)
    except ConfigError as exc:
        raise InvalidInputError(str(exc), ("query", "season")) from exc


def _float_or_none(value: object) -> float | None:
    number = float(value)  # type: ignore[arg-type]
    return None if math.isnan(number) else number


@router.get("/{direction}", summary="A direction's rating table, paged, in place order")
@model_work
def rating_table(
    direction: Direction,
    _: ReaderDep,
    state: StateDep,
    season: SeasonQuery = None,
    view: ViewQuery = View.OFFICIAL,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)] = DEFAULT_PAGE_SIZE,
) -> RatingPage:
    rating = state.rating
    result = _result(rating, season, view)
    table = rating.direction_table(result.season, view, direction)
    thr = result.thresholds[result.thresholds[C.DIRECTION] == direction]
    t = thr.iloc[0] if len(thr) else None
    rows = table.iloc[offset : offset + limit]
    items = [
        RatingRow(
            participant_id=str(r[C.PARTICIPANT_ID]),
            place=int(r[RC.PLACE]),
            raw_points=float(r[RC.RAW_POINTS]),
            score=float(r[RC.SCORE]),
            diploma=Diploma(r[RC.DIPLOMA]),
            diploma_text_ru=DIPLOMA_TEXT_RU[Diploma(r[RC.DIPLOMA])],
            n_counted=int(r[RC.N_COUNTED]),
        )
        for r in rows.to_dict("records")
    ]
    return RatingPage(
        season=result.season,
        direction=direction,
        view=view,
        rules_version=result.rules.version,
        as_of=result.as_of,
        thresholds=Thresholds(
            n_rated=int(t[RC.N_RATED]) if t is not None else 0,
            reference_points=_float_or_none(t[RC.R_REF]) if t is not None else None,
            winner_slots=int(t[RC.WINNER_SLOTS]) if t is not None else 0,
            prize_winner_slots=int(t[RC.PRIZE_WINNER_SLOTS]) if t is not None else 0,
            n_winners=int(t[RC.N_WINNERS]) if t is not None else 0,
            n_prize_winners=int(t[RC.N_PRIZE_WINNERS]) if t is not None else 0,
        ),
        page=PageInfo(total=len(table), offset=offset, limit=limit),
        items=items,
    )


@router.get(
    "/{direction}/participants/{participant_id}",
    summary="One participant's standing: the full explanation and the gaps to the diplomas",
    responses=NOT_FOUND,
)
@model_work
def standing(
    direction: Direction,
    participant_id: ParticipantPath,
    _: ReaderDep,
    state: StateDep,
    season: SeasonQuery = None,
    view: ViewQuery = View.OFFICIAL,
) -> Standing:
    rating = state.rating
    result = _result(rating, season, view)
    try:
        explanation = result.explain(participant_id, direction)
        gaps = what_if(result, participant_id, direction)
    except UnknownParticipantError as exc:
        raise NotFoundError(str(exc)) from exc
    return Standing(explanation=explanation, what_if=gaps)


@router.post(
    "/{direction}/participants/{participant_id}/what-if",
    summary="What hypothetical achievements would add, after caps and best-N",
    responses=NOT_FOUND,
)
@model_work
def hypothetical(
    direction: Direction,
    participant_id: ParticipantPath,
    body: WhatIfRequest,
    _: ReaderDep,
    state: StateDep,
    season: SeasonQuery = None,
    view: ViewQuery = View.OFFICIAL,
) -> Standing:
    rating = state.rating
    result = _result(rating, season, view)
    try:
        explanation = result.explain(participant_id, direction)
        outcome = what_if(result, participant_id, direction, body.hypothetical)
    except UnknownParticipantError as exc:
        raise NotFoundError(str(exc)) from exc
    except ConfigError as exc:
        raise InvalidInputError(str(exc), ("body", "hypothetical")) from exc
    return Standing(explanation=explanation, what_if=outcome)
