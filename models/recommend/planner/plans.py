"""What a plan request may constrain and what a plan answers: pydantic models, the API's shapes.

A step's ``registration_deadline`` is None when the activity has none: such an activity is open
until it starts (see :mod:`models.recommend.planner.deadlines`).
"""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, ConfigDict, Field

from models.recommend.planner.goals import Goal


class PlanConstraints(BaseModel):
    """What a plan must respect, and how hard the search looks."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    monthly_cap: int = Field(default=2, ge=1, le=10)
    """Steps that may touch one calendar month."""
    max_steps: int = Field(default=8, ge=1, le=20)
    online_only: bool = False
    regions: tuple[str, ...] | None = None
    project: bool = True
    """Include projected editions of recurring series."""
    beam_width: int = Field(default=12, ge=1, le=200)
    step_cost: float = Field(default=0.15, ge=0)
    """Value units a step must add to be worth its time."""
    min_weight: float = Field(default=0.3, gt=0, le=1)
    """Weight of the goal direction an activity needs to be a candidate."""


class PlanStep(BaseModel):
    """One dated step of a plan."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    activity_id: str
    series_id: str
    title: str
    kind: str
    level: str
    format: str
    region: str | None
    start_at: dt.datetime
    end_at: dt.datetime
    registration_deadline: dt.datetime | None
    """None: the activity announces no deadline and is open until its start."""
    projected: bool
    conditional: bool
    after_step: str | None
    """The selection stage this step depends on (its activity id), if any."""
    success_chance: float
    expected_rating_points: float
    expected_competence_gain: float
    reason_codes: list[str]
    reasons_ru: str


class Plan(BaseModel):
    """A trajectory: dated steps and what following it is expected to bring."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    participant_id: str
    goal: Goal
    as_of: dt.datetime
    horizon_end: dt.datetime
    steps: list[PlanStep]
    competence_now: float
    expected_competence: float
    expected_rating_points: float
    points_needed: float | None
    goal_expected_reached: bool
    summary_ru: str
