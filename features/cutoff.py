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

from core.instants import to_naive_utc
from footprint.calendar import season_start_year
from footprint.columns import Columns as C
from footprint.enums import ModerationStatus
from footprint.frames import Snapshot


def as_micros(instant: dt.datetime) -> np.datetime64:
    """``instant`` as ``datetime64[us]`` (naive UTC), comparable with snapshot timestamps."""
    return np.datetime64(to_naive_utc(instant), "us")


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


def snapshot_at(snapshot: Snapshot, as_of: dt.datetime) -> Snapshot:
    """The part of ``snapshot`` known at an earlier cut-off ``as_of``, as a snapshot.

    For code that takes a whole snapshot (the rating engine): participants registered, activities
    published and records known by ``as_of``, statuses as they were then.
    """
    if as_micros(as_of) > as_micros(snapshot.as_of):
        raise ValueError(f"cut-off {as_of} is after the snapshot's as_of {snapshot.as_of}")
    acts = visible_activities(snapshot.activities, as_of)
    ids = set(acts[C.ACTIVITY_ID].astype("object"))
    parts = visible_participants(snapshot.participants, as_of)
    ach = visible_achievements(snapshot.achievements, as_of)
    ach = ach[
        ach[C.ACTIVITY_ID].astype("object").isin(ids).to_numpy()
        & ach[C.PARTICIPANT_ID]
        .astype("object")
        .isin(set(parts[C.PARTICIPANT_ID].astype("object")))
        .to_numpy()
    ]
    ad = snapshot.activity_directions
    edges = snapshot.activity_edges
    edges = edges[
        edges[C.FROM_ACTIVITY_ID].astype("object").isin(ids).to_numpy()
        & edges[C.TO_ACTIVITY_ID].astype("object").isin(ids).to_numpy()
    ]
    return Snapshot(
        snapshot_id=f"{snapshot.snapshot_id}@{as_of.isoformat()}",
        as_of=as_of,
        participants=parts.reset_index(drop=True),
        activities=acts.reset_index(drop=True),
        activity_directions=ad[ad[C.ACTIVITY_ID].astype("object").isin(ids).to_numpy()].reset_index(
            drop=True
        ),
        activity_edges=edges.reset_index(drop=True),
        achievements=ach.reset_index(drop=True),
        directions=snapshot.directions,
    )
