"""Snapshots see exactly what was known as of their cut-off, and are content-addressed."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pytest

from core.errors import SnapshotError
from footprint.ingest.run import ingest_file, ingest_path
from footprint.snapshot import create_snapshot, load_snapshot
from footprint.store import Store
from tests.footprint.factory import achievement, participant, small_world, write


def _at(day: str) -> dt.datetime:
    return dt.datetime.fromisoformat(day)


@pytest.fixture
def world(store: Store, tmp_path: Path) -> Store:
    ingest_path(store, small_world(tmp_path / "w"), "platform")
    return store


def test_records_recorded_later_do_not_leak(world: Store, tmp_path: Path) -> None:
    snap = load_snapshot(create_snapshot(world, _at("2025-12-01"), tmp_path / "s"))
    # r3 (the final) was recorded on 2026-03-07: not known on 2025-12-01
    assert sorted(snap.achievements["activity_id"]) == ["a1", "a1"]
    later = load_snapshot(create_snapshot(world, _at("2026-04-01"), tmp_path / "s"))
    assert sorted(later.achievements["activity_id"]) == ["a1", "a1", "a2"]


def test_status_is_the_status_as_of_the_cutoff(world: Store, tmp_path: Path) -> None:
    # r1 was recorded on 2025-10-21 and verified on 2025-10-25
    before = load_snapshot(create_snapshot(world, _at("2025-10-23"), tmp_path / "s"))
    after = load_snapshot(create_snapshot(world, _at("2025-10-26"), tmp_path / "s"))
    pick = lambda s: s.achievements.set_index("participant_id").loc["p1", "status"]  # noqa: E731
    assert pick(before) == "pending"
    assert pick(after) == "verified"
    assert before.achievements["status_changed_at"].isna().all()


def test_participants_and_activities_known_by_then(store: Store, tmp_path: Path) -> None:
    folder = small_world(tmp_path / "w")
    write(
        folder, "participants", [participant("p1"), participant("late", registered_at="2026-01-10")]
    )
    ingest_path(store, folder / "participants.csv", "platform")
    ingest_path(store, folder / "activities.csv", "platform")
    snap = load_snapshot(create_snapshot(store, _at("2025-12-01"), tmp_path / "s"))
    assert list(snap.participants["participant_id"]) == ["p1"]
    assert snap.participants["grade"].tolist() == [8]
    assert bool(snap.participants["account_verified"].iloc[0]) is True
    assert set(snap.activities["activity_id"]) == {"a1", "a2"}
    early = load_snapshot(create_snapshot(store, _at("2025-05-01"), tmp_path / "s"))
    assert early.activities.empty and early.activity_edges.empty


def test_grade_advances_with_the_season(world: Store, tmp_path: Path) -> None:
    snap = load_snapshot(create_snapshot(world, _at("2026-10-01"), tmp_path / "s"))
    assert snap.participants.set_index("participant_id")["grade"].to_dict() == {"p1": 9, "p2": 11}


def test_content_addressed_and_reused(world: Store, tmp_path: Path) -> None:
    first = create_snapshot(world, _at("2026-04-01"), tmp_path / "s")
    second = create_snapshot(world, _at("2026-04-01"), tmp_path / "s")
    assert first == second
    snap = load_snapshot(first)
    assert snap.snapshot_id.startswith(first.name)
    other = create_snapshot(world, _at("2026-04-02"), tmp_path / "s")
    assert other != first  # a different cut-off is different data, even with the same rows
    ingest_file(
        world,
        write(
            tmp_path / "more", "achievements", [achievement("r10", "p2", "a2", result="finalist")]
        ),
        "platform",
    )
    assert create_snapshot(world, _at("2026-04-01"), tmp_path / "s") != first


def test_tampered_snapshot_is_refused(world: Store, tmp_path: Path) -> None:
    path = create_snapshot(world, _at("2026-04-01"), tmp_path / "s")
    target = path / "achievements.parquet"
    os.chmod(target, 0o644)
    data = target.read_bytes()
    target.write_bytes(data[: len(data) // 2])
    with pytest.raises(SnapshotError, match="does not match its hash"):
        load_snapshot(path)


def test_frames_have_the_declared_dtypes(world: Store, tmp_path: Path) -> None:
    from footprint.frames import FRAME_DTYPES

    snap = load_snapshot(create_snapshot(world, _at("2026-04-01"), tmp_path / "s"))
    for name, dtypes in FRAME_DTYPES.items():
        frame = getattr(snap, name)
        assert list(frame.columns) == list(dtypes)
        assert {c: str(t) for c, t in frame.dtypes.items()} == dtypes
