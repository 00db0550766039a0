"""What each ingestible entity's rows must hold: one declarative spec per field.

The validator (``validate.py``) parses and checks rows from these specs, so a field's type, whether it
is required and its allowed values are written down once, here, and in ``docs/data-model.md``.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Final

from footprint.columns import Columns as C
from footprint.enums import (
    ActivityKind,
    ConsentStatus,
    EdgeType,
    Entity,
    Format,
    Level,
    ModerationStatus,
    Result,
)


class FieldType(StrEnum):
    STRING = "string"
    INTEGER = "integer"
    NUMBER = "number"
    BOOLEAN = "boolean"
    TIMESTAMP = "timestamp"


@dataclass(frozen=True)
class FieldSpec:
    name: str
    type: FieldType
    required: bool = True
    choices: tuple[str, ...] | None = None
    min_value: float | None = None
    max_value: float | None = None
    max_length: int = 200


def _enum(e: type[StrEnum]) -> tuple[str, ...]:
    return tuple(m.value for m in e)


S, I, N, B, T = (
    FieldType.STRING,
    FieldType.INTEGER,
    FieldType.NUMBER,
    FieldType.BOOLEAN,
    FieldType.TIMESTAMP,
)

ENTITY_FIELDS: Final[dict[Entity, tuple[FieldSpec, ...]]] = {
    Entity.IDENTITIES: (
        FieldSpec(C.SOURCE, S, max_length=64),
        FieldSpec(C.SOURCE_PARTICIPANT_ID, S, max_length=64),
        FieldSpec(C.PARTICIPANT_ID, S, max_length=64),
    ),
    Entity.PARTICIPANTS: (
        FieldSpec(C.PARTICIPANT_ID, S, max_length=64),
        FieldSpec(C.GRADE, I, min_value=1, max_value=11),
        FieldSpec(C.GRADE_YEAR, I, min_value=2000, max_value=2100),
        FieldSpec(C.REGION, S, max_length=16),
        FieldSpec(C.SCHOOL_ID, S, required=False, max_length=64),
        FieldSpec(C.REGISTERED_AT, T),
        FieldSpec(C.ACCOUNT_VERIFIED_AT, T, required=False),
        FieldSpec(C.DECLARED_INTERESTS, S, required=False),
        FieldSpec(C.CONSENT_STATUS, S, choices=_enum(ConsentStatus)),
        FieldSpec(C.CONSENT_CHANGED_AT, T, required=False),
    ),
    Entity.CONSENTS: (
        FieldSpec(C.PARTICIPANT_ID, S, max_length=64),
        FieldSpec(C.CONSENT_STATUS, S, choices=_enum(ConsentStatus)),
        FieldSpec(C.CHANGED_AT, T),
    ),
    Entity.ACTIVITIES: (
        FieldSpec(C.ACTIVITY_ID, S, max_length=64),
        FieldSpec(C.SERIES_ID, S, max_length=64),
        FieldSpec(C.TITLE, S, max_length=300),
        FieldSpec(C.KIND, S, choices=_enum(ActivityKind)),
        FieldSpec(C.DIRECTIONS, S),
        FieldSpec(C.LEVEL, S, choices=_enum(Level)),
        FieldSpec(C.FORMAT, S, choices=_enum(Format)),
        FieldSpec(C.REGION, S, required=False, max_length=16),
        FieldSpec(C.START_AT, T),
        FieldSpec(C.END_AT, T),
        FieldSpec(C.REGISTRATION_DEADLINE, T, required=False),
        FieldSpec(C.GRADE_MIN, I, min_value=1, max_value=11),
        FieldSpec(C.GRADE_MAX, I, min_value=1, max_value=11),
        FieldSpec(C.CAPACITY, I, required=False, min_value=1),
        FieldSpec(C.MAX_SCORE, N, required=False, min_value=1e-9),
        FieldSpec(C.IS_TEAM, B),
        FieldSpec(C.OLYMPIAD_LIST_LEVEL, I, required=False, min_value=1, max_value=3),
        FieldSpec(C.PUBLISHED_AT, T),
    ),
    Entity.ACTIVITY_EDGES: (
        FieldSpec(C.FROM_ACTIVITY_ID, S, max_length=64),
        FieldSpec(C.TO_ACTIVITY_ID, S, max_length=64),
        FieldSpec(C.EDGE_TYPE, S, choices=_enum(EdgeType)),
    ),
    Entity.ACHIEVEMENTS: (
        FieldSpec(C.SOURCE_RECORD_ID, S, max_length=64),
        FieldSpec(C.PARTICIPANT_ID, S, max_length=64),
        FieldSpec(C.ACTIVITY_ID, S, max_length=64),
        FieldSpec(C.TEAM_ID, S, required=False, max_length=64),
        FieldSpec(C.RESULT, S, choices=_enum(Result)),
        FieldSpec(C.SCORE, N, required=False, min_value=0),
        FieldSpec(C.RANK, I, required=False, min_value=1),
        FieldSpec(C.EVIDENCE, S, required=False, max_length=500),
        FieldSpec(C.STATUS, S, choices=_enum(ModerationStatus)),
        FieldSpec(C.STATUS_CHANGED_AT, T, required=False),
        FieldSpec(C.ACHIEVED_AT, T),
        FieldSpec(C.RECORDED_AT, T),
    ),
}


def field_names(entity: Entity) -> tuple[str, ...]:
    return tuple(f.name for f in ENTITY_FIELDS[entity])
