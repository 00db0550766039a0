"""What a step is expected to bring: chances of each result, competence gain, rule points.

The chance of each result comes from the ability scale (:mod:`models.recommend.ability`); the
competence gain is an explicit planning assumption (:func:`expected_gain`), not a fitted model;
rule points are the rating rules' points of each result before caps and best-N (the per-step
figure through the rating engine's what-if is :mod:`models.recommend.planner.whatif`).
"""

from __future__ import annotations

import numpy as np

from features.activity_stats import KINDS, LEVELS
from footprint.columns import Columns as C
from footprint.enums import ActivityKind, Result
from models.rating.codes import Diploma
from models.rating.columns import RatingColumns as RC
from models.rating.engine import RatingResult, UnknownParticipantError
from models.rating.whatif import what_if
from models.recommend.dataset import RecommendDataset
from models.recommend.planner.context import Planner
from models.recommend.planner.goals import Goal

COMPLETION_KINDS = (ActivityKind.ONLINE_COURSE.value, ActivityKind.TEST.value)
"""Kinds one completes rather than places in (courses and tests)."""
GAIN_RATE = 0.05
"""Assumed ability gain (logits) from one activity of weight 1 at a modest level that fits the
participant well; see :func:`expected_gain`."""
GAIN_WIDTH = 1.5
WIN, PRIZE, DONE = Result.WINNER.value, Result.PRIZE_WINNER.value, Result.COMPLETED.value
BASE = "base"
OUTCOMES = (WIN, PRIZE, DONE, BASE)
"""The outcomes a step's chances and points are given for (``base``: the usual result of its
kind: participant, finalist of a final, or not completed)."""
DIPLOMA_SHARE_OF_REFERENCE = {Diploma.WINNER.value: 60.0, Diploma.PRIZE_WINNER.value: 40.0}
"""Without a what-if gap, the share (%) of the reference raw points a diploma is assumed to need."""


def expected_gain(
    theta: np.ndarray, difficulty: np.ndarray, level: np.ndarray, weight: np.ndarray
) -> np.ndarray:
    """Assumed ability gain of a step: ``GAIN_RATE x (1 + level/4) x fit x weight``, where
    ``fit = exp(-(theta - difficulty)^2 / (2 x 1.5^2))``: one learns most from higher-level
    activities pitched near one's ability (the zone of proximal development). An explicit
    planning assumption, not a fitted model."""
    fit = np.exp(-((theta - difficulty) ** 2) / (2 * GAIN_WIDTH**2))
    return GAIN_RATE * (1 + np.maximum(level, 0) / 4) * fit * weight


def result_probs(at_least: np.ndarray, kind: np.ndarray) -> dict[str, np.ndarray]:
    """Chances of each result from P(category >= k): top category -> winner, the one below ->
    prize-winner (diploma kinds); upper half -> completed (courses and tests)."""
    k = at_least.shape[1]
    completion = np.isin(np.array(KINDS, dtype=object)[np.maximum(kind, 0)], COMPLETION_KINDS)
    top, second, half = at_least[:, k - 1], at_least[:, k - 2], at_least[:, k // 2 - 1]
    win = np.where(completion, 0.0, top)
    prize = np.where(completion, 0.0, second - top)
    done = np.where(completion, half, 0.0)
    return {WIN: win, PRIZE: prize, DONE: done, BASE: 1.0 - win - prize - done}


def points_table(
    dataset: RecommendDataset, src: np.ndarray, rating: RatingResult | None, d: int
) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """Rule points per result of each edition in direction ``d`` (quality at the median)."""
    cat = dataset.catalog
    n = len(src)
    weight = cat.weights[src, d]
    if rating is None:
        return {r: np.zeros(n) for r in OUTCOMES}, weight
    rules = rating.rules
    kinds = np.array(KINDS, dtype=object)[np.maximum(cat.kind[src], 0)]
    levels = np.array(LEVELS, dtype=object)[np.maximum(cat.level[src], 0)]
    base = np.array([rules.points.base[ActivityKind(k)] for k in kinds])
    level = np.array([rules.points.level[lv] for lv in levels])
    bonus = np.ones(n)
    for lvl, f in rules.points.list_bonus.by_level().items():
        bonus[cat.list_level[src] == lvl] = f
    quality = rules.quality.floor + rules.quality.slope * 0.5
    factor = base * level * bonus * quality * weight
    final = kinds == ActivityKind.OLYMPIAD_FINAL.value
    base_result = np.where(
        final, rules.points.result[Result.FINALIST], rules.points.result[Result.PARTICIPANT]
    )
    completed = np.where(
        np.isin(kinds, [k.value for k in rules.points.completed.kinds]),
        rules.points.result[Result.COMPLETED],
        rules.points.result[rules.points.completed.scored_as],
    )
    return {
        WIN: factor * rules.points.result[Result.WINNER],
        PRIZE: factor * rules.points.result[Result.PRIZE_WINNER],
        DONE: factor * completed,
        BASE: factor * base_result,
    }, weight


def points_needed(planner: Planner, participant_id: str, goal: Goal) -> float | None:
    """Raw points still needed for the goal diploma at the current (or reference) thresholds."""
    if goal.diploma is None:
        return None
    for rating in (planner.rating, planner.reference_rating):
        if rating is None:
            continue
        thr = rating.thresholds
        if thr.empty or goal.direction not in set(thr[C.DIRECTION].astype(str)):
            continue
        try:
            wi = what_if(rating, participant_id, goal.direction)
            gap = wi.to_winner if goal.diploma == Diploma.WINNER else wi.to_prize_winner
            raw_now = wi.raw_points if rating is planner.rating else 0.0
        except UnknownParticipantError:
            wi = None
            gap = None
            raw_now = 0.0
        if gap is None:
            cut = thr[thr[C.DIRECTION].astype(str) == goal.direction]
            r_ref = float(cut[RC.R_REF].iloc[0])
            return DIPLOMA_SHARE_OF_REFERENCE[goal.diploma] / 100.0 * r_ref
        if gap.reachable and gap.threshold_raw_points is not None:
            return max(0.0, gap.threshold_raw_points - raw_now)
        if gap.reachable and gap.points_needed is not None:
            return gap.points_needed
    return None
