"""Configuration of the competence model, as data: pydantic models with ``extra="forbid"``.

Level bands come from ``data/bands.toml`` (or any TOML file with the same shape), so renaming a
band or moving a bound needs no code change.
"""

from __future__ import annotations

import tomllib
from importlib import resources
from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from core.errors import ConfigError


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class LevelBand(_Strict):
    """A named level: estimates from ``lower`` up to the next band's ``lower``."""

    code: Annotated[str, Field(min_length=1)]
    title_ru: Annotated[str, Field(min_length=1)]
    lower: Annotated[float, Field(ge=0, le=100)]


class Bands(_Strict):
    """Level bands in increasing order of ``lower``; the first starts at 0."""

    band: tuple[LevelBand, ...]

    @model_validator(mode="after")
    def _ordered(self) -> Bands:
        lowers = [b.lower for b in self.band]
        if not lowers or lowers[0] != 0 or lowers != sorted(set(lowers)):
            raise ValueError("bands must start at 0 and have strictly increasing lower bounds")
        if len({b.code for b in self.band}) != len(self.band):
            raise ValueError("band codes must be unique")
        return self


def load_bands(path: Path | None = None) -> Bands:
    """Bands from ``path`` or the shipped ``data/bands.toml``; :class:`ConfigError` when invalid."""
    if path is None:
        text = resources.files("models.competence.data").joinpath("bands.toml").read_text("utf-8")
        origin = "bands.toml"
    else:
        if not Path(path).is_file():
            raise ConfigError(f"level bands file {path} does not exist")
        text, origin = Path(path).read_text("utf-8"), str(path)
    try:
        return Bands.model_validate(tomllib.loads(text))
    except (tomllib.TOMLDecodeError, ValidationError) as exc:
        raise ConfigError(f"level bands {origin} are invalid: {exc}") from exc


class BoosterConfig(_Strict):
    """LightGBM settings shared by the point model of every direction."""

    n_estimators: int = Field(300, ge=1)
    learning_rate: float = Field(0.05, gt=0, le=1)
    num_leaves: int = Field(31, ge=2)
    min_child_samples: int = Field(40, ge=1)
    subsample: float = Field(0.8, gt=0, le=1)
    colsample_bytree: float = Field(0.8, gt=0, le=1)
    reg_lambda: float = Field(1.0, ge=0)
    n_jobs: int = Field(1, ge=1)
    """Threads per booster while training and batch predicting (a service's requests of a few
    rows use one); 1 does best on a shared machine, 2 on this 2-core machine when it is free."""


class FlagConfig(_Strict):
    """Thresholds of the review flags (competence points on the 0-100 scale)."""

    wide_interval: float = Field(50.0, gt=0, le=100)
    """Flag when ``upper - lower`` exceeds this."""
    large_change: float = Field(20.0, gt=0, le=100)
    """Flag when the estimate moved more than this since the previous one."""
    rating_disagreement: float = Field(45.0, gt=0, le=100)
    """Flag when the estimate and the rating's percentile among rated participants differ by
    more than this (only for participants with a rating)."""
    unverified_share: float = Field(0.5, ge=0, le=1)
    """Flag when less than this share of the evidence is verified."""
    results_disagreement: float = Field(40.0, gt=0, le=100)
    """Flag when the estimate and the participant's mean result percentile so far (0-100)
    differ by more than this (with at least ``min_records_results`` records)."""
    min_records_results: int = Field(2, ge=1)
    single_record_from: float = Field(75.0, ge=0, le=100)
    """Flag an estimate at or above this resting on one record (below it, one record is the usual
    start of a footprint, not a decision: on the demo-sized world flagging every single-record
    estimate opened 547 items per 1,000 participants)."""
    diploma_places: int = Field(2, ge=0)
    """Flag when the season's rating place is at most this many places from a diploma
    boundary (:func:`models.competence.rating_features.diploma_gap`)."""


class CompetenceConfig(_Strict):
    """Everything that shapes a :class:`~models.competence.model.CompetenceModel`."""

    booster: BoosterConfig = BoosterConfig()
    features: tuple[str, ...] | None = None
    """Feature names to use; every feature of the schema when None."""
    interval_level: float = Field(0.9, gt=0.5, lt=1)
    ability_fallback: bool = True
    """Serve the calibrated ability (linearly mapped) in a direction where LightGBM does not beat
    it by ``min_gain`` Spearman on the held-out participants."""
    min_gain: float = Field(0.0, ge=0)
    holdout_share: float = Field(0.2, gt=0, lt=0.9)
    """Share of labelled participants held out to calibrate the interval width."""
    reference_draws: int = Field(4, ge=1, le=50)
    """Draws per participant in the reference distribution that maps values onto 0-100."""
    flags: FlagConfig = FlagConfig()
    bands: Bands = Field(default_factory=load_bands)
    top_features: int = Field(5, ge=1, le=20)
    top_achievements: int = Field(3, ge=1, le=20)
    seed: int = 0


def parse_config(data: dict[str, Any], origin: str = "<data>") -> CompetenceConfig:
    """Validate a mapping (e.g. a TOML table) into :class:`CompetenceConfig`."""
    try:
        return CompetenceConfig.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(f"competence config {origin} is invalid: {exc}") from exc
