"""An independent check of a plan against every rule the search promised to respect."""

from __future__ import annotations

import numpy as np
import pandas as pd

from features.cutoff import as_micros
from models.recommend.feasibility import Violation, feasible
from models.recommend.planner.candidates import months_touched
from models.recommend.planner.context import Planner
from models.recommend.planner.deadlines import registration_open
from models.recommend.planner.plans import Plan, PlanConstraints


def audit(
    plan_: Plan, planner: Planner, constraints: PlanConstraints | None = None
) -> list[tuple[str, str]]:
    """Every rule a plan breaks, as ``(activity_id, violation code)``; empty when feasible.

    Checks what the search promised, independently of it: real steps pass the shared
    feasibility filter at the plan's instant (conditional allowed only for selection stages),
    steps end by the horizon, do not overlap, respect the monthly cap, registration is still
    open (until the deadline, or until the start when there is none), and a conditional step
    comes after a step on its feeding stage.
    """
    cons = constraints or PlanConstraints()
    data = planner.dataset
    out: list[tuple[str, str]] = []
    t = as_micros(plan_.as_of)
    rules = planner.rules_for(cons)
    row = data.rows([plan_.participant_id])
    load: dict[int, int] = {}
    prev_end: np.datetime64 | None = None
    seen: set[str] = set()
    for s in plan_.steps:
        start, end = np.datetime64(s.start_at, "us"), np.datetime64(s.end_at, "us")
        deadline = np.datetime64(s.registration_deadline or "NaT", "us")
        if not registration_open(np.array([deadline]), np.array([start]), t)[0]:
            out.append((s.activity_id, Violation.NOT_OPEN.value))
        if end > np.datetime64(plan_.horizon_end, "us"):
            out.append((s.activity_id, Violation.HORIZON.value))
        if prev_end is not None and start <= prev_end:
            out.append((s.activity_id, Violation.OVERLAP.value))
        prev_end = end
        for m in months_touched(start, end):
            load[m] = load.get(m, 0) + 1
            if load[m] > cons.monthly_cap:
                out.append((s.activity_id, Violation.WORKLOAD.value))
        if cons.online_only and s.format == "offline":
            out.append((s.activity_id, Violation.REGION.value))
        if not s.projected:
            a = data.catalog.activity_ids.get_indexer(pd.Index([s.activity_id]))
            f = feasible(data, row, a, plan_.as_of, rules)
            if not f.feasible[0, 0]:
                out.append((s.activity_id, Violation.NOT_OPEN.value))
            elif f.conditional[0, 0] and s.after_step is None:
                out.append((s.activity_id, Violation.SELECTION.value))
        if s.conditional and (s.after_step is None or s.after_step not in seen):
            out.append((s.activity_id, Violation.ORDER.value))
        seen.add(s.activity_id)
    return out
