"""A rated season's tables and the lookups that read them (codes of participants and directions,
contribution rows, standings).

Apart from the engine so that explanations (:mod:`models.rating.explain`) and gaps
(:mod:`models.rating.gaps`) read a rating without importing the engine that makes it: the engine
imports them, never the other way round.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pandas as pd

from core.errors import ConfigError, TalentError
from footprint.columns import Columns as C
from models.rating.codes import View
from models.rating.columns import RatingColumns as RC
from models.rating.rules import RatingRules

__all__ = ["RatedSeason", "UnknownParticipantError"]


class UnknownParticipantError(TalentError):
    """The participant is not in the snapshot the rating was computed from."""


@dataclass(frozen=True)
class RatedSeason:
    """One season's rating in one view: the tables and the lookups an explanation reads.

    The engine's :class:`~models.rating.engine.RatingResult` adds the explanations; they live
    apart so that :mod:`models.rating.explain` reads this class without importing the engine.

    Attributes
    ----------
    table
        One row per rated participant and direction: ``participant_id, direction, season,
        raw_points, score, place, diploma, provisional, n_counted, tie_break_results, deciding_at,
        rules_version``; sorted by direction, place, participant_id.
    thresholds
        One row per direction: ``direction, n_rated, r_ref, winner_slots, prize_winner_slots,
        n_winners, n_prize_winners``.
    contributions
        Integer-coded rows (achievement x direction) with their points, credit and reason code,
        sorted by participant and direction. Explanations are built from it on demand.
    """

    season: str
    view: View
    rules: RatingRules
    snapshot_id: str
    as_of: dt.datetime
    directions: tuple[str, ...]
    table: pd.DataFrame
    thresholds: pd.DataFrame
    contributions: pd.DataFrame
    achievements: pd.DataFrame
    scored: pd.DataFrame
    activities: pd.DataFrame
    activity_directions: pd.DataFrame
    participant_ids: pd.Index
    account_verified: np.ndarray
    ranked: pd.DataFrame

    @property
    def provisional(self) -> bool:
        return self.view == View.PROVISIONAL

    def participant_code(self, participant_id: str) -> int:
        """Engine code of ``participant_id``; raises :class:`UnknownParticipantError`."""
        code = self.participant_ids.get_indexer(pd.Index([participant_id]))[0]
        if code < 0:
            raise UnknownParticipantError(
                f"participant {participant_id!r} is not in snapshot {self.snapshot_id}"
            )
        return int(code)

    def direction_code(self, direction: str) -> int:
        """Engine code of ``direction``; raises :class:`ConfigError` for a direction not rated."""
        if direction not in self.directions:
            raise ConfigError(
                f"direction {direction!r} is not in this rating; "
                f"rated: {', '.join(self.directions)}"
            )
        return self.directions.index(direction)

    @cached_property
    def _row_keys(self) -> np.ndarray:
        # contributions are sorted by (pid, dir), so these keys are sorted too
        pid = self.contributions[RC.PID].to_numpy(np.int64)
        return pid * len(self.directions) + self.contributions[RC.DIR].to_numpy(np.int64)

    def rows_of(self, pid: int, dir_code: int) -> pd.DataFrame:
        """Contribution rows of one participant (code) in one direction (code)."""
        key = self._row_keys
        target = pid * len(self.directions) + dir_code
        lo, hi = np.searchsorted(key, target, "left"), np.searchsorted(key, target, "right")
        return self.contributions.iloc[lo:hi]

    @cached_property
    def _standing_index(self) -> pd.Index:
        return pd.MultiIndex.from_arrays([self.ranked[RC.PID], self.ranked[RC.DIR]])

    def standing(self, pid: int, dir_code: int) -> pd.Series | None:
        """The ranked row (codes, raw points, score, place, diploma, ...) or None if not rated."""
        pos = self._standing_index.get_indexer(pd.MultiIndex.from_tuples([(pid, dir_code)]))[0]
        return None if pos < 0 else self.ranked.iloc[pos]

    def top(self, direction: str, n: int = 10) -> pd.DataFrame:
        """The first ``n`` rows of one direction's table."""
        part = self.table[self.table[C.DIRECTION] == direction]
        return part.head(n)
