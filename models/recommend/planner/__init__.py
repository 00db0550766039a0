"""The season trajectory planner, one job per module.

- :mod:`~models.recommend.planner.goals`: what a plan aims at (competence band from the bands
  data file, a 0-100 value, or a diploma of the rating);
- :mod:`~models.recommend.planner.plans`: the request constraints and the plan's shapes;
- :mod:`~models.recommend.planner.context`: :class:`Planner`, the data plans are made from
  (a training snapshot's dataset or the live store's);
- :mod:`~models.recommend.planner.projection`: the plan catalogue, with projected editions;
- :mod:`~models.recommend.planner.deadlines`: an activity without a registration deadline is
  open until it starts;
- :mod:`~models.recommend.planner.candidates`: editions open to one participant;
- :mod:`~models.recommend.planner.points`: chances, competence gain, rule points, points needed;
- :mod:`~models.recommend.planner.whatif`: each step's rating points through the what-if;
- :mod:`~models.recommend.planner.search`: the beam search;
- :mod:`~models.recommend.planner.steps`: steps with reasons, and the summary;
- :mod:`~models.recommend.planner.trajectory`: :func:`plan`, which joins them;
- :mod:`~models.recommend.planner.audit`: :func:`audit`, an independent check of a plan.
"""

from __future__ import annotations

from models.recommend.planner.audit import audit
from models.recommend.planner.candidates import Candidates, months_touched, plan_candidates
from models.recommend.planner.context import Planner
from models.recommend.planner.goals import DIPLOMAS, Goal, goal_bands
from models.recommend.planner.plans import Plan, PlanConstraints, PlanStep
from models.recommend.planner.points import COMPLETION_KINDS, GAIN_RATE, expected_gain
from models.recommend.planner.trajectory import plan

__all__ = [
    "COMPLETION_KINDS",
    "DIPLOMAS",
    "GAIN_RATE",
    "Candidates",
    "Goal",
    "Plan",
    "PlanConstraints",
    "PlanStep",
    "Planner",
    "audit",
    "expected_gain",
    "goal_bands",
    "months_touched",
    "plan",
    "plan_candidates",
]
