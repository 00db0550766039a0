"""The append-only audit trail of moderation decisions: who, when, before, after, why.

Entries are only ever inserted (the database refuses UPDATE and DELETE on the table), inside the
same transaction as the change they describe, so a decision and its audit entry exist together or
not at all.

Subjects are random keys, never participant or achievement ids: a competence decision is filed
under its review item's id, an achievement decision under the achievement's subject key
(``serving_achievement_subjects``, see :func:`achievement_subject`). Erasing a participant
deletes those links (the review items, the subject keys), so the entries that stay name nobody.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, func, select

from serving.auth import Principal
from serving.tables import achievement_subjects, audit_log

SUBJECT_ACHIEVEMENT = "achievement"


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
    achievement_id: str | None = None
    """For an achievement decision whose achievement is still stored: its id (resolved through
    the subject key when read); None once the achievement was erased."""


def achievement_subject(
    conn: Connection, achievement_id: str, *, create_at: dt.datetime | None = None
) -> str | None:
    """The random subject key the audit files ``achievement_id``'s decisions under.

    With ``create_at`` a key is made (UUID4) when the achievement has none yet, inside the
    caller's transaction; without it, None when there is none.
    """
    s = achievement_subjects
    key = conn.execute(
        select(s.c.subject_key).where(s.c.achievement_id == achievement_id)
    ).scalar_one_or_none()
    if key is None and create_at is not None:
        key = str(uuid.uuid4())
        conn.execute(
            s.insert().values(subject_key=key, achievement_id=achievement_id, created_at=create_at)
        )
    return None if key is None else str(key)


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
    """Audit entries, newest first, optionally of one subject; returns (total, page).

    An achievement's entries are found by its achievement id as well as by its subject key
    (the id is translated through the mapping, which exists while the achievement is stored).
    """
    if subject_id is not None and subject_type in (None, SUBJECT_ACHIEVEMENT):
        subject_id = achievement_subject(conn, subject_id) or subject_id
    s = achievement_subjects
    linked = (audit_log.c.subject_type == SUBJECT_ACHIEVEMENT) & (
        s.c.subject_key == audit_log.c.subject_id
    )
    query = select(audit_log, s.c.achievement_id.label("linked_achievement_id")).select_from(
        audit_log.outerjoin(s, linked)
    )
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
            achievement_id=r.linked_achievement_id,
        )
        for r in rows
    ]
    return total, entries
