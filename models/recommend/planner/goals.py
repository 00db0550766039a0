"""What a plan aims at: a direction and one target, a competence level or a diploma.

Competence levels are the bands of the competence scale, read from its data file
(``models/competence/data/bands.toml``, :func:`models.competence.config.load_bands`), so a band
renamed or moved there is a goal the planner understands without a code change. Diplomas are the
rating's own :class:`~models.rating.codes.Diploma` values (``winner``, ``prize_winner``).
"""

from __future__ import annotations

from functools import cache
from types import MappingProxyType

from pydantic import BaseModel, ConfigDict, Field, model_validator

from core.errors import ConfigError
from models.competence.config import load_bands
from models.rating.codes import DIPLOMA_TEXT_RU, Diploma

DIPLOMAS: tuple[str, ...] = tuple(d.value for d in Diploma if d is not Diploma.NONE)
"""Diplomas a plan can aim at (every diploma of the rating but "none")."""


@cache
def goal_bands() -> MappingProxyType[str, float]:
    """Band code -> lower bound (0-100) of the shipped competence bands, in increasing order."""
    return MappingProxyType({b.code: b.lower for b in load_bands().band})


class Goal(BaseModel):
    """A direction and a target: a competence band or 0-100 value, or a diploma."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    direction: str
    competence: float | None = Field(default=None, ge=0, le=100)
    diploma: str | None = None

    @model_validator(mode="after")
    def _one_target(self) -> Goal:
        if (self.competence is None) == (self.diploma is None):
            raise ValueError("give exactly one of competence or diploma")
        if self.diploma is not None and self.diploma not in DIPLOMAS:
            raise ValueError(f"diploma must be one of {DIPLOMAS}")
        return self

    @classmethod
    def parse(cls, text: str) -> Goal:
        """``python:advanced``, ``python:70`` or ``python:prize_winner``."""
        direction, sep, level = text.partition(":")
        if not sep or not direction or not level:
            raise ConfigError(
                f"goal {text!r} is not DIRECTION:LEVEL (e.g. python:advanced, "
                "robotics:prize_winner, engineering:70)"
            )
        bands = goal_bands()
        if level in DIPLOMAS:
            return cls(direction=direction, diploma=level)
        if level in bands:
            return cls(direction=direction, competence=bands[level])
        try:
            return cls(direction=direction, competence=float(level))
        except ValueError:
            raise ConfigError(
                f"unknown goal level {level!r}; use a band "
                f"({', '.join(bands)}), a diploma ({', '.join(DIPLOMAS)}) "
                "or a number 0-100"
            ) from None

    def target_ru(self) -> str:
        """The target in Russian, as plan summaries name it."""
        if self.diploma is not None:
            return f"диплома «{DIPLOMA_TEXT_RU[Diploma(self.diploma)]}»"
        return f"компетенции {self.competence:.0f} из 100"
