"""A small seeded synthetic world with known abilities, for tests (and a benchmark fallback).

Abilities are on a logit scale, correlated across directions, growing with grade. Activities have
known difficulties; scores follow the logistic of (ability - difficulty) plus noise; results follow
rank quotas. It is deliberately much simpler than ``simulator``: tests need known answers
and speed, not realism.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from footprint.columns import Columns as C
from footprint.directions import Direction, directions, directions_frame, merged
from footprint.frames import Snapshot

DIRECTIONS = ("python", "robotics", "engineering")
KIND_PLAN = (  # kind, level, scored, team, difficulty offset
    ("olympiad_stage_individual", "national", True, False, -0.5),
    ("olympiad_final", "national", True, False, 1.5),
    ("competition", "regional", True, False, 0.0),
    ("hackathon", "municipal", False, True, -0.3),
    ("online_course", "national", True, False, -1.0),
    ("test", "school", True, False, -1.2),
)


@dataclass(frozen=True)
class World:
    """Frames of a snapshot plus the truth: ``truth`` (participant, direction, true_ability) and
    ``difficulty`` (activity, direction, true difficulty)."""

    frames: dict[str, pd.DataFrame]
    truth: pd.DataFrame
    difficulty: pd.DataFrame
    as_of: dt.datetime

    def snapshot(self, as_of: dt.datetime | None = None) -> Snapshot:
        """The snapshot as of ``as_of`` (the world's end by default)."""
        as_of = as_of or self.as_of
        f = dict(self.frames)
        ach = f["achievements"]
        f["achievements"] = ach[ach[C.RECORDED_AT] <= as_of]
        return Snapshot.from_frames(as_of, f)


def make_world(
    n_participants: int = 600,
    seasons: tuple[int, ...] = (2024, 2025),
    per_season: float = 3.0,
    seed: int = 7,
    editions_per_kind: int = 2,
    codes: tuple[str, ...] = DIRECTIONS,
    extra_directions: tuple[str, ...] = (),
) -> World:
    """Build a world whose snapshot ends on 31 August after the last season; activities rotate
    over ``codes``. The snapshot lists the configured directions, then (as the store would after
    ingesting them) any of ``codes`` and ``extra_directions`` (listed, without data) they lack."""
    rng = np.random.default_rng(seed)
    n_dir = len(codes)
    pid = np.array([f"p{i:06d}" for i in range(n_participants)], dtype=object)
    grade = rng.integers(5, 12, n_participants)
    common = rng.normal(size=n_participants)
    own = rng.normal(size=(n_participants, n_dir))
    ability = 0.63 * common[:, None] + 0.77 * own + 0.12 * (grade[:, None] - 8)
    first = dt.datetime(seasons[0], 6, 1)
    reg = first + pd.to_timedelta(rng.integers(0, 300, n_participants), unit="D")
    participants = pd.DataFrame(
        {
            C.PARTICIPANT_ID: pid,
            C.GRADE: grade,
            C.GRADE_YEAR: seasons[-1] + 0 * grade,
            C.REGION: "RU-MOW",
            C.SCHOOL_ID: "s1",
            C.REGISTERED_AT: reg,
            C.ACCOUNT_VERIFIED: rng.random(n_participants) < 0.9,
            C.DECLARED_INTERESTS: np.where(rng.random(n_participants) < 0.5, "python", None),
        }
    )
    # grades are as of the last season; earlier seasons have lower grades
    acts, dirs, ach = [], [], []
    diff_rows = []
    rec = 0
    for season in seasons:
        for k, (kind, level, scored, team, offset) in enumerate(KIND_PLAN):
            for e in range(editions_per_kind):
                d = (k + e) % n_dir
                aid = f"a-{season}-{k}-{e}"
                start = dt.datetime(season, 10, 1) + dt.timedelta(days=25 * k + 7 * e)
                end = start + dt.timedelta(days=5)
                b = offset + rng.normal(0, 0.3)
                second = (d + 1) % n_dir
                w_main = 1.0 if e % 2 == 0 else 0.7
                acts.append(
                    {
                        C.ACTIVITY_ID: aid,
                        C.SERIES_ID: f"s-{k}-{e}",
                        C.TITLE: aid,
                        C.KIND: kind,
                        C.LEVEL: level,
                        C.FORMAT: "online",
                        C.REGION: None,
                        C.START_AT: start,
                        C.END_AT: end,
                        C.REGISTRATION_DEADLINE: None,
                        C.GRADE_MIN: 5,
                        C.GRADE_MAX: 11,
                        C.CAPACITY: None,
                        C.MAX_SCORE: 100.0 if scored else None,
                        C.IS_TEAM: team,
                        C.OLYMPIAD_LIST_LEVEL: None,
                        C.PUBLISHED_AT: dt.datetime(season, 6, 1),
                    }
                )
                dirs.append({C.ACTIVITY_ID: aid, C.DIRECTION: codes[d], C.WEIGHT: w_main})
                if w_main < 1:
                    dirs.append(
                        {C.ACTIVITY_ID: aid, C.DIRECTION: codes[second], C.WEIGHT: 1 - w_main}
                    )
                diff_rows.append({C.ACTIVITY_ID: aid, C.DIRECTION: codes[d], "difficulty": b})
                # entrants: more able (in d) participants enter harder events more often
                theta = ability[:, d] * w_main + ability[:, second] * (1 - w_main)
                rate = per_season / (len(KIND_PLAN) * editions_per_kind)
                p_enter = np.clip(rate * np.exp(0.5 * (theta - b) - 0.1), 0, 0.9)
                entered = np.flatnonzero(
                    (rng.random(n_participants) < p_enter) & np.asarray(reg <= end)
                )
                if len(entered) < 3:
                    continue
                x = theta[entered] - b + rng.logistic(0, 0.6, len(entered))
                score = np.round(100 / (1 + np.exp(-x)), 1)
                order = np.argsort(-score, kind="stable")
                rank = np.empty(len(entered), dtype=np.int64)
                rank[order] = np.arange(1, len(entered) + 1)
                share = rank / len(entered)
                result = np.where(
                    share <= 0.1,
                    "winner",
                    np.where(
                        share <= 0.3,
                        "prize_winner",
                        "finalist" if kind == "olympiad_final" else "participant",
                    ),
                )
                if kind in ("online_course", "test"):
                    result = np.where(score >= 40, "completed", "not_completed")
                recorded = end + pd.to_timedelta(rng.integers(1, 20, len(entered)), unit="D")
                status = rng.choice(
                    ["verified", "pending", "rejected"], len(entered), p=[0.85, 0.12, 0.03]
                )
                changed = recorded + pd.to_timedelta(rng.integers(1, 40, len(entered)), unit="D")
                for j, i in enumerate(entered):
                    rec += 1
                    ach.append(
                        {
                            C.ACHIEVEMENT_ID: f"r{rec:07d}",
                            C.PARTICIPANT_ID: pid[i],
                            C.ACTIVITY_ID: aid,
                            C.TEAM_ID: f"t{i}" if team else None,
                            C.RESULT: result[j],
                            C.SCORE: score[j] if scored else None,
                            C.RANK: int(rank[j]),
                            C.EVIDENCE: None,
                            C.STATUS: status[j],
                            C.STATUS_CHANGED_AT: None if status[j] == "pending" else changed[j],
                            C.ACHIEVED_AT: end,
                            C.RECORDED_AT: recorded[j],
                            C.N_SOURCES: 1,
                        }
                    )
    edges = pd.DataFrame(columns=[C.FROM_ACTIVITY_ID, C.TO_ACTIVITY_ID, C.EDGE_TYPE])
    frames = {
        "participants": participants,
        "activities": pd.DataFrame(acts),
        "activity_directions": pd.DataFrame(dirs),
        "activity_edges": edges,
        "achievements": pd.DataFrame(ach),
        "directions": directions_frame(
            merged(
                directions(),
                [Direction(code=c, title_ru=c) for c in dict.fromkeys((*codes, *extra_directions))],
            )
        ),
    }
    truth = pd.DataFrame(
        {
            C.PARTICIPANT_ID: np.repeat(pid, n_dir),
            C.DIRECTION: np.tile(codes, n_participants),
            C.TRUE_ABILITY: ability.ravel(),
        }
    )
    return World(frames, truth, pd.DataFrame(diff_rows), dt.datetime(seasons[-1] + 1, 8, 31))
