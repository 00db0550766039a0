"""Who is calling: bearer tokens mapped to roles, and signed session cookies for the web pages.

Tokens are kept only as SHA-256 hashes (:mod:`serving.core.config`); a request's token is hashed
and looked up, so the clear token never sits in configuration. The moderators' pages exchange a
token for a session cookie once (login form); the cookie carries the token's hash, an expiry and
an HMAC over both, so it cannot be forged, expires by itself and stops working as soon as the token
is removed from the configuration. A logout ends a session early: the page guard checks the
cookie against the sessions revoked in the store (:mod:`serving.services.sessions`). Nothing here
knows HTTP: the API layer turns ``None`` into 401 and a wrong role into 403.

Tokens named in ``loopback_only`` (the development tokens, printed in this repository) are
accepted only from a loopback peer: a development service bound to another interface would
otherwise let anyone on the network in as admin.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
import time
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from core.instants import to_naive_utc


class Role(StrEnum):
    """What a token may do. Every route declares the roles it admits."""

    PLATFORM = "platform"
    MODERATOR = "moderator"
    DATA_SCIENTIST = "data_scientist"
    ADMIN = "admin"
    # a partner university; the token's name is the university's code (serving_universities)
    UNIVERSITY = "university"


@dataclass(frozen=True)
class Principal:
    """An authenticated caller: the configured token name (for logs and the audit) and role."""

    name: str
    role: Role

    @property
    def actor(self) -> str:
        """How the caller is written into audit trails: ``role:name``."""
        return f"{self.role.value}:{self.name}"


class _Token(Protocol):
    # read-only, so frozen models (the settings' TokenEntry) satisfy it
    @property
    def name(self) -> str: ...
    @property
    def role(self) -> Role: ...
    @property
    def sha256(self) -> str: ...


def _sha256(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class Authenticator:
    """Resolves bearer tokens and session cookies to principals."""

    def __init__(
        self,
        tokens: Iterable[_Token],
        session_secret: str,
        session_seconds: int,
        *,
        loopback_only: Iterable[str] = (),
    ) -> None:
        self._by_hash = {t.sha256: Principal(name=t.name, role=t.role) for t in tokens}
        self._key = hashlib.sha256(("session|" + session_secret).encode()).digest()
        self._session_seconds = session_seconds
        self._loopback_only = frozenset(loopback_only)

    def _resolve(self, token_hash: str, loopback: bool) -> Principal | None:
        if not loopback and token_hash in self._loopback_only:
            return None
        return self._by_hash.get(token_hash)

    def principal(self, token: str | None, *, loopback: bool) -> Principal | None:
        """The principal of a clear token, or None for a missing or unknown one (or a
        loopback-only token from another peer)."""
        if not token:
            return None
        return self._resolve(_sha256(token), loopback)

    def refuses_off_loopback(self, token: str | None) -> bool:
        """Whether ``token`` is one accepted only from a loopback peer (for a clear 401)."""
        return bool(token) and _sha256(token or "") in self._loopback_only

    def _mac(self, message: str) -> str:
        return hmac.new(self._key, message.encode(), hashlib.sha256).hexdigest()

    def session_cookie(self, token: str, now: float | None = None) -> str:
        """A cookie value for a valid ``token``: ``<token sha256>.<expiry>.<nonce>.<hmac>``.

        The random nonce makes every login's cookie unique: without it two logins in the same
        second got the same cookie, and a logout (which revokes the cookie) ended both.
        """
        expiry = int((now or time.time()) + self._session_seconds)
        body = f"{_sha256(token)}.{expiry}.{secrets.token_hex(8)}"
        return f"{body}.{self._mac(body)}"

    def session_principal(
        self, cookie: str | None, now: float | None = None, *, loopback: bool
    ) -> Principal | None:
        """The principal of a session cookie; None when absent, forged, expired, its token
        removed, or made with a loopback-only token and presented from another peer. (Logouts
        are checked by the caller, in the store.)"""
        if not cookie:
            return None
        parts = cookie.split(".")
        if len(parts) != 4 or not parts[1].isdigit():
            return None
        token_hash, expiry, nonce, mac = parts
        if not hmac.compare_digest(mac, self._mac(f"{token_hash}.{expiry}.{nonce}")):
            return None
        if int(expiry) < (now or time.time()):
            return None
        return self._resolve(token_hash, loopback)

    @staticmethod
    def session_expiry(cookie: str) -> dt.datetime | None:
        """When a (well-formed) session cookie expires, naive UTC."""
        parts = cookie.split(".")
        if len(parts) != 4 or not parts[1].isdigit() or len(parts[1]) > 12:
            return None
        return to_naive_utc(dt.datetime.fromtimestamp(int(parts[1]), dt.UTC))

    def csrf_token(self, cookie: str) -> str:
        """A form token bound to the session cookie (double protection next to SameSite)."""
        return self._mac("csrf|" + cookie)[:32]

    def check_csrf(self, cookie: str | None, value: str | None) -> bool:
        if not cookie or not value:
            return False
        return hmac.compare_digest(self.csrf_token(cookie), value)
