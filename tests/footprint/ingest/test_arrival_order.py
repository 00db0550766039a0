"""The order in which sources arrive does not change what is stored: rows naming a participant or
activity that is not stored yet wait in the quarantine and are applied when it arrives."""

from __future__ import annotations

import datetime as dt
import itertools
import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import text

from footprint.ingest.run import ingest_path
from footprint.snapshot import create_snapshot, load_manifest
from footprint.store import open_store
from simulator import SimulationConfig, simulate
from tests.footprint.factory import achievement, small_world, write

SOURCES = ("platform", "olympiad", "courses", "events")
# messy: duplicates across sources, aliases with an identity map, withdrawals, malformed rows
WORLD = SimulationConfig(participants=200, seasons=1, seed=5, messy=True, format="csv")
AS_OF = dt.datetime(2024, 6, 15)  # the world's export instant (first season 2022 + 1, 15 June)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("order") / "world"
    simulate(WORLD.model_copy(update={"first_season": 2023}), out, progress=False)
    return out / "sources"


def _copy_store(source: Path, target: Path) -> None:
    """SQLite's online backup: a byte-for-byte equal store, whatever its journal holds."""
    src, dst = sqlite3.connect(source), sqlite3.connect(target)
    try:
        src.backup(dst)
    finally:
        dst.close()
        src.close()


def _stores_after(world: Path, tmp: Path) -> dict[tuple[str, ...], Path]:
    """The store after each order of the four sources, as a SQLite file.

    An order shares its store up to the last common source with the orders ingested before it
    (a copy of the store of its prefix, then the next source ingested into the copy): 64
    ingestions instead of 96, and each order's store is still its sources ingested one after
    another in that order.
    """
    after: dict[tuple[str, ...], Path] = {}
    for length in range(1, len(SOURCES) + 1):
        for prefix in itertools.permutations(SOURCES, length):
            path = tmp / str(len(after)) / "talent.db"
            path.parent.mkdir()
            if length > 1:
                _copy_store(after[prefix[:-1]], path)
            store = open_store(f"sqlite:///{path}")
            try:
                ingest_path(store, world / prefix[-1], prefix[-1])
            finally:
                store.dispose()
            after[prefix] = path
    return {order: path for order, path in after.items() if len(order) == len(SOURCES)}


def _snapshot_id(db: Path) -> tuple[str, int]:
    store = open_store(f"sqlite:///{db}")
    try:
        path = create_snapshot(store, AS_OF, db.parent / "snapshots")
        with store.engine.connect() as conn:
            achievements = conn.execute(text("SELECT COUNT(*) FROM achievements")).scalar_one()
        return load_manifest(path).snapshot_id, int(achievements)
    finally:
        store.dispose()


@pytest.mark.slow
def test_every_order_of_the_four_sources_gives_the_same_snapshot(
    world: Path, tmp_path: Path
) -> None:
    seen: dict[str, list[tuple[str, ...]]] = {}
    counts = set()
    stores = _stores_after(world, tmp_path)
    assert len(stores) == 24
    for order, db in stores.items():
        snapshot_id, n = _snapshot_id(db)
        seen.setdefault(snapshot_id, []).append(order)
        counts.add(n)
    assert len(seen) == 1, {k[:12]: v[:2] for k, v in seen.items()}
    assert counts and min(counts) > 0


def test_rows_wait_for_their_references_and_are_applied_when_they_arrive(tmp_path: Path) -> None:
    store = open_store(f"sqlite:///{tmp_path / 'talent.db'}")
    folder = small_world(tmp_path / "w")
    early = ingest_path(store, folder / "achievements.csv", "platform")[0]
    assert (early.added, early.quarantined) == (0, 3)
    summaries = ingest_path(store, folder, "platform")
    assert sum(s.retried for s in summaries) == 3
    with store.engine.connect() as conn:
        assert conn.execute(text("SELECT COUNT(*) FROM achievements")).scalar_one() == 3
        assert conn.execute(text("SELECT COUNT(*) FROM quarantine")).scalar_one() == 0


def test_a_newer_version_replaces_a_waiting_row(tmp_path: Path) -> None:
    store = open_store(f"sqlite:///{tmp_path / 'talent.db'}")
    ingest_path(
        store,
        write(tmp_path / "v1", "achievements", [achievement("r9", "p1", "a1", score="10")]),
        "org",
    )
    ingest_path(
        store,
        write(tmp_path / "v2", "achievements", [achievement("r9", "p1", "a1", score="20")]),
        "org",
    )
    world = small_world(tmp_path / "w")
    (world / "achievements.csv").unlink()
    ingest_path(store, world, "platform")
    with store.engine.connect() as conn:
        assert conn.execute(text("SELECT score FROM achievements")).scalars().all() == [20.0]
        assert conn.execute(text("SELECT COUNT(*) FROM quarantine")).scalar_one() == 0
