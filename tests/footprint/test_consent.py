"""Withdrawn consent erases a participant everywhere, blocks re-ingestion, and is audited."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from sqlalchemy import text

from footprint.ingest.run import ingest_file, ingest_path
from footprint.snapshot import create_snapshot, load_snapshot
from footprint.store import Store
from tests.footprint.factory import achievement, participant, small_world, write


def _rows_mentioning(store: Store, pid: str) -> int:
    n = 0
    with store.engine.connect() as conn:
        for t in ("participants", "achievements", "source_identities"):
            n += conn.execute(
                text(f"SELECT COUNT(*) FROM {t} WHERE participant_id = :p"), {"p": pid}
            ).scalar_one()
        n += conn.execute(
            text("SELECT COUNT(*) FROM quarantine WHERE raw_row LIKE :p"), {"p": f"%{pid}%"}
        ).scalar_one()
    return n


def test_withdrawal_erases_blocks_and_audits(store: Store, tmp_path: Path) -> None:
    folder = small_world(tmp_path / "w")
    write(folder / "bad", "achievements", [achievement("q1", "p1", "a1", result="champion")])
    ingest_path(store, folder, "platform")
    ingest_file(store, folder / "bad" / "achievements.csv", "platform")
    assert _rows_mentioning(store, "p1") > 0
    before = store.counts()

    consents = write(
        tmp_path / "c",
        "consents",
        [{"participant_id": "p1", "consent_status": "withdrawn", "changed_at": "2026-01-10"}],
    )
    summary = ingest_file(store, consents, "platform")
    assert summary.erased == 1
    assert _rows_mentioning(store, "p1") == 0
    after = store.counts()
    assert after["achievements"] == before["achievements"] - 2
    assert after["participants"] == before["participants"] - 1

    with store.engine.connect() as conn:
        actor, subjects, rows = conn.execute(
            text("SELECT actor, subjects, rows_deleted FROM erasure_log")
        ).one()
        log_text = " ".join(str(v) for v in conn.execute(text("SELECT * FROM erasure_log")).one())
    assert (actor, subjects) == ("source:platform", 1)
    assert json.loads(rows)["achievements"] == 2
    assert "p1" not in log_text  # the audit keeps no participant id

    # re-sending the participant or their records does not bring them back
    again = ingest_path(store, folder, "platform")
    assert _rows_mentioning(store, "p1") == 0
    erased_reasons = [s.quarantined for s in again if s.entity in ("participants", "achievements")]
    assert erased_reasons == [1, 2]
    with store.engine.connect() as conn:
        codes = conn.execute(
            text("SELECT DISTINCT reason_code FROM quarantine WHERE reason_code = 'erased'")
        ).all()
    assert codes


def test_later_snapshots_lack_the_erased_participant(store: Store, tmp_path: Path) -> None:
    ingest_path(store, small_world(tmp_path / "w"), "platform")
    old = load_snapshot(create_snapshot(store, dt.datetime(2026, 4, 1), tmp_path / "s"))
    assert "p2" in set(old.participants["participant_id"])
    withdrawn = write(
        tmp_path / "p",
        "participants",
        [participant("p2", consent_status="withdrawn", consent_changed_at="2026-05-01")],
    )
    assert ingest_file(store, withdrawn, "platform").erased == 1
    new = load_snapshot(create_snapshot(store, dt.datetime(2026, 4, 1), tmp_path / "s"))
    assert "p2" not in set(new.participants["participant_id"])
    assert "p2" not in set(new.achievements["participant_id"])
