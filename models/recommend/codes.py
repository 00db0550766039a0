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
}


def reason_text(code: ReasonCode, **params: Any) -> str:
    """The Russian text of ``code`` with its parameters filled in."""
    return _TEXT_RU[code].format(**params)


def all_codes() -> tuple[str, ...]:
    """Every code, for documentation and tests."""
    return tuple(c.value for c in ReasonCode)
