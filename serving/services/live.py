"""The live store as an in-memory snapshot, rebuilt when the store changes.

Ratings and competence estimates are computed from snapshot frames, with the same library code as
the CLI. Reading the whole store costs seconds on a large world, so one snapshot is kept until the
store changes:

- this process invalidates it explicitly after a push, an erasure or a moderation decision;
- changes made by other processes (another worker, ``talent ingest``) are noticed through a cheap
  fingerprint of the store, checked at most every ``check_seconds``.

Everything cached downstream (rating results, rating features) is keyed by :attr:`generation`, so
nothing built from an older snapshot is served after a change.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sqlalchemy import func, select

from footprint import tables as ft
from footprint.columns import Columns as C
from footprint.frames import Snapshot
from footprint.logs import get_logger
from footprint.snapshot import read_frames
from footprint.store import Store
from models.recommend.ability import AbilityModel
from models.recommend.dataset import RecommendDataset, dataset_from_snapshot
from serving.memory import settle_heap
from serving.tables import audit_log

log = get_logger(__name__)


def utc_now() -> dt.datetime:
    """Naive UTC, as the store keeps every timestamp."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


@dataclass(frozen=True)
class _Built:
    generation: int
    snapshot: Snapshot
    achievement_rows: dict[str, np.ndarray]
    participant_rows: dict[str, np.ndarray]


class LiveFootprint:
    """One cached snapshot of the live store.

    Parameters
    ----------
    store
        The footprint store.
    as_of
        A fixed instant to read the store as of (a replayed or simulated world), or None for the
        moment of each rebuild.
    check_seconds
        How often to look for changes made by other processes; 0 checks on every request.
    """

    def __init__(
        self, store: Store, *, as_of: dt.datetime | None = None, check_seconds: float = 5.0,
        settle: bool = True,
    ) -> None:
        self.store = store
        self._settle = settle
        self.fixed_as_of = as_of
        self._check_seconds = check_seconds
        self._generation = 0
        self._built: _Built | None = None
        self._lock = threading.Lock()
        self._build_lock = threading.Lock()
        self._fingerprint: tuple[int, ...] | None = None
        self._checked_at = 0.0

    @property
    def generation(self) -> int:
        """Increases every time the store is known to have changed."""
        return self._generation

    @property
    def is_built(self) -> bool:
        """Whether a snapshot of the current generation is in memory (no request would wait)."""
        built = self._built
        return built is not None and built.generation == self._generation

    def now(self) -> dt.datetime:
        """The instant the store is read as of (fixed, or now)."""
        return self.fixed_as_of or utc_now()

    def invalidate(self) -> None:
        """Forget the snapshot and everything built on it; the next request rebuilds."""
        with self._lock:
            self._generation += 1
            self._built = None
        log.info("live_snapshot_invalidated", generation=self._generation)

    def _store_fingerprint(self) -> tuple[int, ...]:
        b, h = ft.ingest_batches, ft.achievement_status_history
        changed = (b.c.added + b.c.updated + b.c.merged + b.c.erased) > 0
        with self.store.engine.connect() as conn:
            return (
                int(conn.execute(select(func.count()).select_from(b).where(changed)).scalar_one()),
                int(conn.execute(select(func.coalesce(func.max(h.c.seq), 0))).scalar_one()),
                int(conn.execute(select(func.count()).select_from(ft.erasure_log)).scalar_one()),
                int(conn.execute(select(func.count()).select_from(audit_log)).scalar_one()),
            )

    def check(self) -> int:
        """Look for changes by other processes (at most every ``check_seconds``); returns the
        current generation."""
        now = time.monotonic()
        if self._fingerprint is not None and now - self._checked_at < self._check_seconds:
            return self._generation
        fingerprint = self._store_fingerprint()
        self._checked_at = now
        if self._fingerprint is not None and fingerprint != self._fingerprint:
            self.invalidate()
        self._fingerprint = fingerprint
        return self._generation

    def _build(self) -> _Built:
        built = self._built
        generation = self.check()
        if built is not None and built.generation == generation:
            return built
        with self._build_lock:
            built = self._built
            generation = self._generation
            if built is not None and built.generation == generation:
                return built
            started = time.perf_counter()
            as_of = self.now()
            frames = read_frames(self.store, as_of)
            snapshot = Snapshot.from_frames(as_of, frames, snapshot_id=f"live@{as_of.isoformat()}")
            built = _Built(
                generation,
                snapshot,
                participant_rows(snapshot.achievements),
                participant_rows(snapshot.participants),
            )
            with self._lock:
                if self._generation == generation:
                    self._built = built
            log.info(
                "live_snapshot_built",
                generation=generation,
                participants=len(snapshot.participants),
                achievements=len(snapshot.achievements),
                seconds=round(time.perf_counter() - started, 3),
            )
            if self._settle:
                settle_heap("live_snapshot_built")  # the new snapshot stays; the old one is gone
            return built

    def snapshot(self) -> tuple[int, Snapshot]:
        """The current generation and its snapshot."""
        built = self._build()
        return built.generation, built.snapshot

    def has_participant(self, participant_id: str) -> bool:
        """Whether the live snapshot holds the participant: a dictionary lookup, so a request
        that only needs to know does not pay for slicing the frames."""
        return participant_id in self._build().participant_rows

    def participant_frames(
        self, participant_ids: list[str]
    ) -> tuple[int, pd.DataFrame, pd.DataFrame]:
        """The generation and the snapshot rows (achievements, participants) of some whole
        participants; ids not in the snapshot are left out."""
        built = self._build()
        snap = built.snapshot
        ach = [built.achievement_rows.get(p) for p in participant_ids]
        par = [built.participant_rows.get(p) for p in participant_ids]
        ach_rows = np.concatenate([a for a in ach if a is not None] or [np.empty(0, np.int64)])
        par_rows = np.concatenate([a for a in par if a is not None] or [np.empty(0, np.int64)])
        return (
            built.generation,
            snap.achievements.iloc[np.sort(ach_rows)],
            snap.participants.iloc[np.sort(par_rows)],
        )


def participant_rows(frame: pd.DataFrame) -> dict[str, np.ndarray]:
    """Row positions of each participant in ``frame``, built once per snapshot (or per frame
    derived from it) so one participant's rows are found without scanning the whole frame."""
    if frame.empty:
        return {}
    groups = frame.groupby(frame[C.PARTICIPANT_ID].astype(object), sort=False).indices
    return {str(k): np.asarray(v, dtype=np.int64) for k, v in groups.items()}


@dataclass(frozen=True)
class _LiveDataset:
    generation: int
    ability: AbilityModel | None
    dataset: RecommendDataset


class LiveDatasets:
    """The recommenders' dataset of the live store: histories, participants and the open
    catalogue as they are now, built by the same :func:`dataset_from_snapshot` that training
    uses, with the abilities of a bundle's fitted ability parameters applied to everyone in the
    store.

    A recommender bundle holds parameters only; every answer is computed from this. One dataset
    is kept per snapshot generation and ability parameters (two bundles may be live for a moment
    during a switch); a store change (a push, an erasure, another process's ingest) starts a new
    generation, so the next answer reflects it and an erased participant is gone from it.
    """

    def __init__(self, live: LiveFootprint) -> None:
        self.live = live
        self._built: list[_LiveDataset] = []
        self._lock = threading.Lock()

    def dataset(self, ability: AbilityModel | None) -> RecommendDataset:
        """The live dataset for a model whose :attr:`~models.recommend.base.Recommender.
        ability_model` is ``ability`` (None: without abilities)."""
        generation, snapshot = self.live.snapshot()
        hit = self._find(generation, ability)
        if hit is not None:
            return hit
        with self._lock:
            hit = self._find(generation, ability)
            if hit is not None:
                return hit
            started = time.perf_counter()
            dataset = dataset_from_snapshot(snapshot, snapshot.as_of,
                                            ability=ability if ability is not None else False)
            kept = [b for b in self._built if b.generation == generation][-1:]
            self._built = [*kept, _LiveDataset(generation, ability, dataset)]
            log.info("live_recommend_dataset_built", generation=generation,
                     participants=dataset.n_participants, activities=len(dataset.catalog),
                     abilities=ability is not None,
                     seconds=round(time.perf_counter() - started, 3))
            return dataset

    def _find(self, generation: int, ability: AbilityModel | None) -> RecommendDataset | None:
        for built in self._built:
            if built.generation == generation and built.ability is ability:
                return built.dataset
        return None
