"""Enumerations of the footprint domain, each value spelled once.

Values are the stable machine-readable codes stored in the database, written in files and returned
by
the API. Russian labels for people live next to them in :data:`RU_LABELS`.
"""

from __future__ import annotations

from enum import StrEnum


class ActivityKind(StrEnum):
    """What sort of event or course an activity is."""

    OLYMPIAD_STAGE_INDIVIDUAL = "olympiad_stage_individual"
    OLYMPIAD_STAGE_TEAM = "olympiad_stage_team"
    OLYMPIAD_FINAL = "olympiad_final"
    HACKATHON = "hackathon"
    COMPETITION = "competition"
    PROJECT_CONTEST = "project_contest"
    PROJECT_SCHOOL = "project_school"
    ONLINE_COURSE = "online_course"
    TEST = "test"


class Level(StrEnum):
    """Geographic / prestige level of an activity, ordered from lowest to highest."""

    SCHOOL = "school"
    MUNICIPAL = "municipal"
    REGIONAL = "regional"
    NATIONAL = "national"
    INTERNATIONAL = "international"


class Format(StrEnum):
    ONLINE = "online"
    OFFLINE = "offline"


class Result(StrEnum):
    """The role or result a participant obtained in an activity."""

    WINNER = "winner"
    PRIZE_WINNER = "prize_winner"
    FINALIST = "finalist"
    PARTICIPANT = "participant"
    COMPLETED = "completed"
    NOT_COMPLETED = "not_completed"


class ModerationStatus(StrEnum):
    PENDING = "pending"
    VERIFIED = "verified"
    REJECTED = "rejected"


class EdgeType(StrEnum):
    """``selection``: qualifiers of the *from* stage may enter the *to* stage.
    ``nesting``: the *to* activity is part of the *from* activity."""

    SELECTION = "selection"
    NESTING = "nesting"


class ConsentStatus(StrEnum):
    GIVEN = "given"
    WITHDRAWN = "withdrawn"


class ConsentScope(StrEnum):
    """A consent narrower than the general one, given or withdrawn on its own.

    Withdrawing a scope only stops that use (no erasure); withdrawing the general consent
    (``consents``) erases the participant as before. For minors the platform records their legal
    representative's consent; the service stores what the platform reports.
    """

    UNIVERSITY_SEARCH = "university_search"  # may be found by partner universities


class Entity(StrEnum):
    """Kinds of ingestible files; a file's stem names its entity (``achievements.csv``)."""

    IDENTITIES = "identities"
    PARTICIPANTS = "participants"
    CONSENTS = "consents"
    CONSENT_SCOPES = "consent_scopes"
    DIRECTIONS = "directions"
    ACTIVITIES = "activities"
    ACTIVITY_EDGES = "activity_edges"
    ACHIEVEMENTS = "achievements"


# Order in which a folder's files are applied, so references resolve within one ingest call.
# Consent changes come right after the identity map: a withdrawal erases the participant and all
# their known aliases before any other file of the folder can store their rows.
ENTITY_ORDER: tuple[Entity, ...] = (
    Entity.IDENTITIES,
    Entity.CONSENTS,
    Entity.DIRECTIONS,  # before the participants' interests and activities that name them
    Entity.PARTICIPANTS,
    Entity.ACTIVITIES,
    Entity.ACTIVITY_EDGES,
    Entity.ACHIEVEMENTS,
    Entity.CONSENT_SCOPES,  # needs the participant: after achievements
)

LEVEL_RANK: dict[Level, int] = {lvl: i for i, lvl in enumerate(Level)}

# Results ordered from best to worst, used wherever "the best role" is needed.
RESULT_RANK: dict[Result, int] = {
    Result.WINNER: 0,
    Result.PRIZE_WINNER: 1,
    Result.FINALIST: 2,
    Result.COMPLETED: 3,
    Result.PARTICIPANT: 4,
    Result.NOT_COMPLETED: 5,
}

SELECTION_KINDS: frozenset[ActivityKind] = frozenset(
    {ActivityKind.OLYMPIAD_STAGE_INDIVIDUAL, ActivityKind.OLYMPIAD_STAGE_TEAM}
)

RU_LABELS: dict[str, str] = {
    ActivityKind.OLYMPIAD_STAGE_INDIVIDUAL: "индивидуальный отборочный этап олимпиады",
    ActivityKind.OLYMPIAD_STAGE_TEAM: "командный отборочный этап олимпиады",
    ActivityKind.OLYMPIAD_FINAL: "финал олимпиады",
    ActivityKind.HACKATHON: "хакатон",
    ActivityKind.COMPETITION: "соревнование",
    ActivityKind.PROJECT_CONTEST: "конкурс проектов",
    ActivityKind.PROJECT_SCHOOL: "проектная школа",
    ActivityKind.ONLINE_COURSE: "онлайн-курс",
    ActivityKind.TEST: "тест",
    Level.SCHOOL: "школьный",
    Level.MUNICIPAL: "муниципальный",
    Level.REGIONAL: "региональный",
    Level.NATIONAL: "всероссийский",
    Level.INTERNATIONAL: "международный",
    Result.WINNER: "победитель",
    Result.PRIZE_WINNER: "призёр",
    Result.FINALIST: "финалист",
    Result.PARTICIPANT: "участник",
    Result.COMPLETED: "завершил",
    Result.NOT_COMPLETED: "не завершил",
    ModerationStatus.PENDING: "на проверке",
    ModerationStatus.VERIFIED: "подтверждено",
    ModerationStatus.REJECTED: "отклонено",
}
