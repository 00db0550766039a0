"""ASGI middleware: request ids, access logs and metrics (request bodies are bounded by FastAPI's
own ``max_body_size``, set from the settings).

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

from footprint.logs import get_logger
from serving.metrics import Metrics

access_log = get_logger("serving.access")


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
        state: dict[str, Any] = scope.setdefault("state", {})
        state["request_id"] = request_id
        started = time.perf_counter()
        status_code = 500

        async def send_wrapper(message: Message) -> None:
            nonlocal status_code
            if message["type"] == "http.response.start":
                status_code = int(message["status"])
                headers = list(message.get("headers", []))
                headers.append((b"x-request-id", request_id.encode()))
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
