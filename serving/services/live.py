"""The live store as an in-memory snapshot, read whole at start-up and updated piecewise after.

Ratings, competence estimates and recommendations are computed from snapshot frames, with the
same library code as the CLI. Reading the whole store costs about 25 s on the 250k world, so it
is read whole only at start-up and for recovery; every committed change after that is applied
piecewise from the store's change log (:mod:`footprint.changes`), in every process:

- each process polls the log (one indexed query) at most every ``check_seconds`` on the request
  path, and on a timer (:class:`LivePoller`) so that a quiet worker is current too;
- a ``participant`` change re-reads that participant's rows only (the same ``read_frames``, with
  a participant filter) and keeps them beside the snapshot read at start-up (the *overlay*);
- a ``catalogue`` change re-reads the activities, their directions and edges (small frames);
- an ``erasure`` drops every participant no longer in the store (one id query);
- a ``full`` change, a log pruned past this process's position, or :meth:`LiveFootprint.
  invalidate` reads everything again.

Every change starts a new :attr:`~LiveFootprint.generation`; everything cached downstream (rating
results, rating features, the recommenders' dataset) is keyed by it, so nothing built from an
older state is served after a change. Per-participant readers (:meth:`LiveFootprint.
participant_frames`, :meth:`~LiveFootprint.has_participant`, :meth:`~LiveFootprint.catalogue`)
read the overlay directly; whole-population readers (:meth:`~LiveFootprint.snapshot`) get the
overlay merged into the frames, in memory, once per generation. The recommenders' dataset is
patched the same way (:class:`LiveDatasets`).

PostgreSQL's LISTEN/NOTIFY would save the polling query but works on one dialect only and needs a
connection held per process; a poll every quarter second costs well under a millisecond, so one
code path serves SQLite and PostgreSQL.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import threading
import time
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from sqlalchemy import select

from core.instants import utc_now
from core.logs import get_logger
from features.activity_stats import ActivityStats, compute_activity_stats
from footprint import tables as ft
from footprint.changes import Change, ChangeCursor, ChangeKind, changes_after, latest_seq
from footprint.columns import Columns as C
from footprint.frames import Snapshot
from footprint.snapshot import read_catalogue, read_frames
from footprint.store import Store
from models.recommend.ability import AbilityModel
from models.recommend.dataset import RecommendDataset, dataset_from_snapshot
from serving.directions import note_directions
from serving.memory import settle_heap
from serving.services.live_splice import splice_participants
from serving.services.ticker import Ticker

log = get_logger(__name__)

MAX_PIECEWISE = 2_000
"""More changed participants than this in one poll are read whole (one big ingest): a filtered
read of that many ids costs about what a whole read does."""
KEEP_DELTAS = 256
COMPACT_AT = 20_000
"""Participants in the overlay above which the timer merges it into the frames (off the lock):
the overlay holds a few small frames per participant, so a day of pushes would otherwise grow
without bound; a merge costs a few seconds at 250k, once per this many changed participants."""


@dataclass(frozen=True)
class Delta:
    """What one generation changed against the one before it."""

    generation: int
    as_of: dt.datetime
    participants: frozenset[str]
    catalogue: bool


@dataclass
class _Built:
    generation: int
    base: Snapshot
    """The frames read whole (catalogue frames replaced on catalogue changes)."""
    achievement_rows: dict[str, np.ndarray]
    participant_rows: dict[str, np.ndarray]
    as_of: dt.datetime
    """The instant of the latest change applied."""
    catalogue_generation: int = 0
    """The generation of the last catalogue change or whole read."""
    overlay: dict[str, tuple[pd.DataFrame, pd.DataFrame]] = field(default_factory=dict)
    """Participants changed since ``base`` was read: their achievements and participant rows
    (no participant row: erased)."""
    merged: Snapshot | None = None


class LiveFootprint:
    """One in-memory snapshot of the live store, kept current from the change log.

    Parameters
    ----------
    store
        The footprint store.
    as_of
        A fixed instant to read the store as of (a replayed or simulated world), or None for the
        moment of each read.
    check_seconds
        How often to look for changes made by other processes; 0 checks on every request.
    """

    def __init__(
        self,
        store: Store,
        *,
        as_of: dt.datetime | None = None,
        check_seconds: float = 0.1,
        settle: bool = True,
    ) -> None:
        self.store = store
        self._settle = settle
        self.fixed_as_of = as_of
        self._check_seconds = check_seconds
        self._generation = 0
        self._built: _Built | None = None
        self._lock = threading.RLock()
        self._build_lock = threading.Lock()
        self._cursor: ChangeCursor | None = None
        self._checked_at = 0.0
        self._deltas: list[Delta] = []
        self.rebuilds = 0
        """Whole reads of the store so far (start-up, recovery)."""
        self.patches = 0
        """Changes applied piecewise so far."""

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
        """Forget the snapshot and everything built on it; the next request reads the store
        whole (recovery; changes of the store are applied with :meth:`refresh`)."""
        with self._lock:
            self._generation += 1
            self._built = None
            self._cursor = None
            self._deltas = []
        log.info("live_snapshot_invalidated", generation=self._generation)

    def refresh(self) -> int:
        """Apply every change committed so far now (after this process's own write)."""
        self._checked_at = 0.0
        return self.check(force=True)

    def check(self, force: bool = False) -> int:
        """Apply changes committed by any process since the last look (at most every
        ``check_seconds`` unless ``force``); returns the current generation."""
        now = time.monotonic()
        if not force and now - self._checked_at < self._check_seconds:
            return self._generation
        with self._lock:
            if not force and now - self._checked_at < self._check_seconds:
                return self._generation
            self._checked_at = now
            built, cursor = self._built, self._cursor
            if built is None or cursor is None or built.generation != self._generation:
                return self._generation
            with self.store.engine.connect() as conn:
                changes, pruned = changes_after(conn, cursor.horizon)
            if pruned:
                log.warning("live_changes_pruned", horizon=cursor.horizon)
                self.invalidate()
                return self._generation
            new = cursor.advance(changes, now)
            if new:
                self._apply(built, new)
            return self._generation

    def _apply(self, built: _Built, changes: list[Change]) -> None:
        kinds = {c.kind for c in changes}
        pids = {str(c.ref) for c in changes if c.kind is ChangeKind.PARTICIPANT and c.ref}
        if ChangeKind.FULL in kinds or len(pids) > MAX_PIECEWISE:
            log.info("live_change_needs_full_read", changes=len(changes), participants=len(pids))
            self.invalidate()
            return
        started = time.perf_counter()
        as_of = self.now()
        base = built.base
        if ChangeKind.CATALOGUE in kinds:
            catalogue = read_catalogue(self.store, as_of)
            base = dataclasses.replace(
                base,
                activities=catalogue["activities"],
                activity_directions=catalogue["activity_directions"],
                activity_edges=catalogue["activity_edges"],
                directions=catalogue["directions"],
            )
            note_directions(base.direction_codes())
        if ChangeKind.ERASURE in kinds:
            with self.store.engine.connect() as conn:
                present = {
                    str(p)
                    for p in conn.execute(select(ft.participants.c[C.PARTICIPANT_ID])).scalars()
                }
            known = set(built.participant_rows) | {
                p for p, (_, par) in built.overlay.items() if len(par)
            }
            pids |= known - present
        overlay = dict(built.overlay)
        if pids:
            frames = read_frames(
                self.store, as_of, participant_ids=sorted(pids), activities=base.activities
            )
            ach, par = frames["achievements"], frames["participants"]
            ach_rows, par_rows = participant_rows(ach), participant_rows(par)
            empty_a, empty_p = ach.iloc[:0], par.iloc[:0]
            for p in pids:
                a, r = ach_rows.get(p), par_rows.get(p)
                overlay[p] = (
                    ach.iloc[a] if a is not None else empty_a,
                    par.iloc[r] if r is not None else empty_p,
                )
        generation = self._generation + 1
        self._built = _Built(
            generation,
            base,
            built.achievement_rows,
            built.participant_rows,
            max(as_of, built.as_of),
            generation if ChangeKind.CATALOGUE in kinds else built.catalogue_generation,
            overlay,
        )
        self._generation = generation
        self._deltas = [
            *self._deltas[-KEEP_DELTAS + 1 :],
            Delta(
                generation, max(as_of, built.as_of), frozenset(pids), ChangeKind.CATALOGUE in kinds
            ),
        ]
        self.patches += 1
        log.info(
            "live_changes_applied",
            generation=generation,
            changes=len(changes),
            participants=len(pids),
            catalogue=ChangeKind.CATALOGUE in kinds,
            seconds=round(time.perf_counter() - started, 4),
        )

    def compact(self) -> bool:
        """Merge the overlay into the frames when it holds more than :data:`COMPACT_AT`
        participants (the timer calls this). The merge runs outside the lock; participants
        changed meanwhile stay in the overlay. Returns whether it merged."""
        built = self._built
        if built is None or len(built.overlay) <= COMPACT_AT:
            return False
        started = time.perf_counter()
        merged = _merge(built)
        rows = (participant_rows(merged.achievements), participant_rows(merged.participants))
        with self._lock:
            current = self._built
            if current is None or current.generation < built.generation:
                return False
            left = {p: v for p, v in current.overlay.items() if built.overlay.get(p) is not v}
            self._built = _Built(
                current.generation,
                merged,
                rows[0],
                rows[1],
                current.as_of,
                current.catalogue_generation,
                left,
            )
        log.info(
            "live_overlay_merged",
            participants=len(built.overlay) - len(left),
            seconds=round(time.perf_counter() - started, 3),
        )
        return True

    def deltas_since(self, generation: int) -> list[Delta] | None:
        """The changes from ``generation`` to the current one, or None when the store was read
        whole since (or too long ago to tell): the caller rebuilds what it keeps."""
        with self._lock:
            deltas = [d for d in self._deltas if d.generation > generation]
            if generation == self._generation:
                return []
            if not deltas or deltas[0].generation != generation + 1:
                return None
            return deltas

    def participant_update(
        self, generation: int
    ) -> tuple[int, frozenset[str], Snapshot | None] | None:
        """What a dataset of ``generation`` needs to become current, taken at one instant: the
        current generation, the participants changed since, and a snapshot of just them (None
        when none changed). None when only a whole build will do (the store was read whole
        since, or the catalogue changed)."""
        with self._lock:
            built = self._built
            if built is None or built.generation != self._generation:
                return None
            deltas = self.deltas_since(generation)
            if deltas is None or any(d.catalogue for d in deltas):
                return None
            changed = frozenset().union(*(d.participants for d in deltas))
            if not changed:
                return built.generation, changed, None
            return built.generation, changed, self._participant_snapshot(built, sorted(changed))

    def _build(self) -> _Built:
        self.check()
        built = self._built
        if built is not None and built.generation == self._generation:
            return built
        with self._build_lock:
            built = self._built
            generation = self._generation
            if built is not None and built.generation == generation:
                return built
            started = time.perf_counter()
            as_of = self.now()
            with self.store.engine.connect() as conn:
                horizon = latest_seq(conn)  # changes after this are applied on top (again)
            frames = read_frames(self.store, as_of)
            snapshot = Snapshot.from_frames(as_of, frames, snapshot_id=f"live@{as_of.isoformat()}")
            note_directions(snapshot.direction_codes())
            built = _Built(
                generation,
                snapshot,
                participant_rows(snapshot.achievements),
                participant_rows(snapshot.participants),
                as_of,
                generation,
            )
            with self._lock:
                if self._generation == generation:
                    self._built = built
                    self._cursor = ChangeCursor(horizon)
                    self._deltas = []
                    self.rebuilds += 1
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
        """The current generation and its whole snapshot (the overlay merged in, once per
        generation)."""
        built = self._build()
        merged = built.merged
        if merged is None:
            merged = _merge(built)
            built.merged = merged
        return built.generation, merged

    def catalogue(self) -> tuple[int, Snapshot]:
        """The generation of the last catalogue change (or whole read) and a snapshot whose
        catalogue frames are current (its participant frames may predate changes: for
        catalogue lookups only). Caches of the catalogue key on that generation, so a push of
        achievements does not rebuild them."""
        built = self._build()
        snapshot = built.merged or dataclasses.replace(built.base, as_of=built.as_of)
        return built.catalogue_generation, snapshot

    def participant_snapshot(self, participant_ids: list[str]) -> tuple[int, Snapshot]:
        """The current generation and a snapshot of some whole participants with the whole
        catalogue (what a piecewise update of a dataset reads)."""
        built = self._build()
        return built.generation, self._participant_snapshot(built, participant_ids)

    def _participant_snapshot(self, built: _Built, participant_ids: list[str]) -> Snapshot:
        _, ach, par = self._frames(built, participant_ids)
        return dataclasses.replace(
            built.base,
            as_of=built.as_of,
            achievements=ach,
            participants=par,
            snapshot_id=f"live-part@{built.generation}",
        )

    def has_participant(self, participant_id: str) -> bool:
        """Whether the live snapshot holds the participant: a dictionary lookup, so a request
        that only needs to know does not pay for slicing the frames."""
        built = self._build()
        patched = built.overlay.get(participant_id)
        if patched is not None:
            return len(patched[1]) > 0
        return participant_id in built.participant_rows

    def participant_frames(
        self, participant_ids: list[str]
    ) -> tuple[int, pd.DataFrame, pd.DataFrame]:
        """The generation and the snapshot rows (achievements, participants) of some whole
        participants; ids not in the snapshot are left out."""
        return self._frames(self._build(), participant_ids)

    @staticmethod
    def _frames(
        built: _Built, participant_ids: list[str]
    ) -> tuple[int, pd.DataFrame, pd.DataFrame]:
        snap = built.base
        base_ids = [p for p in participant_ids if p not in built.overlay]
        ach = [built.achievement_rows.get(p) for p in base_ids]
        par = [built.participant_rows.get(p) for p in base_ids]
        ach_rows = np.concatenate([a for a in ach if a is not None] or [np.empty(0, np.int64)])
        par_rows = np.concatenate([a for a in par if a is not None] or [np.empty(0, np.int64)])
        achievements = snap.achievements.iloc[np.sort(ach_rows)]
        participants = snap.participants.iloc[np.sort(par_rows)]
        patched = [built.overlay[p] for p in participant_ids if p in built.overlay]
        if patched:
            achievements = _sorted(
                pd.concat([achievements, *(a for a, _ in patched)]), C.ACHIEVEMENT_ID
            )
            participants = _sorted(
                pd.concat([participants, *(p for _, p in patched)]), C.PARTICIPANT_ID
            )
        return built.generation, achievements, participants


def _sorted(frame: pd.DataFrame, key: str) -> pd.DataFrame:
    return frame.sort_values(key, kind="stable").reset_index(drop=True)


def _merge(built: _Built) -> Snapshot:
    """The base frames with the overlay's participants replaced: concatenations in memory,
    no store read."""
    base = built.base
    if not built.overlay:
        return dataclasses.replace(base, as_of=built.as_of)
    changed = pd.Index(list(built.overlay), dtype=object)
    merged = []
    for frame, at in ((base.achievements, 0), (base.participants, 1)):
        keep = ~frame[C.PARTICIPANT_ID].astype(object).isin(changed).to_numpy()
        parts = [frame[keep], *(v[at] for v in built.overlay.values() if len(v[at]))]
        # appended, not sorted: sorting millions of string ids would cost seconds
        merged.append(pd.concat(parts, ignore_index=True))
    return dataclasses.replace(
        base,
        as_of=built.as_of,
        snapshot_id=f"live@{built.as_of}",
        achievements=merged[0],
        participants=merged[1],
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
    stats: ActivityStats
    """The activity statistics of the last whole build (kept through piecewise updates)."""


class LiveDatasets:
    """The recommenders' dataset of the live store: histories, participants and the open
    catalogue as they are now, built by the same :func:`dataset_from_snapshot` that training
    uses, with the abilities of a bundle's fitted ability parameters applied to everyone in the
    store.

    A recommender bundle holds parameters only; every answer is computed from this. One dataset
    is kept per snapshot generation and ability parameters (two bundles may be live for a moment
    during a switch). A store change starts a new generation; the dataset follows it
    piecewise when only participants changed (their rows are computed alone and spliced in,
    :func:`~serving.services.live_splice.splice_participants`), and is built again from the
    in-memory snapshot when the catalogue changed or the store was read whole. The activity
    statistics (counts, difficulties) are those of the last whole build: they move slowly, and
    a catalogue change or a restart brings them up to date.
    """

    def __init__(self, live: LiveFootprint) -> None:
        self.live = live
        self._built: list[_LiveDataset] = []
        self._lock = threading.Lock()
        self.builds = 0
        """Whole builds of a dataset so far."""
        self.splices = 0
        """Piecewise updates so far."""

    def dataset(self, ability: AbilityModel | None) -> RecommendDataset:
        """The live dataset for a model whose :attr:`~models.recommend.base.Recommender.
        ability_model` is ``ability`` (None: without abilities)."""
        generation = self.live.check()
        hit = self._find(generation, ability)
        if hit is not None:
            return hit.dataset
        with self._lock:
            generation = self.live.check()
            hit = self._find(generation, ability)
            if hit is not None:
                return hit.dataset
            built = self._patched(ability) or self._whole(ability)
            kept = [
                b
                for b in self._built
                if b.generation == built.generation and b.ability is not ability
            ][-1:]
            self._built = [*kept, built]
            return built.dataset

    def refresh(self) -> None:
        """Bring every kept dataset to the current generation (off the request path)."""
        for ability in list(dict.fromkeys(b.ability for b in self._built)):
            self.dataset(ability)

    def _patched(self, ability: AbilityModel | None) -> _LiveDataset | None:
        previous = [b for b in self._built if b.ability is ability]
        if not previous:
            return None
        prev = previous[-1]
        step = self.live.participant_update(prev.generation)
        if step is None:
            return None
        generation, changed, snapshot = step
        started = time.perf_counter()
        if snapshot is None:
            return dataclasses.replace(prev, generation=generation)
        # the changed participants' rows, and their abilities on the kept item side: nothing
        # of anyone else and nothing item-side is computed again
        part = dataset_from_snapshot(snapshot, snapshot.as_of, ability=False, stats=prev.stats)
        scale = prev.dataset.ability
        abilities = (
            ability.participants(scale, snapshot, snapshot.as_of)
            if ability is not None and scale is not None and scale.stats is not None
            else None
        )
        if ability is not None and abilities is None:
            return None  # a scale without its statistics: build whole
        dataset = splice_participants(prev.dataset, part, changed, abilities)
        self.splices += 1
        log.info(
            "live_recommend_dataset_patched",
            generation=generation,
            participants=len(changed),
            seconds=round(time.perf_counter() - started, 4),
        )
        return _LiveDataset(generation, ability, dataset, prev.stats)

    def _whole(self, ability: AbilityModel | None) -> _LiveDataset:
        generation, snapshot = self.live.snapshot()
        started = time.perf_counter()
        stats = compute_activity_stats(snapshot, snapshot.as_of)
        dataset = dataset_from_snapshot(
            snapshot, snapshot.as_of, ability=ability if ability is not None else False, stats=stats
        )
        self.builds += 1
        log.info(
            "live_recommend_dataset_built",
            generation=generation,
            participants=dataset.n_participants,
            activities=len(dataset.catalog),
            abilities=ability is not None,
            seconds=round(time.perf_counter() - started, 3),
        )
        return _LiveDataset(generation, ability, dataset, stats)

    def _find(self, generation: int, ability: AbilityModel | None) -> _LiveDataset | None:
        for built in self._built:
            if built.generation == generation and built.ability is ability:
                return built
        return None


class LivePoller(Ticker):
    """Applies the store's changes on a timer, off the request path, so a worker that gets no
    request for a while is current when one comes, and requests rarely pay for a change.

    ``check`` is :meth:`LiveFootprint.check`, ``after`` what to bring up to date next (the
    recommenders' dataset). Errors are logged and the next tick tries again.
    """

    name = "live-poller"
    failure_event = "live_poll_failed"

    def __init__(self, live: LiveFootprint, datasets: LiveDatasets, seconds: float) -> None:
        super().__init__(seconds)
        self.live = live
        self.datasets = datasets

    def tick(self) -> None:
        if self.live.is_built:
            self.live.check()
            self.datasets.refresh()
            self.live.compact()
