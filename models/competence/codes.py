"""Machine-readable codes of evidence and review flags, with their default Russian wording.

The platform renders its own text from a code and its parameters; the Russian templates here are
what the API returns next to each code by default.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Final


class EvidenceCode(StrEnum):
    """What a piece of evidence says about an estimate."""

    FEATURE_RAISES = "feature_raises"
    FEATURE_LOWERS = "feature_lowers"
    ACHIEVEMENT_RAISES = "achievement_raises"
    ACHIEVEMENT_LOWERS = "achievement_lowers"
    PRIOR_ONLY = "prior_only"


class FlagCode(StrEnum):
    """Why an estimate is worth a moderator's look."""

    COLD_START = "cold_start"
    WIDE_INTERVAL = "wide_interval"
    LARGE_CHANGE = "large_change"
    RATING_DISAGREEMENT = "rating_disagreement"
    MOSTLY_UNVERIFIED = "mostly_unverified"
    OTHER_DIRECTIONS = "other_directions"
    FAR_FROM_RESULTS = "far_from_results"
    SINGLE_RECORD = "single_record"
    DIPLOMA_BOUNDARY = "diploma_boundary"


class NoEstimateCode(StrEnum):
    """Why a direction the store knows has no estimate."""

    DIRECTION_NOT_IN_MODEL = "direction_not_in_model"


NO_ESTIMATE_TEXT_RU: Final[dict[NoEstimateCode, str]] = {
    NoEstimateCode.DIRECTION_NOT_IN_MODEL: (
        "Оценки по направлению «{title}» нет: модель обучалась, когда в нём ещё не было "
        "достижений; оценка появится после следующего обучения"
    ),
}


ACTIONABLE: Final[frozenset[FlagCode]] = frozenset(
    {
        FlagCode.LARGE_CHANGE,
        FlagCode.RATING_DISAGREEMENT,
        FlagCode.MOSTLY_UNVERIFIED,
        FlagCode.FAR_FROM_RESULTS,
        FlagCode.SINGLE_RECORD,
        FlagCode.DIPLOMA_BOUNDARY,
    }
)
"""Flags a moderator can act on (check records, approve or correct the value): only these open a
review item. A wide interval or a cold start alone is information, not a decision to take."""


EVIDENCE_TEXT_RU: Final[dict[EvidenceCode, str]] = {
    EvidenceCode.FEATURE_RAISES: "{label}: {value} — повышает оценку",
    EvidenceCode.FEATURE_LOWERS: "{label}: {value} — понижает оценку",
    EvidenceCode.ACHIEVEMENT_RAISES: (
        "{result}, {kind} ({level}), {date}: это достижение повысило оценку"
    ),
    EvidenceCode.ACHIEVEMENT_LOWERS: (
        "{result}, {kind} ({level}), {date}: это достижение понизило оценку"
    ),
    EvidenceCode.PRIOR_ONLY: "Достижений в направлении нет: оценка по умолчанию для {grade} класса",
}

FLAG_TEXT_RU: Final[dict[FlagCode, str]] = {
    FlagCode.COLD_START: "Нет достижений в направлении: оценка предварительная",
    FlagCode.WIDE_INTERVAL: "Широкий интервал оценки ({lower:.0f}–{upper:.0f}): мало данных",
    FlagCode.LARGE_CHANGE: (
        "Резкий скачок: оценка изменилась на {change:+.0f} из 100 с прошлого раза"
    ),
    FlagCode.RATING_DISAGREEMENT: (
        "Оценка ({competence:.0f}) сильно расходится с рейтингом «Талант 20.35» ({rating:.0f})"
    ),
    FlagCode.MOSTLY_UNVERIFIED: "Подтверждено лишь {share:.0%} достижений в направлении",
    FlagCode.OTHER_DIRECTIONS: (
        "Достижений в этом направлении нет: оценка опирается на достижения в других направлениях "
        "({n_directions})"
    ),
    FlagCode.FAR_FROM_RESULTS: (
        "Оценка ({competence:.0f} из 100) далека от результатов участника: в среднем он опережал "
        "{results:.0f} % участников своих мероприятий"
    ),
    FlagCode.SINGLE_RECORD: (
        "Высокая оценка ({competence:.0f} из 100) опирается на одно достижение: проверьте его"
    ),
    FlagCode.DIPLOMA_BOUNDARY: (
        "До границы диплома в рейтинге сезона — {gap:.0f} мест: решение по достижениям может "
        "изменить диплом"
    ),
}

FLAG_NAME_RU: Final[dict[FlagCode, str]] = {
    FlagCode.COLD_START: "нет достижений в направлении",
    FlagCode.WIDE_INTERVAL: "широкий интервал",
    FlagCode.LARGE_CHANGE: "резкий скачок оценки",
    FlagCode.RATING_DISAGREEMENT: "расхождение с рейтингом",
    FlagCode.MOSTLY_UNVERIFIED: "мало подтверждённых достижений",
    FlagCode.OTHER_DIRECTIONS: "оценка по другим направлениям",
    FlagCode.FAR_FROM_RESULTS: "расхождение с результатами участника",
    FlagCode.SINGLE_RECORD: "высокая оценка по одному достижению",
    FlagCode.DIPLOMA_BOUNDARY: "рядом граница диплома",
}
"""Short names of the flags (the moderators' filter)."""
