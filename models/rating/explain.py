"""The stable JSON breakdown of a participant's rating, returned by the API as is.

Shape (``schema_version`` 1): the participant's standing (raw points, score S, place, diploma, the
tie-break values), then every achievement of the season in the direction with its factors, its
points, whether it counted and, if not, a reason code with a Russian text. Numbers are rounded to 4
decimals here; the rating table keeps full precision.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict

from footprint.columns import Columns as C
from footprint.directions import directions as configured_directions
from footprint.enums import RU_LABELS, ActivityKind, Level, ModerationStatus, Result
from models.rating.codes import (
    COUNTED,
    DIPLOMA_TEXT_RU,
    REASONS,
    Diploma,
    NoteCode,
    ReasonCode,
    View,
    note_text,
    reason_text,
)
from models.rating.columns import RatingColumns as RC

if TYPE_CHECKING:
    from models.rating.engine import RatingResult

SCHEMA_VERSION = "1"
DIGITS = 4

Param = str | int | float


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Reason(_Model):
    """Why an achievement did not count (or why a participant is not rated)."""

    code: ReasonCode
    text_ru: str
    params: dict[str, Param] = {}


class Note(_Model):
    """A remark on an achievement that counted."""

    code: NoteCode
    text_ru: str
    params: dict[str, Param] = {}


class Factors(_Model):
    """The factors whose product is the achievement's points in this direction."""

    base: float
    level: float
    result: float
    quality: float
    list_bonus: float
    direction_weight: float


class Contribution(_Model):
    """One achievement of the season in this direction."""

    achievement_id: str | None
    activity_id: str | None
    activity_title: str | None
    kind: ActivityKind
    level: Level
    result: Result
    status: ModerationStatus
    achieved_at: dt.datetime | None
    score: float | None
    team_id: str | None
    factors: Factors
    points: float
    credited_points: float
    counted: bool
    reason: Reason | None
    notes: list[Note] = []


class TieBreak(_Model):
    """Values that order participants with equal scores."""

    results_at_levels: int
    levels: list[Level]
    deciding_achieved_at: dt.datetime | None


class RatingExplanation(_Model):
    """Why a participant has the points, place and diploma they have in one direction."""

    schema_version: Literal["1"] = SCHEMA_VERSION
    participant_id: str
    direction: str
    direction_title_ru: str
    season: str
    view: View
    rules_version: str
    rated: bool
    not_rated_reason: Reason | None
    raw_points: float
    reference_points: float | None
    score: float
    place: int | None
    rated_count: int
    diploma: Diploma
    diploma_text_ru: str
    tie_break: TieBreak
    summary_ru: str
    contributions: list[Contribution]


def _r(value: float) -> float:
    return round(float(value), DIGITS)


def _ts(value: np.datetime64 | pd.Timestamp | None) -> dt.datetime | None:
    if value is None or pd.isna(value):
        return None
    return pd.Timestamp(value).to_pydatetime()


def reason_model(code: ReasonCode, **params: Param) -> Reason:
    """A :class:`Reason` with its Russian text."""
    return Reason(code=code, text_ru=reason_text(code, **params), params=params)


def contribution_reason(
    result: RatingResult, code: ReasonCode, kind: str, result_value: str
) -> Reason:
    """The reason for a non-counted contribution, with the parameters its text needs."""
    if code == ReasonCode.OUT_OF_SEASON:
        return reason_model(code, season=result.season)
    if code == ReasonCode.NO_POINTS:
        return reason_model(code, result=RU_LABELS.get(result_value, result_value))
    if code == ReasonCode.CAPPED:
        cap = result.rules.caps[ActivityKind(kind)]
        return reason_model(code, cap=cap, kind=RU_LABELS.get(kind, kind))
    if code == ReasonCode.BELOW_BEST_N:
        return reason_model(code, n=result.rules.selection.best_n)
    return reason_model(code)


def _contributions(result: RatingResult, rows: pd.DataFrame) -> list[Contribution]:
    ach = result.achievements
    acts = result.activities
    row = rows[RC.ROW].to_numpy(np.int64)
    act = rows[RC.ACT].to_numpy(np.int64)
    reason = rows[RC.REASON].to_numpy()
    credit = rows[RC.CREDIT].to_numpy(np.float64)
    wpoints = rows[RC.WPOINTS].to_numpy(np.float64)
    weight = rows[C.WEIGHT].to_numpy(np.float64)
    floor_row = rows[RC.FLOOR_ROW].to_numpy(np.int64)
    date = rows[RC.DATE].to_numpy(np.int64)
    # counted first (largest credit first), then the rest by date
    order = np.lexsort((rows[RC.ORDER].to_numpy(), date, -credit, reason != COUNTED))
    sub = ach.iloc[row]
    sc = result.scored.iloc[row]
    titles = acts[C.TITLE].iloc[act].to_numpy(object)
    kinds = acts[C.KIND].iloc[act].to_numpy(object)
    levels = acts[C.LEVEL].iloc[act].to_numpy(object)
    cols = {
        c: sub[c].to_numpy(object)
        for c in (C.ACHIEVEMENT_ID, C.ACTIVITY_ID, C.RESULT, C.STATUS, C.TEAM_ID)
    }
    scores = sub[C.SCORE].to_numpy(np.float64, na_value=np.nan)
    achieved = sub[C.ACHIEVED_AT].to_numpy("datetime64[us]")
    factors = {
        c: sc[c].to_numpy(np.float64)
        for c in (RC.BASE, RC.LEVEL_FACTOR, RC.RESULT_FACTOR, RC.QUALITY, RC.LIST_BONUS)
    }
    out: list[Contribution] = []
    for i in order:
        counted = reason[i] == COUNTED
        notes: list[Note] = []
        if counted and floor_row[i] >= 0:
            notes.append(
                Note(
                    code=NoteCode.RAISED_TO_EARLIER_STAGE,
                    text_ru=note_text(NoteCode.RAISED_TO_EARLIER_STAGE, points=_r(credit[i])),
                    params={
                        "points": _r(credit[i]),
                        "from_achievement_id": str(ach[C.ACHIEVEMENT_ID].iloc[floor_row[i]]),
                    },
                )
            )
        team = cols[C.TEAM_ID][i]
        out.append(
            Contribution(
                achievement_id=str(cols[C.ACHIEVEMENT_ID][i]),
                activity_id=str(cols[C.ACTIVITY_ID][i]),
                activity_title=None if pd.isna(titles[i]) else str(titles[i]),
                kind=kinds[i],
                level=levels[i],
                result=cols[C.RESULT][i],
                status=cols[C.STATUS][i],
                achieved_at=_ts(achieved[i]),
                score=None if np.isnan(scores[i]) else float(scores[i]),
                team_id=None if pd.isna(team) else str(team),
                factors=Factors(
                    base=_r(factors[RC.BASE][i]),
                    level=_r(factors[RC.LEVEL_FACTOR][i]),
                    result=_r(factors[RC.RESULT_FACTOR][i]),
                    quality=_r(factors[RC.QUALITY][i]),
                    list_bonus=_r(factors[RC.LIST_BONUS][i]),
                    direction_weight=_r(weight[i]),
                ),
                points=_r(wpoints[i]),
                credited_points=_r(credit[i]),
                counted=bool(counted),
                reason=None
                if counted
                else contribution_reason(
                    result, REASONS[reason[i] - 1], kinds[i], cols[C.RESULT][i]
                ),
                notes=notes,
            )
        )
    return out


def _summary(
    rated: bool,
    raw: float,
    score: float,
    place: int | None,
    n: int,
    diploma: Diploma,
    why: Reason | None,
) -> str:
    if not rated:
        return f"Участник не входит в рейтинг. {why.text_ru if why else ''}".strip()
    return (
        f"Сумма баллов {_r(raw)}, нормированный балл {round(score, 2)} из 100, место {place} "
        f"из {n}: {DIPLOMA_TEXT_RU[diploma]}."
    )


def build_explanation(result: RatingResult, pid: int, dir_code: int) -> RatingExplanation:
    """Build the explanation of participant ``pid`` in direction ``dir_code`` (engine codes)."""
    direction = result.directions[dir_code]
    titles = {d.code: d.title_ru for d in configured_directions()}
    rows = result.rows_of(pid, dir_code)
    standing = result.standing(pid, dir_code)
    thr = result.thresholds[result.thresholds[C.DIRECTION] == direction]
    n_rated = int(thr[RC.N_RATED].iloc[0]) if len(thr) else 0
    r_ref = float(thr[RC.R_REF].iloc[0]) if len(thr) else None
    tie_levels = sorted(result.rules.diplomas.tie_break_levels, key=list(Level).index)
    if standing is None:
        if result.view == View.OFFICIAL and not result.account_verified[pid]:
            why = reason_model(ReasonCode.ACCOUNT_UNVERIFIED)
        else:
            why = reason_model(ReasonCode.NO_COUNTED_ACHIEVEMENTS, season=result.season)
        rated, raw, score, place, diploma = False, 0.0, 0.0, None, Diploma.NONE
        tie = TieBreak(results_at_levels=0, levels=tie_levels, deciding_achieved_at=None)
    else:
        why = None
        rated = True
        raw, score = float(standing[RC.RAW_POINTS]), float(standing[RC.SCORE])
        place, diploma = int(standing[RC.PLACE]), Diploma(standing[RC.DIPLOMA])
        tie = TieBreak(
            results_at_levels=int(standing[RC.TIE_RESULTS]),
            levels=tie_levels,
            deciding_achieved_at=_ts(np.datetime64(int(standing[RC.DECIDING_AT]), "us")),
        )
    return RatingExplanation(
        participant_id=str(result.participant_ids[pid]),
        direction=direction,
        direction_title_ru=titles.get(direction, direction),
        season=result.season,
        view=result.view,
        rules_version=result.rules.version,
        rated=rated,
        not_rated_reason=why,
        raw_points=_r(raw),
        reference_points=None if r_ref is None else _r(r_ref),
        score=_r(score),
        place=place,
        rated_count=n_rated,
        diploma=diploma,
        diploma_text_ru=DIPLOMA_TEXT_RU[diploma],
        tie_break=tie,
        summary_ru=_summary(rated, raw, score, place, n_rated, diploma, why),
        contributions=_contributions(result, rows),
    )
