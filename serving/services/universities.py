"""Partner universities as data, the consent scope that lets them find a participant, and the
audit of what they were shown.

A university is a row of ``serving_universities`` (code, name, directions of interest), managed
by an admin; its tokens carry its code as their name (``talent token --role university --name
CODE``), and a token whose university is unknown or inactive is refused. A university sees only
participants whose ``university_search`` consent scope is in force (:class:`ConsentScopes`);
the set is re-read whenever the scope table changed, which is checked on every call (one indexed
``COUNT``/``MAX``), so a withdrawal takes effect on the next request. Every participant shown to
a university is written to ``serving_university_views`` (who, when, which participant, in what
context), which is what the platform reads when a participant asks who viewed them.
"""

from __future__ import annotations

import datetime as dt
import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Row, delete, exists, func, insert, select, update

from footprint import tables as ft
from footprint.bulk import IN_CHUNK, read_frame
from footprint.columns import Columns as C
from footprint.enums import ConsentScope, ConsentStatus
from footprint.store import Store
from serving.directions import known_directions
from serving.errors import InvalidInputError, NotFoundError
from serving.tables import (
    invitations,
    portfolio_exports,
    shortlist_entries,
    universities,
    university_views,
)

CODE_PATTERN = r"^[A-Za-z0-9_.@-]{1,48}$"  # the token names' pattern (serving.core.config)


class ViewContext:
    """Where a university was shown a participant (``serving_university_views.context``)."""

    SEARCH = "search"
    SHORTLIST = "shortlist"
    INVITATION = "invitation"


@dataclass(frozen=True)
class University:
    code: str
    name: str
    directions: tuple[str, ...]
    active: bool


def _university(row: Row[Any]) -> University:
    m = row._mapping
    dirs = tuple(d for d in str(m["directions"]).split(";") if d)
    return University(str(m["code"]), str(m["name"]), dirs, bool(m["active"]))


def put_university(
    store: Store,
    code: str,
    *,
    name: str,
    directions: Sequence[str],
    active: bool,
    now: dt.datetime,
) -> tuple[University, bool]:
    """Create or replace a university; returns it and whether it was new.

    Raises
    ------
    InvalidInputError
        A malformed code or an unknown direction.
    """
    if not re.match(CODE_PATTERN, code):
        raise InvalidInputError(
            "код вуза: латинские буквы, цифры и _.@- (до 48 символов)", ("path", "code")
        )
    known = set(known_directions())
    for i, d in enumerate(directions):
        if d not in known:
            raise InvalidInputError(
                f"неизвестное направление {d!r}; известные: {', '.join(sorted(known))}",
                ("body", "directions", i),
            )
    values = {
        "name": name,
        "directions": ";".join(dict.fromkeys(directions)),
        "active": int(active),
        "updated_at": now,
    }
    t = universities
    with store.transaction() as conn:
        found = conn.execute(select(t.c.code).where(t.c.code == code)).first()
        if found is None:
            conn.execute(insert(t).values(code=code, created_at=now, **values))
        else:
            conn.execute(update(t).where(t.c.code == code).values(**values))
        row = conn.execute(select(t).where(t.c.code == code)).one()
    return _university(row), found is None


def list_universities(store: Store) -> list[University]:
    with store.engine.connect() as conn:
        rows = conn.execute(select(universities).order_by(universities.c.code)).all()
    return [_university(r) for r in rows]


def get_university(store: Store, code: str) -> University | None:
    with store.engine.connect() as conn:
        row = conn.execute(select(universities).where(universities.c.code == code)).first()
    return None if row is None else _university(row)


class ConsentScopes:
    """Who has the ``university_search`` scope in force, re-read when the scope table changes.

    The fingerprint (row count and highest ``seq`` of ``consent_scope_changes``) changes with
    every new change and with every erasure that deleted rows, and is read on every call, so no
    answer is built on a set older than the last committed change. Rebuilding the set reads the
    scope table once (about 0.1 s per 100,000 changes); it happens only after a change.
    """

    def __init__(self, store: Store, scope: ConsentScope = ConsentScope.UNIVERSITY_SEARCH) -> None:
        self._store = store
        self._scope = scope.value
        self._lock = threading.Lock()
        self._cached: tuple[tuple[int, int], frozenset[str]] | None = None

    def _fingerprint(self, conn: Connection) -> tuple[int, int]:
        t = ft.consent_scope_changes
        count, top = conn.execute(select(func.count(), func.coalesce(func.max(t.c.seq), 0))).one()
        return int(count), int(top)

    def consenting(self) -> frozenset[str]:
        """Participant ids whose latest change of the scope is ``given``."""
        with self._store.engine.connect() as conn:
            fingerprint = self._fingerprint(conn)
            cached = self._cached
            if cached is not None and cached[0] == fingerprint:
                return cached[1]
            with self._lock:
                t = ft.consent_scope_changes
                rows = read_frame(
                    conn,
                    select(
                        t.c.seq, t.c[C.PARTICIPANT_ID], t.c[C.CONSENT_STATUS], t.c[C.CHANGED_AT]
                    ).where(t.c[C.SCOPE] == self._scope),
                    [C.CHANGED_AT],
                )
        if rows.empty:
            ids: frozenset[str] = frozenset()
        else:
            latest = rows.sort_values([C.CHANGED_AT, "seq"], kind="stable").drop_duplicates(
                C.PARTICIPANT_ID, keep="last"
            )
            given = latest[latest[C.CONSENT_STATUS] == ConsentStatus.GIVEN.value]
            ids = frozenset(str(p) for p in given[C.PARTICIPANT_ID])
        self._cached = (fingerprint, ids)
        return ids

    def allows(self, participant_id: str) -> bool:
        return participant_id in self.consenting()


def record_views(
    store: Store,
    *,
    university: str,
    actor: str,
    participant_ids: Sequence[str],
    context: str,
    now: dt.datetime,
    request_id: str | None,
) -> int:
    """Write one view row per participant shown (nothing when none was)."""
    if not participant_ids:
        return 0
    rows = [
        {
            "university_code": university,
            "actor": actor,
            "participant_id": p,
            "context": context,
            "viewed_at": now,
            "request_id": request_id,
        }
        for p in dict.fromkeys(participant_ids)
    ]
    with store.transaction() as conn:
        conn.execute(insert(university_views), rows)
    return len(rows)


def views_of(store: Store, participant_id: str) -> list[dict[str, object]]:
    """Which universities were shown the participant: per university the first and last view and
    how many, newest first.

    Raises
    ------
    NotFoundError
        The participant is not in the store.
    """
    v, u, p = university_views, universities, ft.participants
    with store.engine.connect() as conn:
        if (
            conn.execute(
                select(p.c[C.PARTICIPANT_ID]).where(p.c[C.PARTICIPANT_ID] == participant_id)
            ).first()
            is None
        ):
            raise NotFoundError("участник не найден")
        rows = conn.execute(
            select(
                v.c.university_code,
                u.c.name,
                func.count().label("views"),
                func.min(v.c.viewed_at).label("first_viewed_at"),
                func.max(v.c.viewed_at).label("last_viewed_at"),
            )
            .select_from(v.outerjoin(u, u.c.code == v.c.university_code))
            .where(v.c.participant_id == participant_id)
            .group_by(v.c.university_code, u.c.name)
            .order_by(func.max(v.c.viewed_at).desc(), v.c.university_code)
        ).all()
    return [dict(r._mapping) for r in rows]


_PARTICIPANT_TABLES = (university_views, shortlist_entries, invitations, portfolio_exports)


def purge_participants(conn: Connection, participant_ids: list[str]) -> int:
    """Delete the universities' and portfolios' rows of erased participants (inside the
    erasure's transaction)."""
    n = 0
    for i in range(0, len(participant_ids), IN_CHUNK):
        chunk = participant_ids[i : i + IN_CHUNK]
        for table in _PARTICIPANT_TABLES:
            n += conn.execute(delete(table).where(table.c.participant_id.in_(chunk))).rowcount
    return n


def purge_orphans(store: Store) -> int:
    """Delete the rows of participants no longer in the store (erased elsewhere)."""
    p = ft.participants
    n = 0
    with store.engine.connect() as conn:
        orphans: set[str] = set()
        for table in _PARTICIPANT_TABLES:
            gone = ~exists().where(p.c[C.PARTICIPANT_ID] == table.c.participant_id)
            orphans.update(
                str(v)
                for v in conn.execute(
                    select(table.c.participant_id).where(gone).distinct()
                ).scalars()
            )
    if not orphans:
        return 0
    with store.transaction() as conn:
        ids = sorted(orphans)
        for i in range(0, len(ids), IN_CHUNK):
            chunk = ids[i : i + IN_CHUNK]
            for table in _PARTICIPANT_TABLES:
                gone = ~exists().where(p.c[C.PARTICIPANT_ID] == table.c.participant_id)
                n += conn.execute(
                    delete(table).where(table.c.participant_id.in_(chunk), gone)
                ).rowcount
    return n


def present(store: Store, participant_ids: Sequence[str]) -> set[str]:
    """Which of ``participant_ids`` are in the store."""
    p = ft.participants
    out: set[str] = set()
    ids = list(participant_ids)
    with store.engine.connect() as conn:
        for i in range(0, len(ids), IN_CHUNK):
            chunk = ids[i : i + IN_CHUNK]
            q = select(p.c[C.PARTICIPANT_ID]).where(p.c[C.PARTICIPANT_ID].in_(chunk))
            out.update(str(v) for v in conn.execute(q).scalars())
    return out
