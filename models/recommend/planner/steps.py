"""A plan's steps as the participant reads them: dates, chances, expected points and gain,
reasons with stable codes and Russian text, and the plan's summary."""

from __future__ import annotations

import datetime as dt

import numpy as np

from features.activity_stats import KINDS, LEVELS
from footprint.calendar import season_name, season_start_year
from models.recommend.codes import ReasonCode
from models.recommend.dataset import RecommendDataset
from models.recommend.planner.candidates import Candidates
from models.recommend.planner.context import Planner
from models.recommend.planner.goals import Goal
from models.recommend.planner.plans import PlanStep
from models.recommend.planner.projection import PlanCatalog
from models.recommend.planner.whatif import whatif_points
from models.recommend.reasons import _text, chance_reason, direction_title, reason


def plan_steps(
    data: RecommendDataset,
    pc: PlanCatalog,
    src: np.ndarray,
    cand: Candidates,
    chosen: list[int],
    probs: dict[str, np.ndarray],
    exp_points: np.ndarray,
    gain: np.ndarray,
    planner: Planner,
    participant_id: str,
    goal: Goal,
    d: int,
    at_least: np.ndarray,
) -> list[PlanStep]:
    """The chosen candidates as dated steps, with chances, expected points and gain, and
    reasons (codes and Russian text)."""
    cat = data.catalog
    idx = [int(cand.idx[p]) for p in chosen]
    rating_points = whatif_points(
        planner, participant_id, goal, data, pc, src, idx, probs, exp_points
    )
    steps = []
    chosen_ids = {int(i) for i in idx}
    title_d = direction_title(goal.direction)
    for k, (p, i) in enumerate(zip(chosen, idx, strict=True)):
        s = int(src[i])
        feeder = next((int(f) for f in pc.feeders[i] if int(f) in chosen_ids), None)
        conditional = bool(len(pc.feeders[i]) and not cand.qualified[p])
        success = float(at_least[i, at_least.shape[1] // 2 - 1])
        reasons = [reason(ReasonCode.GOAL_DIRECTION, direction_title=title_d)]
        nxt = next((j for j in idx if i in set(pc.feeders[j].tolist())), None)
        if nxt is not None:
            reasons.append(reason(ReasonCode.SELECTION_STEP, next_title=str(cat.title[src[nxt]])))
        if conditional and feeder is not None:
            reasons.append(
                reason(
                    ReasonCode.CONDITIONAL_ON_QUALIFYING, stage_title=str(cat.title[src[feeder]])
                )
            )
        reasons.append(chance_reason(success))
        if rating_points[k] > 0:
            reasons.append(reason(ReasonCode.RATING_POINTS, points=f"{rating_points[k]:.1f}"))
        if gain[i] > 0.05:
            reasons.append(reason(ReasonCode.COMPETENCE_GAIN, gain=f"{gain[i]:.1f}"))
        if pc.projected[i]:
            reasons.append(reason(ReasonCode.PROJECTED_DATES))
        reasons.append(reason(ReasonCode.FITS_CALENDAR))
        key = tuple(reasons)
        steps.append(
            PlanStep(
                activity_id=str(pc.ids[i]),
                series_id=str(data.item_ids[pc.item[i]]),
                title=step_title(str(cat.title[s]), bool(pc.projected[i]), pc.as_of),
                kind=KINDS[cat.kind[s]] if cat.kind[s] >= 0 else "",
                level=LEVELS[cat.level[s]] if cat.level[s] >= 0 else "",
                format="offline" if cat.offline[s] else "online",
                region=None if cat.region[s] is None else str(cat.region[s]),
                start_at=_as_datetime(pc.start[i]),
                end_at=_as_datetime(pc.end[i]),
                registration_deadline=_instant(pc.deadline[i]),
                projected=bool(pc.projected[i]),
                conditional=conditional,
                after_step=None if feeder is None else str(pc.ids[feeder]),
                success_chance=round(success, 4),
                expected_rating_points=round(rating_points[k], 4),
                expected_competence_gain=round(float(gain[i]), 4),
                reason_codes=[c.value for c, _ in key],
                reasons_ru=_text(key),
            )
        )
    return steps


def step_title(title: str, projected: bool, as_of: dt.datetime) -> str:
    """A projected edition's title names the planned season, not the copied one."""
    if not projected:
        return title
    head, sep, tail = title.rpartition(", ")
    if sep and "/" in tail:
        return f"{head}, {season_name(season_start_year(as_of.date()))}"
    return title


def summary_ru(steps: list[PlanStep], goal: Goal, reached: bool, season: int) -> str:
    """The plan's one-line Russian summary."""
    target = goal.target_ru()
    if not steps:
        return (
            f"В сезоне {season_name(season)} не нашлось доступных шагов к цели "
            f"({target}, направление «{direction_title(goal.direction)}»)."
        )
    verdict = (
        "ожидается, что цель будет достигнута" if reached else "цель потребует и других усилий"
    )
    return (
        f"План на сезон {season_name(season)}: {len(steps)} шаг(ов) к цели ({target}, "
        f"направление «{direction_title(goal.direction)}»); {verdict}."
    )


def _as_datetime(value: np.datetime64) -> dt.datetime:
    out: dt.datetime = value.astype("datetime64[us]").astype(dt.datetime)
    return out


def _instant(value: np.datetime64) -> dt.datetime | None:
    """A catalogue date as a datetime; None for NaT (no deadline: open until the start)."""
    return None if np.isnat(value) else _as_datetime(value)
