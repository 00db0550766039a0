"""Plan candidates: the editions of the plan catalogue open to one participant in the goal
direction, with what the search needs of them (dates, months touched, feeding stages).

Real editions pass the shared feasibility filter (:func:`models.recommend.feasibility.feasible`)
at the planning instant; projected editions (:mod:`models.recommend.planner.projection`) pass
the same grade and place rules with the grade moved up by the seasons between the copied edition
and the plan. An edition without a registration deadline is open until its start
(:mod:`models.recommend.planner.deadlines`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np

from features.activity_stats import LEVELS
from footprint.calendar import season_start_year
from models.recommend.dataset import RecommendDataset
from models.recommend.feasibility import FeasibilityRules, feasible
from models.recommend.planner.plans import PlanConstraints
from models.recommend.planner.projection import PlanCatalog


@dataclass
class Candidates:
    """Plan candidates (positions into the plan catalogue) and what the search needs of them."""

    idx: np.ndarray
    start: np.ndarray
    end: np.ndarray
    months: list[tuple[int, ...]]
    feeders: list[np.ndarray]
    conditional: np.ndarray
    qualified: np.ndarray
    chain: np.ndarray


def months_touched(start: np.datetime64, end: np.datetime64) -> tuple[int, ...]:
    """Calendar months (as month numbers since 1970) a step from ``start`` to ``end`` touches."""
    a = int(start.astype("datetime64[M]").astype(np.int64))
    b = int(end.astype("datetime64[M]").astype(np.int64))
    return tuple(range(a, b + 1))


def plan_candidates(
    data: RecommendDataset,
    pc: PlanCatalog,
    src: np.ndarray,
    row: int,
    d: int,
    as_of: dt.datetime,
    rules: FeasibilityRules,
    cons: PlanConstraints,
) -> Candidates:
    """Editions of the plan catalogue open to the participant, in the goal direction, sorted by
    start; with their feeders and whether the participant already qualified for them.

    A selection stage the participant has not qualified for is a candidate only when one of its
    feeding stages is in the plan catalogue (so a step on it can come first); one whose feeding
    stage is already under way is left out.
    """
    cat = data.catalog
    n = len(pc)
    rows = np.array([row])
    ok = np.zeros(n, bool)
    cond = np.zeros(n, bool)
    qualified = np.zeros(n, bool)
    real = np.flatnonzero(~pc.projected)
    if len(real):
        f = feasible(data, rows, pc.real[real], as_of, rules)
        # a stage one may still qualify for, but only through a feeding stage the plan cannot
        # hold (it is under way or closed for registration), waits on a result the planner
        # knows nothing of (not even whether the participant entered): not planned
        fed_in_plan = np.array([len(pc.feeders[i]) > 0 for i in real], dtype=bool)
        ok[real] = f.feasible[0] & (~f.conditional[0] | fed_in_plan)
        cond[real] = f.conditional[0] & ok[real]
        qualified[real] = (
            f.feasible[0] & ~f.conditional[0] & np.array([len(pc.feeders[i]) > 0 for i in real])
        )
    proj = np.flatnonzero(pc.projected)
    if len(proj):
        s = src[proj]
        grade = data.grade[row] if row >= 0 else np.nan
        g_ok = np.isnan(grade) | (
            (cat.grade_min[s] <= grade + season_shift(pc, data, s))
            & (grade + season_shift(pc, data, s) <= cat.grade_max[s])
        )
        region = data.region[row] if row >= 0 else None
        travel = np.isin(cat.level[s], [LEVELS.index(lv.value) for lv in rules.travel_levels])
        place_ok = ~cat.offline[s] | ((region is not None) & (cat.region[s] == region)) | travel
        if rules.regions is not None:
            place_ok = ~cat.offline[s] | np.isin(cat.region[s], list(rules.regions))
        if rules.online_only:
            place_ok = ~cat.offline[s]
        ok[proj] = g_ok & place_ok
        cond[proj] = ok[proj] & np.array([len(pc.feeders[i]) > 0 for i in proj])
    ok &= cat.weights[src, d] >= cons.min_weight
    idx = np.flatnonzero(ok)
    idx = idx[np.lexsort((pc.ids[idx].astype(str), pc.start[idx]))]
    feeding = {int(f) for j in idx.tolist() for f in pc.feeders[j].tolist()}
    chain = np.array([len(pc.feeders[i]) > 0 or i in feeding for i in idx.tolist()], dtype=bool)
    return Candidates(
        idx=idx,
        start=pc.start[idx],
        end=pc.end[idx],
        months=[months_touched(pc.start[i], pc.end[i]) for i in idx],
        feeders=[pc.feeders[i] for i in idx],
        conditional=cond[idx],
        qualified=qualified[idx],
        chain=chain,
    )


def season_shift(pc: PlanCatalog, data: RecommendDataset, src: np.ndarray) -> np.ndarray:
    """Seasons between the copied edition and the plan (grades move up by as much)."""
    seasons = season_start_year(pc.as_of.date())
    start = data.catalog.start[src].astype("datetime64[M]").astype(np.int64)
    year, month = start // 12 + 1970, start % 12 + 1
    return seasons - np.where(month >= 6, year, year - 1)
