"""Seasons and school grades over time.

A season runs from 1 September to 31 May and is named by its two calendar years, ``"2025/26"``.
"""

from __future__ import annotations

import datetime as dt

SEASON_START_MONTH = 9
SEASON_END_MONTH = 5


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
