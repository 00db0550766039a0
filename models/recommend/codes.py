"""Reason codes of recommendations and trajectory steps: stable codes for machines, Russian texts
for people.

The platform renders its own wording from the code and ``params``; the Russian text here is the
default. Codes never change meaning; new ones are added at the end.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any


class ReasonCode(StrEnum):
    """Why an activity is recommended, or why a step is in a plan."""

    POPULAR = "popular"
    POPULAR_IN_DIRECTION = "popular_in_direction"
    SIMILAR_PARTICIPANTS = "similar_participants"
    CONTINUES_SERIES = "continues_series"
    MATCHES_INTEREST = "matches_interest"
    STRETCH_ZONE = "stretch_zone"
    ENTRY_LEVEL = "entry_level"
    FITS_GRADE = "fits_grade"
    IN_REGION = "in_region"
    ONLINE = "online"
    CONDITIONAL_ON_QUALIFYING = "conditional_on_qualifying"
    QUALIFIED = "qualified"
    REGISTRATION_CLOSES = "registration_closes"
    RANKED_BY_MODEL = "ranked_by_model"
    # trajectory steps
    SELECTION_STEP = "selection_step"
    GOAL_DIRECTION = "goal_direction"
    RATING_POINTS = "rating_points"
    COMPETENCE_GAIN = "competence_gain"
    PROJECTED_DATES = "projected_dates"
    FITS_CALENDAR = "fits_calendar"
    # the chance of a good result, in bands (see CHANCE_BANDS); stretch_zone is the middle one
    LONG_SHOT = "long_shot"
    SAFE_STEP = "safe_step"


STRETCH_LOW = 0.40
"""Below this chance of a good result an activity is a long shot, not an achievable challenge."""
STRETCH_HIGH = 0.75
"""Above this chance it is a safe step: likely to go well, little of a challenge."""

CONDITIONS: dict[ReasonCode, str] = {
    ReasonCode.LONG_SHOT: f"chance of a good result below {STRETCH_LOW:.0%}",
    ReasonCode.STRETCH_ZONE: f"chance of a good result from {STRETCH_LOW:.0%} to "
    f"{STRETCH_HIGH:.0%} (inclusive)",
    ReasonCode.SAFE_STEP: f"chance of a good result above {STRETCH_HIGH:.0%}",
    ReasonCode.MATCHES_INTEREST: "the participant's interest in the activity's main direction "
    "lifted it most among the recommended items",
    ReasonCode.POPULAR_IN_DIRECTION: "its popularity lifted it most among the recommended "
    "items, and it has a main direction",
    ReasonCode.POPULAR: "its popularity lifted it most among the recommended items (no "
    "direction), or the model ranks by popularity alone",
    ReasonCode.CONTINUES_SERIES: "the participant took an earlier edition of the series",
    ReasonCode.IN_REGION: "offline, in the participant's region",
    ReasonCode.ONLINE: "online",
    ReasonCode.REGISTRATION_CLOSES: "the registration deadline is within 7 days",
}
"""The documented condition under which each reason code is given (the tests check each)."""


CHANCE_CODES: frozenset[ReasonCode] = frozenset(
    {ReasonCode.LONG_SHOT, ReasonCode.STRETCH_ZONE, ReasonCode.SAFE_STEP}
)
"""The codes that state a chance of a good result (one band each)."""


def chance_code(chance: float) -> ReasonCode:
    """The band of a chance of a good result: long shot, stretch zone or safe step."""
    if chance < STRETCH_LOW:
        return ReasonCode.LONG_SHOT
    if chance > STRETCH_HIGH:
        return ReasonCode.SAFE_STEP
    return ReasonCode.STRETCH_ZONE


_TEXT_RU: dict[ReasonCode, str] = {
    ReasonCode.POPULAR: "Одно из самых популярных мероприятий сейчас.",
    ReasonCode.POPULAR_IN_DIRECTION: "Популярно в направлении «{direction_title}».",
    ReasonCode.SIMILAR_PARTICIPANTS: "Его выбирают участники с похожей историей.",
    ReasonCode.CONTINUES_SERIES: "Вы участвовали в прошлых выпусках этого мероприятия.",
    ReasonCode.MATCHES_INTEREST: "Совпадает с вашим направлением «{direction_title}».",
    ReasonCode.STRETCH_ZONE: "Посильный вызов: шанс хорошего результата около {chance}%.",
    ReasonCode.ENTRY_LEVEL: "Подходит для первого шага: мероприятие начального уровня.",
    ReasonCode.FITS_GRADE: "Подходит для {grade} класса.",
    ReasonCode.IN_REGION: "Проходит очно в вашем регионе.",
    ReasonCode.ONLINE: "Проходит онлайн: участвовать можно из любого региона.",
    ReasonCode.CONDITIONAL_ON_QUALIFYING: (
        "Доступно только тем, кто пройдёт отборочный этап «{stage_title}»."
    ),
    ReasonCode.QUALIFIED: "Вы прошли отбор на этот этап.",
    ReasonCode.REGISTRATION_CLOSES: "Регистрация открыта до {deadline}.",
    ReasonCode.RANKED_BY_MODEL: "Подобрано с учётом вашей истории, интересов и уровня.",
    ReasonCode.SELECTION_STEP: "Отборочный этап: открывает путь к «{next_title}».",
    ReasonCode.GOAL_DIRECTION: "Ведёт к цели в направлении «{direction_title}».",
    ReasonCode.RATING_POINTS: "Ожидается около {points} баллов рейтинга «Талант 20.35».",
    ReasonCode.COMPETENCE_GAIN: "Ожидаемый рост компетенции: +{gain} пункта.",
    ReasonCode.PROJECTED_DATES: (
        "Даты ожидаются по прошлому сезону; мероприятие ещё не опубликовано."
    ),
    ReasonCode.FITS_CALENDAR: "Не пересекается с другими шагами и укладывается в нагрузку месяца.",
    ReasonCode.LONG_SHOT: (
        "Смелая попытка: шанс хорошего результата около {chance}%, зато это опыт на уровень выше."
    ),
    ReasonCode.SAFE_STEP: "Уверенный шаг: шанс хорошего результата около {chance}%.",
}


def reason_text(code: ReasonCode, **params: Any) -> str:
    """The Russian text of ``code`` with its parameters filled in."""
    return _TEXT_RU[code].format(**params)


def all_codes() -> tuple[str, ...]:
    """Every code, for documentation and tests."""
    return tuple(c.value for c in ReasonCode)
