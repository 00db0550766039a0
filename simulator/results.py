"""Results from ability: a partial-credit IRT draw per unit, ranks, results and practice gains.

Each activity has :data:`~simulator.catalog.N_TASKS` tasks scored 0..4 under the partial
credit model (Masters, 1982): for a unit of ability ``theta`` (a participant, or a team's mean)
the chance of scoring ``k`` on task ``t`` of activity ``a`` is proportional to
``exp(sum_{j<=k} alpha_a * (theta - b_a - tau_at - s_j))``. The points of all tasks give the score
(scaled to ``max_score``), the rank within the activity and the result: winners and prize-winners
by rank quotas, or completed / not completed by a pass mark. So score, rank and result come from
one draw and are consistent with each other.
"""

from __future__ import annotations

import numpy as np

from footprint.enums import ActivityKind, Result
from simulator.catalog import N_TASKS, Activities
from simulator.kinds import KIND_SPECS, KINDS, PASS_FRACTION, Scheme

STEP_OFFSETS = np.array([-1.2, -0.4, 0.4, 1.2])
"""Step thresholds ``s_j`` shared by all tasks (relative to the task's difficulty)."""
MAX_POINTS = N_TASKS * len(STEP_OFFSETS)
RESULTS: tuple[Result, ...] = tuple(Result)
"""Results in a fixed order; the simulator stores a result as its index here."""
FIT_WIDTH = 1.5
FORM_SD = 0.4
"""Day-to-day form: a unit performs at ``theta + N(0, FORM_SD)`` in a given activity."""
CHUNK = 200_000

_R = {r: RESULTS.index(r) for r in RESULTS}
_QUOTA_WIN = np.array([KIND_SPECS[k].quotas[0] for k in KINDS])
_QUOTA_PRIZE = np.array([KIND_SPECS[k].quotas[1] for k in KINDS])
_COMPLETION = np.array([KIND_SPECS[k].scheme is Scheme.COMPLETION for k in KINDS])
_FINAL = np.array([k is ActivityKind.OLYMPIAD_FINAL for k in KINDS])
_RANKED = np.array([KIND_SPECS[k].ranked for k in KINDS])
_LEARNING = np.array([KIND_SPECS[k].learning for k in KINDS])


def pcm_points(
    theta: np.ndarray,
    difficulty: np.ndarray,
    alpha: np.ndarray,
    tau: np.ndarray,
    rng: np.random.Generator,
) -> np.ndarray:
    """Total points (0..MAX_POINTS) of units with abilities ``theta`` on their activities.

    ``difficulty``, ``alpha`` (per unit) and ``tau`` (units x tasks) are the unit's activity's
    parameters. Each unit's ability is shifted by its form on the day (:data:`FORM_SD`), so the
    same ability does not always give the same score. Vectorised over units and tasks, in chunks.
    """
    theta = theta + FORM_SD * rng.standard_normal(len(theta))
    out = np.empty(len(theta), dtype=np.int64)
    cum_steps = np.r_[0.0, np.cumsum(STEP_OFFSETS)]
    k = np.arange(len(cum_steps))
    for lo in range(0, len(theta), CHUNK):
        sl = slice(lo, lo + CHUNK)
        a = alpha[sl, None, None]
        x = theta[sl, None] - difficulty[sl, None] - tau[sl]
        logits = a * (k * x[:, :, None] - cum_steps)
        logits -= logits.max(axis=2, keepdims=True)
        p = np.exp(logits)
        cdf = np.cumsum(p, axis=2)
        u = rng.random(x.shape)[:, :, None] * cdf[:, :, -1:]
        out[sl] = (u >= cdf[:, :, :-1]).sum(axis=2).sum(axis=1)
    return out


def competition_rank(group: np.ndarray, score: np.ndarray) -> np.ndarray:
    """Rank within each group, 1 = best, equal scores sharing the best rank ("1224" ranking)."""
    n = len(group)
    order = np.lexsort((-score, group))
    g, s = group[order], score[order]
    pos = np.arange(n)
    new_group = np.r_[True, g[1:] != g[:-1]] if n else np.zeros(0, dtype=bool)
    new_run = new_group | (np.r_[True, s[1:] != s[:-1]] if n else new_group)
    group_start = np.maximum.accumulate(np.where(new_group, pos, 0))
    run_start = np.maximum.accumulate(np.where(new_run, pos, 0))
    rank = np.empty(n, dtype=np.int64)
    rank[order] = run_start - group_start + 1
    return rank


def unit_results(
    kind: np.ndarray, rank: np.ndarray, n_units: np.ndarray, points: np.ndarray
) -> np.ndarray:
    """Result index per unit from its kind, rank among ``n_units`` of its activity and points."""
    win_cut = np.maximum(1, np.round(_QUOTA_WIN[kind] * n_units))
    prize_cut = np.maximum(win_cut, np.round((_QUOTA_WIN[kind] + _QUOTA_PRIZE[kind]) * n_units))
    base = np.where(_FINAL[kind], _R[Result.FINALIST], _R[Result.PARTICIPANT])
    diploma = np.where(
        rank <= win_cut,
        _R[Result.WINNER],
        np.where(rank <= prize_cut, _R[Result.PRIZE_WINNER], base),
    )
    passed = points >= PASS_FRACTION * MAX_POINTS
    completion = np.where(passed, _R[Result.COMPLETED], _R[Result.NOT_COMPLETED])
    return np.where(_COMPLETION[kind], completion, diploma).astype(np.int8)


def is_ranked(kind: np.ndarray) -> np.ndarray:
    return _RANKED[kind]


def score_of(points: np.ndarray, max_score: np.ndarray) -> np.ndarray:
    """Score on the activity's scale, one decimal; NaN where the activity is not scored."""
    return np.round(points / MAX_POINTS * max_score, 1)


def practice_gain(
    acts: Activities, act: np.ndarray, theta_eff: np.ndarray, rate: float
) -> np.ndarray:
    """Ability gained per entry and direction (entries x directions).

    ``rate * learning(kind) * (1 + level/4) * fit * weight``: higher-level activities teach more,
    and so do activities whose difficulty fits the participant (``fit`` is a Gaussian of the gap
    between ability and difficulty).
    """
    fit = np.exp(-((theta_eff - acts.difficulty[act]) ** 2) / (2 * FIT_WIDTH**2))
    scale = rate * _LEARNING[acts.kind[act]] * (1 + acts.level[act] / 4) * fit
    return scale[:, None] * acts.weights[act]
