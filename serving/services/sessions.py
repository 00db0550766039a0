"""Logged-out sessions stay logged out.

A session cookie is signed and carries its own expiry (:mod:`serving.auth`), so it needs no
server-side state to be checked; the price is that deleting it in the browser does not end it:
a copy (a shared machine, a proxy log) keeps working until it expires. A logout therefore
records the cookie's SHA-256 in ``serving_revoked_sessions`` until that expiry, in the store every
worker reads, and the page guard refuses a recorded cookie.
"""

from __future__ import annotations

import datetime as dt
import hashlib

from sqlalchemy import delete, insert, select

from core.instants import utc_now
from footprint.store import Store
from serving.tables import revoked_sessions


def _key(cookie: str) -> str:
    return hashlib.sha256(cookie.encode()).hexdigest()


def revoke_session(store: Store, cookie: str, expires_at: dt.datetime) -> None:
    """Record ``cookie`` as ended until ``expires_at`` (naive UTC); forget expired records."""
    now = utc_now()
    key = _key(cookie)
    with store.engine.begin() as conn:
        conn.execute(delete(revoked_sessions).where(revoked_sessions.c.expires_at < now))
        seen = conn.execute(
            select(revoked_sessions.c.session_sha256).where(
                revoked_sessions.c.session_sha256 == key
            )
        ).first()
        if seen is None:
            conn.execute(insert(revoked_sessions).values(session_sha256=key, expires_at=expires_at))


def session_revoked(store: Store, cookie: str) -> bool:
    """Whether a logout ended ``cookie``."""
    with store.engine.connect() as conn:
        row = conn.execute(
            select(revoked_sessions.c.session_sha256).where(
                revoked_sessions.c.session_sha256 == _key(cookie)
            )
        ).first()
    return row is not None
