"""The contest rating on the live store, cached per season and view.

Every answer comes from :func:`models.rating.rate`, the function behind ``talent rate``, applied to
the live snapshot (:class:`~serving.services.live.LiveFootprint`), so the API and the CLI cannot
disagree. One :class:`~models.rating.RatingResult` per (season, view) is kept for the snapshot's
generation: a change of the store (a push, an erasure, a moderation decision, another process)
makes the next request recompute it.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from core.logs import get_logger
from footprint.calendar import latest_season_at, parse_season
from footprint.columns import Columns as C
from models.rating import RatingResult, load_rules, rate
from models.rating.codes import View
from serving.metrics import Metrics
from serving.services.live import LiveFootprint

log = get_logger(__name__)


@dataclass
class _Entry:
    generation: int
    result: RatingResult
    by_direction: dict[str, pd.DataFrame] = field(default_factory=dict)


class RatingService:
    """Cached ratings of the live store.

    Parameters
    ----------
    live
        The live snapshot of the store.
    rules_path
        A rules file, or None for the shipped rules of each season.
    metrics
        Where build counts and times go.
    """

    def __init__(
        self, live: LiveFootprint, *, rules_path: Path | None = None, metrics: Metrics | None = None
    ) -> None:
        self.live = live
        self._rules_path = rules_path
        self._metrics = metrics
        self._cache: dict[tuple[str, View], _Entry] = {}
        self._build_lock = threading.Lock()

    @property
    def generation(self) -> int:
        return self.live.generation

    def invalidate(self) -> None:
        """Forget every cached result (and the live snapshot); the next request reads the
        store whole (recovery)."""
        self.live.invalidate()

    def refresh(self) -> None:
        """Apply this process's own change now (a push, an erasure, a decision): the next
        answer reflects it, without reading the store whole."""
        self.live.refresh()

    def default_season(self) -> str:
        """The season running at the instant the store is read as of; in June-August, between
        seasons, the one that has just ended (the next one has no results yet); Moscow time."""
        return latest_season_at(self.live.now())

    def result(self, season: str, view: View = View.OFFICIAL) -> RatingResult:
        """The rating of ``season`` in ``view``, from the cache or computed now.

        Raises
        ------
        ValueError
            A malformed season name.
        core.errors.ConfigError
            Rules that do not cover the season.
        """
        parse_season(season)  # before any work
        return self._entry(season, view).result

    def _entry(self, season: str, view: View) -> _Entry:
        generation = self.live.check()
        key = (season, view)
        entry = self._cache.get(key)
        if entry is not None and entry.generation == generation:
            return entry
        with self._build_lock:
            entry = self._cache.get(key)
            if entry is not None and entry.generation == self.live.generation:
                return entry
            started = time.perf_counter()
            rules = load_rules(self._rules_path, season=season)
            generation, snapshot = self.live.snapshot()
            result = rate(snapshot, season, rules, provisional=view is View.PROVISIONAL)
            entry = _Entry(generation, result)
            self._cache[key] = entry
            seconds = time.perf_counter() - started
            if self._metrics is not None:
                self._metrics.rating_builds.inc()
                self._metrics.rating_build_seconds.observe(seconds)
            log.info(
                "rating_built",
                season=season,
                view=view.value,
                rows=len(result.table),
                seconds=round(seconds, 3),
                generation=generation,
            )
            return entry

    def direction_table(self, season: str, view: View, direction: str) -> pd.DataFrame:
        """One direction's rows of the table, in place order (kept with the cached result)."""
        entry = self._entry(season, view)
        part = entry.by_direction.get(direction)
        if part is None:
            table = entry.result.table
            part = table[table[C.DIRECTION] == direction].reset_index(drop=True)
            entry.by_direction[direction] = part
        return part
