"""Who is calling: bearer tokens mapped to roles, and signed session cookies for the web pages.

Tokens are kept only as SHA-256 hashes (:mod:`serving.core.config`); a request's token is hashed
and looked up, so the clear token never sits in configuration. The moderators' pages exchange a
token for a session cookie once (login form); the cookie carries the token's hash, an expiry and
an HMAC over both, so it cannot be forged, expires by itself and stops working as soon as the token
is removed from the configuration. Nothing here knows HTTP: the API layer turns ``None`` into 401
and a wrong role into 403.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol


class Role(StrEnum):
    """What a token may do. Every route declares the roles it admits."""

    PLATFORM = "platform"
    MODERATOR = "moderator"
    DATA_SCIENTIST = "data_scientist"
    ADMIN = "admin"


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

    def __init__(self, tokens: Iterable[_Token], session_secret: str, session_seconds: int) -> None:
        self._by_hash = {t.sha256: Principal(name=t.name, role=t.role) for t in tokens}
        self._key = hashlib.sha256(("session|" + session_secret).encode()).digest()
        self._session_seconds = session_seconds

    def principal(self, token: str | None) -> Principal | None:
        """The principal of a clear token, or None for a missing or unknown one."""
        if not token:
            return None
        return self._by_hash.get(_sha256(token))

    def _mac(self, message: str) -> str:
        return hmac.new(self._key, message.encode(), hashlib.sha256).hexdigest()

    def session_cookie(self, token: str, now: float | None = None) -> str:
        """A cookie value for a valid ``token``: ``<token sha256>.<expiry>.<hmac>``."""
        expiry = int((now or time.time()) + self._session_seconds)
        body = f"{_sha256(token)}.{expiry}"
        return f"{body}.{self._mac(body)}"

    def session_principal(self, cookie: str | None, now: float | None = None) -> Principal | None:
        """The principal of a session cookie; None when absent, forged, expired or revoked."""
        if not cookie:
            return None
        parts = cookie.split(".")
        if len(parts) != 3 or not parts[1].isdigit():
            return None
        token_hash, expiry, mac = parts
        if not hmac.compare_digest(mac, self._mac(f"{token_hash}.{expiry}")):
            return None
        if int(expiry) < (now or time.time()):
            return None
        return self._by_hash.get(token_hash)

    def csrf_token(self, cookie: str) -> str:
        """A form token bound to the session cookie (double protection next to SameSite)."""
        return self._mac("csrf|" + cookie)[:32]

    def check_csrf(self, cookie: str | None, value: str | None) -> bool:
        if not cookie or not value:
            return False
        return hmac.compare_digest(self.csrf_token(cookie), value)
