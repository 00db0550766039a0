"""From counted contributions to the table: raw points, normalised score, places and diplomas."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from models.rating.codes import COUNTED, REASON_INDEX, Diploma, ReasonCode
from models.rating.columns import RatingColumns as RC
from models.rating.rules import RatingRules

# Rows that passed eligibility and role dedupe: they are "verified results" for the tie-break even
# when a later rule (chain, cap, best N) kept them out of the sum.
_RESULT_REASONS = np.array(
    [
        COUNTED,
        REASON_INDEX[ReasonCode.SUPERSEDED_BY_LATER_STAGE],
        REASON_INDEX[ReasonCode.SAME_STAGE_IN_CHAIN],
        REASON_INDEX[ReasonCode.CAPPED],
        REASON_INDEX[ReasonCode.BELOW_BEST_N],
    ]
)


def totals(contributions: pd.DataFrame) -> pd.DataFrame:
    """Per participant and direction: raw points, counted rows, tie-break results, deciding date.

    Only pairs with at least one counted contribution are returned (``raw_points > 0``): these are
    the rated participants of the direction.
    """
    reason = contributions[RC.REASON].to_numpy()
    counted = reason == COUNTED
    is_result = np.isin(reason, _RESULT_REASONS) & contributions[RC.TIE_LEVEL].to_numpy(bool)
    frame = pd.DataFrame(
        {
            RC.PID: contributions[RC.PID].to_numpy(np.int64),
            RC.DIR: contributions[RC.DIR].to_numpy(np.int64),
            RC.RAW_POINTS: np.where(counted, contributions[RC.CREDIT].to_numpy(), 0.0),
            RC.N_COUNTED: counted.astype(np.int64),
            RC.TIE_RESULTS: is_result.astype(np.int64),
            RC.DECIDING_AT: np.where(
                counted, contributions[RC.DATE].to_numpy(np.int64), np.iinfo(np.int64).min
            ),
        }
    )
    # the frame arrives sorted by (pid, dir, ...) so sums are taken in one fixed order
    out = frame.groupby([RC.PID, RC.DIR], sort=True).agg(
        {
            RC.RAW_POINTS: "sum",
            RC.N_COUNTED: "sum",
            RC.TIE_RESULTS: "sum",
            RC.DECIDING_AT: "max",
        }
    )
    out = out[(out[RC.N_COUNTED] > 0) & (out[RC.RAW_POINTS] > 0)].reset_index()
    return out


def _slots(n: int, share: float) -> int:
    # tolerance so that 5% of 20 is exactly 1 despite binary floating point
    return math.floor(n * share + 1e-9)


def rank_directions(tot: pd.DataFrame, rules: RatingRules) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Normalise, order and award diplomas within each direction.

    Returns
    -------
    table
        ``tot`` plus ``score``, ``place`` (1 = best; fully tied participants share a place),
        ``diploma`` and the private ``_last`` (last position of the tie group, used by quotas).
    thresholds
        One row per direction: n_rated, r_ref, slots and diploma counts, used by what-if.
    """
    d = rules.diplomas
    tables: list[pd.DataFrame] = []
    thresholds: list[dict[str, float | int]] = []
    for _, part in tot.groupby(RC.DIR, sort=True):
        r = part[RC.RAW_POINTS].to_numpy(np.float64)
        n = len(r)
        r_ref = float(np.percentile(r, rules.normalisation.reference_percentile))
        score = 100.0 * np.minimum(1.0, r / r_ref) if r_ref > 0 else np.zeros(n)
        ties = part[RC.TIE_RESULTS].to_numpy(np.int64)
        deciding = part[RC.DECIDING_AT].to_numpy(np.int64)
        # S first; raw points next (only differs from S where S is capped at 100), if the rules
        # say so; then the tie-breaks
        keys = [-score, -r] if d.raw_points_before_tie_breaks else [-score]
        keys += [-ties.astype(np.float64), deciding.astype(np.float64)]
        idx = np.lexsort(keys[::-1])
        s_sorted = score[idx]
        new_group = np.zeros(n, dtype=bool)
        new_group[0] = True
        for key in keys:
            ordered = key[idx]
            new_group[1:] |= ordered[1:] != ordered[:-1]
        pos = np.arange(1, n + 1)
        first = np.maximum.accumulate(np.where(new_group, pos, 0))
        group_id = np.cumsum(new_group) - 1
        last_of_group = np.r_[pos[new_group][1:] - 1, n]
        last = last_of_group[group_id]

        winner_slots = _slots(n, d.winner_share)
        prize_slots = _slots(n, d.prize_winner_share)
        winner = (last <= winner_slots) & (s_sorted >= d.winner_min_score)
        n_winners = int(winner.sum())
        prize = ~winner & (last - n_winners <= prize_slots) & (s_sorted >= d.prize_winner_min_score)
        diploma = np.where(
            winner,
            Diploma.WINNER.value,
            np.where(prize, Diploma.PRIZE_WINNER.value, Diploma.NONE.value),
        )

        sorted_part = part.iloc[idx].copy()
        sorted_part[RC.SCORE] = s_sorted
        sorted_part[RC.PLACE] = first
        sorted_part[RC.LAST_POSITION] = last
        sorted_part[RC.DIPLOMA] = diploma
        tables.append(sorted_part)
        thresholds.append(
            {
                RC.DIR: int(part[RC.DIR].iloc[0]),
                RC.N_RATED: n,
                RC.R_REF: r_ref,
                RC.WINNER_SLOTS: winner_slots,
                RC.PRIZE_WINNER_SLOTS: prize_slots,
                RC.N_WINNERS: n_winners,
                RC.N_PRIZE_WINNERS: int(prize.sum()),
            }
        )
    columns = [*tot.columns, RC.SCORE, RC.PLACE, RC.LAST_POSITION, RC.DIPLOMA]
    if tables:
        table = pd.concat(tables, ignore_index=True)
    else:
        table = tot.iloc[:0].assign(
            **{
                RC.SCORE: np.zeros(0),
                RC.PLACE: np.zeros(0, dtype=np.int64),
                RC.LAST_POSITION: np.zeros(0, dtype=np.int64),
                RC.DIPLOMA: np.zeros(0, dtype=object),
            }
        )[columns]
    threshold_frame = pd.DataFrame(
        thresholds,
        columns=[
            RC.DIR,
            RC.N_RATED,
            RC.R_REF,
            RC.WINNER_SLOTS,
            RC.PRIZE_WINNER_SLOTS,
            RC.N_WINNERS,
            RC.N_PRIZE_WINNERS,
        ],
    )
    return table, threshold_frame
