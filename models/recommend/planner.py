"""The season trajectory planner: a beam search over feasible dated sequences toward a goal.

``plan(participant_id, goal, horizon, constraints, planner)`` returns dated steps to the end of
the season (or a given date). Candidates are the activities open to the participant now (the
shared feasibility filter) and projected editions of recurring series
(:mod:`models.recommend.projection`). A sequence is feasible when its steps do not overlap,
every registration deadline is still ahead, no month holds more than ``monthly_cap`` steps, a
stage fed by selection follows a step on its feeding stage (or the participant already
qualified) and is marked conditional, and format / region constraints hold. The search keeps the
``beam_width`` best partial sequences at each length (value = expected progress toward the goal,
minus a small cost per step, with diminishing value past what the goal needs) and returns the
best sequence of any length; it is not a sorted list cut into dates.

For each step: the chance of a good result (:mod:`models.recommend.ability`), the expected
competence gain (an explicit assumption, :func:`expected_gain`), and the expected rating points
through the rating engine's what-if (each step's hypothetical achievements at its likely results,
weighted by their chances, after the rules' caps, chains and best-N).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_validator

from features.activity_stats import KINDS, LEVELS
from features.cutoff import as_micros
from footprint.calendar import season_bounds, season_name, season_start_year
from footprint.enums import ActivityKind, Result
from footprint.errors import ConfigError, TalentError
from models.rating.engine import RatingResult, UnknownParticipantError
from models.rating.whatif import HypotheticalAchievement, what_if
from models.recommend.codes import ReasonCode
from models.recommend.dataset import RecommendDataset
from models.recommend.feasibility import FeasibilityRules, Violation, feasible
from models.recommend.projection import PlanCatalog, plan_catalog, source_index
from models.recommend.reasons import _text, chance_reason, direction_title, reason

COMPLETION_KINDS = (ActivityKind.ONLINE_COURSE.value, ActivityKind.TEST.value)
BANDS: dict[str, float] = {
    "starting": 0,
    "basic": 25,
    "confident": 50,
    "advanced": 75,
    "outstanding": 95,
}
"""Lower bounds of the competence level bands (models/competence/data/bands.toml)."""
DIPLOMAS = ("prize_winner", "winner")
GAIN_RATE = 0.05
"""Assumed ability gain (logits) from one activity of weight 1 at a modest level that fits the
participant well; see :func:`expected_gain`."""
GAIN_WIDTH = 1.5


class Goal(BaseModel):
    """A direction and a target: a competence band or 0-100 value, or a diploma."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    direction: str
    competence: float | None = Field(default=None, ge=0, le=100)
    diploma: str | None = None

    @model_validator(mode="after")
    def _one_target(self) -> Goal:
        if (self.competence is None) == (self.diploma is None):
            raise ValueError("give exactly one of competence or diploma")
        if self.diploma is not None and self.diploma not in DIPLOMAS:
            raise ValueError(f"diploma must be one of {DIPLOMAS}")
        return self

    @classmethod
    def parse(cls, text: str) -> Goal:
        """``python:advanced``, ``python:70`` or ``python:prize_winner``."""
        direction, sep, level = text.partition(":")
        if not sep or not direction or not level:
            raise ConfigError(
                f"goal {text!r} is not DIRECTION:LEVEL (e.g. python:advanced, "
                "robotics:prize_winner, engineering:70)"
            )
        if level in DIPLOMAS:
            return cls(direction=direction, diploma=level)
        if level in BANDS:
            return cls(direction=direction, competence=BANDS[level])
        try:
            return cls(direction=direction, competence=float(level))
        except ValueError:
            raise ConfigError(
                f"unknown goal level {level!r}; use a band "
                f"({', '.join(BANDS)}), a diploma ({', '.join(DIPLOMAS)}) "
                "or a number 0-100"
            ) from None


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
    registration_deadline: dt.datetime | None  # optional in the data model: open until the start
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


@dataclass(frozen=True)
class Planner:
    """Everything plans are made from, prepared once: the dataset (with abilities), the rating
    of the season so far (for what-ifs) and the rating used for diploma thresholds (the current
    one, or the previous season's as a forecast early in a season)."""

    dataset: RecommendDataset
    rating: RatingResult | None = None
    reference_rating: RatingResult | None = None
    rules: FeasibilityRules = field(default_factory=FeasibilityRules)
    _catalogs: dict[tuple[object, ...], tuple[PlanCatalog, np.ndarray]] = field(
        default_factory=dict, repr=False, compare=False
    )

    def catalog(
        self, as_of: dt.datetime, horizon: dt.datetime, project: bool
    ) -> tuple[PlanCatalog, np.ndarray]:
        """The plan catalogue and its source editions (the same for every participant: cached)."""
        key = (as_of, horizon, project)
        if key not in self._catalogs:
            pc = plan_catalog(self.dataset, as_of, horizon, project=project)
            self._catalogs[key] = (pc, source_index(pc, self.dataset))
        return self._catalogs[key]


@dataclass
class Candidates:
    """Plan candidates (positions into the plan catalogue) and what the search needs of them."""

    idx: np.ndarray
    start: np.ndarray
    end: np.ndarray
    months: list[tuple[int, ...]]
    value: np.ndarray
    feeders: list[np.ndarray]
    conditional: np.ndarray
    qualified: np.ndarray
    chain: np.ndarray


def expected_gain(
    theta: np.ndarray, difficulty: np.ndarray, level: np.ndarray, weight: np.ndarray
) -> np.ndarray:
    """Assumed ability gain of a step: ``GAIN_RATE x (1 + level/4) x fit x weight``, where
    ``fit = exp(-(theta - difficulty)^2 / (2 x 1.5^2))``: one learns most from higher-level
    activities pitched near one's ability (the zone of proximal development). An explicit
    planning assumption, not a fitted model."""
    fit = np.exp(-((theta - difficulty) ** 2) / (2 * GAIN_WIDTH**2))
    return GAIN_RATE * (1 + np.maximum(level, 0) / 4) * fit * weight


def months_touched(start: np.datetime64, end: np.datetime64) -> tuple[int, ...]:
    """Calendar months (as month numbers since 1970) a step from ``start`` to ``end`` touches."""
    a = int(start.astype("datetime64[M]").astype(np.int64))
    b = int(end.astype("datetime64[M]").astype(np.int64))
    return tuple(range(a, b + 1))


def _result_probs(at_least: np.ndarray, kind: np.ndarray) -> dict[str, np.ndarray]:
    """Chances of each result from P(category >= k): top category -> winner, the one below ->
    prize-winner (diploma kinds); upper half -> completed (courses and tests)."""
    k = at_least.shape[1]
    completion = np.isin(np.array(KINDS, dtype=object)[np.maximum(kind, 0)], COMPLETION_KINDS)
    top, second, half = at_least[:, k - 1], at_least[:, k - 2], at_least[:, k // 2 - 1]
    win = np.where(completion, 0.0, top)
    prize = np.where(completion, 0.0, second - top)
    done = np.where(completion, half, 0.0)
    return {
        "winner": win,
        "prize_winner": prize,
        "completed": done,
        "base": 1.0 - win - prize - done,
    }


def _points_table(
    dataset: RecommendDataset, src: np.ndarray, rating: RatingResult | None, d: int
) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """Rule points per result of each edition in direction ``d`` (quality at the median)."""
    cat = dataset.catalog
    n = len(src)
    weight = cat.weights[src, d]
    if rating is None:
        return {r: np.zeros(n) for r in ("winner", "prize_winner", "completed", "base")}, weight
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
        "winner": factor * rules.points.result[Result.WINNER],
        "prize_winner": factor * rules.points.result[Result.PRIZE_WINNER],
        "completed": factor * completed,
        "base": factor * base_result,
    }, weight


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
    rules = planner.rules.model_copy(
        update={"online_only": cons.online_only, "regions": cons.regions}
    )
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
    probs = _result_probs(at_least, data.catalog.kind[src])
    rating = planner.rating
    points, weight = _points_table(data, src, rating or planner.reference_rating, d)
    exp_points = sum(probs[r] * points[r] for r in probs)
    diff = np.where(ok_scale, scale.difficulty[np.maximum(s_act, 0), d], theta[d])
    gain = expected_gain(theta[d], diff, data.catalog.level[src].astype(float), weight)
    gain_pct = scale.percentile(d, np.array([theta[d]]) + gain) - competence_now
    needed = _points_needed(planner, participant_id, goal)
    if goal.diploma is not None:
        value = exp_points
        need = needed if needed is not None else float("inf")
    else:
        value = gain_pct
        need = max(0.0, (goal.competence or 0.0) - competence_now)
    best = _beam(cand, value, need, cons)
    steps = _steps(
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
        summary_ru=_summary(steps, goal, reached, season),
    )


def _points_needed(planner: Planner, participant_id: str, goal: Goal) -> float | None:
    """Raw points still needed for the goal diploma at the current (or reference) thresholds."""
    if goal.diploma is None:
        return None
    for rating in (planner.rating, planner.reference_rating):
        if rating is None:
            continue
        thr = rating.thresholds
        if thr.empty or goal.direction not in set(thr["direction"].astype(str)):
            continue
        try:
            wi = what_if(rating, participant_id, goal.direction)
            gap = wi.to_winner if goal.diploma == "winner" else wi.to_prize_winner
            raw_now = wi.raw_points if rating is planner.rating else 0.0
        except UnknownParticipantError:
            wi = None
            gap = None
            raw_now = 0.0
        if gap is None:
            cut = thr[thr["direction"].astype(str) == goal.direction]
            r_ref = float(cut["r_ref"].iloc[0])
            share = 60.0 if goal.diploma == "winner" else 40.0
            return share / 100.0 * r_ref
        if gap.reachable and gap.threshold_raw_points is not None:
            return max(0.0, gap.threshold_raw_points - raw_now)
        if gap.reachable and gap.points_needed is not None:
            return gap.points_needed
    return None


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
    start; with their feeders and whether the participant already qualified for them."""
    cat = data.catalog
    n = len(pc)
    rows = np.array([row])
    ok = np.zeros(n, bool)
    cond = np.zeros(n, bool)
    qualified = np.zeros(n, bool)
    real = np.flatnonzero(~pc.projected)
    if len(real):
        f = feasible(data, rows, pc.real[real], as_of, rules)
        ok[real] = f.feasible[0]
        cond[real] = f.conditional[0]
        qualified[real] = (
            f.feasible[0] & ~f.conditional[0] & np.array([len(pc.feeders[i]) > 0 for i in real])
        )
    proj = np.flatnonzero(pc.projected)
    if len(proj):
        s = src[proj]
        grade = data.grade[row] if row >= 0 else np.nan
        g_ok = np.isnan(grade) | (
            (cat.grade_min[s] <= grade + _season_shift(pc, data, s))
            & (grade + _season_shift(pc, data, s) <= cat.grade_max[s])
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
        value=np.zeros(0),
        feeders=[pc.feeders[i] for i in idx],
        conditional=cond[idx],
        qualified=qualified[idx],
        chain=chain,
    )


def _season_shift(pc: PlanCatalog, data: RecommendDataset, src: np.ndarray) -> np.ndarray:
    """Seasons between the copied edition and the plan (grades move up by as much)."""
    seasons = season_start_year(pc.as_of.date())
    start = data.catalog.start[src].astype("datetime64[M]").astype(np.int64)
    year, month = start // 12 + 1970, start % 12 + 1
    return seasons - np.where(month >= 6, year, year - 1)


def _beam(cand: Candidates, value: np.ndarray, need: float, cons: PlanConstraints) -> list[int]:
    """Best sequence (positions into ``cand.idx``) by expected value toward the goal."""
    if len(cand.idx) == 0:
        return []
    v = value[cand.idx]
    pos_of = {int(a): p for p, a in enumerate(cand.idx.tolist())}

    def worth(total: float, n: int) -> float:
        over = max(0.0, total - need)
        return min(total, need) + 0.2 * over - cons.step_cost * n

    # a state: (objective, chosen positions, total value, last end, month loads)
    start: tuple[float, tuple[int, ...], float, np.datetime64 | None, dict[int, int]] = (
        worth(0.0, 0),
        (),
        0.0,
        None,
        {},
    )
    beam = [start]
    best = start
    for _ in range(cons.max_steps):
        nxt = []
        for _obj, chosen, total, last_end, load in beam:
            for p in range(len(cand.idx)):
                if chosen and p <= chosen[-1]:
                    continue
                if last_end is not None and cand.start[p] <= last_end:
                    continue
                if any(load.get(m, 0) >= cons.monthly_cap for m in cand.months[p]):
                    continue
                feeders = cand.feeders[p]
                # a selection stage needs its feeding stage earlier in the plan
                if (
                    len(feeders)
                    and not cand.qualified[p]
                    and not any(pos_of.get(int(f), -1) in chosen for f in feeders)
                ):
                    continue
                add = float(v[p])
                if add <= 0:
                    continue
                new_load = dict(load)
                for m in cand.months[p]:
                    new_load[m] = new_load.get(m, 0) + 1
                total2 = total + add
                ch = (*chosen, p)
                nxt.append((worth(total2, len(ch)), ch, total2, cand.end[p], new_load))
        if not nxt:
            break
        nxt.sort(key=lambda s: (-s[0], s[1]))
        beam = nxt[: cons.beam_width]
        if beam[0][0] > best[0]:
            best = beam[0]
    return list(best[1])


def _steps(
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
    cat = data.catalog
    idx = [int(cand.idx[p]) for p in chosen]
    rating_points = _whatif_points(
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
                title=_title(str(cat.title[s]), bool(pc.projected[i]), pc.as_of),
                kind=KINDS[cat.kind[s]] if cat.kind[s] >= 0 else "",
                level=LEVELS[cat.level[s]] if cat.level[s] >= 0 else "",
                format="offline" if cat.offline[s] else "online",
                region=None if cat.region[s] is None else str(cat.region[s]),
                start_at=pc.start[i].astype("datetime64[us]").astype(dt.datetime),
                end_at=pc.end[i].astype("datetime64[us]").astype(dt.datetime),
                registration_deadline=pc.deadline[i].astype("datetime64[us]").astype(dt.datetime),
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


def _title(title: str, projected: bool, as_of: dt.datetime) -> str:
    """A projected edition's title names the planned season, not the copied one."""
    if not projected:
        return title
    head, sep, tail = title.rpartition(", ")
    if sep and "/" in tail:
        return f"{head}, {season_name(season_start_year(as_of.date()))}"
    return title


def _whatif_points(
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
        p_good = float(
            probs["completed"][i] if completion else probs["winner"][i] + probs["prize_winner"][i]
        )
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


def _summary(steps: list[PlanStep], goal: Goal, reached: bool, season: int) -> str:
    target = (
        f"диплома «{'победитель' if goal.diploma == 'winner' else 'призёр'}»"
        if goal.diploma
        else f"компетенции {goal.competence:.0f} из 100"
    )
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


def audit(
    plan_: Plan, planner: Planner, constraints: PlanConstraints | None = None
) -> list[tuple[str, str]]:
    """Every rule a plan breaks, as ``(activity_id, violation code)``; empty when feasible.

    Checks what the search promised, independently of it: real steps pass the shared
    feasibility filter at the plan's instant (conditional allowed only for selection stages),
    steps end by the horizon, do not overlap, respect the monthly cap, registration deadlines
    are ahead, and a conditional step comes after a step on its feeding stage.
    """
    cons = constraints or PlanConstraints()
    data = planner.dataset
    out: list[tuple[str, str]] = []
    t = as_micros(plan_.as_of)
    rules = planner.rules.model_copy(
        update={"online_only": cons.online_only, "regions": cons.regions}
    )
    row = data.rows([plan_.participant_id])
    load: dict[int, int] = {}
    prev_end: np.datetime64 | None = None
    seen: set[str] = set()
    for s in plan_.steps:
        start, end = np.datetime64(s.start_at, "us"), np.datetime64(s.end_at, "us")
        closed = (
            s.registration_deadline is not None and np.datetime64(s.registration_deadline, "us") < t
        )
        if closed or start <= t:
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
            a = data.catalog.activity_ids.get_indexer([s.activity_id])
            f = feasible(data, row, a, plan_.as_of, rules)
            if not f.feasible[0, 0]:
                out.append((s.activity_id, Violation.NOT_OPEN.value))
            elif f.conditional[0, 0] and s.after_step is None:
                out.append((s.activity_id, Violation.SELECTION.value))
        if s.conditional and (s.after_step is None or s.after_step not in seen):
            out.append((s.activity_id, Violation.ORDER.value))
        seen.add(s.activity_id)
    return out
