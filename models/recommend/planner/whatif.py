"""Each step's expected rating points through the rating engine's what-if.

The rules' points of a result (:func:`models.recommend.planner.points.points_table`) ignore what
the participant already has: a step in a chain they already scored in, or past the best-N, adds
less. :func:`models.rating.whatif.what_if` scores hypothetical achievements after the
participant's current contributions, caps, chains and best-N, so the plan's points are what the
rating would really add.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import numpy as np

from features.activity_stats import KINDS, LEVELS
from footprint.enums import ActivityKind, Result
from models.rating.engine import UnknownParticipantError
from models.rating.whatif import HypotheticalAchievement, what_if
from models.recommend.dataset import RecommendDataset
from models.recommend.planner.context import Planner
from models.recommend.planner.goals import Goal
from models.recommend.planner.points import COMPLETION_KINDS, DONE, PRIZE, WIN
from models.recommend.planner.projection import PlanCatalog


def whatif_points(
    planner: Planner,
    participant_id: str,
    goal: Goal,
    data: RecommendDataset,
    pc: PlanCatalog,
    src: np.ndarray,
    idx: Sequence[int],
    probs: dict[str, np.ndarray],
    exp_points: np.ndarray,
) -> list[float]:
    """Expected rating points of each step through the rating engine's what-if.

    Each step enters as two hypothetical achievements (its most likely good result and its
    usual base result), scored alone after the participant's current contributions, caps,
    chains and best-N; the step's figure is their chance-weighted sum. Without a current rating
    (or for a participant it does not know) the rules' points before selection are used.
    """
    rating = planner.rating
    if rating is None or not idx or goal.direction not in rating.directions:
        return [float(exp_points[i]) for i in idx]
    cat = data.catalog
    hyps: list[HypotheticalAchievement] = []
    weights: list[tuple[float, float]] = []
    for i in idx:
        s = int(src[i])
        kind = ActivityKind(KINDS[cat.kind[s]])
        completion = kind.value in COMPLETION_KINDS
        good = Result.COMPLETED if completion else Result.PRIZE_WINNER
        base = (
            Result.NOT_COMPLETED
            if completion
            else (Result.FINALIST if kind == ActivityKind.OLYMPIAD_FINAL else Result.PARTICIPANT)
        )
        p_good = float(probs[DONE][i] if completion else probs[WIN][i] + probs[PRIZE][i])
        common = {
            "kind": kind,
            "level": LEVELS[cat.level[s]],
            "direction_weight": float(cat.weights[s, data.directions.index(goal.direction)])
            or None,
            "olympiad_list_level": int(cat.list_level[s]) or None,
            "achieved_at": pc.end[i].astype("datetime64[us]").astype(dt.datetime),
        }
        hyps.append(HypotheticalAchievement(result=good, **common))
        hyps.append(HypotheticalAchievement(result=base, **common))
        weights.append((p_good, 1.0 - p_good))
    try:
        wi = what_if(rating, participant_id, goal.direction, hyps)
    except UnknownParticipantError:
        return [float(exp_points[i]) for i in idx]
    out = []
    for k in range(len(idx)):
        a, b = wi.outcomes[2 * k], wi.outcomes[2 * k + 1]
        out.append(weights[k][0] * a.points_added + weights[k][1] * b.points_added)
    return out
