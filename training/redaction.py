"""Secrets out of what is logged to MLflow: passwords in URLs, secret-named keys.

A pipeline config may name its store as ``postgresql+psycopg://user:PASSWORD@host/db``. Whatever
reaches the tracking store (params, tags, ``config.toml``, the model card, JSON reports) goes
through :func:`redact` first, so the password is written as ``***``, the way
``sqlalchemy.engine.make_url(url).render_as_string(hide_password=True)`` writes it
(``user:***@host``). Written by hand rather than with ``make_url`` alone because ``make_url``
splits an unencoded ``@`` inside a password at the first ``@`` and would print the rest of the
password as the host; here the user info runs to the *last* ``@`` of the URL's authority.
Query parameters named like secrets (``?password=...``) are hidden too.

A config logged this way can still be read back (``talent promote`` re-evaluates the champion's
``config.toml``), but a store whose password was hidden cannot be reached from it:
:func:`training.reevaluate.rebuild_snapshot` refuses such a source and asks for
``store = "default"`` with the URL in ``TALENT_DATABASE_URL``, which is never logged.
"""

from __future__ import annotations

import re
from typing import Any

MASK = "***"
SECRET_KEYS = frozenset(
    {
        "password",
        "passwd",
        "pwd",
        "pass",
        "secret",
        "client_secret",
        "token",
        "access_token",
        "refresh_token",
        "api_key",
        "apikey",
        "sslpassword",
        "private_key",
    }
)
"""Keys whose values are secrets, in a query string or a mapping (compared in lower case)."""

_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.\-]*://)(.*)$", re.DOTALL)
# a URL inside free text: scheme://, then anything up to white space or a quote/bracket
_IN_TEXT = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*://[^\s'\"<>`]+")


def _query(query: str) -> str:
    parts = []
    for part in query.split("&"):
        key, eq, _ = part.partition("=")
        parts.append(f"{key}={MASK}" if eq and key.lower() in SECRET_KEYS else part)
    return "&".join(parts)


def redact_url(url: str) -> str:
    """``url`` with its password (and secret-named query parameters) replaced by ``***``;
    anything that is not a ``scheme://`` URL is returned unchanged."""
    match = _SCHEME.match(url)
    if match is None:
        return url
    scheme, rest = match.groups()
    # the user info ends at the last "@": a password may hold "@", "/", "?" or "#" unencoded
    # (an "@" later in a query then hides more than the password: safe, never less)
    userinfo, at, hostpart = rest.rpartition("@")
    user = userinfo.split(":", 1)[0]
    if at and ":" in userinfo and not set(user) & set("/?#"):  # else a path (sqlite:///C:/a@b)
        rest = f"{user}:{MASK}@{hostpart}"
    head, qmark, query = rest.partition("?")
    if qmark:
        query, hash_, fragment = query.partition("#")
        rest = head + qmark + _query(query) + hash_ + fragment
    return scheme + rest


def redact_text(text: str) -> str:
    """Free text (a model card, a tag) with every URL in it passed through :func:`redact_url`."""
    return _IN_TEXT.sub(lambda m: redact_url(m.group(0)), text)


def redact(data: Any) -> Any:
    """A copy of nested plain data (dicts, lists, tuples, strings, scalars) with URLs redacted in
    every string and the values of secret-named keys replaced by ``***``."""
    if isinstance(data, str):
        return redact_text(data)
    if isinstance(data, dict):
        return {
            k: (
                MASK
                if isinstance(k, str) and k.lower() in SECRET_KEYS and v is not None
                else redact(v)
            )
            for k, v in data.items()
        }
    if isinstance(data, list):
        return [redact(v) for v in data]
    if isinstance(data, tuple):
        return tuple(redact(v) for v in data)
    return data


def is_redacted(url: str) -> bool:
    """Whether ``url`` carries a secret hidden by :func:`redact_url` (a password or a query
    parameter), so it cannot be used to connect any more."""
    return _SCHEME.match(url) is not None and (f":{MASK}@" in url or f"={MASK}" in url)
