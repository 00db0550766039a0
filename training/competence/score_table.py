"""Reading any long table of dated scores (CSV or Parquet) into a :class:`ScoreTable`.

The caller names the columns; a bad value is refused with its row (1-based, the header being
row 0 in a CSV's count) and field, nothing is guessed. Dates become years since the first record,
numbers are kept as they are (school years, semesters, test waves). An activity is the given
activity column *at its time point*, else the direction's time point, so an activity's scale is
always computed from results of one time point (never from later ones).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict

from core.errors import InputFileError
from features.score_history import ScoreTable

DAYS_PER_YEAR = 365.25
SHOWN_ROWS = 5


class ScoreColumns(BaseModel):
    """Which columns of the table hold what."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    participant: str
    direction: str
    time: str
    score: str
    max_score: str | None = None
    activity: str | None = None

    def required(self) -> list[str]:
        return [
            c
            for c in (
                self.participant,
                self.direction,
                self.time,
                self.score,
                self.max_score,
                self.activity,
            )
            if c is not None
        ]


def read_scores(path: Path) -> pd.DataFrame:
    """The table in a CSV or Parquet file."""
    path = Path(path)
    if not path.is_file():
        raise InputFileError(f"scores file {path} does not exist")
    try:
        if path.suffix.lower() in (".parquet", ".pq"):
            return pd.read_parquet(path)
        return pd.read_csv(path)
    except (OSError, ValueError, pd.errors.ParserError) as exc:
        raise InputFileError(f"scores file {path} cannot be read: {exc}") from exc


def _refuse(bad: np.ndarray, field: str, what: str) -> None:
    rows = np.flatnonzero(bad)
    if len(rows):
        shown = ", ".join(str(r + 1) for r in rows[:SHOWN_ROWS])
        more = f" and {len(rows) - SHOWN_ROWS} more" if len(rows) > SHOWN_ROWS else ""
        raise InputFileError(
            f"{len(rows)} row(s) have {what} in column {field!r}: "
            f"rows {shown}{more} (data rows, counted from 1)"
        )


def _times(raw: pd.Series, field: str) -> np.ndarray:
    number = (
        pd.to_numeric(raw, errors="coerce")
        if not pd.api.types.is_bool_dtype(raw)
        else pd.Series(np.nan, index=raw.index)
    )
    if number.notna().sum() == raw.notna().sum() and raw.notna().any():
        t = number.to_numpy(np.float64, na_value=np.nan)
        _refuse(~np.isfinite(t), field, "a missing or non-finite time")
        return t
    stamps = pd.to_datetime(raw, errors="coerce", utc=True, format="mixed")
    _refuse(stamps.isna().to_numpy(), field, "a missing or unreadable date")
    days = (stamps - stamps.min()).dt.total_seconds().to_numpy(np.float64) / 86_400.0
    return days / DAYS_PER_YEAR


def score_table(frame: pd.DataFrame, cols: ScoreColumns) -> ScoreTable:
    """Validate and encode the table; :class:`InputFileError` names the bad rows and field."""
    missing = [c for c in cols.required() if c not in frame.columns]
    if missing:
        raise InputFileError(
            f"the scores table has no column(s) {', '.join(map(repr, missing))}; "
            f"it has: {', '.join(map(str, frame.columns))}"
        )
    if frame.empty:
        raise InputFileError("the scores table has no rows")
    for field in (cols.participant, cols.direction):
        _refuse(frame[field].isna().to_numpy(), field, "a missing value")
    score = pd.to_numeric(frame[cols.score], errors="coerce").to_numpy(np.float64)
    _refuse(~np.isfinite(score), cols.score, "a missing or non-numeric score")
    if cols.max_score is not None:
        top = pd.to_numeric(frame[cols.max_score], errors="coerce").to_numpy(np.float64)
        _refuse(~(top > 0), cols.max_score, "a maximum score that is missing or not positive")
        _refuse(score > top, cols.score, "a score above the row's maximum score")
        score = score / top
    time = _times(frame[cols.time], cols.time)
    pid, participants = pd.factorize(frame[cols.participant].astype(str), sort=True)
    did, directions = pd.factorize(frame[cols.direction].astype(str), sort=True)
    act_key = [frame[cols.activity].astype(str).to_numpy()] if cols.activity else [did]
    act, _ = pd.factorize(pd.MultiIndex.from_arrays([*act_key, did, time]))
    return ScoreTable(
        pd.Index(participants),
        tuple(map(str, directions)),
        pid.astype(np.int64),
        did.astype(np.int64),
        time,
        score,
        act.astype(np.int64),
    )
