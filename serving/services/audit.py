"""The append-only audit trail of moderation decisions: who, when, before, after, why.

Entries are only ever inserted (the database refuses UPDATE and DELETE on the table), inside the
same transaction as the change they describe, so a decision and its audit entry exist together or
not at all.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, func, select

from serving.auth import Principal
from serving.tables import audit_log


@dataclass(frozen=True)
class AuditEntry:
    """One decision as recorded."""

    audit_id: str
    occurred_at: dt.datetime
    actor: str
    actor_role: str
    action: str
    subject_type: str
    subject_id: str
    before: dict[str, Any]
    after: dict[str, Any]
    comment: str
    request_id: str | None


def append_audit(
    conn: Connection,
    *,
    actor: Principal,
    action: str,
    subject_type: str,
    subject_id: str,
    before: dict[str, Any],
    after: dict[str, Any],
    comment: str,
    request_id: str | None,
    now: dt.datetime,
) -> AuditEntry:
    """Insert one audit entry inside the caller's transaction and return it."""
    entry = AuditEntry(
        audit_id=str(uuid.uuid4()),
        occurred_at=now,
        actor=actor.actor,
        actor_role=actor.role.value,
        action=action,
        subject_type=subject_type,
        subject_id=subject_id,
        before=before,
        after=after,
        comment=comment,
        request_id=request_id,
    )
    conn.execute(
        audit_log.insert().values(
            audit_id=entry.audit_id,
            occurred_at=entry.occurred_at,
            actor=entry.actor,
            actor_role=entry.actor_role,
            action=entry.action,
            subject_type=entry.subject_type,
            subject_id=entry.subject_id,
            before=json.dumps(before, sort_keys=True, ensure_ascii=False, default=str),
            after=json.dumps(after, sort_keys=True, ensure_ascii=False, default=str),
            comment=entry.comment,
            request_id=entry.request_id,
        )
    )
    return entry


def audit_entries(
    conn: Connection,
    *,
    subject_type: str | None = None,
    subject_id: str | None = None,
    offset: int = 0,
    limit: int = 50,
) -> tuple[int, list[AuditEntry]]:
    """Audit entries, newest first, optionally of one subject; returns (total, page)."""
    query = select(audit_log)
    count = select(func.count()).select_from(audit_log)
    if subject_type is not None:
        query = query.where(audit_log.c.subject_type == subject_type)
        count = count.where(audit_log.c.subject_type == subject_type)
    if subject_id is not None:
        query = query.where(audit_log.c.subject_id == subject_id)
        count = count.where(audit_log.c.subject_id == subject_id)
    total = int(conn.execute(count).scalar_one())
    rows = conn.execute(query.order_by(audit_log.c.seq.desc()).offset(offset).limit(limit)).all()
    entries = [
        AuditEntry(
            audit_id=r.audit_id,
            occurred_at=r.occurred_at,
            actor=r.actor,
            actor_role=r.actor_role,
            action=r.action,
            subject_type=r.subject_type,
            subject_id=r.subject_id,
            before=json.loads(r.before),
            after=json.loads(r.after),
            comment=r.comment,
            request_id=r.request_id,
        )
        for r in rows
    ]
    return total, entries
