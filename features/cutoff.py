"""Point in time: what of a snapshot's frames was known at a cut-off.

A snapshot as of T already drops records recorded after T. Features are often computed for an
earlier cut-off C < T from the same snapshot (temporal splits), so every feature function filters
again with these helpers: a record counts only when it was recorded and achieved by C, and its
moderation status is the one it had at C (a record verified after C was still pending then).
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from footprint.calendar import season_start_year
from footprint.columns import Columns as C
from footprint.enums import ModerationStatus


def as_micros(instant: dt.datetime) -> np.datetime64:
    """``instant`` as ``datetime64[us]`` (naive UTC), comparable with snapshot timestamps."""
    if instant.tzinfo is not None:
        instant = instant.astimezone(dt.UTC).replace(tzinfo=None)
    return np.datetime64(instant, "us")


def _before(values: pd.Series, cut: np.datetime64) -> np.ndarray:
    arr = values.to_numpy("datetime64[us]")
    return ~np.isnat(arr) & (arr <= cut)


def visible_achievements(achievements: pd.DataFrame, as_of: dt.datetime) -> pd.DataFrame:
    """Achievements known at ``as_of``, with the moderation status they had then.

    Parameters
    ----------
    achievements
        Rows of a snapshot's ``achievements`` frame (any subset of them).
    as_of
        The cut-off (naive UTC).

    Returns
    -------
    pandas.DataFrame
        The rows recorded and achieved by ``as_of``; a status set after ``as_of`` reads ``pending``.
    """
    cut = as_micros(as_of)
    keep = _before(achievements[C.RECORDED_AT], cut) & _before(achievements[C.ACHIEVED_AT], cut)
    out = achievements.loc[keep]
    changed = out[C.STATUS_CHANGED_AT].to_numpy("datetime64[us]")
    later = ~np.isnat(changed) & (changed > cut)
    if later.any():
        out = out.copy()
        status = out[C.STATUS].to_numpy(dtype=object, na_value=None).copy()
        status[later] = ModerationStatus.PENDING.value
        out[C.STATUS] = pd.array(status, dtype="string")
        stamps = out[C.STATUS_CHANGED_AT].to_numpy("datetime64[us]").copy()
        stamps[later] = np.datetime64("NaT")
        out[C.STATUS_CHANGED_AT] = stamps
    return out


def visible_participants(participants: pd.DataFrame, as_of: dt.datetime) -> pd.DataFrame:
    """Participants registered by ``as_of``, with their grade in the season of ``as_of``.

    The snapshot's ``grade`` holds in season ``grade_year``; the grade at an earlier cut-off is
    shifted by the number of seasons between them.
    """
    keep = _before(participants[C.REGISTERED_AT], as_micros(as_of))
    out = participants.loc[keep].copy()
    start = season_start_year(as_of.date())
    grade = out[C.GRADE].astype("Int64") + (start - out[C.GRADE_YEAR].astype("Int64"))
    out[C.GRADE] = grade.astype("Int16")
    out[C.GRADE_YEAR] = pd.array([start] * len(out), dtype="Int16")
    return out


def visible_activities(activities: pd.DataFrame, as_of: dt.datetime) -> pd.DataFrame:
    """Activities published by ``as_of``."""
    return activities.loc[_before(activities[C.PUBLISHED_AT], as_micros(as_of))]
