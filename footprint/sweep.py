"""Erasure beyond the store: files derived from it that name an erased participant.

The store's erasure (:mod:`footprint.consent`) deletes rows and leaves tombstones. Files written
from the store before the erasure still name the participant: snapshots (immutable,
content-addressed Parquet folders) and the per-season rating outputs. :func:`sweep_erased` finds
them by hashing every participant id they hold with the erasure salt and looking the hash up in
the tombstones, so it needs no list of erased ids and catches erasures made by any path:

- a snapshot folder naming an erased participant is deleted whole (its id is a hash of its
  content, so it cannot be rewritten; a new snapshot as of the same instant is written by
  ``talent snapshot`` and lacks the participant);
- rating outputs (``data/ratings/<season>/*.csv|parquet|jsonl`` with a ``participant_id``) are
  rewritten without the participant's rows; the other participants' places stay as computed, and
  ``talent rate`` regenerates the season from the store;
- SQLite's write-ahead log is checkpointed and truncated, so pages that held deleted rows do not
  linger in the ``-wal`` file (``secure_delete`` zeroes them in the database file itself).
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
from sqlalchemy import select

from core.logs import get_logger
from footprint import tables
from footprint.bulk import read_frame
from footprint.columns import Columns as C
from footprint.hashing import subject_hashes
from footprint.store import Store

log = get_logger(__name__)
SNAPSHOT_FRAMES_WITH_IDS = ("participants.parquet", "achievements.parquet")


@dataclass
class SweepReport:
    snapshots_deleted: int = 0
    files_rewritten: int = 0
    rows_removed: int = 0


def _erased(tomb: set[str], salt: str, ids: pd.Series) -> pd.Series:
    values = ids.astype(object).where(ids.notna(), None)
    hashes = subject_hashes(salt, [str(v) for v in values.dropna().unique()])
    return values.map(lambda v: v is not None and hashes.get(str(v)) in tomb).astype(bool)


def _replace(path: Path, write: object) -> None:
    tmp = path.with_name(f".{path.name}.sweep")
    write(tmp)  # type: ignore[operator]
    os.replace(tmp, path)


def _sweep_table(path: Path, tomb: set[str], salt: str, report: SweepReport) -> None:
    if path.suffix == ".parquet":
        frame = pq.read_table(path).to_pandas()
    elif path.suffix == ".csv":
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    else:
        return
    if C.PARTICIPANT_ID not in frame.columns:
        return
    gone = _erased(tomb, salt, frame[C.PARTICIPANT_ID])
    if not gone.any():
        return
    kept = frame.loc[~gone]
    if path.suffix == ".parquet":
        _replace(path, lambda p: kept.to_parquet(p, index=False))
    else:
        _replace(path, lambda p: kept.to_csv(p, index=False))
    report.files_rewritten += 1
    report.rows_removed += int(gone.sum())


def _sweep_jsonl(path: Path, tomb: set[str], salt: str, report: SweepReport) -> None:
    lines = path.read_text(encoding="utf-8").splitlines()
    ids = pd.Series(
        [json.loads(line).get(C.PARTICIPANT_ID) if line.strip() else None for line in lines],
        dtype=object,
    )
    gone = _erased(tomb, salt, ids)
    if not gone.any():
        return
    kept = [line for line, g in zip(lines, gone, strict=True) if not g]
    _replace(path, lambda p: p.write_text("".join(f"{x}\n" for x in kept), encoding="utf-8"))
    report.files_rewritten += 1
    report.rows_removed += int(gone.sum())


def _sweep_snapshots(root: Path, tomb: set[str], salt: str, report: SweepReport) -> None:
    if not root.is_dir():
        return
    for folder in sorted(p for p in root.iterdir() if p.is_dir()):
        hit = False
        for name in SNAPSHOT_FRAMES_WITH_IDS:
            file = folder / name
            if file.exists():
                ids = pq.read_table(file, columns=[C.PARTICIPANT_ID]).column(0).to_pandas()
                hit = hit or bool(_erased(tomb, salt, ids).any())
        if hit:
            shutil.rmtree(folder)
            report.snapshots_deleted += 1


def sweep_erased(store: Store, salt: str, data_dir: Path) -> SweepReport:
    """Delete or rewrite every file under ``data_dir`` derived from the store that names an
    erased participant (see the module docstring), then truncate SQLite's write-ahead log."""
    report = SweepReport()
    with store.engine.connect() as conn:
        tomb = set(
            read_frame(conn, select(tables.erasure_tombstones.c.subject_hash))["subject_hash"]
        )
    if tomb:
        _sweep_snapshots(data_dir / "snapshots", tomb, salt, report)
        ratings = data_dir / "ratings"
        if ratings.is_dir():
            for path in sorted(ratings.rglob("*")):
                if not path.is_file() or path.name.startswith("."):
                    continue
                if path.suffix == ".jsonl":
                    _sweep_jsonl(path, tomb, salt, report)
                else:
                    _sweep_table(path, tomb, salt, report)
    if store.dialect == "sqlite":
        raw = store.engine.raw_connection()  # outside any transaction, as the pragma needs
        try:
            raw.cursor().execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            raw.close()
    log.info(
        "erasure_sweep",
        snapshots_deleted=report.snapshots_deleted,
        files_rewritten=report.files_rewritten,
        rows_removed=report.rows_removed,
    )
    return report
