"""Configuration of the season simulator and the size targets it scales with the population.

Everything that shapes a simulated world is a field of :class:`SimulationConfig`, so a world is
reproduced from its config alone (the manifest stores it). Defaults are tuned so that a world of
250,000 participants looks like the movement described in DESIGN.md ("The simulator").
"""

from __future__ import annotations

import math
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from footprint.enums import ActivityKind

FileFormat = Literal["csv", "jsonl", "parquet"]

REFERENCE_PARTICIPANTS = 250_000
"""Population size at which event sizes take their real-world values (:data:`REFERENCE_SIZES`)."""

REFERENCE_SIZES: dict[ActivityKind, tuple[int, int]] = {
    ActivityKind.HACKATHON: (50, 300),
    ActivityKind.PROJECT_SCHOOL: (30, 150),
    ActivityKind.COMPETITION: (30, 400),
    ActivityKind.PROJECT_CONTEST: (20, 300),
    ActivityKind.ONLINE_COURSE: (200, 5_000),
    ActivityKind.TEST: (100, 3_000),
}
"""Entrants per edition (lowest, highest) of each freely chosen kind at 250,000 participants."""

MIN_CHUNK = 1_000
"""Smallest chunk of a chunked world (editions need a few hundred entrants to fill)."""

MIN_EVENT_SIZE = 4
"""No edition is smaller than this, whatever the scale (two teams of two)."""


def size_scale(participants: int) -> float:
    """Factor applied to :data:`REFERENCE_SIZES` for a world of ``participants``.

    Both the number of editions of a kind and their sizes grow with the square root of the
    population, so their product (entries) grows linearly: ``min(1, sqrt(N / 250,000))``. Above the
    reference size, sizes stay at their real values and only the number of editions grows. The NTI
    Olympiad is not scaled this way: there is one olympiad per direction, so its stages grow
    linearly with ``N`` and its final holds ``funnel_share`` of the stage-1 entrants.
    """
    return min(1.0, math.sqrt(participants / REFERENCE_PARTICIPANTS))


def scaled_size_range(kind: ActivityKind, participants: int) -> tuple[int, int]:
    """Entrants per edition ``(lo, hi)`` that the simulator guarantees for ``kind`` at this scale.

    Editions with fewer than ``lo`` entrants are cancelled before they run (their entrants choose
    again) and every edition's capacity is ``hi``, so every edition that appears in the catalogue
    has between ``lo`` and ``hi`` entrants. Nested editions (a hackathon inside a project school)
    take the container's entrants and are bounded by the container's range instead.
    """
    lo, hi = REFERENCE_SIZES[kind]
    f = size_scale(participants)
    lo_s = max(MIN_EVENT_SIZE, round(lo * f))
    hi_s = max(lo_s + MIN_EVENT_SIZE, round(hi * f))
    return lo_s, hi_s


class MessyRates(BaseModel):
    """How much mess ``--messy`` injects; each rate is a share of the rows it applies to."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    malformed: float = Field(default=0.005, ge=0, le=0.05)
    """Each kind of malformed row (unparseable grade, bad date, unknown enum value, unknown
    activity id, missing required field, score above max_score) hits this share of its file."""
    duplicate_across_sources: float = Field(default=0.15, ge=0, le=1)
    """Share of ``events`` achievements that the platform also exports under its own record ids."""
    alias_participants: float = Field(default=0.03, ge=0, le=0.5)
    """Share of participants whom the ``events`` source knows under an alias id (``ev-...``)."""
    missing_score: float = Field(default=0.05, ge=0, le=1)
    """Share of scored achievement rows whose score is left empty."""
    extra_pending: float = Field(default=0.05, ge=0, le=1)
    """Share of moderated achievements exported as still pending."""
    consent_withdrawal: float = Field(default=0.003, ge=0, le=0.1)
    """Share of participants who withdraw consent (rows of ``platform/consents``)."""


class SimulationConfig(BaseModel):
    """Everything that determines a simulated world; the same config and seed give the same bytes.

    Population and behaviour parameters are per season unless said otherwise. Abilities are on a
    logit scale with standard deviation about 1 within a grade.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    participants: int = Field(default=250_000, ge=200, le=5_000_000)
    """Participants registered by the end of the last season (all cohorts together)."""
    seasons: int = Field(default=4, ge=1, le=12)
    seed: int = Field(default=0, ge=0)
    first_season: int = Field(default=2022, ge=2000, le=2100)
    """Start year of the first simulated season (``2022`` means 2022/23)."""
    format: FileFormat = "parquet"
    chunk_size: int = Field(default=REFERENCE_PARTICIPANTS, ge=MIN_CHUNK)
    """Participants simulated and written at a time: a bigger world is split into near-equal
    chunks of at most this many, simulated one after another against one shared catalogue, so
    peak memory follows the chunk, not the world (about 1 GiB per 250,000, measured). A world no
    bigger than this is one chunk, exactly as without chunking; a chunked world is reproducible
    for a given (seed, chunk_size) but is not the unchunked world of the same seed (see
    docs/simulator.md, "Big worlds")."""
    messy: bool = False
    messy_rates: MessyRates = MessyRates()

    # population
    initial_share: float = Field(default=0.45, gt=0, lt=1)
    """Share of participants registered before the first season."""
    cold_start_share: float = Field(default=0.06, ge=0, lt=1)
    """Share of participants who register and never take part in anything."""
    mean_active_years: float = Field(default=7.0, gt=0)
    """Mean time from registration to dropping out (exponential), in years."""
    verified_account_share: float = Field(default=0.85, ge=0, le=1)
    declared_interest_share: float = Field(default=0.6, ge=0, le=1)
    university_consent_share: float = Field(default=0.3, ge=0, le=1)
    """Share of participants who consent to be found by partner universities (the
    ``university_search`` scope; for a minor, the legal representative's consent as the platform
    records it), given some time between registration and the export; the more active a
    participant, the likelier (they have something to show)."""

    # latent ability and interest
    ability_correlation: float = Field(default=0.4, ge=0, lt=1)
    """Correlation across directions of the person-level ability component."""
    grade_effect: float = Field(default=0.12, ge=0)
    """Ability gained per school year (logits), the same in every direction."""
    interest_concentration: float = Field(default=0.8, gt=0)
    """Dirichlet concentration of interests: lower means more specialised participants."""
    practice_rate: float = Field(default=0.05, ge=0)
    """Ability gained from one well-fitting activity of weight 1 in a direction (logits)."""
    drift_sd: float = Field(default=0.08, ge=0)
    """Per-season random drift of ability in each direction (logits)."""

    # behaviour
    picks_per_season: float = Field(default=2.8, gt=0)
    """Mean number of freely chosen activities (not olympiad stages) per active participant."""
    engagement_sigma: float = Field(default=1.2, gt=0)
    """Spread of the lognormal engagement that makes activity counts heavy-tailed."""
    olympiad_entry_rate: float = Field(default=1.0, gt=0, le=1)
    """Chance that an eligible participant of average interest enters a profile's first stage."""
    funnel_share: float = Field(default=0.015, gt=0, lt=0.2)
    """Share of a profile's first-stage entrants who reach its final."""

    @model_validator(mode="after")
    def _check_span(self) -> SimulationConfig:
        if self.first_season + self.seasons > 2200:
            raise ValueError("first_season + seasons must stay before 2200")
        return self

    def chunk_sizes(self) -> list[int]:
        """Participants per chunk: ``ceil(participants / chunk_size)`` chunks, sizes differing by
        at most one (a single chunk when the world fits in one)."""
        k = max(1, math.ceil(self.participants / self.chunk_size))
        base, extra = divmod(self.participants, k)
        return [base + (i < extra) for i in range(k)]
