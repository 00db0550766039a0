"""Directions are deployment data kept in the store: the ``directions`` entity is ingested like any
other (``directions.csv`` with ``code``, ``title_ru`` and optional ``aka_ru``; bad rows are
quarantined naming row and field), and every snapshot carries the list it was taken with.

The defaults the store's rows are laid over are the packaged three, or the list in a file named
in settings (``TALENT_DIRECTIONS_FILE``: TOML ``[[direction]]`` tables of the shape of
``data/directions.toml``, or CSV with the ingested file's columns). A stored row with a default's
code renames it; any other stored row adds a direction. Nothing removes one: activities and
estimates keep naming it.
"""

from __future__ import annotations

import csv
import io
import os
import tomllib
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Annotated

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy import Connection, select

from core.errors import ConfigError
from footprint import tables
from footprint.columns import Columns as C

DIRECTIONS_FILE_ENV = "TALENT_DIRECTIONS_FILE"
CODE_PATTERN = r"^[a-z][a-z0-9_]{0,39}$"
CODE_HINT = "a code of lower-case latin letters, digits and _, starting with a letter (40 at most)"


class Direction(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    code: Annotated[str, Field(pattern=CODE_PATTERN)]
    """Stable machine code (lower case latin, digits, ``_``): it keys every frame and bundle."""
    title_ru: Annotated[str, Field(min_length=1)]
    aka_ru: str | None = None


def parse_directions(text: str, origin: str) -> tuple[Direction, ...]:
    """Directions from the text of a TOML or CSV file; :class:`ConfigError` names the bad entry.

    Parameters
    ----------
    text
        The file's content.
    origin
        The file name (``.csv`` selects CSV, anything else TOML); used in messages.
    """
    try:
        if origin.lower().endswith(".csv"):
            entries = [
                {k: (v or None) for k, v in row.items() if k is not None}
                for row in csv.DictReader(io.StringIO(text))
            ]
        else:
            entries = tomllib.loads(text).get("direction", [])
    except (tomllib.TOMLDecodeError, csv.Error) as exc:
        raise ConfigError(f"directions file {origin} cannot be parsed: {exc}") from exc
    out = []
    for i, entry in enumerate(entries, start=1):
        try:
            out.append(Direction.model_validate(entry))
        except ValidationError as exc:
            fields = ", ".join(".".join(map(str, e["loc"])) or "entry" for e in exc.errors())
            raise ConfigError(
                f"directions file {origin}, entry {i}: invalid {fields}: {exc.errors()[0]['msg']}"
            ) from exc
    if not out:
        raise ConfigError(f"directions file {origin} lists no direction")
    codes = [d.code for d in out]
    dup = sorted({c for c in codes if codes.count(c) > 1})
    if dup:
        raise ConfigError(f"directions file {origin}: duplicate codes {', '.join(dup)}")
    return tuple(out)


@cache
def _load(path: str | None) -> tuple[Direction, ...]:
    if path is None:
        raw = resources.files("footprint.data").joinpath("directions.toml").read_text("utf-8")
        return parse_directions(raw, "directions.toml")
    file = Path(path)
    if not file.is_file():
        raise ConfigError(f"{DIRECTIONS_FILE_ENV}={path}: no such file")
    return parse_directions(file.read_text("utf-8"), str(file))


def directions_file() -> str | None:
    """The deployment's directions file, or None for the packaged default.

    Read straight from the environment variable that ``FootprintSettings.directions_file``
    documents: building the settings object costs 0.4 ms, and this runs on request paths."""
    return os.environ.get(DIRECTIONS_FILE_ENV) or None


def directions() -> tuple[Direction, ...]:
    """All configured directions, in file order (read once per file)."""
    return _load(directions_file())


def direction_codes() -> tuple[str, ...]:
    return tuple(d.code for d in directions())


def merged(defaults: tuple[Direction, ...], stored: list[Direction]) -> tuple[Direction, ...]:
    """The defaults in their order (a stored row of the same code renames one), then the stored
    directions the defaults lack, by code."""
    by_code = {d.code: d for d in stored}
    out = [by_code.pop(d.code, d) for d in defaults]
    return tuple(out + [by_code[c] for c in sorted(by_code)])


def store_directions(conn: Connection) -> tuple[Direction, ...]:
    """The directions a store knows: the configured defaults with the ingested rows laid over."""
    t = tables.directions
    rows = conn.execute(select(t.c[C.CODE], t.c[C.TITLE_RU], t.c[C.AKA_RU])).all()
    stored = [Direction(code=r[0], title_ru=r[1], aka_ru=r[2]) for r in rows]
    return merged(directions(), stored)


def directions_frame(items: tuple[Direction, ...]) -> pd.DataFrame:
    """The snapshot frame of ``items`` (``code, title_ru, aka_ru``, in their order)."""
    return pd.DataFrame(
        {
            C.CODE: [d.code for d in items],
            C.TITLE_RU: [d.title_ru for d in items],
            C.AKA_RU: [d.aka_ru for d in items],
        }
    )


def from_frame(frame: pd.DataFrame) -> tuple[Direction, ...]:
    """The directions of a snapshot frame, in its order."""
    return tuple(
        Direction(code=str(c), title_ru=str(t), aka_ru=None if pd.isna(a) else str(a))
        for c, t, a in zip(frame[C.CODE], frame[C.TITLE_RU], frame[C.AKA_RU], strict=True)
    )
