"""What each kind of activity looks like in the simulator, and which source reports it.

One :class:`KindSpec` per :class:`~footprint.enums.ActivityKind`: how much of the free choice it
draws, whether it is a team kind, online or offline, its levels, length, scoring and how results are
assigned. Kept as data so the catalogue, choice and result code need no per-kind branches.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from footprint.enums import ActivityKind, Level


class Source(StrEnum):
    """Source systems whose exports the simulator writes (folder names under ``sources/``)."""

    PLATFORM = "platform"
    OLYMPIAD = "olympiad"
    COURSES = "courses"
    EVENTS = "events"


class Scheme(StrEnum):
    """How a result is assigned from a performance draw."""

    DIPLOMA = "diploma"  # winner / prize_winner / participant (or finalist) by rank quotas
    COMPLETION = "completion"  # completed / not_completed by a pass mark


@dataclass(frozen=True)
class KindSpec:
    """Simulation parameters of one activity kind.

    ``demand`` is the share of free picks that go to the kind (olympiad stages are not picked
    freely). ``levels`` weights :class:`~footprint.enums.Level` in its order. ``quotas`` are the
    shares of ranked units (teams or individuals) that become winners and prize-winners.
    ``difficulty`` is added to the level's difficulty; ``learning`` scales the practice gain.
    """

    source: Source
    demand: float
    team_share: float
    offline_share: float
    levels: tuple[float, float, float, float, float]
    duration_days: tuple[int, int]
    max_scores: tuple[int, ...]
    scheme: Scheme
    quotas: tuple[float, float]
    difficulty: float
    learning: float
    ranked: bool


KINDS: tuple[ActivityKind, ...] = tuple(ActivityKind)
"""Kinds in a fixed order; the simulator stores a kind as its index here."""

KIND_SPECS: dict[ActivityKind, KindSpec] = {
    ActivityKind.OLYMPIAD_STAGE_INDIVIDUAL: KindSpec(
        source=Source.OLYMPIAD, demand=0.0, team_share=0.0, offline_share=0.0,
        levels=(0, 0, 0, 1, 0), duration_days=(40, 40), max_scores=(100,),
        scheme=Scheme.DIPLOMA, quotas=(0.03, 0.09), difficulty=-0.3, learning=1.0, ranked=True,
    ),
    ActivityKind.OLYMPIAD_STAGE_TEAM: KindSpec(
        source=Source.OLYMPIAD, demand=0.0, team_share=1.0, offline_share=0.0,
        levels=(0, 0, 0, 1, 0), duration_days=(45, 45), max_scores=(100,),
        scheme=Scheme.DIPLOMA, quotas=(0.05, 0.15), difficulty=0.6, learning=1.2, ranked=True,
    ),
    ActivityKind.OLYMPIAD_FINAL: KindSpec(
        source=Source.OLYMPIAD, demand=0.0, team_share=1.0, offline_share=1.0,
        levels=(0, 0, 0, 1, 0), duration_days=(5, 5), max_scores=(100,),
        scheme=Scheme.DIPLOMA, quotas=(0.10, 0.20), difficulty=1.2, learning=1.5, ranked=True,
    ),
    ActivityKind.HACKATHON: KindSpec(
        source=Source.EVENTS, demand=0.12, team_share=1.0, offline_share=0.6,
        levels=(0.10, 0.20, 0.35, 0.30, 0.05), duration_days=(2, 3), max_scores=(),
        scheme=Scheme.DIPLOMA, quotas=(0.05, 0.10), difficulty=0.0, learning=1.2, ranked=False,
    ),
    ActivityKind.PROJECT_SCHOOL: KindSpec(
        source=Source.EVENTS, demand=0.05, team_share=1.0, offline_share=0.9,
        levels=(0.05, 0.15, 0.45, 0.30, 0.05), duration_days=(5, 14), max_scores=(),
        scheme=Scheme.DIPLOMA, quotas=(0.10, 0.20), difficulty=0.0, learning=1.5, ranked=False,
    ),
    ActivityKind.COMPETITION: KindSpec(
        source=Source.EVENTS, demand=0.16, team_share=0.5, offline_share=0.8,
        levels=(0.20, 0.25, 0.30, 0.20, 0.05), duration_days=(1, 3), max_scores=(100, 200),
        scheme=Scheme.DIPLOMA, quotas=(0.05, 0.12), difficulty=0.0, learning=1.0, ranked=True,
    ),
    ActivityKind.PROJECT_CONTEST: KindSpec(
        source=Source.EVENTS, demand=0.08, team_share=0.3, offline_share=0.3,
        levels=(0.15, 0.20, 0.35, 0.25, 0.05), duration_days=(30, 60), max_scores=(10, 100),
        scheme=Scheme.DIPLOMA, quotas=(0.05, 0.15), difficulty=0.0, learning=1.0, ranked=True,
    ),
    ActivityKind.ONLINE_COURSE: KindSpec(
        source=Source.COURSES, demand=0.37, team_share=0.0, offline_share=0.0,
        levels=(0, 0, 0.2, 0.8, 0), duration_days=(30, 90), max_scores=(),
        scheme=Scheme.COMPLETION, quotas=(0.0, 0.0), difficulty=-0.2, learning=1.3, ranked=False,
    ),
    ActivityKind.TEST: KindSpec(
        source=Source.COURSES, demand=0.22, team_share=0.0, offline_share=0.0,
        levels=(0.30, 0.20, 0.20, 0.30, 0), duration_days=(1, 7), max_scores=(10, 20, 100),
        scheme=Scheme.COMPLETION, quotas=(0.0, 0.0), difficulty=0.0, learning=0.3, ranked=False,
    ),
}  # fmt: skip

FREE_KINDS: tuple[ActivityKind, ...] = tuple(k for k in KINDS if KIND_SPECS[k].demand > 0)
"""Kinds that participants choose freely (everything except olympiad stages and finals)."""

LEVELS: tuple[Level, ...] = tuple(Level)
LEVEL_DIFFICULTY: tuple[float, ...] = (-1.0, -0.5, 0.0, 0.6, 1.2)
"""Difficulty (logits) of an activity at each level, before kind and series offsets."""

PASS_FRACTION = 0.5
"""Share of the available points needed to complete a course or pass a test."""

TEAM_SIZE_WEIGHTS: tuple[float, float, float, float] = (0.2, 0.35, 0.3, 0.15)
"""Probabilities of team sizes 2, 3, 4 and 5."""


def kind_index(kind: ActivityKind) -> int:
    return KINDS.index(kind)
