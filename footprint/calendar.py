"""Seasons and school grades over time.

A season runs from 1 September to 31 May and is named by its two calendar years, ``"2025/26"``.
June-August belong to no season. The contest runs on Moscow time, so a season's edges are midnights
in Moscow: :func:`season_window` is the one definition of which instants (the store keeps naive UTC)
belong to a season, and every rule that asks "is this record in the season?" uses it.
"""

from __future__ import annotations

import datetime as dt
from typing import Final
from zoneinfo import ZoneInfo

from core.instants import to_naive_utc

SEASON_START_MONTH = 9
SEASON_END_MONTH = 5
SUMMER_MONTHS: Final = frozenset({6, 7, 8})
SUMMER_START_MONTH: Final = 6
CONTEST_TIMEZONE: Final = ZoneInfo("Europe/Moscow")


def season_start_year(day: dt.date) -> int:
    """The calendar year in which the school year containing ``day`` began (June-August count
    toward the season that starts in September)."""
    return day.year if day.month >= 6 else day.year - 1


def season_name(start_year: int) -> str:
    return f"{start_year}/{(start_year + 1) % 100:02d}"


def season_of(day: dt.date) -> str:
    return season_name(season_start_year(day))


def parse_season(name: str) -> int:
    """``"2025/26"`` -> 2025. Raises ``ValueError`` with the expected format otherwise."""
    try:
        first, second = name.split("/")
        start = int(first)
        if len(second) != 2 or int(second) != (start + 1) % 100:
            raise ValueError
    except ValueError:
        raise ValueError(f"season {name!r} is not of the form YYYY/YY, e.g. 2025/26") from None
    return start


def season_bounds(start_year: int) -> tuple[dt.date, dt.date]:
    """First and last day of the season (inclusive): 1 September .. 31 May."""
    return dt.date(start_year, SEASON_START_MONTH, 1), dt.date(start_year + 1, SEASON_END_MONTH, 31)


def grade_at(grade: int, grade_year: int, day: dt.date) -> int:
    """School grade on ``day`` for a participant who was in ``grade`` in the season starting in
    ``grade_year``. Grades beyond 11 mean the participant has left school."""
    return grade + season_start_year(day) - grade_year


def contest_midnight(day: dt.date) -> dt.datetime:
    """00:00 Moscow time of ``day`` as a naive UTC instant (how the store keeps time)."""
    local = dt.datetime.combine(day, dt.time(), tzinfo=CONTEST_TIMEZONE)
    return to_naive_utc(local)


def contest_date(instant: dt.datetime) -> dt.date:
    """The Moscow calendar day of a naive UTC ``instant``."""
    return instant.replace(tzinfo=dt.UTC).astimezone(CONTEST_TIMEZONE).date()


def season_window(start_year: int) -> tuple[dt.datetime, dt.datetime]:
    """Naive UTC instants ``[start, end)`` of the season: 1 September 00:00 .. 1 June 00:00, Moscow
    time (for seasons since 2014, 31 August 21:00 .. 31 May 21:00 UTC)."""
    first, last = season_bounds(start_year)
    return contest_midnight(first), contest_midnight(last + dt.timedelta(days=1))


def summer_window(start_year: int) -> tuple[dt.datetime, dt.datetime]:
    """Naive UTC instants ``[start, end)`` of the summer before the season (1 June .. 31 August,
    Moscow time): no season's, so a rating lists its records only to say they do not count."""
    return (
        contest_midnight(dt.date(start_year, SUMMER_START_MONTH, 1)),
        contest_midnight(dt.date(start_year, SEASON_START_MONTH, 1)),
    )


def season_of_instant(instant: dt.datetime) -> str | None:
    """The season a naive UTC ``instant`` belongs to, or None in June-August (Moscow time)."""
    day = contest_date(instant)
    if day.month in SUMMER_MONTHS:
        return None
    return season_of(day)


def latest_season_at(instant: dt.datetime) -> str:
    """The season running at a naive UTC ``instant`` (Moscow time); in June-August, between
    seasons, the one that has just ended (the next one has no results yet)."""
    day = contest_date(instant)
    year = season_start_year(day)
    return season_name(year - 1 if day.month in SUMMER_MONTHS else year)
