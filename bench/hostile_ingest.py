"""Replays hostile input files against ingestion and prints what happened to each.

Usage::

    uv run python bench/hostile_ingest.py

A fresh SQLite store gets a small valid world, then each hostile file below; after each, the valid
rows of the file must be stored and nothing else may change beyond its quarantine. At the end a
participant is erased and every file of the data folder is searched for the id (raw bytes and
Parquet content). Columns: case, handled (no traceback: committed, or refused with a named
error), rows lost (valid rows of the file not stored), and, last, ids left after erasure.
"""

from __future__ import annotations

import json
import sys
import tempfile
import traceback
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import pyarrow.parquet as pq
from sqlalchemy import text

from core.errors import TalentError
from footprint.consent import erase_participants
from footprint.ingest.run import ingest_file, ingest_path
from footprint.snapshot import create_snapshot
from footprint.store import Store, open_store
from footprint.sweep import sweep_erased

SALT = "hostile-bench-salt-" + "5e1d" * 8
P = {
    "participant_id": "pVALID",
    "grade": "8",
    "grade_year": "2025",
    "region": "RU-MOW",
    "registered_at": "2025-09-01",
    "consent_status": "given",
}
A = {
    "activity_id": "a1",
    "series_id": "s1",
    "title": "T",
    "kind": "hackathon",
    "directions": "python:1",
    "level": "regional",
    "format": "online",
    "start_at": "2025-10-01",
    "end_at": "2025-10-02",
    "grade_min": "5",
    "grade_max": "11",
    "max_score": "100",
    "is_team": "false",
    "published_at": "2025-06-01",
}


def ach(rid: str, **over: object) -> dict[str, object]:
    row: dict[str, object] = {
        "source_record_id": rid,
        "participant_id": "pVALID",
        "activity_id": "a1",
        "result": "participant",
        "score": "50",
        "status": "verified",
        "status_changed_at": "2025-10-05",
        "achieved_at": "2025-10-02",
        "recorded_at": "2025-10-03",
    }
    return row | over


def _jsonl(folder: Path, entity: str, rows: Sequence[Mapping[str, object]]) -> Path:
    path = folder / f"{entity}.jsonl"
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows))
    return path


def _raw(path: Path, content: bytes) -> Path:
    path.write_bytes(content)
    return path


def _csv(folder: Path, entity: str, rows: Sequence[Mapping[str, object]]) -> Path:
    import pandas as pd

    path = folder / f"{entity}.csv"
    pd.DataFrame(rows).to_csv(path, index=False)
    return path


CASES: dict[str, Callable[[Path], tuple[Path, set[str]]]] = {
    "int 2^63 (jsonl)": lambda d: (
        _jsonl(d, "achievements", [ach("h1", rank=2**63), ach("v1")]),
        {"v1"},
    ),
    "int 2^64 (jsonl)": lambda d: (
        _jsonl(d, "achievements", [ach("h2", rank=2**64), ach("v2")]),
        {"v2"},
    ),
    "int 10^30 (csv)": lambda d: (
        _csv(d, "achievements", [ach("h3", rank=str(10**30)), ach("v3")]),
        {"v3"},
    ),
    "year 1900": lambda d: (
        _csv(
            d,
            "achievements",
            [ach("h4", achieved_at="1900-01-01", recorded_at="1900-01-02"), ach("v4")],
        ),
        {"v4"},
    ),
    "year 2999": lambda d: (
        _csv(
            d,
            "achievements",
            [ach("h5", achieved_at="2999-01-01", recorded_at="2999-01-02"), ach("v5")],
        ),
        {"v5"},
    ),
    "recorded before achieved": lambda d: (
        _csv(d, "achievements", [ach("h6", recorded_at="2025-10-01"), ach("v6")]),
        {"v6"},
    ),
    "200k-char evidence": lambda d: (
        _csv(d, "achievements", [ach("h7", evidence="x" * 200_000), ach("v7")]),
        {"v7"},
    ),
    "NaN / Infinity score": lambda d: (
        _csv(d, "achievements", [ach("h8", score="NaN"), ach("h9", score="Infinity"), ach("v8")]),
        {"v8"},
    ),
    "unknown column": lambda d: (_csv(d, "achievements", [ach("h10") | {"full_name": "x"}]), set()),
    "not UTF-8": lambda d: (_raw(d / "achievements.csv", b"\xff\xfe\x00bad"), set()),
    "bad JSON line": lambda d: (_raw(d / "achievements.jsonl", b'{"a": 1\n'), set()),
    "region 'Москва'": lambda d: (
        _csv(
            d,
            "participants",
            [P | {"participant_id": "pR1", "region": "Москва"}, P | {"participant_id": "pR2"}],
        ),
        {"pR2"},
    ),
}


def _stored(store: Store) -> set[str]:
    with store.engine.connect() as conn:
        ids = set(conn.execute(text("SELECT source_record_id FROM achievement_sources")).scalars())
        return ids | set(conn.execute(text("SELECT participant_id FROM participants")).scalars())


def main() -> None:
    root = Path(tempfile.mkdtemp(prefix="hostile-"))
    data = root / "data"
    store = open_store(f"sqlite:///{data / 'talent.db'}")
    base = root / "base"
    base.mkdir()
    _csv(base, "participants", [P, P | {"participant_id": "pERASE"}])
    _csv(base, "activities", [A])
    _csv(base, "achievements", [ach("b1"), ach("b2", participant_id="pERASE", result="winner")])
    ingest_path(store, base, "platform", salt=SALT)
    rows = []
    for i, (name, make) in enumerate(CASES.items()):
        folder = root / f"case{i}"
        folder.mkdir()
        path, valid = make(folder)
        try:
            ingest_file(store, path, f"src{i}", salt=SALT)
            handled = "committed"
        except TalentError as exc:
            handled = f"refused: {str(exc)[:50]}"
        except Exception:  # the point of the bench: count what was not handled
            handled = "CRASH " + traceback.format_exc().splitlines()[-1][:60]
        lost = len(valid - _stored(store))
        rows.append((name, handled, lost))
    create_snapshot(store, __import__("datetime").datetime(2026, 1, 1), data / "snapshots")
    with store.transaction() as conn:
        erase_participants(
            conn, ["pERASE"], actor="bench", reason_code="consent_withdrawn", salt=SALT
        )
    sweep_erased(store, SALT, data)
    left = 0
    for f in data.rglob("*"):
        if f.is_file():
            content = f.read_bytes()
            if f.suffix == ".parquet":
                content += pq.read_table(f).to_pandas().astype(str).to_csv().encode()
            left += b"pERASE" in content
    print(f"$ {' '.join(['uv run python', *sys.argv])}")
    print(f"{'case':28} {'rows lost':>9}  outcome")
    for name, handled, lost in rows:
        print(f"{name:28} {lost:>9}  {handled}")
    crashes = sum(h.startswith("CRASH") for _, h, _ in rows)
    print(
        f"tried {len(rows)}, handled cleanly {len(rows) - crashes}, crashes {crashes}, "
        f"rows lost {sum(x for _, _, x in rows)}, files naming the erased id {left}"
    )


if __name__ == "__main__":
    main()
