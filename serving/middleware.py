"""ASGI middleware: request ids, security headers, access logs and metrics (request bodies are
bounded by FastAPI's own ``max_body_size``, set from the settings).

Plain ASGI (not ``BaseHTTPMiddleware``) so streaming and background work are untouched and the
overhead stays in microseconds. Access logs carry the route *template*, the status, the time and
the caller's role, never the raw path (it can hold a participant id), the query string, a token or
a body.
"""

from __future__ import annotations

import time
import uuid
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from core.logs import get_logger
from serving.metrics import Metrics

access_log = get_logger("serving.access")

PAGE_POLICY = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)
"""The moderators' pages (and every JSON answer): no script at all, the one inline style sheet of
``base.html``, forms only to this origin, never inside a frame."""
DOCS_POLICY = (
    "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; worker-src 'self' blob:; frame-ancestors 'none'; base-uri 'none'"
)
"""``/docs`` and ``/redoc``: their assets come from this service (no CDN); the pages start them
with an inline script."""
DOCS_PREFIXES = ("/docs", "/redoc")
SECURITY_HEADERS = (
    (b"x-frame-options", b"DENY"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
)


def security_headers(path: str) -> list[tuple[bytes, bytes]]:
    """What every answer carries against framing, sniffing and injected content."""
    policy = DOCS_POLICY if path.startswith(DOCS_PREFIXES) else PAGE_POLICY
    return [(b"content-security-policy", policy.encode()), *SECURITY_HEADERS]


def _route_template(scope: Scope) -> str:
    route = scope.get("route")
    path = getattr(route, "path", None)
    if path:
        return str(path)
    # plain Starlette routes (the OpenAPI and docs pages) only leave their endpoint behind
    endpoint = scope.get("endpoint")
    return f"<{getattr(endpoint, '__name__', 'unmatched')}>"


class AccessLogMiddleware:
    """Gives each request an id (``X-Request-ID``), logs one line per request and counts it."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = str(uuid.uuid4())
        extra = [(b"x-request-id", request_id.encode()), *security_headers(scope.get("path", ""))]
        state: dict[str, Any] = scope.setdefault("state", {})
        state["request_id"] = request_id
        started = time.perf_counter()
        status_code = 500

        async def send_wrapper(message: Message) -> None:
            nonlocal status_code
            if message["type"] == "http.response.start":
                status_code = int(message["status"])
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                headers.extend(h for h in extra if h[0] not in present)
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            seconds = time.perf_counter() - started
            route = _route_template(scope)
            method = str(scope.get("method", ""))
            self.metrics.requests.labels(method, route, str(status_code)).inc()
            self.metrics.latency.labels(method, route).observe(seconds)
            access_log.info(
                "request",
                request_id=request_id,
                method=method,
                route=route,
                status=status_code,
                ms=round(seconds * 1000, 2),
                role=state.get("principal_role"),
            )
