"""The contest's directions, loaded from ``data/directions.toml``."""

from __future__ import annotations

import tomllib
from functools import cache
from importlib import resources

from pydantic import BaseModel, ConfigDict


class Direction(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    code: str
    title_ru: str
    aka_ru: str | None = None


@cache
def directions() -> tuple[Direction, ...]:
    """All configured directions, in file order."""
    raw = resources.files("footprint.data").joinpath("directions.toml").read_text("utf-8")
    return tuple(Direction(**d) for d in tomllib.loads(raw)["direction"])


def direction_codes() -> tuple[str, ...]:
    return tuple(d.code for d in directions())
