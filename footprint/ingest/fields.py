"""What each ingestible entity's rows must hold: one declarative spec per field.

The validator (``validate.py``) parses and checks rows from these specs, so a field's type, whether
it
is required and its allowed values are written down once, here, and in ``docs/data-model.md``.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Final

from footprint.columns import Columns as C
from footprint.directions import CODE_HINT, CODE_PATTERN
from footprint.enums import (
    ActivityKind,
    ConsentScope,
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
    pattern: str | None = None  # a regular expression the whole value must match
    pattern_hint: str = ""  # what the pattern means, for the quarantine reason


# ISO 3166-2 subdivision codes (RU-MOW); the API checks the same pattern
REGION_PATTERN: Final = r"^[A-Z]{2}-[A-Z0-9]{1,6}$"
REGION_HINT: Final = "an ISO 3166-2 code such as RU-MOW"


def _enum(e: type[StrEnum]) -> tuple[str, ...]:
    return tuple(m.value for m in e)


STR, INT, NUM, BOOL, TS = (
    FieldType.STRING,
    FieldType.INTEGER,
    FieldType.NUMBER,
    FieldType.BOOLEAN,
    FieldType.TIMESTAMP,
)

ENTITY_FIELDS: Final[dict[Entity, tuple[FieldSpec, ...]]] = {
    Entity.IDENTITIES: (
        FieldSpec(C.SOURCE, STR, max_length=64),
        FieldSpec(C.SOURCE_PARTICIPANT_ID, STR, max_length=64),
        FieldSpec(C.PARTICIPANT_ID, STR, max_length=64),
    ),
    Entity.PARTICIPANTS: (
        FieldSpec(C.PARTICIPANT_ID, STR, max_length=64),
        FieldSpec(C.GRADE, INT, min_value=1, max_value=11),
        FieldSpec(C.GRADE_YEAR, INT, min_value=2000, max_value=2100),
        FieldSpec(C.REGION, STR, max_length=16, pattern=REGION_PATTERN, pattern_hint=REGION_HINT),
        FieldSpec(C.SCHOOL_ID, STR, required=False, max_length=64),
        FieldSpec(C.REGISTERED_AT, TS),
        FieldSpec(C.ACCOUNT_VERIFIED_AT, TS, required=False),
        FieldSpec(C.DECLARED_INTERESTS, STR, required=False),
        FieldSpec(C.CONSENT_STATUS, STR, choices=_enum(ConsentStatus)),
        FieldSpec(C.CONSENT_CHANGED_AT, TS, required=False),
    ),
    Entity.CONSENTS: (
        FieldSpec(C.PARTICIPANT_ID, STR, max_length=64),
        FieldSpec(C.CONSENT_STATUS, STR, choices=_enum(ConsentStatus)),
        FieldSpec(C.CHANGED_AT, TS),
    ),
    Entity.CONSENT_SCOPES: (
        FieldSpec(C.PARTICIPANT_ID, STR, max_length=64),
        FieldSpec(C.SCOPE, STR, choices=_enum(ConsentScope)),
        FieldSpec(C.CONSENT_STATUS, STR, choices=_enum(ConsentStatus)),
        FieldSpec(C.CHANGED_AT, TS),
    ),
    Entity.DIRECTIONS: (
        FieldSpec(C.CODE, STR, max_length=40, pattern=CODE_PATTERN, pattern_hint=CODE_HINT),
        FieldSpec(C.TITLE_RU, STR, max_length=200),
        FieldSpec(C.AKA_RU, STR, required=False, max_length=200),
    ),
    Entity.ACTIVITIES: (
        FieldSpec(C.ACTIVITY_ID, STR, max_length=64),
        FieldSpec(C.SERIES_ID, STR, max_length=64),
        FieldSpec(C.TITLE, STR, max_length=300),
        FieldSpec(C.KIND, STR, choices=_enum(ActivityKind)),
        FieldSpec(C.DIRECTIONS, STR),
        FieldSpec(C.LEVEL, STR, choices=_enum(Level)),
        FieldSpec(C.FORMAT, STR, choices=_enum(Format)),
        FieldSpec(
            C.REGION,
            STR,
            required=False,
            max_length=16,
            pattern=REGION_PATTERN,
            pattern_hint=REGION_HINT,
        ),
        FieldSpec(C.START_AT, TS),
        FieldSpec(C.END_AT, TS),
        FieldSpec(C.REGISTRATION_DEADLINE, TS, required=False),
        FieldSpec(C.GRADE_MIN, INT, min_value=1, max_value=11),
        FieldSpec(C.GRADE_MAX, INT, min_value=1, max_value=11),
        FieldSpec(C.CAPACITY, INT, required=False, min_value=1),
        FieldSpec(C.MAX_SCORE, NUM, required=False, min_value=1e-9),
        FieldSpec(C.IS_TEAM, BOOL),
        FieldSpec(C.OLYMPIAD_LIST_LEVEL, INT, required=False, min_value=1, max_value=3),
        FieldSpec(C.PUBLISHED_AT, TS),
    ),
    Entity.ACTIVITY_EDGES: (
        FieldSpec(C.FROM_ACTIVITY_ID, STR, max_length=64),
        FieldSpec(C.TO_ACTIVITY_ID, STR, max_length=64),
        FieldSpec(C.EDGE_TYPE, STR, choices=_enum(EdgeType)),
    ),
    Entity.ACHIEVEMENTS: (
        FieldSpec(C.SOURCE_RECORD_ID, STR, max_length=64),
        FieldSpec(C.PARTICIPANT_ID, STR, max_length=64),
        FieldSpec(C.ACTIVITY_ID, STR, max_length=64),
        FieldSpec(C.TEAM_ID, STR, required=False, max_length=64),
        FieldSpec(C.RESULT, STR, choices=_enum(Result)),
        FieldSpec(C.SCORE, NUM, required=False, min_value=0),
        FieldSpec(C.RANK, INT, required=False, min_value=1),
        FieldSpec(C.EVIDENCE, STR, required=False, max_length=500),
        FieldSpec(C.STATUS, STR, choices=_enum(ModerationStatus)),
        FieldSpec(C.STATUS_CHANGED_AT, TS, required=False),
        FieldSpec(C.ACHIEVED_AT, TS),
        FieldSpec(C.RECORDED_AT, TS),
    ),
}


def field_names(entity: Entity) -> tuple[str, ...]:
    return tuple(f.name for f in ENTITY_FIELDS[entity])
