"""From counted contributions to the table: raw points, normalised score, places and diplomas.

Everything here is integer arithmetic on ten-thousandths (:data:`models.rating.points.POINT_SCALE`):
R is an exact sum, R_ref an exact interpolation rounded once, S an exact ratio rounded once, and the
quotas exact fractions of n. Two implementations that follow ``docs/rating.md`` therefore agree to
the last digit, and equal participants are equal.
"""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pandas as pd

from models.rating.codes import COUNTED, REASON_INDEX, Diploma, ReasonCode
from models.rating.columns import RatingColumns as RC
from models.rating.points import POINT_SCALE, round_half_even
from models.rating.rules import RatingRules

FULL_SCORE = 100 * POINT_SCALE
"""S = 100 in ten-thousandths."""

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

    Only pairs with at least one counted contribution and ``raw_points > 0`` are returned: these
    are the rated participants of the direction. R is the exact integer sum of the credits
    (``_raw_units``); ``raw_points`` is the same number divided by 10,000.
    """
    reason = contributions[RC.REASON].to_numpy()
    counted = reason == COUNTED
    is_result = np.isin(reason, _RESULT_REASONS) & contributions[RC.TIE_LEVEL].to_numpy(bool)
    frame = pd.DataFrame(
        {
            RC.PID: contributions[RC.PID].to_numpy(np.int64),
            RC.DIR: contributions[RC.DIR].to_numpy(np.int64),
            RC.RAW_UNITS: np.where(counted, contributions[RC.CREDIT].to_numpy(np.int64), 0),
            RC.N_COUNTED: counted.astype(np.int64),
            RC.TIE_RESULTS: is_result.astype(np.int64),
            RC.DECIDING_AT: np.where(
                counted, contributions[RC.DATE].to_numpy(np.int64), np.iinfo(np.int64).min
            ),
        }
    )
    out = frame.groupby([RC.PID, RC.DIR], sort=True).agg(
        {
            RC.RAW_UNITS: "sum",
            RC.N_COUNTED: "sum",
            RC.TIE_RESULTS: "sum",
            RC.DECIDING_AT: "max",
        }
    )
    out = out[(out[RC.N_COUNTED] > 0) & (out[RC.RAW_UNITS] > 0)].reset_index()
    out.insert(2, RC.RAW_POINTS, out[RC.RAW_UNITS].to_numpy(np.int64) / POINT_SCALE)
    return out


def _exact(value: float) -> Fraction:
    """A rules number as the decimal written in the file (0.05 is 1/20, not the nearest double)."""
    return Fraction(repr(value))


def slots(n: int, share: float) -> int:
    """floor(n x share), exactly: 5% of 20 is 1, 5% of 19 is 0."""
    return math.floor(n * _exact(share))


def min_score_units(min_score: float) -> int:
    """The smallest S (in ten-thousandths) that reaches ``min_score``."""
    return math.ceil(_exact(min_score) * POINT_SCALE)


def reference_units(raw_units: np.ndarray, percentile: float) -> int:
    """R_ref: the ``percentile`` of R (linear interpolation between closest ranks, as numpy's
    default), computed exactly and rounded once to ten-thousandths (ties to even).

    With R sorted ascending (R_0 .. R_{n-1}) and h = (n - 1) x percentile / 100:
    R_ref = R_floor(h) + (h - floor(h)) x (R_floor(h)+1 - R_floor(h)).
    """
    r = np.sort(raw_units)
    h = (len(r) - 1) * _exact(percentile) / 100
    lo = math.floor(h)
    hi = min(lo + 1, len(r) - 1)
    value = int(r[lo]) + (h - lo) * (int(r[hi]) - int(r[lo]))
    return round(value)


def score_units(raw_units: np.ndarray, r_ref_units: int) -> np.ndarray:
    """S = 100 x min(1, R / R_ref) in ten-thousandths: the exact ratio rounded once (ties to
    even), capped at 100."""
    if r_ref_units <= 0:
        return np.zeros(len(raw_units), dtype=np.int64)
    exact = round_half_even(raw_units.astype(np.int64) * FULL_SCORE, r_ref_units)
    return np.minimum(exact, FULL_SCORE)


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
        r = part[RC.RAW_UNITS].to_numpy(np.int64)
        n = len(r)
        r_ref = reference_units(r, rules.normalisation.reference_percentile)
        score = score_units(r, r_ref)
        ties = part[RC.TIE_RESULTS].to_numpy(np.int64)
        deciding = part[RC.DECIDING_AT].to_numpy(np.int64)
        # S first; raw points next (only differs from S where S is capped at 100, or where two R
        # round to the same S), if the rules say so; then the tie-breaks. All keys are integers.
        keys = [-score, -r] if d.raw_points_before_tie_breaks else [-score]
        keys += [-ties, deciding]
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

        winner_slots = slots(n, d.winner_share)
        prize_slots = slots(n, d.prize_winner_share)
        winner = (last <= winner_slots) & (s_sorted >= min_score_units(d.winner_min_score))
        n_winners = int(winner.sum())
        # the prize band starts after the actual winners, not after the winner slots
        prize = (
            ~winner
            & (last - n_winners <= prize_slots)
            & (s_sorted >= min_score_units(d.prize_winner_min_score))
        )
        diploma = np.where(
            winner,
            Diploma.WINNER.value,
            np.where(prize, Diploma.PRIZE_WINNER.value, Diploma.NONE.value),
        )

        sorted_part = part.iloc[idx].copy()
        sorted_part[RC.SCORE_UNITS] = s_sorted
        sorted_part[RC.SCORE] = s_sorted / POINT_SCALE
        sorted_part[RC.PLACE] = first
        sorted_part[RC.LAST_POSITION] = last
        sorted_part[RC.DIPLOMA] = diploma
        tables.append(sorted_part)
        thresholds.append(
            {
                RC.DIR: int(part[RC.DIR].iloc[0]),
                RC.N_RATED: n,
                RC.R_REF: r_ref / POINT_SCALE,
                RC.WINNER_SLOTS: winner_slots,
                RC.PRIZE_WINNER_SLOTS: prize_slots,
                RC.N_WINNERS: n_winners,
                RC.N_PRIZE_WINNERS: int(prize.sum()),
            }
        )
    columns = [*tot.columns, RC.SCORE_UNITS, RC.SCORE, RC.PLACE, RC.LAST_POSITION, RC.DIPLOMA]
    if tables:
        table = pd.concat(tables, ignore_index=True)
    else:
        table = tot.iloc[:0].assign(
            **{
                RC.SCORE_UNITS: np.zeros(0, dtype=np.int64),
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
