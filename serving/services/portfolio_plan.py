"""The planned trajectory a portfolio shows: the participant's plan toward their goal.

The goal is the participant's own, passed by the platform (``goal=python:prize_winner``); the
plan is :meth:`RecommendService.plan <serving.services.recommend.RecommendService.plan>` on the
live store, the same answer as ``POST /v1/participants/{id}/trajectory``. When the platform
names no goal, the portfolio plans toward the next competence band in the participant's
strongest verified direction (the band above their estimate, from the bands data file; a
winner's diploma once the top band is reached), and says the goal was chosen that way. Without
a served recommender (or a competence estimate to pick a default from) the portfolio has no
trajectory and says so; a plan is a forecast, never a verified item.
"""

from __future__ import annotations

from typing import Any

from models.rating.codes import Diploma
from models.recommend.planner import Goal, Plan, PlanConstraints, goal_bands
from serving.errors import InvalidInputError, NotReadyError
from serving.services.recommend import RecommendService


def default_goal(estimates: list[dict[str, Any]]) -> str | None:
    """``direction:band`` one band above the strongest verified estimate, or ``direction:winner``
    from the top band; None without an estimate."""
    rated = [e for e in estimates if e.get("competence") is not None]
    if not rated:
        return None
    best = max(rated, key=lambda e: (float(e["competence"]), str(e["direction"])))
    above = [code for code, lower in goal_bands().items() if lower > float(best["competence"])]
    return f"{best['direction']}:{above[0] if above else Diploma.WINNER.value}"


def _day(value: Any) -> str | None:
    return None if value is None else value.date().isoformat()


def trajectory_section(plan: Plan, goal: str, chosen_by: str, model_version: str) -> dict[str, Any]:
    """The plan as the portfolio shows (and an export signs) it: JSON-ready, dates as days."""
    return {
        "goal": goal,
        "goal_ru": Goal.parse(goal).target_ru(),
        "direction": plan.goal.direction,
        "chosen_by": chosen_by,
        "as_of": plan.as_of.replace(microsecond=0).isoformat() + "Z",
        "horizon_end": _day(plan.horizon_end),
        "competence_now": plan.competence_now,
        "expected_competence": plan.expected_competence,
        "expected_rating_points": plan.expected_rating_points,
        "goal_expected_reached": plan.goal_expected_reached,
        "summary_ru": plan.summary_ru,
        "model_version": model_version,
        "steps": [
            {
                "activity_id": s.activity_id,
                "title": s.title,
                "kind": s.kind,
                "level": s.level,
                "format": s.format,
                "start_at": _day(s.start_at),
                "end_at": _day(s.end_at),
                "registration_deadline": _day(s.registration_deadline),
                "projected": s.projected,
                "conditional": s.conditional,
                "success_chance": round(s.success_chance, 2),
                "expected_competence_gain": round(s.expected_competence_gain, 2),
                "expected_rating_points": round(s.expected_rating_points, 2),
                "reasons_ru": s.reasons_ru,
            }
            for s in plan.steps
        ],
    }


def planned_trajectory(
    recommend: RecommendService,
    participant_id: str,
    goal: str | None,
    estimates: list[dict[str, Any]],
) -> dict[str, Any] | None:
    """The portfolio's trajectory section, or None when nothing can be planned.

    Raises
    ------
    InvalidInputError
        ``goal`` is malformed or names an unknown direction (``field``: the query's ``goal``).
    """
    chosen_by = "participant" if goal else "default"
    target = goal or default_goal(estimates)
    if target is None:
        return None
    try:
        loaded, plan = recommend.plan(
            participant_id, target, horizon=None, constraints=PlanConstraints()
        )
    except NotReadyError:
        return None
    except InvalidInputError as exc:
        if not goal:  # a default goal the recommender cannot plan (a direction it lacks)
            return None
        raise InvalidInputError(str(exc), ("query", "goal")) from exc
    return trajectory_section(plan, target, chosen_by, loaded.version)
