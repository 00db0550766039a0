"""Who takes part in what: activity counts, olympiad entries, allocation of picks to editions.

A participant's free picks in a season are Poisson with a mean proportional to a lognormal
engagement (so counts are heavy-tailed) and to the share of the season they are around. Each pick
has a kind (global demand shares) and a direction (the participant's interests); it is then placed
in an edition of that kind and direction, preferring the participant's region for offline events,
and accepted only if the participant is eligible (grade, registration deadline, not yet dropped
out) and, with a probability that rises as the edition's difficulty fits their ability.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np

from simulator import clock
from simulator.catalog import OLYMPIAD_GRADES, Activities
from simulator.config import SimulationConfig
from simulator.kinds import FREE_KINDS, KIND_SPECS, KINDS, TEAM_SIZE_WEIGHTS
from simulator.population import REGION_CODES, Population

LOCAL_SHARE = 0.75
"""Chance that a pick looks at events in the participant's own region (plus online ones)."""
TRAVEL_BY_LEVEL = np.array([0.0, 0.0, 0.0, 0.5, 1.0])
"""Relative pull of an offline event in another region, by level. School, municipal and regional
events admit the region's own pupils only (a regional olympiad stage is written where one
studies), as the recommender's feasibility rules say (``FeasibilityRules.travel_levels``); a pull
of 0.02-0.05 here once made 2-6% of the simulated choices ones no rule could allow (measured on
seed 1: 24 of 1,294 choices at the 1,000-participant split's cut-offs, all regional events)."""
FIT_FLOOR = 0.3
"""Lowest acceptance chance of an eligible pick whose difficulty fits the participant badly."""
FIT_WIDTH = 1.2
ROUNDS = 6
"""Attempts to place a pick before it is given up."""
OLYMPIAD_INTEREST_POWER = 0.7
OLYMPIAD_MAX_P = 0.95


@dataclass(frozen=True)
class Picks:
    """Free picks of one season: participant, index into ``FREE_KINDS``, direction."""

    pid: np.ndarray
    kind: np.ndarray
    direction: np.ndarray


def active_participants(pop: Population, year: int) -> np.ndarray:
    """Indices of participants who may take part in the season: registered before it ends, not
    dropped out before it starts, still at school and not cold-start."""
    start, stop = clock.season_start(year), clock.season_stop(year)
    grade = pop.grade_in(year)
    ok = (pop.registered_at < stop) & (pop.dropout_at > start) & (grade <= 11) & ~pop.cold
    return np.flatnonzero(ok)


def free_picks(
    pop: Population,
    active: np.ndarray,
    year: int,
    config: SimulationConfig,
    rng: np.random.Generator,
) -> Picks:
    """Draw each active participant's number of free picks and each pick's kind and direction."""
    start, stop = clock.season_start(year), clock.season_stop(year)
    lo = np.maximum(pop.registered_at[active], start)
    hi = np.minimum(pop.dropout_at[active], stop)
    presence = np.clip((hi - lo) / (stop - start), 0.0, 1.0)
    lam = config.picks_per_season * pop.engagement[active] * presence
    counts = rng.poisson(lam)
    pid = np.repeat(active, counts)
    demand = np.array([KIND_SPECS[k].demand for k in FREE_KINDS])
    kind = rng.choice(len(FREE_KINDS), size=len(pid), p=demand / demand.sum()).astype(np.int8)
    direction = _draw_direction(pop.interest[pid], rng)
    return Picks(pid=pid, kind=kind, direction=direction)


def _draw_direction(interest: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    cdf = np.cumsum(interest, axis=1)
    u = rng.random(len(interest))[:, None] * cdf[:, -1:]
    return np.minimum((u >= cdf).sum(axis=1), interest.shape[1] - 1).astype(np.int8)


def olympiad_entries(
    pop: Population,
    active: np.ndarray,
    year: int,
    stage1: Activities,
    config: SimulationConfig,
    rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray]:
    """Stage-1 entries ``(participant, index into stage1)``: each eligible participant enters each
    profile with a chance that grows with their interest in its direction."""
    grade = pop.grade_in(year)[active]
    n_dir = pop.interest.shape[1]
    pids, acts = [], []
    for j in range(len(stage1)):
        d = int(np.argmax(stage1.weights[j]))
        ok = (
            (grade >= OLYMPIAD_GRADES[0])
            & (grade <= OLYMPIAD_GRADES[1])
            & (pop.registered_at[active] <= stage1.deadline[j])
            & (pop.dropout_at[active] > stage1.start_at[j])
        )
        p = (
            config.olympiad_entry_rate
            * (n_dir * pop.interest[active, d]) ** OLYMPIAD_INTEREST_POWER
        )
        enter = ok & (rng.random(len(active)) < np.minimum(p, OLYMPIAD_MAX_P))
        pids.append(active[enter])
        acts.append(np.full(int(enter.sum()), j, dtype=np.int64))
    return np.concatenate(pids), np.concatenate(acts)


class _Candidates:
    """Per (group, slot) weighted candidate lists packed for one vectorised ``searchsorted``.

    A key is ``group * (R + 1) + slot``; slot 0 means "anywhere" (online editions and offline ones
    elsewhere, weighted by willingness to travel), slot ``r + 1`` means "near region r" (online
    editions and offline ones in region r). Cumulative weights of key ``k`` are normalised into
    ``(k, k + 1]`` so one sorted array serves every key.
    """

    def __init__(
        self, acts: Activities, group: np.ndarray, n_groups: int, open_: np.ndarray
    ) -> None:
        n_slots = len(REGION_CODES) + 1
        self.n_slots = n_slots
        weight = np.where(open_, acts.target_size, 0.0)
        far = np.where(acts.offline, TRAVEL_BY_LEVEL[acts.level], 1.0)
        cand, cum, has = [], [], np.zeros(n_groups * n_slots, dtype=bool)
        for g in range(n_groups):
            members = np.flatnonzero((group == g) & (weight > 0))
            for slot in range(n_slots):
                if slot == 0:
                    sel, w = members, weight[members] * far[members]
                else:
                    near = ~acts.offline[members] | (acts.region[members] == slot - 1)
                    sel, w = members[near], weight[members[near]]
                if len(sel) == 0 or w.sum() <= 0:
                    continue
                key = g * n_slots + slot
                c = np.cumsum(w) / w.sum()
                c[-1] = 1.0
                cand.append(sel)
                cum.append(key + c)
                has[key] = True
        self.cand = np.concatenate(cand) if cand else np.zeros(0, dtype=np.int64)
        self.cum = np.concatenate(cum) if cum else np.zeros(0)
        self.has = has

    def draw(self, keys: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """One candidate per key (-1 where the key has no candidates)."""
        out = np.full(len(keys), -1, dtype=np.int64)
        ok = self.has[keys]
        u = keys[ok] + rng.random(int(ok.sum())) * (1 - 1e-12)
        pos = np.minimum(np.searchsorted(self.cum, u, side="right"), len(self.cum) - 1)
        out[ok] = self.cand[pos]
        return out


def allocate(
    picks: Picks,
    acts: Activities,
    pop: Population,
    theta: np.ndarray,
    year: int,
    open_: np.ndarray,
    rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray]:
    """Place picks in open editions; returns ``(pick index, edition index)`` of placed picks.

    ``theta`` is every participant's ability at the start of the season (participants x
    directions). A pick tries up to :data:`ROUNDS` draws; duplicates of the same participant and
    edition are removed by the caller.
    """
    n_dir = acts.weights.shape[1]
    free_kind = np.array([FREE_KINDS.index(k) if k in FREE_KINDS else -1 for k in KINDS])
    group = free_kind[acts.kind] * n_dir + np.argmax(acts.weights, axis=1)
    cands = _Candidates(acts, group, len(FREE_KINDS) * n_dir, open_)
    grade = pop.grade_in(year)
    pending = np.arange(len(picks.pid))
    done_pick, done_act = [], []
    pick_group = picks.kind.astype(np.int64) * n_dir + picks.direction
    for _ in range(ROUNDS):
        if len(pending) == 0:
            break
        pid = picks.pid[pending]
        local = rng.random(len(pending)) < LOCAL_SHARE
        slot = np.where(local, pop.region[pid].astype(np.int64) + 1, 0)
        a = cands.draw(pick_group[pending] * cands.n_slots + slot, rng)
        placed = a >= 0
        ac = np.where(placed, a, 0)
        eff = (theta[pid] * acts.weights[ac]).sum(axis=1)
        fit = np.exp(-((eff - acts.difficulty[ac]) ** 2) / (2 * FIT_WIDTH**2))
        ok = (
            placed
            & (grade[pid] >= acts.grade_min[ac])
            & (grade[pid] <= acts.grade_max[ac])
            & (pop.registered_at[pid] <= acts.deadline[ac])
            & (pop.dropout_at[pid] > acts.start_at[ac])
            & (rng.random(len(pending)) < FIT_FLOOR + (1 - FIT_FLOOR) * fit)
        )
        done_pick.append(pending[ok])
        done_act.append(a[ok])
        pending = pending[~ok]
    return np.concatenate(done_pick), np.concatenate(done_act)


def unique_entries(pid: np.ndarray, act: np.ndarray, n_acts: int) -> np.ndarray:
    """Indices of the first occurrence of each (participant, edition) pair, in input order."""
    _, first = np.unique(pid.astype(np.int64) * n_acts + act, return_index=True)
    return np.sort(first)


def within_group_position(group: np.ndarray, *keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sort order by ``group`` then ``keys`` (last key least significant, like ``lexsort``'s
    reverse) and each row's 0-based position within its group in that order."""
    order = np.lexsort((*reversed(keys), group)) if keys else np.argsort(group, kind="stable")
    g = group[order]
    start = np.r_[True, g[1:] != g[:-1]]
    pos_sorted = np.arange(len(g)) - np.maximum.accumulate(np.where(start, np.arange(len(g)), 0))
    pos = np.empty(len(g), dtype=np.int64)
    pos[order] = pos_sorted
    return order, pos


def form_teams(
    act: np.ndarray, team_acts: np.ndarray, rng: np.random.Generator, first_id: int
) -> np.ndarray:
    """Team number per entry (-1 for entries of individual editions).

    Entrants of each team edition are shuffled and cut into teams of 2-5
    (:data:`~simulator.kinds.TEAM_SIZE_WEIGHTS`); only an edition with a single entrant
    has a team of one. Numbers start at ``first_id`` and are unique across the world.
    """
    team = np.full(len(act), -1, dtype=np.int64)
    in_team = np.isin(act, team_acts)
    idx = np.flatnonzero(in_team)
    if len(idx) == 0:
        return team
    order, _ = within_group_position(act[idx], rng.random(len(idx)))
    idx_sorted = idx[order]
    a_sorted = act[idx_sorted]
    bounds = np.flatnonzero(np.r_[True, a_sorted[1:] != a_sorted[:-1], True])
    next_id = first_id
    sizes_p = np.array(TEAM_SIZE_WEIGHTS)
    for lo, hi in itertools.pairwise(bounds):
        sizes = _team_sizes(int(hi - lo), rng, sizes_p)
        team[idx_sorted[lo:hi]] = next_id + np.repeat(np.arange(len(sizes)), sizes)
        next_id += len(sizes)
    return team


def _team_sizes(n: int, rng: np.random.Generator, p: np.ndarray) -> np.ndarray:
    """Sizes (2-5, drawn with probabilities ``p``) of teams that hold exactly ``n`` people; a
    single person left over takes a member from the previous team or joins it if it is a pair."""
    sizes = 2 + rng.choice(len(p), size=n // 2 + 1, p=p)
    k = int(np.searchsorted(np.cumsum(sizes), n))
    sizes = sizes[: k + 1].copy()
    sizes[-1] = n - (sizes[:-1].sum() if k else 0)
    if sizes[-1] == 1 and len(sizes) > 1:
        if sizes[-2] >= 3:
            sizes[-2:] -= [1, -1]
        else:
            sizes = np.r_[sizes[:-2], 3]
    return sizes


def open_kinds_mask(acts: Activities) -> np.ndarray:
    """Editions that take free picks: free kinds only (olympiad stages are entered separately)."""
    free = np.array([k in FREE_KINDS for k in KINDS])
    return free[acts.kind]
