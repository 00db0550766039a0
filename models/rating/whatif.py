"""What-if: how far a participant is from a diploma, and what a hypothetical achievement would add.

Thresholds are the current ones (the rating as computed, with its R_ref and quotas): they move when
anyone's points move, so the figures are a guide, not a promise. Hypothetical achievements go
through the same scoring (:mod:`models.rating.points`) and the same selection (role, chain, caps,
best N) as real ones, so "what it adds" is what it would add after caps and best-N.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, model_validator

from core.errors import ConfigError
from footprint.calendar import parse_season, season_bounds
from footprint.columns import Columns as C
from footprint.enums import ActivityKind, Level, Result
from models.rating.chains import NO_CHAIN
from models.rating.codes import (
    COUNTED,
    REASON_INDEX,
    REASONS,
    Diploma,
    ReasonCode,
    View,
)
from models.rating.columns import RatingColumns as RC
from models.rating.engine import RatingResult
from models.rating.explain import Reason, contribution_reason
from models.rating.gaps import Gap, diploma_gap, standing_units
from models.rating.points import (
    POINT_SCALE,
    achievement_points,
    activity_factors,
    quality_from_performance,
    result_factors,
    weighted_units,
)
from models.rating.ranking import score_units
from models.rating.selection import select

# reasons decided by eligibility stay; the ones decided by selection are recomputed with the
# hypothetical rows present
_SELECTION_REASONS = np.array(
    [
        REASON_INDEX[c]
        for c in (
            ReasonCode.DUPLICATE_ROLE,
            ReasonCode.SUPERSEDED_BY_LATER_STAGE,
            ReasonCode.SAME_STAGE_IN_CHAIN,
            ReasonCode.CAPPED,
            ReasonCode.BELOW_BEST_N,
        )
    ]
)


class HypotheticalAchievement(BaseModel):
    """An achievement the participant might earn, assumed verified and inside the season.

    Give ``activity_id`` of a catalogue activity (its kind, level, list level, directions and
    selection chain are then taken from the snapshot), or ``kind`` and ``level`` for a generic one.
    Fields given explicitly override the activity's.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    activity_id: str | None = None
    kind: ActivityKind | None = None
    level: Level | None = None
    result: Result
    percentile: float = Field(
        0.5,
        ge=0,
        le=1,
        description="performance p in quality = floor + slope x p (score percentile or score/max)",
    )
    olympiad_list_level: int | None = Field(None, ge=1, le=3)
    direction_weight: float | None = Field(None, gt=0, le=1)
    achieved_at: dt.datetime | None = None

    @model_validator(mode="after")
    def _identified(self) -> HypotheticalAchievement:
        if self.activity_id is None and (self.kind is None or self.level is None):
            raise ValueError("give activity_id, or both kind and level")
        return self


class HypotheticalOutcome(BaseModel):
    """What one hypothetical achievement would add on its own."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    achievement: HypotheticalAchievement
    points: float
    points_added: float
    counted: bool
    reason: Reason | None


class WhatIf(BaseModel):
    """Gaps to the diplomas and the effect of hypothetical achievements, for one direction."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    participant_id: str
    direction: str
    season: str
    view: View
    rules_version: str
    raw_points: float
    score: float
    place: int | None
    diploma: Diploma
    reference_points: float | None
    to_prize_winner: Gap
    to_winner: Gap
    outcomes: list[HypotheticalOutcome]
    points_added: float
    new_raw_points: float
    new_score_at_current_reference: float


def _r(value: float) -> float:
    return round(float(value), 4)


def _points(units: int) -> float:
    """Ten-thousandths as the 4-decimal number they are."""
    return round(units / POINT_SCALE, 4)


def _hypothetical_rows(
    result: RatingResult,
    pid: int,
    dir_code: int,
    items: Sequence[HypotheticalAchievement],
    next_row: int,
    next_order: int,
) -> tuple[pd.DataFrame, np.ndarray]:
    """Contribution rows for the hypothetical achievements (and their points before selection)."""
    acts = result.activities
    act_index = pd.Index(acts[C.ACTIVITY_ID].astype("object"))
    direction = result.directions[dir_code]
    _, last_day = season_bounds(parse_season(result.season))
    rows: list[dict[str, object]] = []
    spec: list[dict[str, object]] = []
    for i, h in enumerate(items):
        code = -1
        weight = 1.0
        list_level = h.olympiad_list_level
        kind, level = h.kind, h.level
        chain, depth = NO_CHAIN, 0
        if h.activity_id is not None:
            code = int(act_index.get_indexer(pd.Index([h.activity_id]))[0])
            if code < 0:
                raise ConfigError(
                    f"activity {h.activity_id!r} is not in snapshot {result.snapshot_id}"
                )
            a = acts.iloc[code]
            kind = kind or ActivityKind(a[C.KIND])
            level = level or Level(a[C.LEVEL])
            if list_level is None and not pd.isna(a[C.OLYMPIAD_LIST_LEVEL]):
                list_level = int(a[C.OLYMPIAD_LIST_LEVEL])
            chain, depth = int(a[RC.CHAIN]), int(a[RC.DEPTH])
            weight = _activity_weight(result, h.activity_id, direction)
        if h.direction_weight is not None:
            weight = h.direction_weight
        spec.append({C.KIND: kind, C.LEVEL: level, C.OLYMPIAD_LIST_LEVEL: list_level})
        when = h.achieved_at or dt.datetime.combine(last_day, dt.time())
        rows.append(
            {
                RC.ROW: next_row + i,
                RC.PID: pid,
                RC.DIR: dir_code,
                RC.ACT: code if code >= 0 else -1 - i,
                RC.CHAIN: chain,
                RC.DEPTH: depth,
                RC.DATE: int(np.datetime64(when, "us").astype(np.int64)),
                RC.ORDER: next_order + i,
                C.WEIGHT: weight,
            }
        )
    frame = pd.DataFrame(rows)
    spec_frame = pd.DataFrame(spec, columns=[C.KIND, C.LEVEL, C.OLYMPIAD_LIST_LEVEL])
    spec_frame[C.OLYMPIAD_LIST_LEVEL] = spec_frame[C.OLYMPIAD_LIST_LEVEL].astype("Float64")
    factors = activity_factors(spec_frame, result.rules)
    kind_code = factors[RC.KIND_CODE].to_numpy()
    result_factor = result_factors(
        np.array([h.result.value for h in items], dtype=object), kind_code, result.rules
    )
    quality = quality_from_performance(np.array([h.percentile for h in items]), result.rules)
    points = achievement_points(
        factors[RC.BASE].to_numpy(),
        factors[RC.LEVEL_FACTOR].to_numpy(),
        result_factor,
        quality,
        factors[RC.LIST_BONUS].to_numpy(),
    )
    units = weighted_units(points, frame[C.WEIGHT].to_numpy(np.float64))
    frame[RC.KIND_CODE] = kind_code
    frame[RC.UNITS] = units
    frame[RC.TIE_LEVEL] = factors[RC.TIE_LEVEL].to_numpy(bool)
    blocked = result.view == View.OFFICIAL and not result.account_verified[pid]
    frame[RC.REASON] = np.where(
        blocked,
        REASON_INDEX[ReasonCode.ACCOUNT_UNVERIFIED],
        np.where(points > 0, COUNTED, REASON_INDEX[ReasonCode.NO_POINTS]),
    ).astype(np.int16)
    frame[C.KIND] = [str(k) for k in spec_frame[C.KIND]]
    return frame, units


def _activity_weight(result: RatingResult, activity_id: str, direction: str) -> float:
    """The activity's weight in ``direction``; 0 when the activity is off that direction."""
    ad = result.activity_directions
    hit = ad[(ad[C.ACTIVITY_ID] == activity_id) & (ad[C.DIRECTION] == direction)]
    return float(hit[C.WEIGHT].iloc[0]) if len(hit) else 0.0


def _credited(frame: pd.DataFrame, rules_result: RatingResult) -> pd.DataFrame:
    reset = frame.copy()
    reason = reset[RC.REASON].to_numpy().copy()
    reason[np.isin(reason, _SELECTION_REASONS)] = COUNTED
    reset[RC.REASON] = reason
    return select(reset, rules_result.rules)


def what_if(
    result: RatingResult,
    participant_id: str,
    direction: str,
    hypothetical: HypotheticalAchievement | Sequence[HypotheticalAchievement] = (),
) -> WhatIf:
    """Points still needed for each diploma, and what hypothetical achievements would add.

    Parameters
    ----------
    result
        A computed rating (official or provisional view).
    participant_id, direction
        Whose standing, in which direction.
    hypothetical
        Achievements the participant might earn; each is scored alone (``outcomes``) and all
        together (``points_added``), after role dedupe, chains, caps and best N.

    Returns
    -------
    WhatIf
        Gaps to prize-winner and winner at the current thresholds, and the hypothetical outcomes.
    """
    items = (
        [hypothetical] if isinstance(hypothetical, HypotheticalAchievement) else list(hypothetical)
    )
    pid = result.participant_code(participant_id)
    dir_code = result.direction_code(direction)
    standing = result.standing(pid, dir_code)
    raw = standing_units(standing)
    if standing is None:
        score, place, diploma = 0.0, None, Diploma.NONE
    else:
        score, place = float(standing[RC.SCORE]), int(standing[RC.PLACE])
        diploma = Diploma(standing[RC.DIPLOMA])
    thr = result.thresholds[result.thresholds[C.DIRECTION] == direction]
    r_ref = float(thr[RC.R_REF].iloc[0]) if len(thr) else None

    existing = result.rows_of(pid, dir_code)
    base_cols = [c for c in existing.columns if c not in (RC.CREDIT, RC.FLOOR_ROW)]
    existing = existing[base_cols]
    base_total = int(_credited(existing, result)[RC.CREDIT].sum())
    outcomes: list[HypotheticalOutcome] = []
    combined_added = 0
    if items:
        next_row = len(result.achievements)
        next_order = int(result.contributions[RC.ORDER].to_numpy().max(initial=0)) + 1
        hyp, units = _hypothetical_rows(result, pid, dir_code, items, next_row, next_order)
        kinds = hyp.pop(C.KIND)
        for i, h in enumerate(items):
            alone = _credited(pd.concat([existing, hyp.iloc[[i]]], ignore_index=True), result)
            mine = alone[alone[RC.ROW] == next_row + i].iloc[0]
            code = int(mine[RC.REASON])
            kind = str(kinds.iloc[i])
            outcomes.append(
                HypotheticalOutcome(
                    achievement=h,
                    points=_points(int(units[i])),
                    points_added=_points(int(alone[RC.CREDIT].sum()) - base_total),
                    counted=code == COUNTED,
                    reason=None
                    if code == COUNTED
                    else contribution_reason(result, REASONS[code - 1], kind, h.result.value),
                )
            )
        together = _credited(pd.concat([existing, hyp], ignore_index=True), result)
        combined_added = int(together[RC.CREDIT].sum()) - base_total
    new_raw = raw + combined_added
    new_score = 0
    if r_ref:
        r_ref_units = int(np.rint(r_ref * POINT_SCALE))
        new_score = int(score_units(np.array([new_raw], dtype=np.int64), r_ref_units)[0])
    return WhatIf(
        participant_id=participant_id,
        direction=direction,
        season=result.season,
        view=result.view,
        rules_version=result.rules.version,
        raw_points=_points(raw),
        score=_r(score),
        place=place,
        diploma=diploma,
        reference_points=None if r_ref is None else _r(r_ref),
        to_prize_winner=diploma_gap(result, dir_code, pid, raw, diploma, Diploma.PRIZE_WINNER),
        to_winner=diploma_gap(result, dir_code, pid, raw, diploma, Diploma.WINNER),
        outcomes=outcomes,
        points_added=_points(combined_added),
        new_raw_points=_points(new_raw),
        new_score_at_current_reference=_points(new_score),
    )
