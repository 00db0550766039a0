"""Bounds and small shapes shared by several route families."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Final

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from footprint.calendar import parse_season
from footprint.directions import direction_codes

MAX_PAGE_SIZE: Final = 200
DEFAULT_PAGE_SIZE: Final = 50
MAX_PUSH_RECORDS: Final = 5000
MAX_ID_LENGTH: Final = 64
MAX_COMMENT_LENGTH: Final = 2000

ID_PATTERN: Final = r"^[^\s/]{1,64}$"

# Direction codes are data (footprint/data/directions.toml); the enum makes FastAPI refuse an
# unknown one with 422 and list the known ones in the OpenAPI schema.
Direction = StrEnum("Direction", {code: code for code in direction_codes()})  # type: ignore[misc]


def _season(value: str) -> str:
    parse_season(value)  # ValueError names the expected form
    return value


Season = Annotated[
    str,
    Field(pattern=r"^\d{4}/\d{2}$", examples=["2025/26"], description="season, YYYY/YY"),
    AfterValidator(_season),
]


class Strict(BaseModel):
    """Request bodies refuse unknown fields, so a misspelt field is a 422 naming it."""

    model_config = ConfigDict(extra="forbid")


class PageInfo(BaseModel):
    """Where a page sits in the whole list."""

    total: int = Field(description="items in the whole list")
    offset: int
    limit: int


class Message(BaseModel):
    """An error answer: what went wrong, in English, for the caller's logs."""

    detail: str
