"""The directions the live store knows (every role): store data, ingested like any entity."""

from __future__ import annotations

from fastapi import APIRouter

from serving.api.deps import ReaderDep, StateDep
from serving.schemas.directions import DirectionList, DirectionOut

router = APIRouter(prefix="/v1", tags=["footprint"])


@router.get(
    "/directions",
    summary="The directions of the live store (codes, Russian titles), the defaults first",
)
def directions(_: ReaderDep, state: StateDep) -> DirectionList:
    snapshot = state.live.catalogue()[1]
    return DirectionList(
        directions=[DirectionOut.model_validate(d.model_dump()) for d in snapshot.direction_list()]
    )
