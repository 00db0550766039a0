"""Which contributions count: best role per activity, furthest chain stage, caps, best N.

Works on the contributions frame (one row per achievement and direction, integer-coded), in the
order of the rules; each stage looks only at rows still counting and gives the others their reason
code. Every "best" is decided by points (descending), then the earlier date, then the achievement
id, so the outcome never depends on the order of input rows.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from footprint.enums import ActivityKind
from models.rating.chains import NO_CHAIN
from models.rating.codes import COUNTED, REASON_INDEX, ReasonCode
from models.rating.columns import RatingColumns as RC
from models.rating.points import KINDS
from models.rating.rules import RatingRules


def rank_in_group(group: np.ndarray, *keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """0-based rank of each row within its group, sorting by ``keys`` (primary first, ascending).

    Returns the ranks and, for each row, the position (in the input) of its group's first row.
    """
    idx = np.lexsort((*keys[::-1], group))
    g = group[idx]
    pos = np.arange(len(g))
    starts = np.ones(len(g), dtype=bool)
    starts[1:] = g[1:] != g[:-1]
    start_pos = np.maximum.accumulate(np.where(starts, pos, 0)) if len(g) else pos
    rank = np.empty(len(g), dtype=np.int64)
    rank[idx] = pos - start_pos
    best = np.empty(len(g), dtype=np.int64)
    best[idx] = idx[start_pos]
    return rank, best


def _key(*parts: tuple[np.ndarray, int]) -> np.ndarray:
    """Combine integer columns (value, cardinality) into one int64 group key."""
    key = np.zeros(len(parts[0][0]), dtype=np.int64)
    for values, size in parts:
        key = key * np.int64(size) + values.astype(np.int64)
    return key


def select(frame: pd.DataFrame, rules: RatingRules) -> pd.DataFrame:
    """Apply role dedupe, chain dedupe (with the optional floor), caps and best N.

    Parameters
    ----------
    frame
        Contributions with columns ``pid, dir, act, kind_code, chain, depth, date, order, row,
        units, reason`` (reason 0 = still counting; units = points in ten-thousandths).
    rules
        The rating rules.

    Returns
    -------
    pandas.DataFrame
        ``frame`` with ``reason`` updated and ``credit`` (the ten-thousandths each row adds to R,
        an integer) and ``floor_row``
        (the earlier stage whose points a counted chain stage took, else -1) added.
    """
    out = frame.copy()
    reason = out[RC.REASON].to_numpy(np.int16).copy()
    pid = out[RC.PID].to_numpy(np.int64)
    dirc = out[RC.DIR].to_numpy(np.int64)
    act = out[RC.ACT].to_numpy(np.int64)
    kind = out[RC.KIND_CODE].to_numpy(np.int64)
    chain = out[RC.CHAIN].to_numpy(np.int64)
    depth = out[RC.DEPTH].to_numpy(np.int64)
    date = out[RC.DATE].to_numpy(np.int64)
    order = out[RC.ORDER].to_numpy(np.int64)
    row = out[RC.ROW].to_numpy(np.int64)
    credit = out[RC.UNITS].to_numpy(np.int64).copy()
    floor_row = np.full(len(out), -1, dtype=np.int64)

    n_pid = int(pid.max(initial=0)) + 1
    n_dir = int(dirc.max(initial=0)) + 1
    # activity codes may be negative for hypothetical achievements: shift them to be non-negative
    act_shift = act - int(act.min(initial=0))
    n_act = int(act_shift.max(initial=0)) + 1

    # 1. several roles in one activity: the best one
    live = np.flatnonzero(reason == COUNTED)
    group = _key((pid[live], n_pid), (dirc[live], n_dir), (act_shift[live], n_act))
    rank, _ = rank_in_group(group, -credit[live], date[live], order[live])
    reason[live[rank > 0]] = REASON_INDEX[ReasonCode.DUPLICATE_ROLE]

    # 2. one selection chain: the furthest stage reached (best result there), floored if asked
    live = np.flatnonzero((reason == COUNTED) & (chain != NO_CHAIN))
    if len(live):
        n_chain = int(chain.max()) + 1
        group = _key((pid[live], n_pid), (dirc[live], n_dir), (chain[live], n_chain))
        lc, ld, lo = credit[live], date[live], order[live]
        rank, kept = rank_in_group(group, -depth[live], -lc, ld, lo)
        losers = np.flatnonzero(rank > 0)
        earlier = depth[live[losers]] < depth[live[kept[losers]]]
        reason[live[losers[earlier]]] = REASON_INDEX[ReasonCode.SUPERSEDED_BY_LATER_STAGE]
        reason[live[losers[~earlier]]] = REASON_INDEX[ReasonCode.SAME_STAGE_IN_CHAIN]
        if rules.chains.floor_at_earlier_stage:
            _, top = rank_in_group(group, -lc, ld, lo)
            winners = np.flatnonzero(rank == 0)
            raised = winners[lc[top[winners]] > lc[winners]]
            credit[live[raised]] = lc[top[raised]]
            floor_row[live[raised]] = row[live[top[raised]]]

    # 3. caps per kind, direction and season
    for kind_value, cap in rules.caps.items():
        live = np.flatnonzero((reason == COUNTED) & (kind == KINDS.index(ActivityKind(kind_value))))
        if len(live) <= cap:
            continue
        group = _key((pid[live], n_pid), (dirc[live], n_dir))
        rank, _ = rank_in_group(group, -credit[live], date[live], order[live])
        reason[live[rank >= cap]] = REASON_INDEX[ReasonCode.CAPPED]

    # 4. the best N contributions per participant and direction
    live = np.flatnonzero(reason == COUNTED)
    group = _key((pid[live], n_pid), (dirc[live], n_dir))
    rank, _ = rank_in_group(group, -credit[live], date[live], order[live])
    reason[live[rank >= rules.selection.best_n]] = REASON_INDEX[ReasonCode.BELOW_BEST_N]

    out[RC.REASON] = reason
    out[RC.CREDIT] = np.where(reason == COUNTED, credit, 0)
    out[RC.FLOOR_ROW] = floor_row
    return out
