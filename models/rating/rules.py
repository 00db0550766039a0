"""The contest rating's rules as data: a TOML file validated into :class:`RatingRules`.

Nothing about points is hard-coded in the engine: every factor, cap, share and threshold comes
from a rules file. The shipped ``rulesets/rules-default.toml`` is a documented proposal (the
organisers' formula is not public); a season may bring its own ``rules-YYYY-YY.toml``.
"""

from __future__ import annotations

import tomllib
from importlib import resources
from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from core.errors import ConfigError
from footprint.calendar import parse_season
from footprint.enums import ActivityKind, Level, Result

ANY_SEASON = "*"
DEFAULT_RULES_FILE = "rules-default.toml"

NonNegative = Annotated[float, Field(ge=0)]
Share = Annotated[float, Field(ge=0, le=1)]
Score = Annotated[float, Field(ge=0, le=100)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _require_all(mapping: dict, keys: type, what: str) -> None:
    missing = [k.value for k in keys if k not in mapping]  # type: ignore[attr-defined]
    if missing:
        raise ValueError(f"{what} lacks {missing}; every one must be given")


class CompletedRule(_Strict):
    """Where the ``completed`` result earns its own factor, and how it is scored elsewhere."""

    kinds: frozenset[ActivityKind]
    scored_as: Result

    @field_validator("scored_as")
    @classmethod
    def _not_completed_itself(cls, value: Result) -> Result:
        if value == Result.COMPLETED:
            raise ValueError("scored_as must name another result than 'completed'")
        return value


class ListBonus(_Strict):
    """Multiplier for olympiads on the national list, by list level."""

    I: NonNegative  # noqa: E741 - the list levels are Roman numerals by law
    II: NonNegative
    III: NonNegative

    def by_level(self) -> dict[int, float]:
        """List level (1, 2, 3) -> multiplier."""
        return {1: self.I, 2: self.II, 3: self.III}


class PointRules(_Strict):
    """Factors of ``base x level x result x quality x list_bonus``."""

    base: dict[ActivityKind, NonNegative]
    level: dict[Level, NonNegative]
    result: dict[Result, NonNegative]
    completed: CompletedRule
    list_bonus: ListBonus

    @model_validator(mode="after")
    def _complete(self) -> PointRules:
        _require_all(self.base, ActivityKind, "points.base")
        _require_all(self.level, Level, "points.level")
        _require_all(self.result, Result, "points.result")
        return self


class QualityRules(_Strict):
    """``quality = floor + slope x p`` with p a score percentile, a score ratio or a constant.

    ``without_score`` is p in an activity that has no scores at all; ``missing_score`` is p of a
    record without a score in an activity that has them (a lost score must not earn the most).
    """

    floor: NonNegative
    slope: NonNegative
    ratio_kinds: frozenset[ActivityKind]
    without_score: Share
    missing_score: Share


class ChainRules(_Strict):
    """Selection chains: only the furthest stage reached counts."""

    floor_at_earlier_stage: bool


class SelectionRules(_Strict):
    best_n: Annotated[int, Field(ge=1)]


class NormalisationRules(_Strict):
    reference_percentile: Annotated[float, Field(gt=0, le=100)]


class DiplomaRules(_Strict):
    """Quotas, minimum scores and tie-breaks of the winner and prize-winner diplomas."""

    winner_share: Share
    winner_min_score: Score
    prize_winner_share: Share
    prize_winner_min_score: Score
    tie_break_levels: frozenset[Level]
    raw_points_before_tie_breaks: bool

    @model_validator(mode="after")
    def _shares(self) -> DiplomaRules:
        if self.winner_share + self.prize_winner_share > 1:
            raise ValueError("winner_share + prize_winner_share must not exceed 1")
        return self


class RatingRules(_Strict):
    """One season's rating rules; ``rulesets/rules-default.toml`` documents every key."""

    version: Annotated[str, Field(min_length=1)]
    season: str
    points: PointRules
    quality: QualityRules
    chains: ChainRules
    caps: dict[ActivityKind, Annotated[int, Field(ge=0)]]
    selection: SelectionRules
    normalisation: NormalisationRules
    diplomas: DiplomaRules

    @field_validator("season")
    @classmethod
    def _season(cls, value: str) -> str:
        if value != ANY_SEASON:
            parse_season(value)
        return value

    def covers(self, season: str) -> bool:
        """Whether these rules may rate ``season``."""
        return self.season in (ANY_SEASON, season)


def _season_file(season: str) -> str:
    return f"rules-{season.replace('/', '-')}.toml"


def parse_rules(text: str, origin: str = "<text>") -> RatingRules:
    """Validate TOML text into :class:`RatingRules`.

    Raises
    ------
    ConfigError
        When the text is not TOML or breaks the schema; the message names the file and the keys.
    """
    try:
        return RatingRules.model_validate(tomllib.loads(text))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"rating rules {origin}: not valid TOML ({exc})") from exc
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or '<root>'}: {err['msg']}"
            for err in exc.errors()
        )
        raise ConfigError(f"rating rules {origin} are invalid: {problems}") from exc


def load_rules(path: Path | str | None = None, season: str | None = None) -> RatingRules:
    """Load rating rules from ``path``, or the shipped rules for ``season``.

    Parameters
    ----------
    path
        A rules TOML file. When omitted, the package's ``rules-YYYY-YY.toml`` for ``season`` is used
        if it exists, otherwise ``rules-default.toml``.
    season
        Season name ("2025/26"); when given, the rules must cover it.

    Raises
    ------
    ConfigError
        Missing or invalid file, or rules made for another season.
    """
    if path is not None:
        file = Path(path)
        if not file.is_file():
            raise ConfigError(f"rating rules file {file} does not exist")
        rules = parse_rules(file.read_text("utf-8"), str(file))
    else:
        package = resources.files("models.rating.rulesets")
        name = DEFAULT_RULES_FILE
        if season is not None and package.joinpath(_season_file(season)).is_file():
            name = _season_file(season)
        rules = parse_rules(package.joinpath(name).read_text("utf-8"), name)
    if season is not None and not rules.covers(season):
        raise ConfigError(
            f"rating rules {rules.version} are for season {rules.season}, not {season}; "
            "pass the rules file of that season"
        )
    return rules


def default_rules() -> RatingRules:
    """The shipped default (proposal) rules."""
    return load_rules()
