"""Immutable, content-addressed Parquet snapshots of everything known as of an instant.

A snapshot as of T holds the participants registered by T, the activities published by T, and the
achievements recorded by T with the moderation status they had at T (from the append-only status
history), so a record created or verified later never leaks into a pipeline that names T.

Layout: ``<root>/<id16>/{manifest.json, participants.parquet, ...}`` where ``id16`` is the first 16
hex digits of the snapshot id, a SHA-256 over ``as_of`` and the hashes of the frame files. Writing
the same as-of twice on an unchanged store yields the same id and reuses the folder.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from pydantic import BaseModel, ConfigDict, ValidationError
from sqlalchemy import Connection

from core.errors import SnapshotError
from core.hashing import file_sha256
from core.logs import get_logger
from footprint.bulk import read_sql_frame
from footprint.calendar import season_start_year
from footprint.columns import Columns as C
from footprint.directions import directions_frame, store_directions
from footprint.enums import ModerationStatus
from footprint.frames import FRAME_DTYPES, Snapshot, conform, default_directions
from footprint.progress import Bar, progress_bar
from footprint.store import Store

log = get_logger(__name__)
SCHEMA_VERSION = 1
MANIFEST = "manifest.json"
SORT_KEYS: dict[str, list[str]] = {
    "participants": [C.PARTICIPANT_ID],
    "activities": [C.ACTIVITY_ID],
    "activity_directions": [C.ACTIVITY_ID, C.DIRECTION],
    "activity_edges": [C.FROM_ACTIVITY_ID, C.TO_ACTIVITY_ID, C.EDGE_TYPE],
    "achievements": [C.ACHIEVEMENT_ID],
}


def _ts_cols(name: str) -> list[str]:
    return [c for c, t in FRAME_DTYPES[name].items() if t.startswith("datetime")]


def read_frames(
    store: Store,
    as_of: dt.datetime,
    participant_ids: Sequence[str] | None = None,
    activities: pd.DataFrame | None = None,
) -> dict[str, pd.DataFrame]:
    """The snapshot frames as of ``as_of``, read from the store in one transaction.

    With ``participant_ids``, only those participants and their achievements are read, and the
    catalogue frames are not read: ``activities`` (the caller's, already read) decides which
    achievements are kept. A serving process applies a committed change this way
    (``serving.services.live``) with the same code as a whole read.
    """
    p: dict[str, Any] = {"as_of": as_of}
    only = ""
    if participant_ids is not None:
        names = [f"p{i}" for i in range(len(participant_ids))]
        p.update(zip(names, [str(i) for i in participant_ids], strict=True))
        only = f" AND participant_id IN ({', '.join(':' + n for n in names) or 'NULL'})"
    with store.engine.connect() as conn, conn.begin():
        parts = read_sql_frame(
            conn,
            "SELECT participant_id, grade, grade_year, region, school_id, registered_at, "
            "account_verified_at, declared_interests FROM participants "
            "WHERE registered_at <= :as_of" + only,
            p,
            [C.REGISTERED_AT, C.ACCOUNT_VERIFIED_AT],
        )
        if participant_ids is None:
            catalogue = _read_catalogue(conn, as_of)
        ach = read_sql_frame(
            conn,
            "SELECT a.achievement_id, a.participant_id, a.activity_id, a.team_id, a.result,"
            " a.score,"
            " a.rank, a.evidence, a.achieved_at, a.recorded_at,"
            " (SELECT COUNT(*) FROM achievement_sources s"
            "   WHERE s.achievement_id = a.achievement_id) AS n_sources"
            " FROM achievements a WHERE a.recorded_at <= :as_of"
            + only.replace("participant_id", "a.participant_id"),
            p,
            [C.ACHIEVED_AT, C.RECORDED_AT],
        )
        hist = read_sql_frame(
            conn,
            "SELECT h.achievement_id, h.status, h.changed_at, h.seq"
            " FROM achievement_status_history h"
            + (" JOIN achievements a ON a.achievement_id = h.achievement_id" if only else "")
            + " WHERE h.changed_at <= :as_of"
            + only.replace("participant_id", "a.participant_id"),
            p,
            [C.CHANGED_AT],
        )
    if participant_ids is not None:
        assert activities is not None, "a partial read keeps the caller's catalogue"
        acts = activities
    else:
        acts = catalogue["activities"]
    # participants: grade and verification as of the cut-off
    start = season_start_year(as_of.date())
    parts[C.GRADE] = parts[C.GRADE].astype("int64") + start - parts[C.GRADE_YEAR].astype("int64")
    parts[C.ACCOUNT_VERIFIED] = parts[C.ACCOUNT_VERIFIED_AT].notna() & (
        parts[C.ACCOUNT_VERIFIED_AT] <= as_of
    )
    parts[C.GRADE_YEAR] = start
    # status as of the cut-off: the latest history entry at or before it, else pending
    last = (
        hist.sort_values([C.CHANGED_AT, "seq"], kind="stable")
        .drop_duplicates(C.ACHIEVEMENT_ID, keep="last")
        .set_index(C.ACHIEVEMENT_ID)
    )
    status = ach[C.ACHIEVEMENT_ID].map(last[C.STATUS]).astype(object)
    ach[C.STATUS] = status.where(status.notna(), ModerationStatus.PENDING.value)
    ach[C.STATUS_CHANGED_AT] = ach[C.ACHIEVEMENT_ID].map(last[C.CHANGED_AT])
    ach = ach[
        ach[C.PARTICIPANT_ID].isin(parts[C.PARTICIPANT_ID])
        & ach[C.ACTIVITY_ID].isin(acts[C.ACTIVITY_ID])
    ]
    frames = {"participants": parts, "achievements": ach}
    if participant_ids is None:
        frames.update(catalogue)
    return {n: _sorted(f, n) for n, f in frames.items()}


def _sorted(frame: pd.DataFrame, name: str) -> pd.DataFrame:
    # directions keep their order (the configured defaults first): it orders every per-direction
    # array downstream
    keys = SORT_KEYS.get(name)
    return conform(frame if keys is None else frame.sort_values(keys, kind="stable"), name)


def _read_catalogue(conn: Connection, as_of: dt.datetime) -> dict[str, pd.DataFrame]:
    p = {"as_of": as_of}
    acts = read_sql_frame(
        conn,
        "SELECT * FROM activities WHERE published_at <= :as_of",
        p,
        [c for c in _ts_cols("activities")],
    )
    dirs = read_sql_frame(
        conn,
        "SELECT d.activity_id, d.direction, d.weight FROM activity_directions d "
        "JOIN activities a ON a.activity_id = d.activity_id WHERE a.published_at <= :as_of",
        p,
    )
    edges = read_sql_frame(
        conn, "SELECT from_activity_id, to_activity_id, edge_type FROM activity_edges", {}
    )
    acts[C.IS_TEAM] = acts[C.IS_TEAM].astype(bool)
    edges = edges[
        edges[C.FROM_ACTIVITY_ID].isin(acts[C.ACTIVITY_ID])
        & edges[C.TO_ACTIVITY_ID].isin(acts[C.ACTIVITY_ID])
    ]
    return {
        "activities": acts,
        "activity_directions": dirs,
        "activity_edges": edges,
        "directions": directions_frame(store_directions(conn)),
    }


def read_catalogue(store: Store, as_of: dt.datetime) -> dict[str, pd.DataFrame]:
    """The catalogue frames (the directions, activities, their directions and edges) as of
    ``as_of``: what a ``catalogue`` change makes a serving process read again."""
    with store.engine.connect() as conn, conn.begin():
        frames = _read_catalogue(conn, as_of)
    return {n: _sorted(f, n) for n, f in frames.items()}


ROW_GROUP = 1024 * 1024
"""Rows per Parquet row group: pyarrow's own default, so writing a frame slice by slice gives the
same bytes (and snapshot id) as writing it whole."""


def _write_parquet(frame: pd.DataFrame, path: Path) -> None:
    """Write ``frame`` one row group at a time: only one slice is ever copied into Arrow, so a
    2-million-participant snapshot does not hold a second, Arrow copy of its largest frame."""
    # drop pandas' schema metadata: it would tie the content hash to the pandas version
    schema = pa.Schema.from_pandas(frame, preserve_index=False).remove_metadata()
    if frame.empty:
        table = pa.Table.from_pandas(frame, schema=schema, preserve_index=False)
        table = table.replace_schema_metadata(None)
        pq.write_table(table, path, compression="zstd", write_statistics=True)
        return
    with pq.ParquetWriter(path, schema, compression="zstd", write_statistics=True) as writer:
        for start in range(0, len(frame), ROW_GROUP):
            part = frame.iloc[start : start + ROW_GROUP]
            table = pa.Table.from_pandas(part, schema=schema, preserve_index=False)
            writer.write_table(table.replace_schema_metadata(None), row_group_size=ROW_GROUP)


def write_snapshot(
    frames: dict[str, pd.DataFrame], as_of: dt.datetime, root: Path, bar: Bar | None = None
) -> Path:
    """Write ``frames`` under ``root`` at their content address; return the snapshot folder
    (``bar`` advances once per frame written)."""
    root.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".tmp-", dir=root))
    try:
        files = {}
        for name in FRAME_DTYPES:
            path = tmp / f"{name}.parquet"
            # frames built in memory without directions are written with the configured ones
            frame = frames[name] if name in frames else default_directions()
            if bar is not None:
                bar.note(f"writing {name}")
            _write_parquet(frame, path)
            if bar is not None:
                bar.advance()
            files[name] = {
                "file": path.name,
                "rows": len(frame),
                "sha256": file_sha256(path),
            }
        identity = json.dumps(
            {
                "as_of": as_of.isoformat(),
                "schema_version": SCHEMA_VERSION,
                "tables": {n: f["sha256"] for n, f in files.items()},
            },
            sort_keys=True,
        )
        snapshot_id = hashlib.sha256(identity.encode()).hexdigest()
        manifest = {
            "snapshot_id": snapshot_id,
            "as_of": as_of.isoformat(),
            "schema_version": SCHEMA_VERSION,
            "tables": files,
        }
        (tmp / MANIFEST).write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
        final = root / snapshot_id[:16]
        if final.exists():
            load_manifest(final)  # already there: the same content, verified
            return final
        for f in tmp.iterdir():
            os.chmod(f, 0o444)
        os.replace(tmp, final)
        return final
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)


def create_snapshot(store: Store, as_of: dt.datetime, root: Path, progress: bool = False) -> Path:
    """Read the store as of ``as_of`` and write the snapshot; returns its folder. With
    ``progress``, a bar of one step for the read and one per frame written."""
    with progress_bar(1 + len(FRAME_DTYPES), "snapshot", show=progress) as bar:
        bar.note("reading the store")
        frames = read_frames(store, as_of)
        bar.advance()
        path = write_snapshot(frames, as_of, root, bar)
    log.info(
        "snapshot",
        path=str(path),
        as_of=as_of.isoformat(),
        **{n: len(f) for n, f in frames.items()},
    )
    return path


class TableEntry(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    file: str
    rows: int
    sha256: str


class SnapshotManifest(BaseModel):
    """``manifest.json`` of a snapshot folder."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    snapshot_id: str
    as_of: dt.datetime
    schema_version: int
    tables: dict[str, TableEntry]


def load_manifest(path: Path) -> SnapshotManifest:
    """Read and check a snapshot folder's manifest."""
    manifest_path = path / MANIFEST
    if not manifest_path.exists():
        raise SnapshotError(
            f"{path}: not a snapshot (no {MANIFEST}); "
            "create one with `talent snapshot --as-of DATE`"
        )
    try:
        manifest = SnapshotManifest.model_validate_json(manifest_path.read_text())
    except ValidationError as exc:
        raise SnapshotError(f"{path}: {MANIFEST} is malformed: {exc}") from exc
    if manifest.schema_version != SCHEMA_VERSION:
        raise SnapshotError(
            f"{path}: schema version {manifest.schema_version} is not {SCHEMA_VERSION}; "
            "recreate the snapshot with this code"
        )
    return manifest


def load_snapshot(path: Path, verify: bool = True) -> Snapshot:
    """Load a snapshot folder, checking every file against its recorded hash."""
    path = Path(path)
    manifest = load_manifest(path)
    frames = {}
    for name in FRAME_DTYPES:
        if name == "directions" and name not in manifest.tables:
            frames[name] = default_directions()  # written before directions were store data
            continue
        meta = manifest.tables[name]
        file = path / meta.file
        if not file.exists():
            raise SnapshotError(f"{path}: {file.name} is missing; the snapshot is incomplete")
        if verify and file_sha256(file) != meta.sha256:
            raise SnapshotError(
                f"{path}: {file.name} does not match its hash in {MANIFEST}; "
                "the snapshot was modified or truncated, recreate it"
            )
        frames[name] = pq.read_table(file).to_pandas()
    return Snapshot.from_frames(manifest.as_of, frames, snapshot_id=manifest.snapshot_id)
