"""The stable JSON breakdown of a participant's rating, returned by the API as is.

Shape (``schema_version`` 1): the participant's standing (raw points, score S, place, diploma, the
tie-break values), then every achievement of the season in the direction with its factors, its
points, whether it counted and, if not, a reason code with a Russian text. Numbers are rounded to 4
decimals here; the rating table keeps full precision.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import TYPE_CHECKING, Final, Literal

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
from models.rating.points import POINT_SCALE

if TYPE_CHECKING:
    from models.rating.result import RatedSeason

SCHEMA_VERSION: Final = "1"
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


def _round(values: np.ndarray) -> list[float]:
    return np.round(np.asarray(values, dtype=np.float64), DIGITS).tolist()


def _iso(values: np.ndarray) -> list[str | None]:
    """ISO 8601 strings as pydantic writes naive datetimes (no fraction when it is zero)."""
    if len(values) == 0:
        return []
    text = np.datetime_as_string(values.astype("datetime64[us]"), unit="us")
    text = np.char.replace(text, ".000000", "")
    return [None if t == "NaT" else t for t in text.tolist()]


def _nullable(values: np.ndarray) -> list[str | None]:
    return [
        None if v is None or v is pd.NA or (isinstance(v, float) and np.isnan(v)) else str(v)
        for v in values
    ]


def reason_model(code: ReasonCode, **params: Param) -> Reason:
    """A :class:`Reason` with its Russian text."""
    return Reason(code=code, text_ru=reason_text(code, **params), params=params)


def _reason_params(
    result: RatedSeason, code: ReasonCode, kind: str, result_value: str
) -> dict[str, Param]:
    if code == ReasonCode.OUT_OF_SEASON:
        return {"season": result.season}
    if code == ReasonCode.NO_POINTS:
        return {"result": RU_LABELS.get(result_value, result_value)}
    if code == ReasonCode.CAPPED:
        return {"cap": result.rules.caps[ActivityKind(kind)], "kind": RU_LABELS.get(kind, kind)}
    if code == ReasonCode.BELOW_BEST_N:
        return {"n": result.rules.selection.best_n}
    if code == ReasonCode.NO_COUNTED_ACHIEVEMENTS:
        return {"season": result.season}
    return {}


def contribution_reason(
    result: RatedSeason, code: ReasonCode, kind: str, result_value: str
) -> Reason:
    """The reason for a non-counted contribution, with the parameters its text needs."""
    return reason_model(code, **_reason_params(result, code, kind, result_value))


def _reason_dict(
    result: RatedSeason, code: ReasonCode, kind: str = "", result_value: str = ""
) -> dict:
    params = _reason_params(result, code, kind, result_value)
    return {"code": code.value, "text_ru": reason_text(code, **params), "params": params}


def _presentation_order(rows: pd.DataFrame) -> np.ndarray:
    """By participant and direction; inside, counted first (largest credit first), then the rest by
    date, each tie finally by achievement id."""
    reason = rows[RC.REASON].to_numpy()
    credit = rows[RC.CREDIT].to_numpy(np.int64)
    return np.lexsort(
        (
            rows[RC.ORDER].to_numpy(),
            rows[RC.DATE].to_numpy(),
            -credit,
            reason != COUNTED,
            rows[RC.DIR].to_numpy(),
            rows[RC.PID].to_numpy(),
        )
    )


def _contribution_dicts(result: RatedSeason, rows: pd.DataFrame) -> list[dict]:
    """One JSON-ready dict per row (in the order of ``rows``), built column-wise."""
    row = rows[RC.ROW].to_numpy(np.int64)
    act = rows[RC.ACT].to_numpy(np.int64)
    # gather the rows first: converting whole columns would cost the size of the season
    ach = result.achievements.iloc[row]
    acts = result.activities.iloc[act]
    sc = result.scored.iloc[row]
    reason = rows[RC.REASON].to_numpy().tolist()
    credit = _round(rows[RC.CREDIT].to_numpy(np.int64) / POINT_SCALE)
    floor_row = rows[RC.FLOOR_ROW].to_numpy(np.int64)
    raised = floor_row >= 0
    floor_from: list[str | None] = [None] * len(row)
    if raised.any():
        ids = result.achievements[C.ACHIEVEMENT_ID].iloc[floor_row[raised]].to_numpy(object)
        for i, v in zip(np.flatnonzero(raised).tolist(), ids.tolist(), strict=True):
            floor_from[i] = v
    kinds = acts[C.KIND].to_numpy(object).tolist()
    results = ach[C.RESULT].to_numpy(object).tolist()
    cols = {
        "achievement_id": ach[C.ACHIEVEMENT_ID].to_numpy(object).tolist(),
        "activity_id": ach[C.ACTIVITY_ID].to_numpy(object).tolist(),
        "activity_title": _nullable(acts[C.TITLE].to_numpy(object)),
        "kind": kinds,
        "level": acts[C.LEVEL].to_numpy(object).tolist(),
        "result": results,
        "status": ach[C.STATUS].to_numpy(object).tolist(),
        "achieved_at": _iso(ach[C.ACHIEVED_AT].to_numpy("datetime64[us]")),
        "score": [
            None if np.isnan(v) else v
            for v in ach[C.SCORE].to_numpy(np.float64, na_value=np.nan).tolist()
        ],
        "team_id": _nullable(ach[C.TEAM_ID].to_numpy(object)),
    }
    factor_cols = {
        "base": _round(sc[RC.BASE].to_numpy()),
        "level": _round(sc[RC.LEVEL_FACTOR].to_numpy()),
        "result": _round(sc[RC.RESULT_FACTOR].to_numpy()),
        "quality": _round(sc[RC.QUALITY].to_numpy()),
        "list_bonus": _round(sc[RC.LIST_BONUS].to_numpy()),
        "direction_weight": _round(rows[C.WEIGHT].to_numpy()),
    }
    points = _round(rows[RC.UNITS].to_numpy(np.int64) / POINT_SCALE)
    cache: dict[tuple[int, str, str], dict] = {}
    out: list[dict] = []
    for i in range(len(row)):
        counted = reason[i] == COUNTED
        why = None
        if not counted:
            key = (reason[i], kinds[i], results[i])
            if key not in cache:
                cache[key] = _reason_dict(result, REASONS[reason[i] - 1], kinds[i], results[i])
            why = cache[key]
        notes = []
        if counted and raised[i]:
            notes.append(
                {
                    "code": NoteCode.RAISED_TO_EARLIER_STAGE.value,
                    "text_ru": note_text(NoteCode.RAISED_TO_EARLIER_STAGE, points=credit[i]),
                    "params": {"points": credit[i], "from_achievement_id": floor_from[i]},
                }
            )
        item = {name: values[i] for name, values in cols.items()}
        item["factors"] = {name: values[i] for name, values in factor_cols.items()}
        item["points"] = points[i]
        item["credited_points"] = credit[i]
        item["counted"] = counted
        item["reason"] = why
        item["notes"] = notes
        out.append(item)
    return out


def _summary(
    rated: bool,
    raw: float,
    score: float,
    place: int | None,
    n: int,
    diploma: Diploma,
    why: dict | None,
) -> str:
    if not rated:
        return f"Участник не входит в рейтинг. {why['text_ru'] if why else ''}".strip()
    return (
        f"Сумма баллов {raw}, нормированный балл {round(score, 2)} из 100, место {place} "
        f"из {n}: {DIPLOMA_TEXT_RU[diploma]}."
    )


class _Context:
    """Per-rating lookups shared by every explanation (standings, thresholds, titles)."""

    def __init__(self, result: RatedSeason, bulk: bool = False) -> None:
        self.result = result
        n_dir = len(result.directions)
        self.n_dir = n_dir
        self.standing: dict[int, tuple] | None = None
        if bulk:
            ranked = result.ranked
            keys = (
                ranked[RC.PID].to_numpy(np.int64) * n_dir + ranked[RC.DIR].to_numpy(np.int64)
            ).tolist()
            self.standing = dict(zip(keys, self._standing_values(ranked), strict=True))
        thr = result.thresholds
        self.thresholds = {
            d: (int(n), float(np.round(r, DIGITS)))
            for d, n, r in zip(thr[C.DIRECTION], thr[RC.N_RATED], thr[RC.R_REF], strict=True)
        }
        self.titles = {d.code: d.title_ru for d in configured_directions()}
        self.tie_levels = [lv.value for lv in Level if lv in result.rules.diplomas.tie_break_levels]

    @staticmethod
    def _standing_values(ranked: pd.DataFrame) -> list[tuple]:
        return list(
            zip(
                _round(ranked[RC.RAW_POINTS].to_numpy()),
                _round(ranked[RC.SCORE].to_numpy()),
                ranked[RC.PLACE].to_numpy(np.int64).tolist(),
                ranked[RC.DIPLOMA].tolist(),
                ranked[RC.TIE_RESULTS].to_numpy(np.int64).tolist(),
                _iso(ranked[RC.DECIDING_AT].to_numpy(np.int64).astype("datetime64[us]")),
                strict=True,
            )
        )

    def _standing_of(self, pid: int, dir_code: int) -> tuple | None:
        if self.standing is not None:
            return self.standing.get(pid * self.n_dir + dir_code)
        row = self.result.standing(pid, dir_code)
        return None if row is None else self._standing_values(row.to_frame().T)[0]

    def explanation(self, pid: int, dir_code: int, contributions: list[dict]) -> dict:
        result = self.result
        direction = result.directions[dir_code]
        n_rated, r_ref = self.thresholds.get(direction, (0, None))
        found = self._standing_of(pid, dir_code)
        if found is None:
            if result.view == View.OFFICIAL and not result.account_verified[pid]:
                why = _reason_dict(result, ReasonCode.ACCOUNT_UNVERIFIED)
            else:
                why = _reason_dict(result, ReasonCode.NO_COUNTED_ACHIEVEMENTS)
            rated, raw, score, place, diploma, ties, deciding = (
                False,
                0.0,
                0.0,
                None,
                Diploma.NONE,
                0,
                None,
            )
        else:
            why = None
            rated = True
            raw, score, place, diploma_value, ties, deciding = found
            diploma = Diploma(diploma_value)
        return {
            "schema_version": SCHEMA_VERSION,
            "participant_id": str(result.participant_ids[pid]),
            "direction": direction,
            "direction_title_ru": self.titles.get(direction, direction),
            "season": result.season,
            "view": result.view.value,
            "rules_version": result.rules.version,
            "rated": rated,
            "not_rated_reason": why,
            "raw_points": raw,
            "reference_points": r_ref,
            "score": score,
            "place": place,
            "rated_count": n_rated,
            "diploma": diploma.value,
            "diploma_text_ru": DIPLOMA_TEXT_RU[diploma],
            "tie_break": {
                "results_at_levels": ties,
                "levels": self.tie_levels,
                "deciding_achieved_at": deciding,
            },
            "summary_ru": _summary(rated, raw, score, place, n_rated, diploma, why),
            "contributions": contributions,
        }


def explanation_dicts(
    result: RatedSeason, direction: str | None = None, chunk_groups: int = 20_000
) -> Iterator[dict]:
    """JSON-ready explanations of every participant with achievements in the season.

    Each dict equals ``RatingExplanation.model_dump(mode="json")`` (the tests check it) but is
    built column-wise without per-object validation, so all participants can be written quickly;
    ``chunk_groups`` explanations are prepared at a time.
    """
    rows = result.contributions
    if direction is not None:
        rows = rows[rows[RC.DIR] == result.direction_code(direction)]
    rows = rows.iloc[_presentation_order(rows)]
    if rows.empty:
        return
    context = _Context(result, bulk=True)
    key = rows[RC.PID].to_numpy(np.int64) * context.n_dir + rows[RC.DIR].to_numpy(np.int64)
    bounds = np.r_[np.flatnonzero(np.r_[True, key[1:] != key[:-1]]), len(key)].tolist()
    # build the contribution dicts a chunk of whole groups at a time, so memory stays bounded
    chunk_start = 0
    while chunk_start < len(bounds) - 1:
        chunk_end = min(chunk_start + chunk_groups, len(bounds) - 1)
        lo_row, hi_row = bounds[chunk_start], bounds[chunk_end]
        items = _contribution_dicts(result, rows.iloc[lo_row:hi_row])
        for g in range(chunk_start, chunk_end):
            lo, hi = bounds[g], bounds[g + 1]
            pid, dir_code = divmod(int(key[lo]), context.n_dir)
            yield context.explanation(pid, dir_code, items[lo - lo_row : hi - lo_row])
        chunk_start = chunk_end


def build_explanation(result: RatedSeason, pid: int, dir_code: int) -> RatingExplanation:
    """The validated explanation of participant ``pid`` in direction ``dir_code`` (engine codes)."""
    rows = result.rows_of(pid, dir_code)
    rows = rows.iloc[_presentation_order(rows)]
    data = _Context(result).explanation(pid, dir_code, _contribution_dicts(result, rows))
    return RatingExplanation.model_validate(data)
