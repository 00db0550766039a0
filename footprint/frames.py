"""The typed frames a snapshot hands to pipelines: column lists and dtypes, spelled once.

:class:`Snapshot` is the boundary between ``footprint`` and everything downstream: features, models
and training take a ``Snapshot``, never a database connection.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Final

import pandas as pd

from footprint.columns import Columns as C
from footprint.directions import Direction, directions, directions_frame, from_frame

TS: Final = "datetime64[us]"

PARTICIPANT_DTYPES: Final[dict[str, str]] = {
    C.PARTICIPANT_ID: "string",
    C.GRADE: "Int16",
    C.GRADE_YEAR: "Int16",
    C.REGION: "string",
    C.SCHOOL_ID: "string",
    C.REGISTERED_AT: TS,
    C.ACCOUNT_VERIFIED: "bool",
    C.DECLARED_INTERESTS: "string",
}

ACTIVITY_DTYPES: Final[dict[str, str]] = {
    C.ACTIVITY_ID: "string",
    C.SERIES_ID: "string",
    C.TITLE: "string",
    C.KIND: "string",
    C.LEVEL: "string",
    C.FORMAT: "string",
    C.REGION: "string",
    C.START_AT: TS,
    C.END_AT: TS,
    C.REGISTRATION_DEADLINE: TS,
    C.GRADE_MIN: "Int16",
    C.GRADE_MAX: "Int16",
    C.CAPACITY: "Int64",
    C.MAX_SCORE: "Float64",
    C.IS_TEAM: "bool",
    C.OLYMPIAD_LIST_LEVEL: "Int16",
    C.PUBLISHED_AT: TS,
}

ACTIVITY_DIRECTION_DTYPES: Final[dict[str, str]] = {
    C.ACTIVITY_ID: "string",
    C.DIRECTION: "string",
    C.WEIGHT: "float64",
}

EDGE_DTYPES: Final[dict[str, str]] = {
    C.FROM_ACTIVITY_ID: "string",
    C.TO_ACTIVITY_ID: "string",
    C.EDGE_TYPE: "string",
}

ACHIEVEMENT_DTYPES: Final[dict[str, str]] = {
    C.ACHIEVEMENT_ID: "string",
    C.PARTICIPANT_ID: "string",
    C.ACTIVITY_ID: "string",
    C.TEAM_ID: "string",
    C.RESULT: "string",
    C.SCORE: "Float64",
    C.RANK: "Int64",
    C.EVIDENCE: "string",
    C.STATUS: "string",
    C.STATUS_CHANGED_AT: TS,
    C.ACHIEVED_AT: TS,
    C.RECORDED_AT: TS,
    C.N_SOURCES: "Int16",
}

DIRECTION_DTYPES: Final[dict[str, str]] = {
    C.CODE: "string",
    C.TITLE_RU: "string",
    C.AKA_RU: "string",
}

FRAME_DTYPES: Final[dict[str, dict[str, str]]] = {
    "directions": DIRECTION_DTYPES,
    "participants": PARTICIPANT_DTYPES,
    "activities": ACTIVITY_DTYPES,
    "activity_directions": ACTIVITY_DIRECTION_DTYPES,
    "activity_edges": EDGE_DTYPES,
    "achievements": ACHIEVEMENT_DTYPES,
}


def conform(frame: pd.DataFrame, name: str) -> pd.DataFrame:
    """Return ``frame`` with exactly the columns and dtypes of snapshot frame ``name``."""
    dtypes = FRAME_DTYPES[name]
    missing = [c for c in dtypes if c not in frame.columns]
    if missing:
        raise ValueError(f"frame {name!r} lacks columns {missing}")
    return frame.loc[:, list(dtypes)].astype(dtypes).reset_index(drop=True)


def default_directions() -> pd.DataFrame:
    """The configured directions as a snapshot frame: what a snapshot written before directions
    were store data, or a frame set built in memory without them, is read with."""
    return conform(directions_frame(directions()), "directions")


@dataclass(frozen=True)
class Snapshot:
    """Everything known as of ``as_of``. Frames follow :data:`FRAME_DTYPES` exactly.

    Build one with :func:`footprint.snapshot.load_snapshot` (from disk) or :meth:`from_frames`
    (tests, in-memory pipelines).
    """

    snapshot_id: str
    as_of: dt.datetime
    participants: pd.DataFrame
    activities: pd.DataFrame
    activity_directions: pd.DataFrame
    activity_edges: pd.DataFrame
    achievements: pd.DataFrame
    directions: pd.DataFrame = field(default_factory=default_directions)
    """The directions known as of the snapshot (``code, title_ru, aka_ru``), the configured
    defaults first: every stage estimates, rates and recommends for these."""

    @classmethod
    def from_frames(
        cls, as_of: dt.datetime, frames: dict[str, pd.DataFrame], snapshot_id: str = "in-memory"
    ) -> Snapshot:
        """A snapshot of ``frames``; without a ``directions`` frame, the configured defaults."""
        return cls(
            snapshot_id=snapshot_id,
            as_of=as_of,
            **{
                name: conform(frames[name], name) if name in frames else default_directions()
                for name in FRAME_DTYPES
            },
        )

    def direction_list(self) -> tuple[Direction, ...]:
        return from_frame(self.directions)

    def direction_codes(self) -> tuple[str, ...]:
        """Codes of :attr:`directions`, in order."""
        return tuple(str(c) for c in self.directions[C.CODE])
