"""The contest rating on the live store, cached per season and view.

Every answer comes from :func:`models.rating.rate`, the function behind ``talent rate``, applied to
snapshot frames built in memory from the store (:func:`footprint.snapshot.read_frames`), so the API
and the CLI cannot disagree. Building costs seconds on a large store, so one
:class:`~models.rating.RatingResult` per (season, view) is kept until the store changes:

- this process invalidates the cache explicitly after a push, an erasure or a moderation decision
  that changed something;
- changes made by other processes (another worker, ``talent ingest``) are noticed through a cheap
  fingerprint of the store, checked at most every ``check_seconds``.

A stale build (the store changed while it ran) is not served afterwards: entries carry the
generation they were built for.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
from sqlalchemy import func, select

from footprint import tables as ft
from footprint.calendar import parse_season, season_name, season_start_year
from footprint.columns import Columns as C
from footprint.frames import Snapshot
from footprint.logs import get_logger
from footprint.snapshot import read_frames
from footprint.store import Store
from models.rating import RatingResult, load_rules, rate
from models.rating.codes import View
from serving.metrics import Metrics
from serving.tables import audit_log

log = get_logger(__name__)
SUMMER_MONTHS = frozenset({6, 7, 8})


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


@dataclass
class _Entry:
    generation: int
    result: RatingResult
    by_direction: dict[str, pd.DataFrame] = field(default_factory=dict)


class RatingService:
    """Cached ratings of the live store.

    Parameters
    ----------
    store
        The footprint store.
    rules_path
        A rules file, or None for the shipped rules of each season.
    as_of
        A fixed instant to read the store as of (a replayed or simulated world), or None for the
        moment of each build.
    check_seconds
        How often to look for changes made by other processes; 0 checks on every request.
    metrics
        Where build counts and times go.
    """

    def __init__(
        self,
        store: Store,
        *,
        rules_path: Path | None = None,
        as_of: dt.datetime | None = None,
        check_seconds: float = 5.0,
        metrics: Metrics | None = None,
    ) -> None:
        self._store = store
        self._rules_path = rules_path
        self._as_of = as_of
        self._check_seconds = check_seconds
        self._metrics = metrics
        self._cache: dict[tuple[str, View], _Entry] = {}
        self._snapshot: tuple[int, Snapshot] | None = None
        self._generation = 0
        self._lock = threading.Lock()
        self._build_lock = threading.Lock()
        self._fingerprint: tuple[int, ...] | None = None
        self._checked_at = 0.0

    @property
    def generation(self) -> int:
        """Increases every time the cache is invalidated."""
        return self._generation

    def default_season(self) -> str:
        """The season running at the instant the store is read as of; in June-August, between
        seasons, the one that has just ended (the next one has no results yet)."""
        day = (self._as_of or utc_now()).date()
        year = season_start_year(day)
        return season_name(year - 1 if day.month in SUMMER_MONTHS else year)

    def invalidate(self) -> None:
        """Forget every cached result; the next request rebuilds from the store."""
        with self._lock:
            self._generation += 1
            self._snapshot = None
        log.info("rating_cache_invalidated", generation=self._generation)

    def _store_fingerprint(self) -> tuple[int, ...]:
        b, h = ft.ingest_batches, ft.achievement_status_history
        changed = (b.c.added + b.c.updated + b.c.merged + b.c.erased) > 0
        with self._store.engine.connect() as conn:
            return (
                int(conn.execute(select(func.count()).select_from(b).where(changed)).scalar_one()),
                int(conn.execute(select(func.coalesce(func.max(h.c.seq), 0))).scalar_one()),
                int(conn.execute(select(func.count()).select_from(ft.erasure_log)).scalar_one()),
                int(conn.execute(select(func.count()).select_from(audit_log)).scalar_one()),
            )

    def _check_store(self) -> None:
        now = time.monotonic()
        if self._fingerprint is not None and now - self._checked_at < self._check_seconds:
            return
        fingerprint = self._store_fingerprint()
        self._checked_at = now
        if self._fingerprint is not None and fingerprint != self._fingerprint:
            self.invalidate()
        self._fingerprint = fingerprint

    def _snapshot_for(self, generation: int) -> Snapshot:
        cached = self._snapshot
        if cached is not None and cached[0] == generation:
            return cached[1]
        as_of = self._as_of or utc_now()
        frames = read_frames(self._store, as_of)
        snapshot = Snapshot.from_frames(as_of, frames, snapshot_id=f"live@{as_of.isoformat()}")
        with self._lock:
            if self._generation == generation:
                self._snapshot = (generation, snapshot)
        return snapshot

    def result(self, season: str, view: View = View.OFFICIAL) -> RatingResult:
        """The rating of ``season`` in ``view``, from the cache or computed now.

        Raises
        ------
        footprint.errors.ConfigError
            A malformed season or rules that do not cover it.
        """
        parse_season(season)  # ValueError for a malformed name, before any work
        return self._entry(season, view).result

    def _entry(self, season: str, view: View) -> _Entry:
        self._check_store()
        key = (season, view)
        entry = self._cache.get(key)
        if entry is not None and entry.generation == self._generation:
            return entry
        with self._build_lock:
            entry = self._cache.get(key)
            generation = self._generation
            if entry is not None and entry.generation == generation:
                return entry
            started = time.perf_counter()
            rules = load_rules(self._rules_path, season=season)
            snapshot = self._snapshot_for(generation)
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
