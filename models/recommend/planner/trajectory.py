"""The season trajectory planner: a beam search over feasible dated sequences toward a goal.

``plan(participant_id, goal, horizon, constraints, planner)`` returns dated steps to the end of
the season (or a given date). Candidates are the activities open to the participant now (the
shared feasibility filter) and projected editions of recurring series
(:mod:`models.recommend.planner.projection`). A sequence is feasible when its steps do not
overlap, every registration is still open (an activity without a deadline is open until it
starts, :mod:`models.recommend.planner.deadlines`), no month holds more than ``monthly_cap``
steps, a stage fed by selection follows a step on its feeding stage (or the participant already
qualified) and is marked conditional, and format / region constraints hold. The search
(:mod:`models.recommend.planner.search`) keeps the ``beam_width`` best partial sequences at each
length (value = expected progress toward the goal, minus a small cost per step, with
diminishing value past what the goal needs) and returns the best sequence of any length; it is
not a sorted list cut into dates.

For each step: the chance of a good result (:mod:`models.recommend.ability`), the expected
competence gain (an explicit assumption, :func:`~models.recommend.planner.points.expected_gain`),
and the expected rating points through the rating engine's what-if
(:mod:`models.recommend.planner.whatif`).
"""

from __future__ import annotations

import datetime as dt

import numpy as np

from core.errors import ConfigError, TalentError
from footprint.calendar import season_bounds, season_start_year
from models.recommend.planner.candidates import plan_candidates
from models.recommend.planner.context import Planner
from models.recommend.planner.goals import Goal
from models.recommend.planner.plans import Plan, PlanConstraints
from models.recommend.planner.points import (
    expected_gain,
    points_needed,
    points_table,
    result_probs,
)
from models.recommend.planner.search import best_sequence
from models.recommend.planner.steps import plan_steps, summary_ru


def plan(
    participant_id: str,
    goal: Goal,
    horizon: dt.datetime | None = None,
    constraints: PlanConstraints | None = None,
    planner: Planner | None = None,
    as_of: dt.datetime | None = None,
) -> Plan:
    """Plan a dated trajectory toward ``goal`` for one participant.

    Parameters
    ----------
    participant_id
        External id (a participant unknown to the dataset is planned for as a newcomer).
    goal
        Direction and target (competence level or diploma).
    horizon
        Last instant a step may end; the end of the current season (31 May) when None.
    constraints
        Workload cap, format / region limits, search width.
    planner
        Prepared data (:class:`Planner`); required.
    as_of
        Planning instant; the dataset's cut-off when None.

    Returns
    -------
    Plan
        Steps in date order with reasons, expected gains and points; empty steps when nothing
        feasible helps.
    """
    if planner is None:
        raise TalentError("plan() needs a Planner (dataset with abilities, ratings)")
    cons = constraints or PlanConstraints()
    data = planner.dataset
    if data.ability is None:
        raise TalentError("the planner needs abilities: build the dataset with ability=True")
    if goal.direction not in data.directions:
        raise ConfigError(
            f"unknown direction {goal.direction!r}; known: {', '.join(data.directions)}"
        )
    as_of = as_of or data.as_of
    if as_of is None:
        raise TalentError("the planner needs a dated dataset")
    season = season_start_year(as_of.date())
    horizon = horizon or dt.datetime.combine(season_bounds(season)[1], dt.time(23, 59))
    d = data.directions.index(goal.direction)
    pc, src = planner.catalog(as_of, horizon, cons.project)
    row = int(data.rows([participant_id])[0])
    rules = planner.rules_for(cons)
    cand = plan_candidates(data, pc, src, row, d, as_of, rules, cons)
    scale = data.ability
    theta = (
        scale.ability_for(data.participant_ids[[max(row, 0)]])[0]
        if row >= 0
        else np.zeros(len(data.directions))
    )
    theta = np.nan_to_num(theta)
    competence_now = float(scale.percentile(d, np.array([theta[d]]))[0])
    s_act = scale.activity_ids.get_indexer(data.catalog.activity_ids[src])
    ok_scale = s_act >= 0
    weights = data.catalog.weights[src]
    at_least = np.zeros(
        (len(src), scale.thresholds.shape[1] if scale.thresholds is not None else 5)
    )
    if ok_scale.any():
        at_least[ok_scale] = scale.at_least(
            np.repeat(theta[None, :], int(ok_scale.sum()), 0), s_act[ok_scale], weights[ok_scale]
        )
    probs = result_probs(at_least, data.catalog.kind[src])
    rating = planner.rating
    points, weight = points_table(data, src, rating or planner.reference_rating, d)
    exp_points = sum(probs[r] * points[r] for r in probs)
    diff = np.where(ok_scale, scale.difficulty[np.maximum(s_act, 0), d], theta[d])
    gain = expected_gain(theta[d], diff, data.catalog.level[src].astype(float), weight)
    gain_pct = scale.percentile(d, np.array([theta[d]]) + gain) - competence_now
    needed = points_needed(planner, participant_id, goal)
    if goal.diploma is not None:
        value = exp_points
        need = needed if needed is not None else float("inf")
    else:
        value = gain_pct
        need = max(0.0, (goal.competence or 0.0) - competence_now)
    best = best_sequence(cand, value, need, cons)
    steps = plan_steps(
        data,
        pc,
        src,
        cand,
        best,
        probs,
        exp_points,
        gain_pct,
        planner,
        participant_id,
        goal,
        d,
        at_least,
    )
    total_points = float(sum(s.expected_rating_points for s in steps))
    total_gain = float(sum(s.expected_competence_gain for s in steps))
    expected = min(100.0, competence_now + total_gain)
    reached = (
        total_points >= (needed if needed is not None else float("inf"))
        if goal.diploma
        else expected >= (goal.competence or 0.0)
    )
    return Plan(
        participant_id=participant_id,
        goal=goal,
        as_of=as_of,
        horizon_end=horizon,
        steps=steps,
        competence_now=round(competence_now, 2),
        expected_competence=round(expected, 2),
        expected_rating_points=round(total_points, 3),
        points_needed=None if needed is None else round(needed, 3),
        goal_expected_reached=bool(reached),
        summary_ru=summary_ru(steps, goal, reached, season),
    )
