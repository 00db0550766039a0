"""Footprint pushes and erasures through the API, on the footprint package's own code paths.

A push is handed to :func:`footprint.ingest.run.ingest_raw`, the function behind ``talent ingest``:
the same validation, the same quarantine, the same idempotency keys and one transaction per batch.
Rows with problems are quarantined and reported one problem per row and field; the good rows are
stored; nothing is half-applied. An erasure calls :func:`footprint.consent.erase_participants`,
which deletes, tombstones and writes the erasure log in one transaction.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, delete, select
from sqlalchemy.exc import SQLAlchemyError

from core.errors import TalentError
from core.logs import get_logger
from footprint import tables as ft
from footprint.columns import Columns as C
from footprint.consent import ErasureReport, bind_salt, erase_participants
from footprint.enums import Entity
from footprint.hashing import subject_hash
from footprint.ingest.fields import ENTITY_FIELDS
from footprint.ingest.reader import raw_from_records
from footprint.ingest.run import BatchResult, ingest_raw
from footprint.store import Store
from serving.auth import Principal
from serving.errors import InvalidInputError, NotFoundError
from serving.services.feedback import purge_participants as purge_feedback
from serving.services.moderation import achievement_ids_of, forget_subjects
from serving.services.reviews import purge_participants
from serving.services.universities import purge_participants as purge_university_rows

log = get_logger(__name__)
ERASURE_REASON_CODES = ("consent_withdrawn", "account_deleted", "legal_request")


def push_records(
    store: Store,
    entity: Entity,
    records: Sequence[Mapping[str, Any]],
    *,
    source: str,
    salt: str,
) -> BatchResult:
    """Validate and store one pushed batch like an ingested file.

    Keys a record must not have are refused before anything is stored (the batch's shape is
    wrong, not one row); a required key that is absent in a record is left to row validation,
    so that row alone is reported (``missing_required``) and the others are stored.

    Raises
    ------
    InvalidInputError
        A record has a key that is not a column of ``entity``, or an activities batch carries
        no ``directions`` at all; ``field`` is the location.
    """
    specs = ENTITY_FIELDS[entity]
    known = {f.name for f in specs}
    for i, record in enumerate(records):
        for key in record:
            if key not in known:
                raise InvalidInputError(
                    f"{key!r} is not a field of {entity.value}; known fields: {sorted(known)}",
                    ("body", "records", i, key),
                )
    if entity is Entity.ACTIVITIES and not any(r.get(C.DIRECTIONS) for r in records):
        # not one row's problem but the batch's: an activities export without the column (or
        # with it empty throughout) is the wrong file, and quarantining every row hides that
        raise InvalidInputError(
            'no record carries `directions` (e.g. "python:0.6;robotics:0.4"); an activity '
            "without directions cannot be rated or recommended, so nothing was stored",
            ("body", "records", 0, C.DIRECTIONS),
        )
    # every column present in the frame, so a key absent from all records is a per-row problem
    rows = [{f.name: record.get(f.name) for f in specs} for record in records]
    raw = raw_from_records(entity, rows, f"api-{entity.value}")
    try:
        return ingest_raw(store, raw, source, salt=salt)
    except (SQLAlchemyError, TalentError):
        raise
    except Exception as exc:
        # Ingestion validates before its transaction and rolls back on any error, so nothing was
        # stored. Degenerate batches (e.g. no record with any `directions`) can trip a check
        # inside the footprint's validator; the caller gets a 422 instead of a 500, and the log
        # keeps the error's type so the validator can be fixed.
        log.error("push_not_validated", entity=entity.value, error=type(exc).__name__)
        raise InvalidInputError(
            f"the batch could not be validated ({type(exc).__name__}); nothing was stored. "
            "Check that every record carries the entity's required fields",
            ("body", "records"),
        ) from exc


@dataclass(frozen=True)
class ErasureOutcome:
    """``erased`` (with the footprint's report) or ``already_erased`` (nothing left to delete)."""

    status: str
    report: ErasureReport | None


def _canonical(conn: Connection, participant_id: str, source: str | None) -> str | None:
    p, ids = ft.participants, ft.source_identities
    found = conn.execute(
        select(p.c[C.PARTICIPANT_ID]).where(p.c[C.PARTICIPANT_ID] == participant_id)
    ).scalar_one_or_none()
    if found is not None:
        return str(found)
    query = select(ids.c[C.PARTICIPANT_ID]).where(ids.c[C.SOURCE_PARTICIPANT_ID] == participant_id)
    if source is not None:
        query = query.where(ids.c[C.SOURCE] == source)
    canon = {str(v) for v in conn.execute(query).scalars()}
    return canon.pop() if len(canon) == 1 else None


def erase(
    store: Store,
    participant_id: str,
    *,
    principal: Principal,
    reason_code: str,
    salt: str,
    source: str | None = None,
) -> ErasureOutcome:
    """Erase one participant (canonical id, or a source's id resolved through the identity map).

    Idempotent: a participant erased before answers ``already_erased``.

    Raises
    ------
    NotFoundError
        The id is neither stored nor erased before (or it is ambiguous across sources: give
        ``source``).
    """
    with store.transaction() as conn:
        bind_salt(conn, salt)
        canonical = _canonical(conn, participant_id, source)
        if canonical is None:
            tomb = ft.erasure_tombstones
            gone = conn.execute(
                select(tomb.c.subject_hash).where(
                    tomb.c.subject_hash == subject_hash(salt, participant_id)
                )
            ).scalar_one_or_none()
            if gone is not None:
                # nothing of theirs may linger: ingestion keeps no content of an erased
                # participant's rows, and this sweeps anything an older version kept
                conn.execute(
                    delete(ft.quarantine).where(
                        ft.quarantine.c.subject_hash == subject_hash(salt, participant_id)
                    )
                )
                return ErasureOutcome("already_erased", None)
            raise NotFoundError(
                "no participant with this id is stored (for a source's own id, give `source`)"
            )
        achievements = achievement_ids_of(conn, [canonical])
        report = erase_participants(
            conn, [canonical], actor=principal.actor[:64], reason_code=reason_code, salt=salt
        )
        purge_participants(conn, [canonical])
        purge_university_rows(conn, [canonical])
        purge_feedback(conn, [canonical])
        forget_subjects(conn, achievements)
    return ErasureOutcome("erased", report)
