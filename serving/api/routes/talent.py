"""Talent search, shortlists and invitations (partner universities).

Every answer holds only participants whose ``university_search`` consent scope is in force at
that request, and only moderator-verified data; every candidate shown is audited (who, when,
which participant). docs/universities.md describes the ranking and the spread.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Response, status

from core.instants import utc_now
from serving.api.deps import RequestIdDep, StateDep, UniversityDep, model_work
from serving.schemas.common import ID_PATTERN, Direction, Message, Season
from serving.schemas.universities import (
    InvitationIn,
    ShortlistDetail,
    ShortlistIn,
    ShortlistOut,
    TalentPage,
    UniversityInvitation,
)
from serving.services import outreach
from serving.services.talent_index import RankBy, TalentFilters
from serving.services.universities import ViewContext, record_views

router = APIRouter(prefix="/v1/talent", tags=["universities"])
IdPath = Annotated[str, Path(pattern=ID_PATTERN)]
NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"model": Message, "description": "unknown or not consenting"}
}


@router.get(
    "",
    summary="Search consenting participants (university)",
    description=(
        "Candidates ranked by a conservative score, the lower end of the competence interval "
        "(in `direction`, else the best direction), so that one lucky result does not outrank "
        "a consistent record; each with its verified evidence. `rank_by=within_region` puts "
        "every region's best first. `spread` compares this page and all matches with the "
        "whole consenting population over regions and grades. Pass `next_cursor` back as "
        "`cursor` with the same filters for the next page."
    ),
    responses={503: {"model": Message, "description": "no competence model loaded"}},
)
@model_work
def talent_search(
    caller: UniversityDep,
    state: StateDep,
    request_id: RequestIdDep,
    direction: Direction | None = None,
    min_level: Annotated[str | None, Query(max_length=32, description="a level band code")] = None,
    min_competence: Annotated[float | None, Query(ge=0, le=100)] = None,
    diploma_season: Annotated[Season | None, Query(description="has a diploma of it")] = None,
    grade_min: Annotated[int | None, Query(ge=1, le=11)] = None,
    grade_max: Annotated[int | None, Query(ge=1, le=11)] = None,
    region: Annotated[str | None, Query(max_length=16)] = None,
    online_only: bool = False,
    min_growth: Annotated[
        float | None,
        Query(ge=-1e6, le=1e6, description="rating points gained over the previous season"),
    ] = None,
    rank_by: RankBy = RankBy.OVERALL,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    cursor: Annotated[str | None, Query(max_length=400)] = None,
) -> TalentPage:
    filters = TalentFilters(
        direction=direction,
        min_level=min_level,
        min_competence=min_competence,
        diploma_season=diploma_season,
        grade_min=grade_min,
        grade_max=grade_max,
        region=region,
        online_only=online_only,
        min_growth=min_growth,
        rank_by=rank_by,
    )
    page = state.talent.search(
        filters,
        limit=limit,
        cursor=cursor,
        university=caller.university.code,
        actor=caller.principal.actor,
        request_id=request_id,
    )
    return TalentPage.model_validate(page)


@router.get("/shortlists", summary="The university's shortlists (university)")
def shortlists(caller: UniversityDep, state: StateDep) -> list[ShortlistOut]:
    rows = outreach.list_shortlists(state.store, caller.university, state.scopes)
    return [ShortlistOut.model_validate(r, from_attributes=True) for r in rows]


@router.post(
    "/shortlists", status_code=status.HTTP_201_CREATED, summary="Create a shortlist (university)"
)
def create_shortlist(body: ShortlistIn, caller: UniversityDep, state: StateDep) -> ShortlistOut:
    row = outreach.create_shortlist(state.store, caller.university, body.title, utc_now())
    return ShortlistOut.model_validate(row, from_attributes=True)


@router.get(
    "/shortlists/{shortlist_id}",
    responses=NOT_FOUND,
    summary="A shortlist with its candidates' evidence (university; audited)",
)
@model_work
def shortlist(
    shortlist_id: IdPath, caller: UniversityDep, state: StateDep, request_id: RequestIdDep
) -> ShortlistDetail:
    row = outreach.shortlist(state.store, caller.university, shortlist_id, state.scopes)
    cards = state.talent.cards(row.participants) if row.participants else []
    record_views(
        state.store,
        university=caller.university.code,
        actor=caller.principal.actor,
        participant_ids=[str(c["participant_id"]) for c in cards],
        context=ViewContext.SHORTLIST,
        now=utc_now(),
        request_id=request_id,
    )
    return ShortlistDetail.model_validate(vars(row) | {"candidates": cards})


@router.put(
    "/shortlists/{shortlist_id}/participants/{participant_id}",
    responses=NOT_FOUND,
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Add a consenting participant to a shortlist (university)",
)
def add_to_shortlist(
    shortlist_id: IdPath, participant_id: IdPath, caller: UniversityDep, state: StateDep
) -> Response:
    outreach.add_to_shortlist(
        state.store, caller.university, shortlist_id, participant_id, state.scopes, utc_now()
    )
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.delete(
    "/shortlists/{shortlist_id}/participants/{participant_id}",
    responses=NOT_FOUND,
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Remove a participant from a shortlist (university)",
)
def remove_from_shortlist(
    shortlist_id: IdPath, participant_id: IdPath, caller: UniversityDep, state: StateDep
) -> Response:
    outreach.remove_from_shortlist(state.store, caller.university, shortlist_id, participant_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/invitations",
    summary="Record the wish to contact a participant (university; audited)",
    description=(
        "The platform delivers it and reports the answer; the university is told only an "
        "acceptance (`accepted`), anything else reads `awaiting`. One invitation per "
        "university and participant: sending it again returns the first (200)."
    ),
    status_code=status.HTTP_201_CREATED,
    responses=NOT_FOUND | {200: {"model": UniversityInvitation, "description": "already invited"}},
)
def invite(
    body: InvitationIn,
    caller: UniversityDep,
    state: StateDep,
    response: Response,
    request_id: RequestIdDep,
) -> UniversityInvitation:
    item, new = outreach.invite(
        state.store,
        caller.university,
        caller.principal.actor,
        body.participant_id,
        body.direction,
        state.scopes,
        utc_now(),
    )
    if new:
        record_views(
            state.store,
            university=caller.university.code,
            actor=caller.principal.actor,
            participant_ids=[body.participant_id],
            context=ViewContext.INVITATION,
            now=utc_now(),
            request_id=request_id,
        )
    else:
        response.status_code = status.HTTP_200_OK
    return UniversityInvitation.model_validate(item, from_attributes=True)


@router.get("/invitations", summary="The university's invitations (university)")
def invitations(caller: UniversityDep, state: StateDep) -> list[UniversityInvitation]:
    rows = outreach.university_invitations(state.store, caller.university, state.scopes)
    return [UniversityInvitation.model_validate(r, from_attributes=True) for r in rows]
