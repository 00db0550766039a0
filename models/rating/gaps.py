"""How far a participant is from each diploma, at the current thresholds of a computed rating.

A diploma goes to a participant whose whole tie group ends within the band (see
``docs/rating.md``). With the others' standings fixed, that holds exactly when the participant is
ahead of the *rival*: whoever would hold the band's last position without them. The gap is the
least raw points (in ten-thousandths) that put the participant ahead of the rival by points alone
(S, then R when the rules order by R before the tie-breaks) and reach the band's minimum score.
Tie-breaks are never counted on: a new achievement changes the deciding date, so they are a bonus.

A member of a tie group that straddles the band's end has no diploma though the band reaches their
place; what they need is to get ahead of the rest of their group, one ten-thousandth of a point
(or one score step) more, not "0.0 points".
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict

from footprint.columns import Columns as C
from models.rating.codes import DIPLOMA_TEXT_RU, Diploma, GapCode, gap_text
from models.rating.columns import RatingColumns as RC
from models.rating.points import POINT_SCALE
from models.rating.ranking import FULL_SCORE, min_score_units, score_units

if TYPE_CHECKING:
    from models.rating.result import RatedSeason


class Gap(BaseModel):
    """Distance to one diploma at the current thresholds."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    diploma: Diploma
    code: GapCode
    reachable: bool
    threshold_raw_points: float | None
    points_needed: float | None
    text_ru: str


def raw_for_score(target_units: int, r_ref_units: int) -> int | None:
    """The least R (ten-thousandths) whose S reaches ``target_units``; None above S = 100."""
    if target_units > FULL_SCORE:
        return None
    if target_units <= 0:
        return 0
    # S(r) = round(r x FULL_SCORE / R_ref) is non-decreasing in r: start near the answer, settle
    r = max(0, ((2 * target_units - 1) * r_ref_units) // (2 * FULL_SCORE))
    while r > 0 and _score(r - 1, r_ref_units) >= target_units:
        r -= 1
    while _score(r, r_ref_units) < target_units:
        r += 1
    return r


def _score(raw_units: int, r_ref_units: int) -> int:
    return int(score_units(np.array([raw_units], dtype=np.int64), r_ref_units)[0])


def _points(units: int) -> float:
    return round(units / POINT_SCALE, 4)


def diploma_gap(
    result: RatedSeason, dir_code: int, pid: int, raw_units: int, diploma: Diploma, target: Diploma
) -> Gap:
    """The gap of participant ``pid`` (engine code) with ``raw_units`` to the ``target`` diploma."""
    label = DIPLOMA_TEXT_RU[target]
    direction = result.directions[dir_code]
    thr = result.thresholds[result.thresholds[C.DIRECTION] == direction]

    def closed(code: GapCode, reachable: bool, needed: float | None) -> Gap:
        return Gap(
            diploma=target,
            code=code,
            reachable=reachable,
            threshold_raw_points=None,
            points_needed=needed,
            text_ru=gap_text(code, diploma=label),
        )

    if diploma == Diploma.WINNER or diploma == target:
        return closed(GapCode.HELD, True, 0.0)
    if thr.empty or float(thr[RC.R_REF].iloc[0]) <= 0:
        return closed(GapCode.NO_RATED, False, None)
    d = result.rules.diplomas
    r_ref = int(np.rint(float(thr[RC.R_REF].iloc[0]) * POINT_SCALE))
    if target == Diploma.WINNER:
        slots, min_score = int(thr[RC.WINNER_SLOTS].iloc[0]), d.winner_min_score
        band_end = slots
    else:
        slots, min_score = int(thr[RC.PRIZE_WINNER_SLOTS].iloc[0]), d.prize_winner_min_score
        band_end = int(thr[RC.N_WINNERS].iloc[0]) + slots
    if slots == 0:
        return closed(GapCode.ZERO_QUOTA, False, None)

    need = raw_for_score(min_score_units(min_score), r_ref)
    ranked = result.ranked[result.ranked[RC.DIR] == dir_code]
    others = ranked[ranked[RC.PID] != pid]
    if band_end <= len(others):
        rival = others.iloc[band_end - 1]
        rival_raw, rival_score = int(rival[RC.RAW_UNITS]), int(rival[RC.SCORE_UNITS])
        if d.raw_points_before_tie_breaks:
            ahead = rival_raw + 1  # S never falls as R grows, so R > rival's R is ahead
        else:
            ahead = raw_for_score(rival_score + 1, r_ref)  # type: ignore[assignment]
        if ahead is None:
            return closed(GapCode.TIE_BREAKS_ONLY, True, None)
        need = max(need or 0, ahead)
    assert need is not None  # the minimum score is at most 100
    needed = max(0, need - raw_units)
    code, params = GapCode.NEEDS_POINTS, {}
    mine = ranked[ranked[RC.PID] == pid]
    if len(mine):
        place, last = int(mine[RC.PLACE].iloc[0]), int(mine[RC.LAST_POSITION].iloc[0])
        reaches = int(mine[RC.SCORE_UNITS].iloc[0]) >= min_score_units(min_score)
        if place <= band_end < last and reaches:
            code, params = GapCode.TIED_GROUP, {"place": place, "others": last - place}
    return Gap(
        diploma=target,
        code=code,
        reachable=True,
        threshold_raw_points=_points(need),
        points_needed=_points(needed),
        text_ru=gap_text(
            code,
            diploma=label,
            needed=_points(needed),
            threshold=_points(need),
            **params,
        ),
    )


def standing_units(standing: pd.Series | None) -> int:
    """R in ten-thousandths of a ranked row (0 when not rated)."""
    return 0 if standing is None else int(standing[RC.RAW_UNITS])
