"""Batches are atomic, idempotent and format-independent; updates and cross-source duplicates."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from sqlalchemy import text

from footprint.ingest import run
from footprint.ingest.context import BatchContext
from footprint.ingest.run import ingest_file, ingest_path
from footprint.store import Store
from tests.footprint.factory import achievement, small_world, write

DATA_TABLES = [
    "participants",
    "source_identities",
    "activities",
    "activity_directions",
    "activity_edges",
    "achievements",
    "achievement_sources",
    "achievement_status_history",
    "quarantine",
    "erasure_tombstones",
]


def data_counts(store: Store) -> dict[str, int]:
    counts = store.counts()
    return {t: counts[t] for t in DATA_TABLES}


def dump(store: Store) -> dict[str, list[tuple[object, ...]]]:
    """Full content of the data tables (ordered), to prove "nothing changed"."""
    out = {}
    with store.engine.connect() as conn:
        for t in DATA_TABLES:
            rows = conn.execute(text(f"SELECT * FROM {t}")).all()
            cols = conn.execute(text(f"SELECT * FROM {t}")).keys()
            drop = {i for i, c in enumerate(cols) if c in ("seq", "batch_id", "quarantined_at")}
            out[t] = sorted(tuple(str(v) for i, v in enumerate(r) if i not in drop) for r in rows)
    return out


def test_first_ingest_counts(store: Store, tmp_path: Path) -> None:
    summaries = ingest_path(store, small_world(tmp_path / "w"), "platform")
    assert [(s.entity, s.added, s.quarantined) for s in summaries] == [
        ("participants", 2, 0),
        ("activities", 2, 0),
        ("activity_edges", 1, 0),
        ("achievements", 3, 0),
    ]
    counts = store.counts()
    assert counts["achievement_status_history"] == 2  # two verified, one pending
    assert counts["activity_directions"] == 3


def test_reingesting_the_same_files_changes_nothing(store: Store, tmp_path: Path) -> None:
    folder = small_world(tmp_path / "w")
    write(
        folder,
        "achievements",
        [
            achievement("bad", "p1", "a1", result="champion"),
            achievement("r9", "p2", "a2", result="finalist"),
        ],
    )
    ingest_path(store, folder, "platform")
    before = dump(store)
    again = ingest_path(store, folder, "platform")
    assert dump(store) == before
    assert all(s.added == s.updated == s.merged == 0 for s in again)
    assert sum(s.unchanged for s in again) == 2 + 2 + 1 + 1


@pytest.mark.parametrize("fmt", ["jsonl", "parquet"])
def test_formats_store_the_same_content(store: Store, tmp_path: Path, fmt: str) -> None:
    ingest_path(store, small_world(tmp_path / "csv"), "platform")
    reference = dump(store)
    ingest_path(store, small_world(tmp_path / fmt, fmt), "platform")
    assert dump(store) == reference  # the same records in another format are unchanged


def test_changed_record_is_updated_with_history(store: Store, tmp_path: Path) -> None:
    folder = small_world(tmp_path / "w")
    ingest_path(store, folder, "platform")
    write(
        folder / "v2",
        "achievements",
        [
            achievement(
                "r2", "p2", "a1", status="verified", status_changed_at="2025-11-01", score="55"
            )
        ],
    )
    summary = ingest_file(store, folder / "v2" / "achievements.csv", "platform")
    assert (summary.updated, summary.added) == (1, 0)
    with store.engine.connect() as conn:
        row = conn.execute(
            text(
                "SELECT a.score, a.status FROM achievements a JOIN "
                "achievement_sources s ON s.achievement_id = a.achievement_id "
                "WHERE s.source_record_id = 'r2'"
            )
        ).one()
        hist = conn.execute(text("SELECT COUNT(*) FROM achievement_status_history")).scalar()
    assert (row[0], row[1]) == (55.0, "verified")
    assert hist == 3


def test_same_achievement_from_two_sources_is_stored_once(store: Store, tmp_path: Path) -> None:
    ingest_path(store, small_world(tmp_path / "w"), "platform")
    # the olympiad organiser exports p2's result too: same participant, activity and result
    other = write(
        tmp_path / "org",
        "achievements",
        [
            achievement(
                "org-77",
                "p2",
                "a1",
                status="verified",
                status_changed_at="2025-10-30",
                evidence="doc:5",
            )
        ],
    )
    summary = ingest_file(store, other, "olympiad_org")
    assert (summary.merged, summary.added) == (1, 0)
    with store.engine.connect() as conn:
        assert conn.execute(text("SELECT COUNT(*) FROM achievements")).scalar() == 3
        refs = conn.execute(
            text(
                "SELECT source, source_record_id FROM achievement_sources s JOIN "
                "achievements a ON a.achievement_id = s.achievement_id WHERE "
                "a.participant_id = 'p2' ORDER BY source"
            )
        ).all()
        status, evidence = conn.execute(
            text("SELECT status, evidence FROM achievements WHERE participant_id = 'p2'")
        ).one()
    assert [tuple(r) for r in refs] == [("olympiad_org", "org-77"), ("platform", "r2")]
    assert (status, evidence) == ("verified", "doc:5")  # the moderated status and evidence fill in


def _fail(_: BatchContext) -> None:
    raise RuntimeError("injected failure after the rows were written")


def test_failed_batch_leaves_the_store_unchanged(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = small_world(tmp_path / "w")
    ingest_path(store, folder / "participants.csv", "platform")
    before = dump(store)
    batches = store.counts()["ingest_batches"]
    monkeypatch.setattr(run, "_before_commit", _fail)
    with pytest.raises(RuntimeError, match="injected"):
        ingest_path(store, folder / "activities.csv", "platform")
    assert dump(store) == before
    assert store.counts()["ingest_batches"] == batches


KILLED_CHILD = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    from footprint.ingest import run
    from footprint.store import open_store

    def pause(ctx):
        print("written", flush=True)
        time.sleep(120)

    run._before_commit = pause
    run.ingest_file(open_store(sys.argv[1]), Path(sys.argv[2]), "platform")
""")


def test_killed_batch_leaves_the_store_unchanged(
    store: Store, store_url: str, tmp_path: Path
) -> None:
    folder = small_world(tmp_path / "w")
    ingest_path(store, folder / "participants.csv", "platform")
    ingest_path(store, folder / "activities.csv", "platform")
    before = dump(store)
    child = subprocess.Popen(
        [sys.executable, "-c", KILLED_CHILD, store_url, str(folder / "achievements.csv")],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env=os.environ | {"PYTHONPATH": os.getcwd()},
    )
    assert child.stdout is not None
    assert child.stdout.readline().strip() == "written"  # rows are in the open transaction
    child.send_signal(signal.SIGKILL)
    child.wait(timeout=30)
    time.sleep(0.2)
    store.dispose()
    assert dump(store) == before
