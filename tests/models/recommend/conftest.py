"""Fixtures: a hand-made catalogue with known answers, and a small simulated world."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from features.cutoff import snapshot_at
from footprint.columns import Columns as C
from footprint.frames import Snapshot
from models.recommend.columns import RecColumns as R
from models.recommend.dataset import (
    DecisionPoint,
    RecommendDataset,
    dataset_from_snapshot,
    decision_points,
)
from simulator import SimulationConfig
from training.simworld import SimWorld, simulate_world

CUTOFF = dt.datetime(2024, 10, 1)
POINTS = (dt.datetime(2023, 10, 1), dt.datetime(2023, 12, 1))


@pytest.fixture(scope="session")
def sim() -> SimWorld:
    """2,000 participants over three seasons (2022/23-2024/25); about a second to build."""
    return simulate_world(SimulationConfig(participants=2_000, seasons=3, seed=11))


@pytest.fixture(scope="session")
def sim_dataset(sim: SimWorld) -> RecommendDataset:
    """The world as of 1 October 2024 with abilities."""
    return dataset_from_snapshot(
        snapshot_at(sim.snapshot, CUTOFF), CUTOFF, ability=True, ability_sample=1_500
    )


@pytest.fixture(scope="session")
def sim_decisions(sim: SimWorld) -> tuple[DecisionPoint, ...]:
    """Two past decision points before :data:`CUTOFF` (the re-ranker's training input)."""
    return decision_points(sim.snapshot, CUTOFF, POINTS, ability=True, ability_sample=1_500)


def _activity(
    aid: str,
    series: str,
    kind: str = "hackathon",
    level: str = "regional",
    fmt: str = "online",
    region: str | None = None,
    start: str = "2025-11-01",
    days: int = 2,
    deadline: str | None = None,
    grades: tuple[int, int] = (5, 11),
    published: str = "2025-08-01",
) -> dict[str, object]:
    s = dt.datetime.fromisoformat(start)
    return {
        C.ACTIVITY_ID: aid,
        C.SERIES_ID: series,
        C.TITLE: f"Мероприятие {aid}",
        C.KIND: kind,
        C.LEVEL: level,
        C.FORMAT: fmt,
        C.REGION: region,
        C.START_AT: s,
        C.END_AT: s + dt.timedelta(days=days - 1),
        C.REGISTRATION_DEADLINE: dt.datetime.fromisoformat(deadline)
        if deadline
        else s - dt.timedelta(days=3),
        C.GRADE_MIN: grades[0],
        C.GRADE_MAX: grades[1],
        C.CAPACITY: None,
        C.MAX_SCORE: None,
        C.IS_TEAM: False,
        C.OLYMPIAD_LIST_LEVEL: None,
        C.PUBLISHED_AT: dt.datetime.fromisoformat(published),
    }


def _record(
    i: int, pid: str, aid: str, result: str = "participant", when: str = "2024-11-05"
) -> dict[str, object]:
    t = dt.datetime.fromisoformat(when)
    return {
        C.ACHIEVEMENT_ID: f"r{i:05d}",
        C.PARTICIPANT_ID: pid,
        C.ACTIVITY_ID: aid,
        C.TEAM_ID: None,
        C.RESULT: result,
        C.SCORE: None,
        C.RANK: None,
        C.EVIDENCE: None,
        C.STATUS: "verified",
        C.STATUS_CHANGED_AT: t + dt.timedelta(days=5),
        C.ACHIEVED_AT: t,
        C.RECORDED_AT: t + dt.timedelta(days=2),
        C.N_SOURCES: 1,
    }


TINY_AS_OF = dt.datetime(2025, 10, 1)


def tiny_snapshot() -> Snapshot:
    """A hand-made world whose right answers are known.

    Series ``py-a`` and ``py-b`` are always taken together (python fans), ``rb-a`` and ``rb-b``
    together (robotics fans); ``pop`` is taken by everyone. Each series has a past edition
    (2024) and an open one (2025). ``u-py`` took only ``py-a`` and ``pop`` last season, so
    every collaborative model should put ``py-b``'s new edition first; ``u-rb`` likewise
    ``rb-b``. Also open: an offline event in RU-SPE (regional), a grade 9-11 event, an online
    stage-1 olympiad feeding a final, and an activity that has already started.
    """
    acts, dirs = [], []
    series = {
        "py-a": "python",
        "py-b": "python",
        "rb-a": "robotics",
        "rb-b": "robotics",
        "pop": "engineering",
    }
    for sid, d in series.items():
        for year, start, pub in (
            (2024, "2024-11-01", "2024-08-01"),
            (2025, "2025-11-01", "2025-08-01"),
        ):
            aid = f"a-{sid}-{year}"
            acts.append(_activity(aid, sid, start=start, published=pub))
            dirs.append({C.ACTIVITY_ID: aid, C.DIRECTION: d, C.WEIGHT: 1.0})
    extra = [
        _activity("a-spb-2025", "spb", fmt="offline", region="RU-SPE", start="2025-11-10"),
        _activity("a-senior-2025", "senior", grades=(9, 11), start="2025-11-12"),
        _activity(
            "a-s1-2025",
            "s1",
            kind="olympiad_stage_individual",
            level="national",
            start="2025-10-15",
            days=30,
        ),
        _activity(
            "a-final-2025",
            "final",
            kind="olympiad_final",
            level="national",
            fmt="offline",
            region="RU-MOW",
            start="2026-03-01",
            days=3,
        ),
        _activity("a-started-2025", "started", start="2025-09-20", deadline="2025-09-15"),
    ]
    acts += extra
    for a in extra:
        dirs.append({C.ACTIVITY_ID: a[C.ACTIVITY_ID], C.DIRECTION: "python", C.WEIGHT: 1.0})
    people = []
    records = []
    i = 0
    for n in range(12):
        pid = f"py{n:02d}"
        people.append(pid)
        for sid in ("py-a", "py-b", "pop"):
            i += 1
            records.append(_record(i, pid, f"a-{sid}-2024"))
    for n in range(12):
        pid = f"rb{n:02d}"
        people.append(pid)
        for sid in ("rb-a", "rb-b", "pop"):
            i += 1
            records.append(_record(i, pid, f"a-{sid}-2024"))
    for pid, sids in (("u-py", ("py-a", "pop")), ("u-rb", ("rb-a", "pop"))):
        people.append(pid)
        for sid in sids:
            i += 1
            records.append(_record(i, pid, f"a-{sid}-2024"))
    people.append("u-new")
    parts = pd.DataFrame(
        {
            C.PARTICIPANT_ID: people,
            C.GRADE: [8] * (len(people) - 1) + [6],
            C.GRADE_YEAR: 2025,
            C.REGION: ["RU-MOW"] * len(people),
            C.SCHOOL_ID: None,
            C.REGISTERED_AT: dt.datetime(2024, 1, 1),
            C.ACCOUNT_VERIFIED: True,
            C.DECLARED_INTERESTS: [None] * (len(people) - 1) + ["robotics"],
        }
    )
    frames = {
        "participants": parts,
        "activities": pd.DataFrame(acts),
        "activity_directions": pd.DataFrame(dirs),
        "activity_edges": pd.DataFrame(
            {
                C.FROM_ACTIVITY_ID: ["a-s1-2025"],
                C.TO_ACTIVITY_ID: ["a-final-2025"],
                C.EDGE_TYPE: ["selection"],
            }
        ),
        "achievements": pd.DataFrame(records),
    }
    return Snapshot.from_frames(TINY_AS_OF, frames, snapshot_id="tiny")


@pytest.fixture(scope="session")
def tiny() -> RecommendDataset:
    return dataset_from_snapshot(tiny_snapshot(), TINY_AS_OF)


def tiny_log(rng: np.random.Generator) -> pd.DataFrame:
    """A generic log with two taste groups, for undated datasets."""
    rows = []
    for u in range(40):
        group = u % 2
        items = [f"i{group * 10 + j}" for j in range(10)]
        for j in rng.choice(10, 6, replace=False):
            rows.append({"user": f"u{u}", "item": items[j], R.WEIGHT: 1.0})
    return pd.DataFrame(rows)
