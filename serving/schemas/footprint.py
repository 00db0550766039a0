"""Bodies of footprint pushes and erasures."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, Field

from serving.schemas.common import MAX_PUSH_RECORDS, Strict

Scalar = str | int | float | bool | None
SOURCE_PATTERN = r"^[a-z0-9][a-z0-9_.-]{0,63}$"


class PushRequest(Strict):
    """A batch of records of one entity, as JSON objects with the columns of docs/data-model.md.

    ``source`` names the sending system: with ``source_record_id`` it is the idempotency key of an
    achievement, and ids of participants are resolved through that source's identity map.
    """

    source: Annotated[str, Field(pattern=SOURCE_PATTERN, examples=["platform"])]
    records: Annotated[
        list[dict[str, Scalar]],
        Field(min_length=1, max_length=MAX_PUSH_RECORDS, description="rows of the entity"),
    ]


class RowProblem(BaseModel):
    """One problem of one row; a row can have several (one per bad field)."""

    row_number: int = Field(description="1-based position of the record in `records`")
    field: str
    reason_code: str = Field(description="stable code, e.g. missing_required, unknown_activity")
    reason: str


class PushResponse(BaseModel):
    """What the batch did. Rows with problems were quarantined; all other rows were applied in
    one transaction. Re-sending the same batch reports them as ``unchanged``."""

    entity: str
    source: str
    rows: int
    added: int
    updated: int
    unchanged: int
    merged: int
    quarantined: int = Field(description="rows with at least one problem (not applied)")
    erased: int
    accepted: int = Field(description="rows applied or found unchanged: rows - quarantined")
    problems: list[RowProblem]


ErasureReason = Literal["consent_withdrawn", "account_deleted", "legal_request"]


class ErasureRequest(Strict):
    """Why the participant is erased; ``source`` resolves a source's own id to the stored one."""

    reason_code: ErasureReason = "consent_withdrawn"
    source: Annotated[str | None, Field(pattern=SOURCE_PATTERN)] = None


class ErasureResponse(BaseModel):
    """``erased`` now, or ``already_erased`` before (nothing left to delete)."""

    status: Literal["erased", "already_erased"]
    erasure_id: str | None
    rows_deleted: dict[str, int]
