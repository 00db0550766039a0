"""Directions are deployment data: the packaged three by default, any list from a file named in
settings (``TALENT_DIRECTIONS_FILE``), so a deployment adds a direction without editing the package.

The file is TOML (``[[direction]]`` tables with ``code``, ``title_ru`` and optional ``aka_ru``,
the shape of ``data/directions.toml``) or CSV with the same columns. A bad file is refused with the
entry and field named; nothing downstream guesses.
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

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from core.errors import ConfigError

DIRECTIONS_FILE_ENV = "TALENT_DIRECTIONS_FILE"
CODE_PATTERN = r"^[a-z][a-z0-9_]{0,39}$"


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
