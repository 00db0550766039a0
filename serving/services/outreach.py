"""What a university keeps about candidates: saved shortlists and invitations.

Both show only participants whose ``university_search`` scope is in force now: a participant who
withdrew it disappears from every shortlist and invitation list of every university at the next
request (the rows stay until erasure, so giving the scope again restores them).

An invitation records that a university wants to contact a participant. The platform, which
holds identities, delivers it and reports the answer (:func:`answer_invitation`); the university
is told only an acceptance: a declined or unanswered invitation reads ``awaiting`` to it, so it
cannot tell a refusal from silence.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sqlalchemy import Connection, Row, delete, func, insert, select, update

from footprint.store import Store
from serving.errors import ConflictError, InvalidInputError, NotFoundError
from serving.services.universities import ConsentScopes, University
from serving.tables import invitations, shortlist_entries, shortlists, universities

MAX_SHORTLISTS = 200
MAX_ENTRIES = 1000
NOT_FOUND_RU = "участник не найден среди согласившихся на поиск вузами"


class InvitationStatus(StrEnum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    DECLINED = "declined"


class Answer(StrEnum):
    ACCEPTED = "accepted"
    DECLINED = "declined"


@dataclass(frozen=True)
class Shortlist:
    """A university's shortlist with its participants (only those whose consent is in force)."""

    shortlist_id: str
    university_code: str
    title: str
    created_at: dt.datetime
    participants: list[str]


def _shortlist(row: Row[Any], participants: list[str]) -> Shortlist:
    return Shortlist(row.shortlist_id, row.university_code, row.title, row.created_at, participants)


def _require_consent(scopes: ConsentScopes, participant_id: str) -> None:
    if not scopes.allows(participant_id):
        raise NotFoundError(NOT_FOUND_RU)


def create_shortlist(
    store: Store, university: University, title: str, now: dt.datetime
) -> Shortlist:
    t = shortlists
    with store.transaction() as conn:
        n = conn.execute(
            select(func.count()).select_from(t).where(t.c.university_code == university.code)
        ).scalar_one()
        if n >= MAX_SHORTLISTS:
            raise InvalidInputError(f"не больше {MAX_SHORTLISTS} списков на вуз", ("body",))
        made = Shortlist(str(uuid.uuid4()), university.code, title, now, [])
        conn.execute(
            insert(t).values(
                shortlist_id=made.shortlist_id,
                university_code=made.university_code,
                title=made.title,
                created_at=made.created_at,
            )
        )
    return made


def _own_shortlist(conn: Connection, university: University, shortlist_id: str) -> Row[Any]:
    t = shortlists
    row = conn.execute(
        select(t).where(t.c.shortlist_id == shortlist_id, t.c.university_code == university.code)
    ).first()
    if row is None:
        raise NotFoundError("список не найден")
    return row


def list_shortlists(store: Store, university: University, scopes: ConsentScopes) -> list[Shortlist]:
    consenting = scopes.consenting()
    t, e = shortlists, shortlist_entries
    with store.engine.connect() as conn:
        lists = conn.execute(
            select(t).where(t.c.university_code == university.code).order_by(t.c.created_at)
        ).all()
        entries = conn.execute(
            select(e.c.shortlist_id, e.c.participant_id)
            .join(t, t.c.shortlist_id == e.c.shortlist_id)
            .where(t.c.university_code == university.code)
        ).all()
    members: dict[str, list[str]] = {}
    for sid, pid in entries:
        if pid in consenting:
            members.setdefault(sid, []).append(pid)
    return [_shortlist(s, sorted(members.get(s.shortlist_id, []))) for s in lists]


def shortlist(
    store: Store, university: University, shortlist_id: str, scopes: ConsentScopes
) -> Shortlist:
    consenting = scopes.consenting()
    e = shortlist_entries
    with store.engine.connect() as conn:
        row = _own_shortlist(conn, university, shortlist_id)
        pids = (
            conn.execute(
                select(e.c.participant_id)
                .where(e.c.shortlist_id == shortlist_id)
                .order_by(e.c.added_at, e.c.participant_id)
            )
            .scalars()
            .all()
        )
    return _shortlist(row, [p for p in pids if p in consenting])


def add_to_shortlist(
    store: Store,
    university: University,
    shortlist_id: str,
    participant_id: str,
    scopes: ConsentScopes,
    now: dt.datetime,
) -> bool:
    """Add a consenting participant; returns False when already there."""
    _require_consent(scopes, participant_id)
    e = shortlist_entries
    with store.transaction() as conn:
        _own_shortlist(conn, university, shortlist_id)
        there = conn.execute(
            select(e.c.participant_id).where(
                e.c.shortlist_id == shortlist_id, e.c.participant_id == participant_id
            )
        ).first()
        if there is not None:
            return False
        n = conn.execute(
            select(func.count()).select_from(e).where(e.c.shortlist_id == shortlist_id)
        ).scalar_one()
        if n >= MAX_ENTRIES:
            raise InvalidInputError(f"не больше {MAX_ENTRIES} участников в списке", ("path",))
        conn.execute(
            insert(e).values(shortlist_id=shortlist_id, participant_id=participant_id, added_at=now)
        )
    return True


def remove_from_shortlist(
    store: Store, university: University, shortlist_id: str, participant_id: str
) -> bool:
    e = shortlist_entries
    with store.transaction() as conn:
        _own_shortlist(conn, university, shortlist_id)
        n = conn.execute(
            delete(e).where(e.c.shortlist_id == shortlist_id, e.c.participant_id == participant_id)
        ).rowcount
    return bool(n)


@dataclass(frozen=True)
class InvitationForUniversity:
    """An invitation as the university sees it: ``accepted`` once the participant accepted,
    ``awaiting`` otherwise (a refusal is not told apart from silence)."""

    invitation_id: str
    participant_id: str
    direction: str | None
    created_at: dt.datetime
    status: str
    accepted_at: dt.datetime | None


@dataclass(frozen=True)
class InvitationForPlatform:
    """An invitation as the platform delivers it (the university's name when it is known)."""

    invitation_id: str
    university_code: str
    university_name: str | None
    participant_id: str
    direction: str | None
    status: str
    created_at: dt.datetime
    answered_at: dt.datetime | None


def _for_university(row: Row[Any]) -> InvitationForUniversity:
    accepted = row.status == InvitationStatus.ACCEPTED
    return InvitationForUniversity(
        invitation_id=row.invitation_id,
        participant_id=row.participant_id,
        direction=row.direction,
        created_at=row.created_at,
        status="accepted" if accepted else "awaiting",
        accepted_at=row.answered_at if accepted else None,
    )


def _for_platform(row: Row[Any], university_name: str | None) -> InvitationForPlatform:
    return InvitationForPlatform(
        invitation_id=row.invitation_id,
        university_code=row.university_code,
        university_name=university_name,
        participant_id=row.participant_id,
        direction=row.direction,
        status=row.status,
        created_at=row.created_at,
        answered_at=row.answered_at,
    )


def invite(
    store: Store,
    university: University,
    actor: str,
    participant_id: str,
    direction: str | None,
    scopes: ConsentScopes,
    now: dt.datetime,
) -> tuple[InvitationForUniversity, bool]:
    """Record the university's intent; returns the invitation as the university sees it and
    whether it is new (one invitation per university and participant)."""
    _require_consent(scopes, participant_id)
    t = invitations
    with store.transaction() as conn:
        row = conn.execute(
            select(t).where(
                t.c.university_code == university.code, t.c.participant_id == participant_id
            )
        ).first()
        if row is not None:
            return _for_university(row), False
        conn.execute(
            insert(t).values(
                invitation_id=str(uuid.uuid4()),
                university_code=university.code,
                actor=actor,
                participant_id=participant_id,
                direction=direction,
                status=InvitationStatus.PENDING.value,
                created_at=now,
            )
        )
        row = conn.execute(
            select(t).where(
                t.c.university_code == university.code, t.c.participant_id == participant_id
            )
        ).one()
    return _for_university(row), True


def university_invitations(
    store: Store, university: University, scopes: ConsentScopes
) -> list[InvitationForUniversity]:
    consenting = scopes.consenting()
    t = invitations
    with store.engine.connect() as conn:
        rows = conn.execute(
            select(t)
            .where(t.c.university_code == university.code)
            .order_by(t.c.created_at, t.c.invitation_id)
        ).all()
    return [_for_university(r) for r in rows if r.participant_id in consenting]


def platform_invitations(
    store: Store, scopes: ConsentScopes, status: InvitationStatus | None, participant_id: str | None
) -> list[InvitationForPlatform]:
    """Invitations for the platform to deliver (or look up); pending ones only of participants
    whose scope is in force."""
    consenting = scopes.consenting()
    t, u = invitations, universities
    q = select(t, u.c.name.label("university_name")).select_from(
        t.outerjoin(u, u.c.code == t.c.university_code)
    )
    if status is not None:
        q = q.where(t.c.status == status.value)
    if participant_id is not None:
        q = q.where(t.c.participant_id == participant_id)
    with store.engine.connect() as conn:
        rows = conn.execute(q.order_by(t.c.created_at, t.c.invitation_id)).all()
    return [
        _for_platform(r, r.university_name)
        for r in rows
        if not (r.status == InvitationStatus.PENDING and r.participant_id not in consenting)
    ]


def answer_invitation(
    store: Store, invitation_id: str, answer: Answer, actor: str, now: dt.datetime
) -> InvitationForPlatform:
    """The participant's answer as the platform reports it (the invitation answered, without the
    university's name). Re-sending the same answer changes
    nothing; a different answer to an answered invitation is a conflict."""
    t = invitations
    with store.transaction() as conn:
        row = conn.execute(select(t).where(t.c.invitation_id == invitation_id)).first()
        if row is None:
            raise NotFoundError("приглашение не найдено")
        if row.status != InvitationStatus.PENDING:
            if row.status != answer.value:
                raise ConflictError("на приглашение уже ответили", {"status": row.status})
        else:
            conn.execute(
                update(t)
                .where(t.c.invitation_id == invitation_id)
                .values(status=answer.value, answered_at=now, answered_by=actor)
            )
        row = conn.execute(select(t).where(t.c.invitation_id == invitation_id)).one()
    return _for_platform(row, None)
