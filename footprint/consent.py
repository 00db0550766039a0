"""Erasure on withdrawn consent (152-FZ): delete a participant's records everywhere in the store,
leave a tombstone so re-ingestion cannot bring them back, and audit the erasure without
personal data.

Snapshots written before the erasure and the per-season rating files are swept afterwards by
:func:`footprint.sweep.sweep_erased` (``talent erase``, ingested withdrawals and the API call it).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd
from sqlalchemy import Connection, delete, select

from core.errors import SaltMismatchError
from core.instants import utc_now
from core.logs import get_logger
from footprint import tables
from footprint.bulk import IN_CHUNK, insert_frame, read_in
from footprint.changes import ChangeKind, forget_participants, record_changes
from footprint.columns import Columns as C
from footprint.hashing import subject_hashes

log = get_logger(__name__)


SALT_FINGERPRINT_KEY = "erasure_salt_fingerprint"


def salt_fingerprint(salt: str) -> str:
    """A one-way fingerprint of the salt, safe to keep in the store beside the tombstones."""
    return hashlib.sha256(f"talent-erasure-salt-fingerprint|{salt}".encode()).hexdigest()


def bind_salt(conn: Connection, salt: str) -> None:
    """Check ``salt`` against the fingerprint the store recorded, recording it on first use.

    Tombstones are keyed hashes of ids: under another salt none of them would match, and an
    erased participant's rows would be accepted again. So a store, once it has used a salt,
    refuses every other.

    Raises
    ------
    SaltMismatchError
        The store's tombstones were made with another ``TALENT_ERASURE_SALT``.
    """
    meta = tables.store_meta
    stored = conn.execute(
        select(meta.c.value).where(meta.c.key == SALT_FINGERPRINT_KEY)
    ).scalar_one_or_none()
    fingerprint = salt_fingerprint(salt)
    if stored is None:
        conn.execute(meta.insert().values(key=SALT_FINGERPRINT_KEY, value=fingerprint))
    elif stored != fingerprint:
        raise SaltMismatchError(
            "TALENT_ERASURE_SALT is not the salt this store's erasure tombstones were made with; "
            "under it, erased participants could be ingested again. Run with the salt the store "
            "was first used with (the store keeps only its fingerprint; see docs/operations.md)"
        )


@dataclass(frozen=True)
class ErasureReport:
    erasure_id: str
    subjects: int
    rows_deleted: dict[str, int]


def _chunks(values: Sequence[str]) -> list[list[str]]:
    return [list(values[i : i + IN_CHUNK]) for i in range(0, len(values), IN_CHUNK)]


def erase_participants(
    conn: Connection,
    participant_ids: Sequence[str],
    *,
    actor: str,
    reason_code: str,
    salt: str,
    now: dt.datetime | None = None,
) -> ErasureReport:
    """Erase canonical ``participant_ids`` inside the caller's transaction.

    Deletes achievements (with their source references and status history), identity-map entries,
    quarantined raw rows and the participant rows; writes tombstones (keyed hashes of the canonical
    id
    and every alias) and one ``erasure_log`` row with who, when and how many rows, but no ids.
    """
    bind_salt(conn, salt)
    now = now or utc_now()
    ids = sorted(set(participant_ids))
    t_ach, t_src, t_hist = (
        tables.achievements,
        tables.achievement_sources,
        tables.achievement_status_history,
    )
    t_ids = tables.source_identities
    aliases = read_in(
        conn,
        lambda chunk: select(t_ids.c[C.SOURCE_PARTICIPANT_ID]).where(
            t_ids.c[C.PARTICIPANT_ID].in_(chunk)
        ),
        ids,
    )
    alias_ids = sorted(set(aliases[C.SOURCE_PARTICIPANT_ID]) if not aliases.empty else set())
    hashes = subject_hashes(salt, [*ids, *alias_ids])
    ach = read_in(
        conn,
        lambda chunk: select(t_ach.c[C.ACHIEVEMENT_ID]).where(t_ach.c[C.PARTICIPANT_ID].in_(chunk)),
        ids,
    )
    ach_ids = sorted(ach[C.ACHIEVEMENT_ID]) if not ach.empty else []
    deleted: dict[str, int] = {}

    def _delete(name: str, table: tables.Table, col: str, values: Sequence[str]) -> None:
        n = 0
        for chunk in _chunks(values):
            n += conn.execute(delete(table).where(table.c[col].in_(chunk))).rowcount or 0
        deleted[name] = deleted.get(name, 0) + n

    _delete("achievement_status_history", t_hist, C.ACHIEVEMENT_ID, ach_ids)
    _delete("achievement_sources", t_src, C.ACHIEVEMENT_ID, ach_ids)
    _delete("achievements", t_ach, C.ACHIEVEMENT_ID, ach_ids)
    _delete("source_identities", t_ids, C.PARTICIPANT_ID, ids)
    _delete("consent_scope_changes", tables.consent_scope_changes, C.PARTICIPANT_ID, ids)
    _delete("quarantine", tables.quarantine, "subject_hash", sorted(set(hashes.values())))
    _delete("participants", tables.participants, C.PARTICIPANT_ID, ids)
    forget_participants(conn, [*ids, *alias_ids])
    record_changes(conn, now, kinds=[ChangeKind.ERASURE])
    erasure_id = str(uuid.uuid4())
    existing = read_in(
        conn,
        lambda chunk: select(tables.erasure_tombstones.c.subject_hash).where(
            tables.erasure_tombstones.c.subject_hash.in_(chunk)
        ),
        sorted(set(hashes.values())),
    )
    known = set(existing["subject_hash"]) if not existing.empty else set()
    new_hashes = sorted(set(hashes.values()) - known)
    insert_frame(
        conn,
        tables.erasure_tombstones,
        pd.DataFrame({"subject_hash": new_hashes, "erasure_id": erasure_id}),
    )
    insert_frame(
        conn,
        tables.erasure_log,
        pd.DataFrame(
            [
                {
                    "erasure_id": erasure_id,
                    "performed_at": now,
                    "actor": actor,
                    "reason_code": reason_code,
                    "subjects": len(ids),
                    "rows_deleted": json.dumps(deleted, sort_keys=True),
                }
            ]
        ),
    )
    log.info(
        "erasure", erasure_id=erasure_id, subjects=len(ids), reason_code=reason_code, **deleted
    )
    return ErasureReport(erasure_id=erasure_id, subjects=len(ids), rows_deleted=deleted)


@dataclass(frozen=True)
class ErasureTargets:
    """Requested ids sorted by what an erasure can do with them."""

    stored: tuple[str, ...]
    already_erased: tuple[str, ...]
    unknown: tuple[str, ...]


def erasure_targets(conn: Connection, participant_ids: Sequence[str], salt: str) -> ErasureTargets:
    """Which of ``participant_ids`` the store holds, which were erased before (a tombstone under
    ``salt``) and which it has never seen: the API refuses the last with 404, and so does
    ``talent erase`` (a typo must not pass for an erasure)."""
    ids = sorted(set(participant_ids))
    p = tables.participants
    found = read_in(
        conn,
        lambda chunk: select(p.c[C.PARTICIPANT_ID]).where(p.c[C.PARTICIPANT_ID].in_(chunk)),
        ids,
    )
    stored = set(found[C.PARTICIPANT_ID].astype(str)) if not found.empty else set()
    rest = [i for i in ids if i not in stored]
    hashes = subject_hashes(salt, rest)
    t = tables.erasure_tombstones
    tomb = read_in(
        conn,
        lambda chunk: select(t.c.subject_hash).where(t.c.subject_hash.in_(chunk)),
        sorted(set(hashes.values())),
    )
    buried = set(tomb["subject_hash"]) if not tomb.empty else set()
    return ErasureTargets(
        stored=tuple(i for i in ids if i in stored),
        already_erased=tuple(i for i in rest if hashes[i] in buried),
        unknown=tuple(i for i in rest if hashes[i] not in buried),
    )
