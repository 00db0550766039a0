"""Least-connections balance between the workers of ``talent serve --workers N``.

With a listening socket per worker (``SO_REUSEPORT``, see :mod:`serving.workers`) the kernel assigns
each new connection to a worker by a hash of its addresses: fair on average, uneven for the few
long-lived keep-alive connections a platform's backend or a load generator keeps. The load test
saw 16 connections split 11/5, and the busier worker could not hold its share of 200 requests/s
while the other idled.

Each worker publishes its number of open connections in an array shared by the pool. A worker
holding more than its fair share (the ceiling of the mean over the serving workers) answers the
next request with ``Connection: close``, at most once per :data:`SHED_INTERVAL_SECONDS`; the
client then opens a new connection, which the kernel hashes afresh, until the shares are even.
Only a complete answer closes a connection, so no request is dropped; a client that honours
HTTP/1.1 (wrk, httpx, browsers) just reconnects.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, MutableSequence

from starlette.types import ASGIApp, Message, Receive, Scope, Send

NOT_SERVING = -1
"""The count of a worker slot whose worker is starting (or being replaced)."""
SHED_INTERVAL_SECONDS = 0.2


class ConnectionBalance:
    """One worker's view of the pool's connection counts.

    Parameters
    ----------
    counts
        One entry per worker slot, shared by the pool (:data:`NOT_SERVING` when not serving).
    slot
        This worker's entry.
    connections
        This worker's number of open connections now.
    """

    def __init__(
        self,
        counts: MutableSequence[int],
        slot: int,
        connections: Callable[[], int],
        *,
        interval: float = SHED_INTERVAL_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._counts = counts
        self._slot = slot
        self._connections = connections
        self._interval = interval
        self._clock = clock
        self._last_shed = -math.inf

    def publish(self) -> int:
        """Write this worker's count to the shared array; returns it."""
        mine = self._connections()
        self._counts[self._slot] = mine
        return mine

    def should_shed(self) -> bool:
        """Whether to close the connection of the request being answered."""
        mine = self.publish()
        serving = [c for c in self._counts[:] if c != NOT_SERVING]
        fair = math.ceil(sum(serving) / len(serving))
        now = self._clock()
        if mine <= fair or now - self._last_shed < self._interval:
            return False
        self._last_shed = now
        return True


class ShedWhenCrowded:
    """ASGI wrapper: adds ``Connection: close`` to an answer when the balance says so."""

    def __init__(self, app: ASGIApp, balance: ConnectionBalance) -> None:
        self.app = app
        self.balance = balance

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not self.balance.should_shed():
            await self.app(scope, receive, send)
            return

        async def closing(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [h for h in message.get("headers", []) if h[0].lower() != b"connection"]
                message = {**message, "headers": [*headers, (b"connection", b"close")]}
            await send(message)

        await self.app(scope, receive, closing)
