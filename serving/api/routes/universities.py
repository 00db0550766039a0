"""Partner universities as data (admin), and what the platform asks on a participant's behalf:
which universities viewed them, the invitations to deliver and their answers."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Response, status

from core.instants import utc_now
from serving.api.deps import AdminDep, PlatformDep, StateDep
from serving.schemas.common import ID_PATTERN, Message
from serving.schemas.universities import (
    AnswerIn,
    PlatformInvitation,
    UniversityIn,
    UniversityOut,
    UniversityView,
)
from serving.services import outreach
from serving.services.universities import (
    CODE_PATTERN,
    University,
    list_universities,
    put_university,
    views_of,
)

router = APIRouter(prefix="/v1", tags=["universities"])
IdPath = Annotated[str, Path(pattern=ID_PATTERN)]


def _out(u: University) -> UniversityOut:
    return UniversityOut(code=u.code, name=u.name, directions=list(u.directions), active=u.active)


@router.get("/admin/universities", summary="Partner universities (admin)")
def universities(_: AdminDep, state: StateDep) -> list[UniversityOut]:
    return [_out(u) for u in list_universities(state.store)]


@router.put(
    "/admin/universities/{code}",
    summary="Register or change a partner university (admin)",
    description=(
        "The code is what the university's tokens are named: "
        "`talent token --role university --name CODE`. `active: false` refuses its tokens."
    ),
    responses={200: {"model": UniversityOut, "description": "changed"}},
    status_code=status.HTTP_201_CREATED,
)
def put(
    code: Annotated[str, Path(pattern=CODE_PATTERN)],
    body: UniversityIn,
    _: AdminDep,
    state: StateDep,
    response: Response,
) -> UniversityOut:
    university, new = put_university(
        state.store,
        code,
        name=body.name,
        directions=list(body.directions),
        active=body.active,
        now=utc_now(),
    )
    if not new:
        response.status_code = status.HTTP_200_OK
    return _out(university)


@router.get(
    "/participants/{participant_id}/university-views",
    summary="Which universities were shown the participant (platform)",
    responses={404: {"model": Message, "description": "no such participant"}},
)
def university_views(
    participant_id: IdPath, _: PlatformDep, state: StateDep
) -> list[UniversityView]:
    rows = views_of(state.store, participant_id)
    return [UniversityView.model_validate(r) for r in rows]


@router.get("/invitations", summary="Invitations to deliver or look up (platform)")
def invitations(
    _: PlatformDep,
    state: StateDep,
    status_: Annotated[outreach.InvitationStatus | None, Query(alias="status")] = None,
    participant_id: Annotated[str | None, Query(pattern=ID_PATTERN)] = None,
) -> list[PlatformInvitation]:
    rows = outreach.platform_invitations(state.store, state.scopes, status_, participant_id)
    return [PlatformInvitation.model_validate(r, from_attributes=True) for r in rows]


@router.post(
    "/invitations/{invitation_id}/answer",
    summary="Report the participant's answer (platform)",
    responses={
        404: {"model": Message, "description": "no such invitation"},
        409: {"description": "already answered differently"},
    },
)
def answer(
    invitation_id: IdPath, body: AnswerIn, principal: PlatformDep, state: StateDep
) -> PlatformInvitation:
    row = outreach.answer_invitation(
        state.store, invitation_id, body.answer, principal.actor, utc_now()
    )
    return PlatformInvitation.model_validate(row, from_attributes=True)
