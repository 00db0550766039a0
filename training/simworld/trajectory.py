"""Trajectory metrics: feasibility of plans, and whether following a plan reaches the goal.

A full re-simulation of the movement with one participant following a plan is out of reach (the
simulator resolves a season for everyone at once), so plans are followed in a *simplified replay
of the simulator's own result model*:

1. The world is re-simulated in memory (:func:`training.simworld.simulate_world`, same seed), so
   every participant's true ability at the plan's checkpoint and every edition's true difficulty,
   discrimination and task offsets are known.
2. Steps are followed in date order. A projected step happens only if its series really ran an
   edition that season (else it is lost). A stage fed by selection is entered only if the replay
   qualified the participant (winner or prize-winner of the feeding stage).
3. The participant's result: the simulator's partial-credit draw
   (:func:`simulator.results.pcm_points`) at their true ability then (the checkpoint's
   ability + the grade effect over the elapsed part of the year + the practice gained from
   earlier plan steps, :func:`simulator.results.practice_gain`), ranked against the
   edition's real field (the actual entrants, re-drawn once per edition at their checkpoint
   ability; teams by their mean), turned into a result by the simulator's rank quotas / pass
   mark (:func:`simulator.results.unit_results`). Simplifications: the follower competes
   as an individual even in team events; stage 2 -> final qualification is "winner or
   prize-winner of stage 2" rather than the final's capacity.
4. Goal: a prize-winner (or winner) diploma in the goal direction in the season's official rating.
   The season is rated once with the sampled participants' own records after the plan instant
   removed (they follow the plan instead); their replayed results enter through the rating
   engine's what-if, and the goal is reached when the new raw points reach the diploma's
   threshold.

The same replay runs for a *popular baseline*: as many steps as the plan has, chosen greedily
from the most popular feasible editions of the goal direction under the same calendar rules.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field

from core.logs import get_logger
from features.cutoff import visible_achievements
from footprint.calendar import season_name, season_start_year
from footprint.columns import Columns as C
from footprint.enums import ActivityKind, Result
from footprint.frames import Snapshot
from models.rating.engine import rate
from models.rating.rules import load_rules
from models.rating.whatif import HypotheticalAchievement, what_if
from models.recommend.dataset import RecommendDataset, dataset_from_snapshot
from models.recommend.planner import (
    Goal,
    Plan,
    PlanConstraints,
    Planner,
    audit,
    months_touched,
    plan,
    plan_candidates,
)
from models.recommend.profile import direction_profile, item_directions, item_popularity
from simulator import clock
from simulator.kinds import KINDS as SIM_KINDS
from simulator.results import (
    MAX_POINTS,
    RESULTS,
    is_ranked,
    pcm_points,
    practice_gain,
    unit_results,
)
from training.simworld.world import SimWorld

log = get_logger(__name__)
_QUALIFY = {Result.WINNER.value, Result.PRIZE_WINNER.value}


class TrajectoryEvalConfig(BaseModel):
    """Who plans, when, toward what."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    plan_at: dt.datetime | None = None
    """A truth checkpoint (1 Sep, 1 Dec or 1 Mar); 1 September of the last season when None."""
    participants: int = Field(default=500, ge=1)
    diploma: str = "prize_winner"
    seed: int = 0
    ability_sample: int = Field(default=20_000, ge=100)
    constraints: PlanConstraints = PlanConstraints()


@dataclass
class TrajectoryReport:
    """Aggregates of one trajectory evaluation."""

    table: dict[str, float]
    info: dict[str, object] = field(default_factory=dict)


@dataclass
class _Replay:
    """Replays plans in the simulated world (see the module docstring)."""

    sim: SimWorld
    plan_at: dt.datetime
    rng: np.random.Generator
    field_cache: dict[int, np.ndarray] = field(default_factory=dict)

    def __post_init__(self) -> None:
        acts = self.sim.acts
        self.act_index = pd.Index(acts.activity_id.astype(object))
        self.pid_index = pd.Index(self.sim.world.pop.ids.astype(object))
        cp = np.datetime64(self.plan_at, "s")
        if cp not in self.sim.truth:
            raise ValueError(f"{self.plan_at} is not a truth checkpoint of the world")
        idx, theta = self.sim.truth[cp]
        self.theta0 = np.full((len(self.pid_index), theta.shape[1]), np.nan)
        self.theta0[idx] = theta
        rec = self.sim.records
        order = np.argsort(rec.act, kind="stable")
        self.rec_order = order
        self.rec_bounds = np.searchsorted(rec.act[order], np.arange(len(acts) + 1))

    def edition(self, activity_id: str, series_id: str, projected: bool) -> int:
        """Simulator index of the edition a step names (-1 when it did not run)."""
        if projected:
            year = season_start_year(self.plan_at.date())
            activity_id = f"a-{series_id}-{year}"
        return int(self.act_index.get_indexer([activity_id])[0])

    def field_points(self, a: int) -> np.ndarray:
        """Points of the edition's real units, drawn once at their checkpoint ability."""
        if a not in self.field_cache:
            acts, rec = self.sim.acts, self.sim.records
            rows = self.rec_order[self.rec_bounds[a] : self.rec_bounds[a + 1]]
            pid, team = rec.pid[rows], rec.team[rows]
            eff = np.nan_to_num(self.theta0[pid]) @ acts.weights[a]
            key = np.where(team >= 0, team, -1 - np.arange(len(pid)))
            _, inv = np.unique(key, return_inverse=True)
            unit = np.bincount(inv, weights=eff) / np.maximum(np.bincount(inv), 1)
            n = len(unit)
            self.field_cache[a] = pcm_points(
                unit,
                np.full(n, acts.difficulty[a]),
                np.full(n, acts.alpha[a]),
                np.tile(acts.tau[a], (n, 1)),
                self.rng,
            )
        return self.field_cache[a]

    def follow(
        self, participant_id: str, steps: list[tuple[str, str, bool, str | None]]
    ) -> list[HypotheticalAchievement]:
        """Replay ``(activity_id, series_id, projected, after_step)`` steps; the achievements."""
        acts = self.sim.acts
        p = int(self.pid_index.get_indexer([participant_id])[0])
        theta = np.nan_to_num(self.theta0[p].astype(np.float64))
        cfg = self.sim.config
        start = np.datetime64(self.plan_at, "s")
        results: dict[str, str] = {}
        out: list[HypotheticalAchievement] = []
        for activity_id, series_id, projected, after in steps:
            if after is not None and results.get(after) not in _QUALIFY:
                continue
            a = self.edition(activity_id, series_id, projected)
            if a < 0:
                continue
            years = float((acts.end_at[a] - start) / np.timedelta64(1, "s")) / clock.YEAR_SECONDS
            now = theta + cfg.grade_effect * max(years, 0.0)
            eff = float(now @ acts.weights[a])
            pts = pcm_points(
                np.array([eff]), acts.difficulty[[a]], acts.alpha[[a]], acts.tau[[a]], self.rng
            )
            field_pts = self.field_points(a)
            rank = 1 + int((field_pts > pts[0]).sum())
            kind = acts.kind[[a]]
            res = RESULTS[
                int(unit_results(kind, np.array([rank]), np.array([len(field_pts) + 1]), pts)[0])
            ]
            if SIM_KINDS[int(kind[0])] in (ActivityKind.ONLINE_COURSE, ActivityKind.TEST) or (
                not is_ranked(kind)[0] and np.isnan(acts.max_score[a])
            ):
                pct = float(pts[0]) / MAX_POINTS
            else:
                below = (field_pts < pts[0]).sum() + 0.5 * (field_pts == pts[0]).sum()
                pct = float(below / max(len(field_pts), 1))
            results[activity_id] = res.value
            theta = (
                theta + practice_gain(acts, np.array([a]), np.array([eff]), cfg.practice_rate)[0]
            )
            out.append(
                HypotheticalAchievement(
                    activity_id=str(acts.activity_id[a]),
                    result=res,
                    percentile=min(max(pct, 0), 1),
                    achieved_at=acts.end_at[a].astype("datetime64[us]").astype(dt.datetime),
                )
            )
        return out


def popular_plan(
    planner: Planner,
    participant_id: str,
    goal: Goal,
    n_steps: int,
    constraints: PlanConstraints,
    horizon: dt.datetime,
) -> list[tuple[str, str, bool, str | None]]:
    """The baseline: the most popular feasible editions of the goal direction, placed greedily
    in popularity order under the plan's calendar rules (no overlap, monthly cap, feeding stage
    first)."""
    data = planner.dataset
    assert data.as_of is not None
    pc, src = planner.catalog(data.as_of, horizon, constraints.project)
    d = data.directions.index(goal.direction)
    cand = plan_candidates(
        data,
        pc,
        src,
        int(data.rows([participant_id])[0]),
        d,
        data.as_of,
        planner.rules.model_copy(
            update={"online_only": constraints.online_only, "regions": constraints.regions}
        ),
        constraints,
    )
    # the popularity baseline's counts: those of the dataset planned on (it fits nothing)
    pop = item_popularity(data)[np.maximum(pc.item[cand.idx], 0)]
    chosen: list[int] = []
    load: dict[int, int] = {}
    for p in np.argsort(-pop, kind="stable").tolist():
        if len(chosen) >= n_steps:
            break
        s, e = cand.start[p], cand.end[p]
        if any(not (e < cand.start[q] or cand.end[q] < s) for q in chosen):
            continue
        if any(load.get(m, 0) >= constraints.monthly_cap for m in months_touched(s, e)):
            continue
        feeders = cand.feeders[p]
        if (
            len(feeders)
            and not cand.qualified[p]
            and not any(int(f) in {int(cand.idx[q]) for q in chosen} for f in feeders)
        ):
            continue
        chosen.append(p)
        for m in months_touched(s, e):
            load[m] = load.get(m, 0) + 1
    chosen.sort(key=lambda q: cand.start[q])
    ids = {int(cand.idx[q]) for q in chosen}
    out = []
    for q in chosen:
        i = int(cand.idx[q])
        after = next((str(pc.ids[f]) for f in pc.feeders[i] if int(f) in ids), None)
        out.append(
            (
                str(pc.ids[i]),
                str(data.item_ids[pc.item[i]]),
                bool(pc.projected[i]),
                after if len(pc.feeders[i]) and not cand.qualified[q] else None,
            )
        )
    return out


def _steps_of(p: Plan) -> list[tuple[str, str, bool, str | None]]:
    return [
        (s.activity_id, s.series_id, s.projected, s.after_step if s.conditional else None)
        for s in p.steps
    ]


def _sample(
    sim: SimWorld, data: RecommendDataset, plan_at: dt.datetime, n: int, rng: np.random.Generator
) -> list[str]:
    """Participants at school through the season, with a footprint and no early drop-out."""
    pop = sim.world.pop
    year = season_start_year(plan_at.date())
    grade = pop.grade_in(year)
    stop = clock.season_stop(year)
    ok = (
        (grade >= 7)
        & (grade <= 10)
        & (pop.dropout_at > stop)
        & ~pop.cold
        & (pop.registered_at <= np.datetime64(plan_at, "s"))
    )
    ids = pop.ids[ok].astype(object)
    rows = data.rows(ids)
    has = (rows >= 0) & (np.diff(data.interactions.indptr)[np.maximum(rows, 0)] > 0)
    ids = np.sort(ids[has])
    if len(ids) > n:
        ids = np.sort(rng.choice(ids, n, replace=False))
    return ids.tolist()


def evaluate_trajectories(
    sim: SimWorld, config: TrajectoryEvalConfig | None = None
) -> TrajectoryReport:
    """Plan for a sample, audit every plan, replay plan and baseline, report the shares."""
    cfg = config or TrajectoryEvalConfig()
    last = sim.config.first_season + sim.config.seasons - 1
    plan_at = cfg.plan_at or dt.datetime(last, 9, 1)
    year = season_start_year(plan_at.date())
    season = season_name(year)
    horizon = dt.datetime(year + 1, 5, 31, 23, 59)
    rng = np.random.default_rng(cfg.seed)
    t0 = time.perf_counter()
    past = sim.snapshot_at(plan_at)
    data = dataset_from_snapshot(
        past, plan_at, ability=True, ability_sample=cfg.ability_sample, seed=cfg.seed
    )
    current = rate(past, season, load_rules(None, season=season))
    prev_season = season_name(year - 1)
    reference = rate(past, prev_season, load_rules(None, season=prev_season))
    planner = Planner(data, current, reference)
    pids = _sample(sim, data, plan_at, cfg.participants, rng)
    profile = direction_profile(data, data.rows(pids), item_directions(data))
    goals = [
        Goal(direction=data.directions[int(np.argmax(profile[i]))], diploma=cfg.diploma)
        for i in range(len(pids))
    ]
    final = _rating_without(sim.snapshot, pids, plan_at, season)
    replay = _Replay(sim, plan_at, np.random.default_rng(cfg.seed + 1))
    plan_ms, violations, steps_n = [], 0, []
    reached = {"plan": 0, "popular": 0}
    expected_reached = 0
    for pid, goal in zip(pids, goals, strict=True):
        t = time.perf_counter()
        p = plan(pid, goal, horizon, cfg.constraints, planner)
        plan_ms.append(1000 * (time.perf_counter() - t))
        violations += len(audit(p, planner, cfg.constraints))
        steps_n.append(len(p.steps))
        expected_reached += p.goal_expected_reached
        base = popular_plan(planner, pid, goal, max(1, len(p.steps)), cfg.constraints, horizon)
        for name, steps in (("plan", _steps_of(p)), ("popular", base)):
            hyps = replay.follow(pid, steps)
            reached[name] += _reaches(final, pid, goal, hyps)
    n = max(len(pids), 1)
    table = {
        "participants": float(len(pids)),
        "feasibility_violations": float(violations),
        "goal_reached_plan": reached["plan"] / n,
        "goal_reached_popular": reached["popular"] / n,
        "goal_expected_by_planner": expected_reached / n,
        "mean_steps": float(np.mean(steps_n)) if steps_n else 0.0,
        "plan_ms_median": float(np.median(plan_ms)) if plan_ms else float("nan"),
        "plan_ms_p95": float(np.percentile(plan_ms, 95)) if plan_ms else float("nan"),
    }
    log.info("trajectory evaluation", seconds=round(time.perf_counter() - t0, 1), **table)
    return TrajectoryReport(
        table=table, info={"plan_at": str(plan_at), "season": season, "diploma": cfg.diploma}
    )


def _rating_without(
    snapshot: Snapshot, pids: list[str], plan_at: dt.datetime, season: str
) -> object:
    """The season's official rating with the sample's own records after ``plan_at`` removed."""
    ach = snapshot.achievements
    mine = ach[C.PARTICIPANT_ID].astype("object").isin(set(pids)).to_numpy()
    later = ach[C.ACHIEVED_AT].to_numpy("datetime64[us]") >= np.datetime64(plan_at, "us")
    kept = ach[~(mine & later)]
    snap = Snapshot(
        snapshot_id=f"{snapshot.snapshot_id}-followers",
        as_of=snapshot.as_of,
        participants=snapshot.participants,
        activities=snapshot.activities,
        activity_directions=snapshot.activity_directions,
        activity_edges=snapshot.activity_edges,
        achievements=visible_achievements(kept, snapshot.as_of),
        directions=snapshot.directions,
    )
    return rate(snap, season, load_rules(None, season=season))


def _reaches(final: object, pid: str, goal: Goal, hyps: list[HypotheticalAchievement]) -> bool:
    from models.rating.engine import RatingResult, UnknownParticipantError

    assert isinstance(final, RatingResult)
    try:
        wi = what_if(final, pid, goal.direction, hyps)
    except UnknownParticipantError:
        return False
    gap = wi.to_winner if goal.diploma == "winner" else wi.to_prize_winner
    if gap.points_needed == 0.0 and gap.threshold_raw_points is None:
        return True  # already holds the diploma
    if not gap.reachable or gap.threshold_raw_points is None:
        return False
    return wi.new_raw_points >= gap.threshold_raw_points
