"""Bounds and small shapes shared by several route families."""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any, Final

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, PlainSerializer

from core.instants import to_naive_utc
from footprint.calendar import parse_season
from footprint.directions import CODE_PATTERN
from serving.directions import known_directions

MAX_PAGE_SIZE: Final = 200
DEFAULT_PAGE_SIZE: Final = 50
MAX_PUSH_RECORDS: Final = 5000
MAX_ID_LENGTH: Final = 64
MAX_COMMENT_LENGTH: Final = 2000

ID_PATTERN: Final = r"^[^\s/]{1,64}$"


def _known_direction(value: str) -> str:
    known = known_directions()
    if value not in known:
        raise ValueError(f"unknown direction {value!r}; known: {', '.join(known)}")
    return value


# Direction codes are store data (GET /v1/directions lists them): an unknown one is refused with
# 422 naming the known ones, and a direction ingested while the service runs is accepted once the
# live store has shown it (serving.directions).
Direction = Annotated[
    str,
    Field(pattern=CODE_PATTERN, description="a direction code (GET /v1/directions)"),
    AfterValidator(_known_direction),
]


FIRST_YEAR: Final = 2000
LAST_YEAR: Final = 2099
"""Seasons and instants a request may name: the service's data starts this century, and
arithmetic on year 1 or 9999 (a season's start, a horizon plus a month) overflows."""


def _season(value: str) -> str:
    parse_season(value)  # ValueError names the expected form
    if not FIRST_YEAR <= int(value[:4]) <= LAST_YEAR:
        raise ValueError(f"the season must start between {FIRST_YEAR} and {LAST_YEAR}")
    return value


def plausible_instant(value: dt.datetime) -> dt.datetime:
    if not FIRST_YEAR <= value.year <= LAST_YEAR:
        raise ValueError(f"the instant must fall between {FIRST_YEAR} and {LAST_YEAR}")
    return value


Instant = Annotated[dt.datetime, AfterValidator(plausible_instant)]
"""A timestamp a request sends (years 2000-2099)."""


Season = Annotated[
    str,
    Field(pattern=r"^\d{4}/\d{2}$", examples=["2025/26"], description="season, YYYY/YY"),
    AfterValidator(_season),
]


class Strict(BaseModel):
    """Request bodies refuse unknown fields, so a misspelt field is a 422 naming it, and
    non-finite numbers (``NaN``, ``Infinity``, ``1e309``), which Python's JSON parser accepts."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)


class PageInfo(BaseModel):
    """Where a page sits in the whole list."""

    total: int = Field(description="items in the whole list")
    offset: int
    limit: int


class Message(BaseModel):
    """An error answer: what went wrong, in English, for the caller's logs."""

    detail: str


def utc_iso(value: dt.datetime) -> str:
    """RFC 3339 in UTC with ``Z``: the store keeps naive UTC; the API says so explicitly."""
    return to_naive_utc(value).isoformat() + "Z"


# A timestamp as the API writes it (the OpenAPI "date-time" format requires an offset).
UtcDateTime = Annotated[dt.datetime, PlainSerializer(utc_iso, return_type=str, when_used="json")]

SCORE_DIGITS: Final = 4


def round_score(value: float) -> float:
    """The API's one rounding rule for numbers that are scores, points, competence values,
    interval ends, probabilities or shares: four decimals (``29.8025``, not
    ``29.802500000000002``). The rating compares points in ten-thousandths and competence is on a
    0-100 scale whose interval is several points wide, so nothing a reader can use is lost."""
    return round(value, SCORE_DIGITS)


Score = Annotated[float, PlainSerializer(round_score, return_type=float, when_used="json")]
"""A score as the API writes it (:func:`round_score`); every float field of an output model is
one, which ``tests/serving/test_rounding.py`` checks model by model."""


def rounded(data: Any) -> Any:
    """:func:`round_score` applied to every float inside JSON-ready data: for the parts of an
    answer that are the library's own models or free-form evidence (a plan's chances, a rating
    explanation's points, a flag's parameters)."""
    if isinstance(data, dict):
        return {k: rounded(v) for k, v in data.items()}
    if isinstance(data, list):
        return [rounded(v) for v in data]
    if isinstance(data, float):
        return round_score(data)
    return data


_NAIVE_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?$")


def zulu(data: Any) -> Any:
    """Mark naive ISO timestamps inside JSON-ready data as UTC (``Z``): for the library's models
    (rating explanations, what-ifs) returned as they are, whose timestamps are naive UTC."""
    if isinstance(data, dict):
        return {k: zulu(v) for k, v in data.items()}
    if isinstance(data, list):
        return [zulu(v) for v in data]
    if isinstance(data, str) and _NAIVE_ISO.match(data):
        return data + "Z"
    return data
