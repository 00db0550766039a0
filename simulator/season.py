"""One simulated season: choices, the olympiad funnel, results in date order, growth and truth.

Activities are resolved day by day in order of their end date, so a result depends on the ability
the participant has built up by then, and the next olympiad stage is filled from the previous
stage's results. Truth is recorded at the season's four checkpoints.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from footprint.enums import ActivityKind, Result
from simulator import clock
from simulator.catalog import Activities, Catalog
from simulator.choices import (
    Picks,
    active_participants,
    allocate,
    form_teams,
    free_picks,
    olympiad_entries,
    open_kinds_mask,
    unique_entries,
    within_group_position,
)
from simulator.config import SimulationConfig, scaled_size_range
from simulator.kinds import FREE_KINDS, KINDS, kind_index
from simulator.population import Population
from simulator.results import (
    RESULTS,
    competition_rank,
    is_ranked,
    pcm_points,
    practice_gain,
    score_of,
    unit_results,
)

STAGE2_TURNOUT = 0.85
"""Share of stage-1 qualifiers who take part in the team stage."""
TruthSink = Callable[[np.datetime64, np.ndarray, np.ndarray], None]
"""Receives (checkpoint, participant indices, abilities participants x directions)."""

_S1 = kind_index(ActivityKind.OLYMPIAD_STAGE_INDIVIDUAL)
_S2 = kind_index(ActivityKind.OLYMPIAD_STAGE_TEAM)
_QUALIFIED = (RESULTS.index(Result.WINNER), RESULTS.index(Result.PRIZE_WINNER))


@dataclass(frozen=True)
class RecordArrays:
    """All achievement records: participant and activity indices, team number (-1 = none),
    result index (into :data:`~simulator.results.RESULTS`), score (NaN = none) and
    rank (0 = none)."""

    pid: np.ndarray
    act: np.ndarray
    team: np.ndarray
    result: np.ndarray
    score: np.ndarray
    rank: np.ndarray


@dataclass
class Records:
    """Achievement records produced so far, as lists of per-round arrays."""

    pid: list[np.ndarray] = field(default_factory=list)
    act: list[np.ndarray] = field(default_factory=list)
    team: list[np.ndarray] = field(default_factory=list)
    result: list[np.ndarray] = field(default_factory=list)
    score: list[np.ndarray] = field(default_factory=list)
    rank: list[np.ndarray] = field(default_factory=list)

    def add(self, **arrays: np.ndarray) -> None:
        for name, values in arrays.items():
            getattr(self, name).append(values)

    def stacked(self) -> RecordArrays:
        return RecordArrays(**{
            f.name: np.concatenate(getattr(self, f.name)) for f in dataclasses.fields(self)
        })  # fmt: skip


class World:
    """The evolving state of a simulated world: people, abilities, catalogue and records."""

    def __init__(self, config: SimulationConfig, pop: Population, catalog: Catalog) -> None:
        self.config = config
        self.pop = pop
        self.catalog = catalog
        n, d = pop.base_ability.shape
        self.practice = np.zeros((n, d))
        self.drift = np.zeros((n, d))
        self.activities: list[Activities] = []
        self.n_acts = 0
        self.next_team = 1
        self.records = Records()

    def theta(self, idx: np.ndarray | slice, t: np.datetime64) -> np.ndarray:
        """True ability (logits) at instant ``t``: person-level base + smooth age effect +
        practice + drift. The age term counts grades and the elapsed part of the school year."""
        sy = int(clock.season_year_of(np.array([t]))[0])
        elapsed = (t - clock.season_start(sy)) / np.timedelta64(1, "s") / clock.YEAR_SECONDS
        grade = self.pop.grade_in(sy)[idx]
        age = self.config.grade_effect * (grade - 8 + elapsed)
        return self.pop.base_ability[idx] + age[:, None] + self.practice[idx] + self.drift[idx]

    def acts(self) -> Activities:
        return Activities.concat(self.activities)


def run_season(world: World, year: int, rng: np.random.Generator, truth: TruthSink) -> None:
    """Simulate the season starting in ``year`` and append its activities and records."""
    cfg, pop = world.config, world.pop
    world.drift += cfg.drift_sd * rng.standard_normal(world.drift.shape)
    checkpoints = clock.checkpoints(year)
    _record_truth(world, checkpoints[0], truth)
    active = active_participants(pop, year)
    theta0 = world.theta(slice(None), clock.season_start(year))

    olymp = world.catalog.plan_olympiad(year)
    s1_rows = np.flatnonzero(olymp.kind == _S1)
    s1_pid, s1_j = olympiad_entries(pop, active, year, olymp.take(s1_rows), cfg, rng)
    s1_act = s1_rows[s1_j]

    picks = free_picks(pop, active, year, cfg, rng)
    n_dir = pop.interest.shape[1]
    demand = np.bincount(
        picks.kind.astype(np.int64) * n_dir + picks.direction, minlength=len(FREE_KINDS) * n_dir
    ).reshape(len(FREE_KINDS), n_dir)
    free = world.catalog.plan_free(year, demand)
    f_pid, f_act = _place(picks, free, pop, theta0, year, cfg.participants, rng)
    keep = np.bincount(f_act, minlength=len(free)) > 0
    f_act = (np.cumsum(keep) - 1)[f_act]
    free = free.take(np.flatnonzero(keep))

    counts = np.bincount(f_act, minlength=len(free))
    hack_lo = scaled_size_range(ActivityKind.HACKATHON, cfg.participants)[0]
    nest = np.flatnonzero(free.nested_hackathon & (counts >= hack_lo))
    children = world.catalog.nested_hackathons(free.take(nest))
    in_child = np.isin(f_act, nest)
    c_pid, c_act = f_pid[in_child], np.searchsorted(nest, f_act[in_child])

    season = Activities.concat([olymp, free, children])
    pid = np.concatenate([s1_pid, f_pid, c_pid])
    act = np.concatenate([s1_act, len(olymp) + f_act, len(olymp) + len(free) + c_act])
    team = form_teams(act, np.flatnonzero(season.is_team), rng, world.next_team)
    world.next_team = max(world.next_team, int(team.max(initial=0)) + 1)
    _Resolver(world, season, world.n_acts, rng, truth).run(pid, act, team, checkpoints[1:])
    world.activities.append(season)
    world.n_acts += len(season)


def _place(
    picks: Picks,
    free: Activities,
    pop: Population,
    theta0: np.ndarray,
    year: int,
    participants: int,
    rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray]:
    """Allocate picks, cancel editions below their kind's minimum size, re-place their entrants
    once, and trim every edition to its capacity (earlier sign-ups first)."""
    lo_by_kind = [scaled_size_range(k, participants)[0] if k in FREE_KINDS else 1 for k in KINDS]
    lo = np.array(lo_by_kind)[free.kind]
    open_ = open_kinds_mask(free)
    pick_idx, act = allocate(picks, free, pop, theta0, year, open_, rng)
    u = unique_entries(picks.pid[pick_idx], act, len(free))
    pick_idx, act = pick_idx[u], act[u]
    pick_idx, act = _trim(pick_idx, act, np.zeros(len(act)), free.capacity, rng)
    cancelled = np.bincount(act, minlength=len(free)) < lo
    moved = cancelled[act]
    if moved.any():
        again = _subset(picks, pick_idx[moved])
        j, act2 = allocate(again, free, pop, theta0, year, open_ & ~cancelled, rng)
        pick_idx = np.concatenate([pick_idx[~moved], pick_idx[moved][j]])
        act = np.concatenate([act[~moved], act2])
        first_pass = np.r_[np.zeros(int((~moved).sum())), np.ones(len(act2))]
        u = unique_entries(picks.pid[pick_idx], act, len(free))
        pick_idx, act = _trim(pick_idx[u], act[u], first_pass[u], free.capacity, rng)
    return picks.pid[pick_idx], act


def _subset(picks: Picks, idx: np.ndarray) -> Picks:
    return Picks(pid=picks.pid[idx], kind=picks.kind[idx], direction=picks.direction[idx])


def _trim(
    pick_idx: np.ndarray,
    act: np.ndarray,
    priority: np.ndarray,
    capacity: np.ndarray,
    rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray]:
    """Keep at most ``capacity`` entries per edition, lower ``priority`` first, then at random."""
    _, pos = within_group_position(act, priority, rng.random(len(act)))
    ok = (capacity[act] < 0) | (pos < capacity[act])
    return pick_idx[ok], act[ok]


def _record_truth(world: World, t: np.datetime64, truth: TruthSink) -> None:
    """Abilities of everyone registered by ``t`` and still at school at ``t``."""
    pop = world.pop
    grade = pop.grade_in(int(clock.season_year_of(np.array([t]))[0]))
    idx = np.flatnonzero((pop.registered_at <= t) & (grade <= 11))
    truth(t, idx, world.theta(idx, t))


class _Resolver:
    """Resolves a season's entries day by day (by activity end date) and runs the funnel."""

    def __init__(
        self,
        world: World,
        season: Activities,
        offset: int,
        rng: np.random.Generator,
        truth: TruthSink,
    ) -> None:
        self.world, self.season, self.offset, self.rng, self.truth = (
            world,
            season,
            offset,
            rng,
            truth,
        )
        self.buckets: dict[np.datetime64, list[tuple[np.ndarray, np.ndarray, np.ndarray]]] = {}

    def add(self, pid: np.ndarray, act: np.ndarray, team: np.ndarray) -> None:
        if len(pid) == 0:  # e.g. a final nobody reached in a tiny world
            return
        end = self.season.end_at[act]
        order = np.argsort(end, kind="stable")
        days, first = np.unique(end[order], return_index=True)
        for day, lo, hi in zip(days, first, np.r_[first[1:], len(order)], strict=True):
            rows = order[lo:hi]
            self.buckets.setdefault(day, []).append((pid[rows], act[rows], team[rows]))

    def run(self, pid: np.ndarray, act: np.ndarray, team: np.ndarray, checkpoints: list) -> None:
        self.add(pid, act, team)
        pending_cps = list(checkpoints)
        for day in np.unique(self.season.end_at):
            while pending_cps and pending_cps[0] <= day:
                _record_truth(self.world, pending_cps.pop(0), self.truth)
            blocks = self.buckets.pop(day, [])
            if blocks:
                pid, act, team = (np.concatenate(parts) for parts in zip(*blocks, strict=True))
                self._round(pid, act, team, day)
        for cp in pending_cps:
            _record_truth(self.world, cp, self.truth)

    def _round(
        self, pid: np.ndarray, act: np.ndarray, team: np.ndarray, day: np.datetime64
    ) -> None:
        world, s, rng = self.world, self.season, self.rng
        eff = (world.theta(pid, day) * s.weights[act]).sum(axis=1)
        key = np.where(team >= 0, team, -1 - np.arange(len(pid)))
        _, inv = np.unique(key, return_inverse=True)
        unit_theta = np.bincount(inv, weights=eff) / np.bincount(inv)
        unit_act = np.empty(len(unit_theta), dtype=np.int64)
        unit_act[inv] = act
        points = pcm_points(
            unit_theta, s.difficulty[unit_act], s.alpha[unit_act], s.tau[unit_act], rng
        )
        rank = competition_rank(unit_act, points)
        n_units = np.bincount(unit_act, minlength=len(s))[unit_act]
        kind = s.kind[unit_act]
        result = unit_results(kind, rank, n_units, points)[inv]
        score = score_of(points, s.max_score[unit_act])[inv]
        rank_out = np.where(is_ranked(kind), rank, 0)[inv]
        world.records.add(
            pid=pid, act=act + self.offset, team=team, result=result, score=score, rank=rank_out
        )
        np.add.at(world.practice, pid, practice_gain(s, act, eff, world.config.practice_rate))
        for a in np.unique(act):
            if s.kind[a] == _S1:
                self._open_team_stage(a, pid[act == a], result[act == a])
            elif s.kind[a] == _S2:
                self._open_final(a, pid[act == a], team[act == a], rank[inv][act == a])

    def _open_team_stage(self, s1: int, pid: np.ndarray, result: np.ndarray) -> None:
        """Qualifiers of stage 1 (winners and prize-winners) who turn up form teams for stage 2;
        the final's capacity is set to ``funnel_share`` of stage-1 entrants."""
        s, pop, rng = self.season, self.world.pop, self.rng
        s2, final = s1 + 1, s1 + 2
        s.capacity[final] = max(2, round(self.world.config.funnel_share * len(pid)))
        go = (
            np.isin(result, _QUALIFIED)
            & (pop.dropout_at[pid] > s.start_at[s2])
            & (rng.random(len(pid)) < STAGE2_TURNOUT)
        )
        pid2 = pid[go]
        act2 = np.full(len(pid2), s2, dtype=np.int64)
        team2 = form_teams(act2, np.array([s2]), rng, self.world.next_team)
        self.world.next_team = max(self.world.next_team, int(team2.max(initial=0)) + 1)
        self.add(pid2, act2, team2)

    def _open_final(self, s2: int, pid: np.ndarray, team: np.ndarray, rank: np.ndarray) -> None:
        """Best stage-2 teams go to the final until its capacity is filled (the team that crosses
        the capacity goes too when that lands closer to it; the capacity then grows to fit)."""
        s, rng = self.season, self.rng
        final = s2 + 1
        here = self.world.pop.dropout_at[pid] > s.start_at[final]
        pid, team, rank = pid[here], team[here], rank[here]
        teams, first, size = np.unique(team, return_index=True, return_counts=True)
        order = np.lexsort((rng.random(len(teams)), rank[first]))
        cum = np.cumsum(size[order])
        cap = int(s.capacity[final])
        k = int(np.searchsorted(cum, cap, side="right"))
        if k < len(cum) and cum[k] - cap < cap - (cum[k - 1] if k else 0):
            k += 1
        chosen = np.isin(team, teams[order[:k]])
        s.capacity[final] = max(cap, int(chosen.sum()))
        self.add(pid[chosen], np.full(int(chosen.sum()), final, dtype=np.int64), team[chosen])
