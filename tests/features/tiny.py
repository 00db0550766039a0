"""A tiny hand-written footprint whose features are worked out by hand in the tests.

Cut-off 2025-01-01, snapshot as of 2025-06-01:

- p1 (grade 8, declared python): prize-winner at a1 with 80/100 (verified), winner of the team
  hackathon a2 (python 0.5, robotics 0.5; no score; verified); finalist at a3 with 60 (recorded
  after the cut-off).
- p2 (grade 10): participant at a1 with 40 (pending), participant at a2 (rejected).
- p3 (grade 6): registered 2024-12-01, no records.
- p4: registered after the cut-off.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd

from footprint.columns import Columns as C
from footprint.frames import Snapshot

CUTOFF = dt.datetime(2025, 1, 1)
AS_OF = dt.datetime(2025, 6, 1)


def _ts(value: str | None) -> pd.Timestamp | None:
    return None if value is None else pd.Timestamp(value)


def participant(pid: str, grade: int, registered: str, interests: str | None = None) -> dict:
    return {
        C.PARTICIPANT_ID: pid,
        C.GRADE: grade,
        C.GRADE_YEAR: 2024,
        C.REGION: "RU-MOW",
        C.SCHOOL_ID: "s1",
        C.REGISTERED_AT: _ts(registered),
        C.ACCOUNT_VERIFIED: True,
        C.DECLARED_INTERESTS: interests,
    }


def activity(
    aid: str,
    kind: str,
    level: str,
    end: str,
    max_score: float | None,
    team: bool = False,
    series: str | None = None,
) -> dict:
    return {
        C.ACTIVITY_ID: aid,
        C.SERIES_ID: series or f"s-{aid}",
        C.TITLE: aid,
        C.KIND: kind,
        C.LEVEL: level,
        C.FORMAT: "online",
        C.REGION: None,
        C.START_AT: _ts(end),
        C.END_AT: _ts(end),
        C.REGISTRATION_DEADLINE: None,
        C.GRADE_MIN: 5,
        C.GRADE_MAX: 11,
        C.CAPACITY: None,
        C.MAX_SCORE: max_score,
        C.IS_TEAM: team,
        C.OLYMPIAD_LIST_LEVEL: None,
        C.PUBLISHED_AT: _ts("2024-06-01"),
    }


def record(
    rid: str,
    pid: str,
    aid: str,
    result: str,
    score: float | None,
    status: str,
    achieved: str,
    recorded: str,
    changed: str | None,
    team: str | None = None,
) -> dict:
    return {
        C.ACHIEVEMENT_ID: rid,
        C.PARTICIPANT_ID: pid,
        C.ACTIVITY_ID: aid,
        C.TEAM_ID: team,
        C.RESULT: result,
        C.SCORE: score,
        C.RANK: None,
        C.EVIDENCE: None,
        C.STATUS: status,
        C.STATUS_CHANGED_AT: _ts(changed),
        C.ACHIEVED_AT: _ts(achieved),
        C.RECORDED_AT: _ts(recorded),
        C.N_SOURCES: 1,
    }


def tiny_frames(extra: list[dict[str, Any]] | None = None) -> dict[str, pd.DataFrame]:
    parts = [
        participant("p1", 8, "2024-09-01", "python"),
        participant("p2", 10, "2024-09-01"),
        participant("p3", 6, "2024-12-01"),
        participant("p4", 7, "2025-02-01"),
    ]
    acts = [
        activity("a1", "olympiad_stage_individual", "national", "2024-10-20", 100.0),
        activity("a2", "hackathon", "regional", "2024-11-10", None, team=True),
        activity("a3", "olympiad_final", "national", "2025-03-05", 100.0),
    ]
    dirs = [
        {C.ACTIVITY_ID: "a1", C.DIRECTION: "python", C.WEIGHT: 1.0},
        {C.ACTIVITY_ID: "a2", C.DIRECTION: "python", C.WEIGHT: 0.5},
        {C.ACTIVITY_ID: "a2", C.DIRECTION: "robotics", C.WEIGHT: 0.5},
        {C.ACTIVITY_ID: "a3", C.DIRECTION: "python", C.WEIGHT: 1.0},
    ]
    ach = [
        record(
            "r1",
            "p1",
            "a1",
            "prize_winner",
            80.0,
            "verified",
            "2024-10-20",
            "2024-10-21",
            "2024-10-25",
        ),
        record("r2", "p2", "a1", "participant", 40.0, "pending", "2024-10-20", "2024-10-21", None),
        record(
            "r3",
            "p1",
            "a2",
            "winner",
            None,
            "verified",
            "2024-11-10",
            "2024-11-12",
            "2024-11-20",
            team="t1",
        ),
        record(
            "r4",
            "p2",
            "a2",
            "participant",
            None,
            "rejected",
            "2024-11-10",
            "2024-11-12",
            "2024-11-20",
            team="t2",
        ),
        record(
            "r5", "p1", "a3", "finalist", 60.0, "verified", "2025-03-05", "2025-03-07", "2025-03-10"
        ),
        *(extra or []),
    ]
    edges = pd.DataFrame(columns=[C.FROM_ACTIVITY_ID, C.TO_ACTIVITY_ID, C.EDGE_TYPE])
    return {
        "participants": pd.DataFrame(parts),
        "activities": pd.DataFrame(acts),
        "activity_directions": pd.DataFrame(dirs),
        "activity_edges": edges,
        "achievements": pd.DataFrame(ach),
    }


def tiny_snapshot(extra: list[dict[str, Any]] | None = None) -> Snapshot:
    return Snapshot.from_frames(AS_OF, tiny_frames(extra))
