"""Verification of pending achievements: the queue, the evidence, decisions and their audit.

A decision is one transaction: lock the achievement, check the version the moderator saw, append
the new status to ``achievement_status_history``, update ``achievements.status`` and append an
audit entry, filed under the achievement's random subject key (never its id, which is derivable
from the participant id); the key's link to the achievement is deleted when it is erased. The
version is the sequence number of the achievement's latest status-history entry (0 when it has
none), so any status change by anyone (a moderator, a source re-sending the record) makes a
stale decision fail with :class:`~serving.errors.ConflictError` instead of overwriting it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sqlalchemy import Connection, Row, Select, delete, exists, func, select

from core.instants import utc_now
from footprint import tables as ft
from footprint.changes import record_changes
from footprint.columns import Columns as C
from footprint.enums import ModerationStatus
from footprint.store import Store
from serving.auth import Principal
from serving.errors import ConflictError, InvalidInputError, NotFoundError
from serving.services.audit import (
    SUBJECT_ACHIEVEMENT,
    AuditEntry,
    achievement_subject,
    append_audit,
    audit_entries,
)
from serving.tables import achievement_subjects

HISTORY_SOURCE = "moderation"
IN_CHUNK = 500


class AchievementDecision(StrEnum):
    """What a moderator can decide about an achievement."""

    VERIFY = "verify"
    REJECT = "reject"


DECISION_STATUS: dict[AchievementDecision, ModerationStatus] = {
    AchievementDecision.VERIFY: ModerationStatus.VERIFIED,
    AchievementDecision.REJECT: ModerationStatus.REJECTED,
}


@dataclass(frozen=True)
class AchievementState:
    """An achievement's moderation status and the version a decision must name."""

    achievement_id: str
    status: ModerationStatus
    version: int


@dataclass(frozen=True)
class DecisionOutcome:
    """What a decision did: the new status and version, and its audit entry."""

    achievement_id: str
    status: ModerationStatus
    version: int
    audit: AuditEntry


def achievement_state(
    conn: Connection, achievement_id: str, *, lock: bool = False
) -> AchievementState | None:
    """The current status and version of one achievement, or None if it does not exist.

    With ``lock`` the achievement's row is locked (``SELECT ... FOR UPDATE`` on PostgreSQL; SQLite
    transactions here start with ``BEGIN IMMEDIATE`` and are serialised already).
    """
    t = ft.achievements
    query = select(t.c[C.STATUS]).where(t.c[C.ACHIEVEMENT_ID] == achievement_id)
    if lock:
        query = query.with_for_update()
    status = conn.execute(query).scalar_one_or_none()
    if status is None:
        return None
    h = ft.achievement_status_history
    version = conn.execute(
        select(func.coalesce(func.max(h.c.seq), 0)).where(h.c[C.ACHIEVEMENT_ID] == achievement_id)
    ).scalar_one()
    return AchievementState(achievement_id, ModerationStatus(status), int(version))


def set_achievement_status(
    conn: Connection,
    achievement_id: str,
    status: ModerationStatus,
    *,
    changed_at: dt.datetime,
    source: str = HISTORY_SOURCE,
) -> int:
    """Change an achievement's status inside the caller's transaction; return the new version.

    Appends to ``achievement_status_history`` (append-only: snapshots read the status as of any
    instant from it) and updates ``achievements.status`` and ``status_changed_at``, so the two never
    disagree. The only way this service changes a status.
    """
    h = ft.achievement_status_history
    inserted = conn.execute(
        h.insert().values(
            {
                C.ACHIEVEMENT_ID: achievement_id,
                C.STATUS: status.value,
                C.CHANGED_AT: changed_at,
                C.SOURCE: source,
            }
        )
    )
    t = ft.achievements
    conn.execute(
        t.update()
        .where(t.c[C.ACHIEVEMENT_ID] == achievement_id)
        .values({C.STATUS: status.value, C.STATUS_CHANGED_AT: changed_at})
    )
    owner = conn.execute(
        select(t.c[C.PARTICIPANT_ID]).where(t.c[C.ACHIEVEMENT_ID] == achievement_id)
    ).scalar_one_or_none()
    if owner is not None:  # serving processes apply the participant's new rows
        record_changes(conn, utc_now(), participants=[str(owner)])
    key = inserted.inserted_primary_key
    if key is not None and key[0] is not None:
        return int(key[0])
    return int(
        conn.execute(
            select(func.max(h.c.seq)).where(h.c[C.ACHIEVEMENT_ID] == achievement_id)
        ).scalar_one()
    )


def decide_achievement(
    store: Store,
    achievement_id: str,
    decision: AchievementDecision,
    *,
    expected_version: int,
    comment: str,
    principal: Principal,
    request_id: str | None = None,
    now: dt.datetime | None = None,
) -> DecisionOutcome:
    """Verify or reject one achievement on behalf of ``principal``, audited, in one transaction.

    Raises
    ------
    NotFoundError
        No such achievement (never existed, or erased).
    ConflictError
        The achievement's version is not ``expected_version`` (someone decided first), or it
        already has the requested status.
    InvalidInputError
        A rejection without a comment.
    """
    comment = comment.strip()
    if decision is AchievementDecision.REJECT and not comment:
        raise InvalidInputError("a rejection needs a comment saying why", ("body", "comment"))
    now = now or utc_now()
    target = DECISION_STATUS[decision]
    with store.transaction() as conn:
        state = achievement_state(conn, achievement_id, lock=True)
        if state is None:
            raise NotFoundError(f"achievement {achievement_id!r} does not exist")
        current = {"status": state.status.value, "version": state.version}
        if state.version != expected_version:
            raise ConflictError(
                f"achievement {achievement_id!r} changed since version {expected_version} "
                f"(now version {state.version}, status {state.status.value}); reload and decide "
                "again",
                current,
            )
        if state.status is target:
            raise ConflictError(
                f"achievement {achievement_id!r} is already {target.value}", current
            )
        version = set_achievement_status(conn, achievement_id, target, changed_at=now)
        key = achievement_subject(conn, achievement_id, create_at=now)
        assert key is not None  # made above when missing
        audit = append_audit(
            conn,
            actor=principal,
            action=f"achievement.{decision.value}",
            subject_type=SUBJECT_ACHIEVEMENT,
            subject_id=key,
            before=current,
            after={"status": target.value, "version": version},
            comment=comment,
            request_id=request_id,
            now=now,
        )
    return DecisionOutcome(achievement_id, target, version, audit)


def _versions(conn: Connection, ids: list[str]) -> dict[str, int]:
    if not ids:
        return {}
    h = ft.achievement_status_history
    rows = conn.execute(
        select(h.c[C.ACHIEVEMENT_ID], func.max(h.c.seq))
        .where(h.c[C.ACHIEVEMENT_ID].in_(ids))
        .group_by(h.c[C.ACHIEVEMENT_ID])
    ).all()
    return {str(a): int(v) for a, v in rows}


def _sources(conn: Connection, ids: list[str]) -> dict[str, list[dict[str, str]]]:
    if not ids:
        return {}
    s = ft.achievement_sources
    out: dict[str, list[dict[str, str]]] = {i: [] for i in ids}
    rows = conn.execute(
        select(s.c[C.ACHIEVEMENT_ID], s.c[C.SOURCE], s.c[C.SOURCE_RECORD_ID])
        .where(s.c[C.ACHIEVEMENT_ID].in_(ids))
        .order_by(s.c[C.SOURCE], s.c[C.SOURCE_RECORD_ID])
    ).all()
    for aid, source, record in rows:
        out[str(aid)].append({C.SOURCE: str(source), C.SOURCE_RECORD_ID: str(record)})
    return out


_ITEM_COLUMNS = (
    C.ACHIEVEMENT_ID,
    C.PARTICIPANT_ID,
    C.ACTIVITY_ID,
    C.TEAM_ID,
    C.RESULT,
    C.SCORE,
    C.RANK,
    C.EVIDENCE,
    C.STATUS,
    C.STATUS_CHANGED_AT,
    C.ACHIEVED_AT,
    C.RECORDED_AT,
)
_ACTIVITY_COLUMNS = (C.TITLE, C.KIND, C.LEVEL, C.MAX_SCORE, C.START_AT, C.END_AT)


def _item_query(status: ModerationStatus | None) -> Select[Any]:
    a, act = ft.achievements, ft.activities
    query = select(
        *(a.c[c] for c in _ITEM_COLUMNS),
        *(act.c[c].label(f"activity_{c}") for c in _ACTIVITY_COLUMNS),
    ).join(act, act.c[C.ACTIVITY_ID] == a.c[C.ACTIVITY_ID])
    if status is not None:
        query = query.where(a.c[C.STATUS] == status.value)
    return query


@dataclass(frozen=True)
class ActivityOfItem:
    """The activity an achievement was recorded at, as far as a moderator needs it."""

    title: str
    kind: str
    level: str
    max_score: float | None
    start_at: dt.datetime
    end_at: dt.datetime


@dataclass(frozen=True)
class ModerationItem:
    """A footprint record with the evidence a moderator needs, and the version to decide on
    (fields named as the footprint's columns)."""

    achievement_id: str
    participant_id: str
    activity_id: str
    team_id: str | None
    result: str
    score: float | None
    rank: int | None
    evidence: str | None
    status: str
    status_changed_at: dt.datetime | None
    achieved_at: dt.datetime
    recorded_at: dt.datetime
    activity: ActivityOfItem
    sources: list[dict[str, str]]
    version: int


@dataclass(frozen=True)
class ModerationDetail(ModerationItem):
    """An achievement with its status history (oldest first) and audit trail (newest first)."""

    history: list[dict[str, Any]]
    audit: list[AuditEntry]


def _items(conn: Connection, rows: list[Row[Any]]) -> list[ModerationItem]:
    ids = [str(r._mapping[C.ACHIEVEMENT_ID]) for r in rows]
    versions, sources = _versions(conn, ids), _sources(conn, ids)
    items = []
    for r in rows:
        m = r._mapping
        aid = str(m[C.ACHIEVEMENT_ID])
        items.append(
            ModerationItem(
                **{c: m[c] for c in _ITEM_COLUMNS},
                activity=ActivityOfItem(**{c: m[f"activity_{c}"] for c in _ACTIVITY_COLUMNS}),
                sources=sources.get(aid, []),
                version=versions.get(aid, 0),
            )
        )
    return items


def pending_queue(
    store: Store, *, offset: int, limit: int, activity_id: str | None = None
) -> tuple[int, list[ModerationItem]]:
    """The pending achievements, oldest record first, with evidence, sources and versions.

    Returns the total number pending (with the filter) and one page of items.
    """
    a = ft.achievements
    with store.engine.connect() as conn:
        count = (
            select(func.count())
            .select_from(a)
            .where(a.c[C.STATUS] == ModerationStatus.PENDING.value)
        )
        query = _item_query(ModerationStatus.PENDING)
        if activity_id is not None:
            count = count.where(a.c[C.ACTIVITY_ID] == activity_id)
            query = query.where(a.c[C.ACTIVITY_ID] == activity_id)
        total = int(conn.execute(count).scalar_one())
        rows = conn.execute(
            query.order_by(a.c[C.RECORDED_AT], a.c[C.ACHIEVEMENT_ID]).offset(offset).limit(limit)
        ).all()
        return total, _items(conn, list(rows))


def achievement_detail(store: Store, achievement_id: str) -> ModerationDetail:
    """One achievement with its activity, sources, status history and audit trail.

    Raises
    ------
    NotFoundError
        No such achievement.
    """
    a, h = ft.achievements, ft.achievement_status_history
    with store.engine.connect() as conn:
        row = conn.execute(
            _item_query(None).where(a.c[C.ACHIEVEMENT_ID] == achievement_id)
        ).one_or_none()
        if row is None:
            raise NotFoundError(f"achievement {achievement_id!r} does not exist")
        history = [
            {"seq": int(seq), C.STATUS: str(status), C.CHANGED_AT: changed, C.SOURCE: str(src)}
            for seq, status, changed, src in conn.execute(
                select(h.c.seq, h.c[C.STATUS], h.c[C.CHANGED_AT], h.c[C.SOURCE])
                .where(h.c[C.ACHIEVEMENT_ID] == achievement_id)
                .order_by(h.c.seq)
            ).all()
        ]
        key = achievement_subject(conn, achievement_id)
        audit = (
            audit_entries(conn, subject_type=SUBJECT_ACHIEVEMENT, subject_id=key, limit=200)[1]
            if key is not None
            else []
        )
        return ModerationDetail(**vars(_items(conn, [row])[0]), history=history, audit=audit)


def achievement_ids_of(conn: Connection, participant_ids: list[str]) -> list[str]:
    """The stored achievement ids of ``participant_ids`` (read before erasing them)."""
    a = ft.achievements
    found: list[str] = []
    for i in range(0, len(participant_ids), IN_CHUNK):
        chunk = participant_ids[i : i + IN_CHUNK]
        query = select(a.c[C.ACHIEVEMENT_ID]).where(a.c[C.PARTICIPANT_ID].in_(chunk))
        found.extend(str(v) for v in conn.execute(query).scalars())
    return found


def forget_subjects(conn: Connection, achievement_ids: list[str]) -> int:
    """Delete the subject keys of erased achievements inside the erasure's transaction; their
    audit entries stay, under keys that no longer lead to anyone. Returns the rows deleted."""
    s = achievement_subjects
    n = 0
    for i in range(0, len(achievement_ids), IN_CHUNK):
        chunk = achievement_ids[i : i + IN_CHUNK]
        n += conn.execute(delete(s).where(s.c.achievement_id.in_(chunk))).rowcount or 0
    return n


def _gone() -> Any:
    a, s = ft.achievements, achievement_subjects
    return ~exists().where(a.c[C.ACHIEVEMENT_ID] == s.c.achievement_id)


def purge_orphan_subjects(store: Store) -> int:
    """Delete the subject keys of achievements no longer in the store (erased outside the API,
    or collapsed into another record by an identity merge); returns the rows deleted. A plain
    read when there are none; the delete checks absence again inside its transaction."""
    s = achievement_subjects
    with store.engine.connect() as conn:
        orphans = [
            str(v) for v in conn.execute(select(s.c.achievement_id).where(_gone())).scalars()
        ]
    if not orphans:
        return 0
    n = 0
    with store.transaction() as conn:
        for i in range(0, len(orphans), IN_CHUNK):
            chunk = orphans[i : i + IN_CHUNK]
            n += conn.execute(delete(s).where(s.c.achievement_id.in_(chunk), _gone())).rowcount or 0
    return n
