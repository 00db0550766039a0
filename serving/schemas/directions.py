"""The directions the store knows, as the API lists them."""

from __future__ import annotations

from pydantic import BaseModel, Field


class DirectionOut(BaseModel):
    code: str = Field(description="the stable code every other route names a direction by")
    title_ru: str
    aka_ru: str | None = None


class DirectionList(BaseModel):
    """The configured defaults first, then the directions ingested into the store."""

    directions: list[DirectionOut]
