"""``talent ingest`` / ``erase`` / ``quarantine``: a folder is ingested whole, withdrawals first;
the store refuses another erasure salt; production refuses the development salt; hostile values are
quarantined, not crashed on."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from typer.testing import CliRunner

from cli.main import app
from tests.footprint.factory import achievement, small_world, write

runner = CliRunner()
SALT_A = "salt-A-9f8e7d6c5b4a39281706f5e4d3c2b1a0"
SALT_B = "salt-B-0a1b2c3d4e5f60718293a4b5c6d7e8f9"


def _db(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'talent.db'}"


def _scalar(url: str, sql: str) -> object:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return conn.execute(text(sql)).scalar()
    finally:
        engine.dispose()


def _talent(*args: str, salt: str = SALT_A, **env: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args), env={"TALENT_ERASURE_SALT": salt, **env})
    return result.exit_code, result.output


def test_another_salt_is_refused_and_cannot_bring_an_erased_participant_back(
    tmp_path: Path,
) -> None:
    db = _db(tmp_path)
    world = small_world(tmp_path / "w")
    assert (
        _talent("ingest", str(world), "--source", "platform", "--new-source", "--database-url", db)[
            0
        ]
        == 0
    )
    code, out = _talent("erase", "p1", "--actor", "support", "--database-url", db)
    assert code == 0, out
    again = write(tmp_path / "again", "achievements", [achievement("x1", "p1", "a1")])
    code, out = _talent(
        "ingest",
        str(again),
        "--source",
        "olympiad",
        "--new-source",
        "--database-url",
        db,
        salt=SALT_B,
    )
    assert code == 2, out
    assert "TALENT_ERASURE_SALT" in out
    assert _scalar(db, "SELECT COUNT(*) FROM achievements WHERE participant_id = 'p1'") == 0
    code, out = _talent("erase", "p2", "--actor", "support", "--database-url", db, salt=SALT_B)
    assert code == 2 and "TALENT_ERASURE_SALT" in out
    # the right salt still works, and still refuses the erased participant
    code, out = _talent(
        "ingest", str(again), "--source", "olympiad", "--new-source", "--database-url", db
    )
    assert code == 0, out
    assert _scalar(db, "SELECT COUNT(*) FROM achievements WHERE participant_id = 'p1'") == 0


@pytest.mark.parametrize("command", ["ingest", "erase"])
def test_production_mode_refuses_the_development_salt(tmp_path: Path, command: str) -> None:
    db = _db(tmp_path)
    world = small_world(tmp_path / "w")
    args = (
        ["ingest", str(world), "--source", "platform", "--new-source"]
        if command == "ingest"
        else ["erase", "p1", "--actor", "support"]
    )
    code, out = _talent(
        *args, "--database-url", db, salt="development-only-salt", TALENT_MODE="production"
    )
    assert code == 2, out
    assert "TALENT_ERASURE_SALT" in out and "production" in out
    code, out = _talent(*args, "--database-url", db, salt="x" * 40, TALENT_MODE="production")
    assert code == 2 and "entropy" in out  # 40 identical characters
    if command == "ingest":
        code, out = _talent(*args, "--database-url", db, TALENT_MODE="production")
        assert code == 0, out


def test_a_huge_integer_is_quarantined_and_the_file_stored(tmp_path: Path) -> None:
    db = _db(tmp_path)
    assert (
        _talent(
            "ingest",
            str(small_world(tmp_path / "w")),
            "--source",
            "platform",
            "--new-source",
            "--database-url",
            db,
        )[0]
        == 0
    )
    folder = tmp_path / "j"
    folder.mkdir()
    rows = [
        achievement("big", "p1", "a2", result="winner") | {"rank": 2**64},
        achievement("fine", "p2", "a2", result="finalist"),
    ]
    (folder / "achievements.jsonl").write_text(
        "".join(json.dumps({k: v for k, v in r.items() if v != ""}) + "\n" for r in rows)
    )
    code, out = _talent(
        "ingest", str(folder), "--source", "org", "--new-source", "--database-url", db
    )
    assert code == 0, out
    assert "Traceback" not in out
    stored = "SELECT COUNT(*) FROM achievement_sources WHERE source_record_id = '{}'"
    assert _scalar(db, stored.format("fine")) == 1 and _scalar(db, stored.format("big")) == 0
    assert _scalar(db, "SELECT reason_code FROM quarantine WHERE field = 'rank'") == "out_of_range"


def test_a_folder_is_ingested_whole_withdrawals_first(tmp_path: Path) -> None:
    """A refused file no longer stops the folder: the later files and the consent withdrawal are
    applied, the summary names both outcomes, and the exit code says something failed."""
    db = _db(tmp_path)
    folder = small_world(tmp_path / "w")
    # an edges file with a column nobody knows is refused as a whole
    write(
        folder,
        "activity_edges",
        [{"from_activity_id": "a1", "to_activity_id": "a2", "edge_type": "selection", "note": "x"}],
    )
    write(
        folder,
        "consents",
        [{"participant_id": "p1", "consent_status": "withdrawn", "changed_at": "2026-01-10"}],
    )
    code, out = _talent(
        "ingest", str(folder), "--source", "platform", "--new-source", "--database-url", db
    )
    assert code == 1, out
    assert "activity_edges.csv" in out and "unknown columns" in out
    assert "achievements.csv" in out and "consents.csv" in out  # committed rows listed
    assert "1 file(s) refused" in out
    # the withdrawal was applied before the participants and achievements files
    assert _scalar(db, "SELECT COUNT(*) FROM participants WHERE participant_id = 'p1'") == 0
    assert _scalar(db, "SELECT COUNT(*) FROM achievements WHERE participant_id = 'p1'") == 0
    assert _scalar(db, "SELECT COUNT(*) FROM achievements WHERE participant_id = 'p2'") == 1
    assert _scalar(db, "SELECT COUNT(*) FROM activity_edges") == 0
    assert _scalar(db, "SELECT COUNT(*) FROM erasure_tombstones") == 1


def test_quarantine_shows_what_rows_wait_for_until_it_arrives(tmp_path: Path) -> None:
    db = _db(tmp_path)
    folder = small_world(tmp_path / "w")
    code, out = _talent(
        "ingest",
        str(folder / "achievements.csv"),
        "--source",
        "platform",
        "--new-source",
        "--database-url",
        db,
    )
    assert code == 0, out
    code, out = _talent("quarantine", "--waiting", "--database-url", db)
    assert code == 0, out
    assert "Rows waiting for a reference (3 rows)" in out
    assert "participant" in out and "p1" in out and "p2" in out
    code, out = _talent(
        "ingest", str(folder), "--source", "platform", "--new-source", "--database-url", db
    )
    assert code == 0, out
    assert "retried" in out
    assert _scalar(db, "SELECT COUNT(*) FROM achievements") == 3
    code, out = _talent("quarantine", "--waiting", "--database-url", db)
    assert "(0 rows)" in out
