"""Simulated time: seasons, truth checkpoints and the export instant, as numpy datetimes.

All instants are ``datetime64[s]`` in UTC. A season runs from 1 September to 31 May (the project's
calendar, :mod:`footprint.calendar`); truth is recorded at four checkpoints per season.
"""

from __future__ import annotations

import datetime as dt

import numpy as np

from footprint.calendar import season_bounds

SECOND = np.timedelta64(1, "s")
DAY = np.timedelta64(86_400, "s")
YEAR_SECONDS = 365.25 * 86_400


def instant(day: dt.date) -> np.datetime64:
    """Midnight UTC of ``day`` as ``datetime64[s]``."""
    return np.datetime64(day.isoformat(), "s")


def season_start(year: int) -> np.datetime64:
    """1 September of the season starting in ``year``, midnight."""
    return instant(season_bounds(year)[0])


def season_stop(year: int) -> np.datetime64:
    """The instant the season ends: midnight after its last day (1 June)."""
    return instant(season_bounds(year)[1]) + DAY


def checkpoints(year: int) -> list[np.datetime64]:
    """Truth checkpoints of a season: 1 Sep, 1 Dec, 1 Mar and 1 Jun."""
    return [
        instant(dt.date(year, 9, 1)),
        instant(dt.date(year, 12, 1)),
        instant(dt.date(year + 1, 3, 1)),
        instant(dt.date(year + 1, 6, 1)),
    ]


def export_instant(first_season: int, seasons: int) -> np.datetime64:
    """When the sources export their files: 15 June after the last season.

    Records are created up to ten days after an activity ends, so every record exists by then;
    moderation still running at this instant leaves recent records ``pending``.
    """
    return instant(dt.date(first_season + seasons, 6, 15))


def add_days(t: np.ndarray | np.datetime64, days: np.ndarray | float) -> np.ndarray:
    """``t`` plus a (possibly fractional) number of days, rounded to whole seconds."""
    return t + np.round(np.asarray(days) * 86_400).astype("int64") * SECOND


def instant_from(year: int, month: int, day: int) -> np.datetime64:
    """Midnight UTC of a calendar day given by numbers."""
    return instant(dt.date(year, month, day))


def season_year_of(t: np.ndarray) -> np.ndarray:
    """Start year of the season each instant belongs to (June-August count toward the next one),
    as :func:`footprint.calendar.season_start_year` does for dates."""
    months = t.astype("datetime64[M]").astype(np.int64)
    year, month = months // 12 + 1970, months % 12 + 1
    return np.where(month >= 6, year, year - 1)
