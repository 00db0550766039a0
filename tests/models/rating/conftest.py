"""A tiny hand-written footprint for rating tests: build a :class:`Snapshot` row by row."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd
import pytest

from footprint.columns import Columns as C
from footprint.frames import Snapshot
from models.rating.rules import RatingRules, default_rules

SEASON = "2025/26"
IN_SEASON = "2025-10-20"


class World:
    """Collects participants, activities, edges and achievements; ``snapshot()`` freezes them.

    Participants are created on first mention (verified account unless declared otherwise).
    Activities default to a national individual olympiad stage in ``python`` without scores.
    """

    def __init__(self) -> None:
        self.participants: dict[str, dict[str, Any]] = {}
        self.activities: dict[str, dict[str, Any]] = {}
        self.directions: list[dict[str, Any]] = []
        self.edges: list[dict[str, Any]] = []
        self.achievements: list[dict[str, Any]] = []

    def participant(self, pid: str, verified: bool = True) -> str:
        self.participants[pid] = {
            C.PARTICIPANT_ID: pid,
            C.GRADE: 9,
            C.GRADE_YEAR: 2025,
            C.REGION: "RU-TAT",
            C.SCHOOL_ID: None,
            C.REGISTERED_AT: pd.Timestamp("2024-09-01"),
            C.ACCOUNT_VERIFIED: verified,
            C.DECLARED_INTERESTS: None,
        }
        return pid

    def activity(
        self,
        aid: str,
        kind: str = "olympiad_stage_individual",
        level: str = "national",
        directions: dict[str, float] | None = None,
        max_score: float | None = None,
        is_team: bool = False,
        list_level: int | None = None,
        title: str | None = None,
    ) -> str:
        self.activities[aid] = {
            C.ACTIVITY_ID: aid,
            C.SERIES_ID: f"series-{aid}",
            C.TITLE: title or f"Мероприятие {aid}",
            C.KIND: kind,
            C.LEVEL: level,
            C.FORMAT: "online",
            C.REGION: None,
            C.START_AT: pd.Timestamp("2025-09-15"),
            C.END_AT: pd.Timestamp("2025-10-20"),
            C.REGISTRATION_DEADLINE: None,
            C.GRADE_MIN: 5,
            C.GRADE_MAX: 11,
            C.CAPACITY: None,
            C.MAX_SCORE: max_score,
            C.IS_TEAM: is_team,
            C.OLYMPIAD_LIST_LEVEL: list_level,
            C.PUBLISHED_AT: pd.Timestamp("2025-06-01"),
        }
        for direction, weight in (directions or {"python": 1.0}).items():
            self.directions.append({C.ACTIVITY_ID: aid, C.DIRECTION: direction, C.WEIGHT: weight})
        return aid

    def edge(self, src: str, dst: str, edge_type: str = "selection") -> None:
        self.edges.append({C.FROM_ACTIVITY_ID: src, C.TO_ACTIVITY_ID: dst, C.EDGE_TYPE: edge_type})

    def achievement(
        self,
        pid: str,
        aid: str,
        result: str = "winner",
        score: float | None = None,
        status: str = "verified",
        at: str = IN_SEASON,
        team: str | None = None,
        ach_id: str | None = None,
    ) -> str:
        if pid not in self.participants:
            self.participant(pid)
        ach_id = ach_id or f"h{len(self.achievements):05d}"
        self.achievements.append(
            {
                C.ACHIEVEMENT_ID: ach_id,
                C.PARTICIPANT_ID: pid,
                C.ACTIVITY_ID: aid,
                C.TEAM_ID: team,
                C.RESULT: result,
                C.SCORE: score,
                C.RANK: None,
                C.EVIDENCE: None,
                C.STATUS: status,
                C.STATUS_CHANGED_AT: None if status == "pending" else pd.Timestamp(at),
                C.ACHIEVED_AT: pd.Timestamp(at),
                C.RECORDED_AT: pd.Timestamp(at),
                C.N_SOURCES: 1,
            }
        )
        return ach_id

    def frames(self) -> dict[str, pd.DataFrame]:
        def frame(rows: list[dict[str, Any]], name: str) -> pd.DataFrame:
            from footprint.frames import FRAME_DTYPES

            return pd.DataFrame(rows, columns=list(FRAME_DTYPES[name]))

        return {
            "participants": frame(list(self.participants.values()), "participants"),
            "activities": frame(list(self.activities.values()), "activities"),
            "activity_directions": frame(self.directions, "activity_directions"),
            "activity_edges": frame(self.edges, "activity_edges"),
            "achievements": frame(self.achievements, "achievements"),
        }

    def snapshot(self, as_of: str = "2026-06-30") -> Snapshot:
        return Snapshot.from_frames(
            dt.datetime.fromisoformat(as_of), self.frames(), snapshot_id="test"
        )


@pytest.fixture(scope="session")
def make_world() -> type[World]:
    """The :class:`World` class (session-scoped so hypothesis tests may use it)."""
    return World


@pytest.fixture
def world() -> World:
    return World()


@pytest.fixture(scope="session")
def rules() -> RatingRules:
    return default_rules()
