"""Example trajectories for reports: plans for a few participants of a snapshot, as tables.

The recommender notebook shows what the planner proposes to real-looking participants; the
planning itself is :func:`models.recommend.planner.plan`, prepared the way ``talent plan`` and
the trajectory evaluation prepare it (the dataset with abilities as of the planning instant, the
season's rating so far for what-ifs and the previous season's for diploma thresholds).
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from core.errors import EmptyInputError
from features.cutoff import snapshot_at
from footprint.calendar import season_name, season_start_year
from footprint.frames import Snapshot
from models.rating.engine import rate
from models.rating.rules import load_rules
from models.recommend.dataset import dataset_from_snapshot
from models.recommend.planner import Goal, Plan, PlanConstraints, Planner, plan
from models.recommend.profile import direction_profile, item_directions

PLAN_COLUMNS = (
    "start",
    "end",
    "activity",
    "kind",
    "level",
    "format",
    "chance",
    "points",
    "gain",
    "reasons",
)


def example_plans(
    snapshot: Snapshot,
    plan_at: dt.datetime,
    n: int = 3,
    diploma: str = "prize_winner",
    seed: int = 0,
    ability_sample: int = 20_000,
    constraints: PlanConstraints | None = None,
) -> list[Plan]:
    """Plans made at ``plan_at`` for ``n`` participants of grades 7-10 with a footprint (seeded
    choice), each toward a ``diploma`` in the direction they are most active in.

    Raises :class:`EmptyInputError` when nobody has a footprint by ``plan_at``.
    """
    past = snapshot_at(snapshot, plan_at) if plan_at < snapshot.as_of else snapshot
    data = dataset_from_snapshot(
        past, plan_at, ability=True, ability_sample=ability_sample, seed=seed
    )
    # at school for the whole season (grades 7-10 at the planning instant), with a footprint
    grade = np.nan_to_num(data.grade, nan=0.0)
    rows = np.flatnonzero((data.history_counts() > 0) & (grade >= 7) & (grade <= 10))
    if not len(rows):
        raise EmptyInputError(
            f"no participant of grades 7-10 has a footprint by "
            f"{plan_at:%Y-%m-%d}: plan later in the snapshot"
        )
    rng = np.random.default_rng(seed)
    rows = np.sort(rng.choice(rows, min(n, len(rows)), replace=False))
    year = season_start_year(plan_at.date())
    current = rate(past, season_name(year), load_rules(None, season=season_name(year)))
    reference = rate(past, season_name(year - 1), load_rules(None, season=season_name(year - 1)))
    planner = Planner(data, current, reference)
    profile = direction_profile(data, rows, item_directions(data))
    horizon = dt.datetime(year + 1, 5, 31, 23, 59)
    plans = []
    for i, row in enumerate(rows):
        goal = Goal(direction=data.directions[int(np.argmax(profile[i]))], diploma=diploma)
        plans.append(plan(str(data.participant_ids[int(row)]), goal, horizon, constraints, planner))
    return plans


def plan_frame(p: Plan) -> pd.DataFrame:
    """One row per step: dates, title (``(прогноз)`` for projected editions), kind, level,
    format, chance of a good result, expected rating points and competence gain, reasons."""
    rows = [
        {
            "start": f"{s.start_at:%Y-%m-%d}",
            "end": f"{s.end_at:%Y-%m-%d}",
            "activity": s.title
            + (" (прогноз)" if s.projected else "")
            + (" [если пройдёт отбор]" if s.conditional else ""),
            "kind": s.kind,
            "level": s.level,
            "format": s.format,
            "chance": round(s.success_chance, 2),
            "points": round(s.expected_rating_points, 1),
            "gain": round(s.expected_competence_gain, 1),
            "reasons": s.reasons_ru,
        }
        for s in p.steps
    ]
    return pd.DataFrame(rows, columns=list(PLAN_COLUMNS))


def plan_text(p: Plan) -> str:
    """A plan as a few readable lines: the summary, then per step its dates, title, kind,
    level and format, the chance, points and gain, and the reasons on their own line."""
    needed = f" of {p.points_needed:.1f} needed" if p.points_needed is not None else ""
    lines = [
        p.summary_ru,
        f"competence now {p.competence_now:.0f}, expected after the plan "
        f"{p.expected_competence:.0f}; expected rating points "
        f"{p.expected_rating_points:.1f}{needed}",
    ]
    for i, row in enumerate(plan_frame(p).itertuples(index=False), start=1):
        lines.append(
            f"{i}. {row.start} - {row.end}  {row.activity} ({row.kind}, {row.level}, "
            f"{row.format}): chance {row.chance:.0%}, +{row.points} points, "
            f"+{row.gain} competence"
        )
        lines.append(f"   {row.reasons}")
    return "\n".join(lines)
