"""Ingest files into the store: one transaction per file, bad rows quarantined, a summary each."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import pandas as pd
from sqlalchemy import delete, select
from sqlalchemy.exc import SQLAlchemyError

from core.errors import InputFileError, SaltMismatchError, TalentError
from core.instants import utc_now
from core.logs import get_logger
from core.settings import FootprintSettings
from footprint import tables
from footprint.bulk import IN_CHUNK, insert_frame, read_frame, read_in
from footprint.changes import ChangeKind, record_changes
from footprint.columns import Columns as C
from footprint.consent import bind_salt
from footprint.directions import store_directions
from footprint.enums import Entity
from footprint.hashing import row_hashes, subject_hashes
from footprint.ingest.achievements import apply_achievements
from footprint.ingest.activities import apply_activities, apply_edges
from footprint.ingest.context import ERASED, SMALL_BATCH, BatchContext
from footprint.ingest.directions import apply_directions
from footprint.ingest.participants import apply_consents, apply_identities, apply_participants
from footprint.ingest.reader import RawFile, list_input_files, raw_from_records, read_raw
from footprint.ingest.scopes import apply_consent_scopes
from footprint.ingest.validate import PROBLEM_COLUMNS, DateWindow, Validated, validate
from footprint.ingest.waiting import (
    SUPPLIERS,
    drop_superseded,
    record_keys,
    waiting_entries,
)
from footprint.progress import progress_bar
from footprint.store import Store

log = get_logger(__name__)

APPLIERS: dict[Entity, Callable[[BatchContext, pd.DataFrame], None]] = {
    Entity.IDENTITIES: apply_identities,
    Entity.PARTICIPANTS: apply_participants,
    Entity.CONSENTS: apply_consents,
    Entity.CONSENT_SCOPES: apply_consent_scopes,
    Entity.DIRECTIONS: apply_directions,
    Entity.ACTIVITIES: apply_activities,
    Entity.ACTIVITY_EDGES: apply_edges,
    Entity.ACHIEVEMENTS: apply_achievements,
}

# entities whose rows name direction codes, checked against the store's directions
NAMES_DIRECTIONS = frozenset({Entity.ACTIVITIES, Entity.PARTICIPANTS})

# Called between applying the rows and committing; tests use it to fail or kill a batch midway.
_before_commit: Callable[[BatchContext], None] | None = None


@dataclass(frozen=True)
class BatchSummary:
    """What one file did to the store."""

    file: str
    entity: str
    source: str
    rows: int
    added: int
    updated: int
    unchanged: int
    merged: int
    quarantined: int
    erased: int
    retried: int = 0  # rows that waited for a reference this batch supplied, now applied

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


@dataclass(frozen=True)
class BatchResult:
    """A batch's summary and its problems (row_number, field, reason_code, reason), one per bad
    field, for callers that report per-row errors (the API)."""

    summary: BatchSummary
    problems: pd.DataFrame


# identity columns a row names a participant by, checked against the tombstones first
SUBJECT_COLUMNS: dict[Entity, tuple[str, ...]] = {
    Entity.IDENTITIES: (C.SOURCE_PARTICIPANT_ID, C.PARTICIPANT_ID),
    Entity.PARTICIPANTS: (C.PARTICIPANT_ID,),
    Entity.CONSENTS: (C.PARTICIPANT_ID,),
    Entity.CONSENT_SCOPES: (C.PARTICIPANT_ID,),
    Entity.ACHIEVEMENTS: (C.PARTICIPANT_ID,),
}
# A quarantined row keeps at most this many characters of each value (a hostile file once stored
# megabytes per field); every valid value is shorter (the longest field allows 500), so a row
# waiting for a reference is never cut.
QUARANTINE_VALUE_CHARS = 1000
WITHHELD = json.dumps({"withheld": "participant erased"})


def _missing(value: object) -> bool:
    return value is None or bool(pd.api.types.is_scalar(value) and pd.isna(value))  # type: ignore[call-overload]


def _capped(value: object) -> object:
    if isinstance(value, str) and len(value) > QUARANTINE_VALUE_CHARS:
        cut = len(value) - QUARANTINE_VALUE_CHARS
        return f"{value[:QUARANTINE_VALUE_CHARS]}... [{cut} more characters not kept]"
    return value


def _quarantine_frame(ctx: BatchContext, raw: RawFile, problems: pd.DataFrame) -> pd.DataFrame:
    rows = raw.rows.loc[problems["row_number"]]
    erased = (problems["reason_code"] == ERASED).to_numpy()
    payload = [
        WITHHELD
        if gone
        else json.dumps(
            {k: _capped(v) for k, v in r.items() if not _missing(v)},
            ensure_ascii=False,
            sort_keys=True,
            default=str,
        )
        for gone, r in zip(erased, rows.to_dict("records"), strict=True)
    ]
    subject_col = C.SOURCE_PARTICIPANT_ID if raw.entity is Entity.IDENTITIES else C.PARTICIPANT_ID
    subjects = (
        rows[subject_col] if subject_col in rows.columns else pd.Series(None, index=rows.index)
    )
    subjects = subjects.map(lambda v: None if v is None or v != v else str(v).strip())
    hashes = subject_hashes(ctx.salt, subjects.dropna())
    frame = pd.DataFrame(
        {
            "batch_id": ctx.batch_id,
            C.SOURCE: ctx.source,
            "entity": raw.entity.value,
            "file_name": raw.path.name,
            "row_number": problems["row_number"].to_numpy(),
            "field": problems["field"].to_numpy(),
            "reason_code": problems["reason_code"].to_numpy(),
            "reason": problems["reason"].to_numpy(),
            "raw_row": payload,
            "subject_hash": subjects.map(hashes).to_numpy(),
            "quarantined_at": ctx.now,
            "record_key": record_keys(raw.entity, rows).to_numpy(),
        }
    )
    frame["quarantine_key"] = row_hashes(frame[[C.SOURCE, "entity", "raw_row", "field"]]).to_numpy()
    # an erased participant's rows are keyed without their content: one entry per row sent
    frame.loc[erased, "quarantine_key"] = row_hashes(
        frame.loc[erased, [C.SOURCE, "entity", "subject_hash", "file_name", "row_number"]]
    ).to_numpy()
    q = tables.quarantine.c
    same = select(q.quarantine_key).where(q[C.SOURCE] == ctx.source, q.entity == raw.entity.value)
    keys = sorted(set(frame["quarantine_key"]))
    if len(keys) <= SMALL_BATCH:  # this batch's keys only, not the source's whole quarantine
        have = read_in(ctx.conn, lambda ks: same.where(q.quarantine_key.in_(ks)), keys)
        if have.empty:
            return frame
    else:
        have = read_frame(ctx.conn, same)
    return frame[~frame["quarantine_key"].isin(set(have["quarantine_key"]))]


def _apply(ctx: BatchContext, raw: RawFile, checked: Validated) -> pd.DataFrame:
    """Refuse rows of erased participants first, apply the valid rest; return all problems."""
    erased = ctx.erased_rows(raw.rows, SUBJECT_COLUMNS.get(raw.entity, ()))
    rows, problems = checked.rows, checked.problems
    if len(erased):
        rows = rows.loc[~rows.index.isin(erased)]
        problems = problems[~problems["row_number"].isin(erased)]
        ctx.reject(
            erased,
            C.PARTICIPANT_ID,
            ERASED,
            "the participant withdrew consent and was erased; their records are not accepted",
        )
    ctx.applied = rows
    APPLIERS[raw.entity](ctx, rows)
    found = pd.concat([problems, *ctx.problems], ignore_index=True) if ctx.problems else problems
    return found.reindex(columns=PROBLEM_COLUMNS).sort_values(
        ["row_number", "field"], kind="stable"
    )


def _retry_waiting(ctx: BatchContext, window: DateWindow) -> int:
    """Apply again, in ``ctx``'s transaction, every row waiting for a participant or activity;
    rows still missing one wait on (under their original file and row), others are stored.
    Returns the number of rows that stopped waiting."""
    entries = waiting_entries(ctx.conn)
    if entries.empty:
        return 0
    retried = 0
    for (source, entity_value), group in entries.groupby([C.SOURCE, "entity"], sort=True):
        entity = Entity(str(entity_value))
        rows = group.drop_duplicates(["batch_id", "file_name", "row_number"]).reset_index(drop=True)
        # the newest waiting version of a record only
        rows = rows[~(rows["record_key"].notna() & rows["record_key"].duplicated(keep="last"))]
        rows = rows.reset_index(drop=True)
        q = tables.quarantine
        keys = list(group["quarantine_key"])
        for i in range(0, len(keys), IN_CHUNK):
            ctx.conn.execute(delete(q).where(q.c.quarantine_key.in_(keys[i : i + IN_CHUNK])))
        raw = raw_from_records(
            entity, [json.loads(r) for r in rows["raw_row"]], f"retry-{entity.value}"
        )
        sub = BatchContext(
            conn=ctx.conn, source=str(source), batch_id=ctx.batch_id, salt=ctx.salt, now=ctx.now
        )
        known = [d.code for d in store_directions(ctx.conn)] if entity in NAMES_DIRECTIONS else None
        problems = _apply(sub, raw, validate(entity, raw.rows, window, known))
        frame = _quarantine_frame(sub, raw, problems)
        at = frame["row_number"].to_numpy(dtype="int64") - 1
        for col in ("batch_id", "file_name", "row_number", "quarantined_at"):
            frame[col] = rows[col].to_numpy()[at]
        insert_frame(ctx.conn, q, frame)
        left = int(problems["row_number"].nunique())
        retried += len(rows) - left
        log.info(
            "waiting_rows_retried",
            source=source,
            entity=entity.value,
            rows=len(rows),
            applied=len(rows) - left,
            still_waiting_or_bad=left,
        )
    return retried


def _record_changes(ctx: BatchContext, entity: Entity, retried: int) -> None:
    """Tell serving processes what this batch touched (:mod:`footprint.changes`), in its
    transaction. Every valid row's participant is recorded, changed or not: re-reading an
    unchanged participant costs little, missing a changed one would serve stale answers."""
    counts = ctx.counts
    if not (counts.added + counts.updated + counts.merged + counts.erased + retried):
        return
    kinds: list[ChangeKind] = []
    if counts.erased:
        kinds.append(ChangeKind.ERASURE)
    if retried:
        kinds.append(ChangeKind.FULL)
    if entity in (Entity.ACTIVITIES, Entity.ACTIVITY_EDGES, Entity.DIRECTIONS):
        kinds.append(ChangeKind.CATALOGUE)
    ids: set[str] = set()
    rows = ctx.applied
    if rows is not None and not rows.empty:
        for col in SUBJECT_COLUMNS.get(entity, ()):
            if col in rows.columns:
                raw_ids = rows[col].dropna().astype(str)
                ids.update(raw_ids)
                ids.update(ctx.resolve(raw_ids).astype(str))
    if ids and counts.erased:
        # an erasing batch (a consent withdrawal) must not name the erased; the erasure kind
        # makes readers drop whoever is gone
        ids.clear()
    record_changes(ctx.conn, ctx.now, participants=ids, kinds=kinds)


def ingest_raw(
    store: Store, raw: RawFile, source: str, *, progress: bool = False, salt: str | None = None
) -> BatchResult:
    """Validate and apply one batch of raw rows as one transaction; a failure leaves the store as
    it was. Files (:func:`ingest_file`) and API pushes both come through here."""
    started = utc_now()
    settings = FootprintSettings()
    window = DateWindow.around(started, settings.plausible_from, settings.plausible_years_ahead)
    known: list[str] | None = None
    if raw.entity in NAMES_DIRECTIONS:
        with store.engine.connect() as conn:
            known = [d.code for d in store_directions(conn)]
    checked = validate(raw.entity, raw.rows, window, known)
    batch_id = str(uuid.uuid4())
    with store.transaction() as conn:
        ctx = BatchContext(
            conn=conn,
            source=source,
            batch_id=batch_id,
            salt=salt or settings.erasure_salt,
            now=started,
            progress=progress,
        )
        bind_salt(conn, ctx.salt)
        problems = _apply(ctx, raw, checked)
        drop_superseded(conn, source, raw.entity, record_keys(raw.entity, raw.rows))
        insert_frame(conn, tables.quarantine, _quarantine_frame(ctx, raw, problems))
        counts = ctx.counts
        retried = 0
        if raw.entity in SUPPLIERS and counts.added + counts.updated + counts.merged:
            retried = _retry_waiting(ctx, window)
        summary = BatchSummary(
            file=str(raw.path),
            entity=raw.entity.value,
            source=source,
            rows=len(raw.rows),
            added=counts.added,
            updated=counts.updated,
            unchanged=counts.unchanged,
            merged=counts.merged,
            quarantined=int(problems["row_number"].nunique()),
            erased=counts.erased,
            retried=retried,
        )
        insert_frame(
            conn,
            tables.ingest_batches,
            pd.DataFrame(
                [
                    {
                        "batch_id": batch_id,
                        C.SOURCE: source,
                        "entity": raw.entity.value,
                        "file_name": raw.path.name,
                        "file_sha256": raw.sha256,
                        "rows": summary.rows,
                        "added": summary.added,
                        "updated": summary.updated,
                        "unchanged": summary.unchanged,
                        "merged": summary.merged,
                        "quarantined": summary.quarantined,
                        "erased": summary.erased,
                        "started_at": started,
                        "finished_at": utc_now(),
                    }
                ]
            ),
        )
        _record_changes(ctx, raw.entity, retried)
        if _before_commit is not None:
            _before_commit(ctx)
    log.info(
        "ingested",
        batch_id=batch_id,
        **{k: v for k, v in summary.as_dict().items() if k != "file"},
        file=raw.path.name,
    )
    return BatchResult(summary=summary, problems=problems.reset_index(drop=True))


def ingest_file(
    store: Store, path: Path, source: str, *, progress: bool = False, salt: str | None = None
) -> BatchSummary:
    """Validate and apply one file as one transaction; a failure leaves the store as it was."""
    return ingest_raw(store, read_raw(path), source, progress=progress, salt=salt).summary


@dataclass(frozen=True)
class FailedFile:
    """A file refused as a whole (unreadable, unknown columns, the store failing): nothing of it
    was stored."""

    file: str
    error: str


@dataclass(frozen=True)
class IngestReport:
    """What a folder ingest did: the committed files' summaries and the refused files."""

    committed: list[BatchSummary]
    failed: list[FailedFile]

    @property
    def ok(self) -> bool:
        return not self.failed


def ingest_all(
    store: Store, path: Path, source: str, *, progress: bool = False, salt: str | None = None
) -> IngestReport:
    """Ingest a file or every entity file of a folder, one transaction each, in dependency order
    (identity map, then consent changes, so withdrawals apply before anything else).

    A refused file does not stop the others: each file commits or fails on its own, and the report
    lists both.

    Raises
    ------
    InputFileError
        ``path`` does not exist or holds no input files.
    SaltMismatchError
        The salt is not the store's (no file is tried).
    """
    committed: list[BatchSummary] = []
    failed: list[FailedFile] = []
    files = list_input_files(path)
    with progress_bar(len(files), f"ingest {source}", show=progress) as bar:
        for f in files:
            bar.note(f.name)
            _ingest_one(store, f, source, progress, salt, committed, failed)
            bar.advance()
    return IngestReport(committed=committed, failed=failed)


def _ingest_one(
    store: Store,
    f: Path,
    source: str,
    progress: bool,
    salt: str | None,
    committed: list[BatchSummary],
    failed: list[FailedFile],
) -> None:
    """Ingest one file of a folder, recording it as committed or failed."""
    try:
        committed.append(ingest_file(store, f, source, progress=progress, salt=salt))
    except SaltMismatchError:
        raise
    except TalentError as exc:
        failed.append(FailedFile(str(f), str(exc)))
        log.error("ingest_file_failed", file=f.name, error=type(exc).__name__)
    except SQLAlchemyError as exc:
        # the transaction was rolled back; the message names no row values
        failed.append(FailedFile(str(f), f"the store refused the batch: {type(exc).__name__}"))
        log.error("ingest_file_failed", file=f.name, error=type(exc).__name__)


def ingest_path(
    store: Store, path: Path, source: str, *, progress: bool = False, salt: str | None = None
) -> list[BatchSummary]:
    """:func:`ingest_all` for callers that want the summaries, or an error if any file failed
    (after every file was tried)."""
    report = ingest_all(store, path, source, progress=progress, salt=salt)
    if report.failed:
        raise InputFileError(
            "; ".join(f"{Path(f.file).name}: {f.error}" for f in report.failed)
            + f" ({len(report.committed)} other file(s) committed)"
        )
    return report.committed
