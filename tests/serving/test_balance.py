"""Least-connections balance: a worker with more than its share of connections closes one after
a complete answer, at most once per interval; workers not serving do not count."""

from __future__ import annotations

from typing import Any

import pytest

from serving.balance import NOT_SERVING, ConnectionBalance, ShedWhenCrowded


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def _balance(counts: list[int], mine: int, clock: Clock, slot: int = 0) -> ConnectionBalance:
    return ConnectionBalance(counts, slot, lambda: mine, interval=0.2, clock=clock)


def test_a_worker_above_its_share_sheds_once_per_interval() -> None:
    clock = Clock()
    counts = [NOT_SERVING, 5]
    balance = _balance(counts, 11, clock)
    assert balance.should_shed()  # 11 > ceil(16 / 2)
    assert counts == [11, 5]  # it published its count
    assert not balance.should_shed()  # not again within the interval
    clock.now += 0.2
    assert balance.should_shed()


def test_a_worker_at_or_below_its_share_keeps_its_connections() -> None:
    clock = Clock()
    assert not _balance([0, 8], 8, clock).should_shed()
    assert not _balance([0, 8], 9, clock).should_shed()  # 9 = ceil(17 / 2)
    assert not _balance([0, 11], 5, clock).should_shed()


def test_workers_not_serving_are_left_out_of_the_share() -> None:
    clock = Clock()
    # the other worker is starting: nobody to hand connections to
    assert not _balance([0, NOT_SERVING], 16, clock).should_shed()
    # three slots, one restarting: the share is over the two serving
    assert _balance([0, 6, NOT_SERVING], 10, clock).should_shed()
    assert not _balance([0, 8, NOT_SERVING], 8, clock).should_shed()


async def _answer(shed: bool) -> list[dict[str, Any]]:
    sent: list[dict[str, Any]] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [(b"content-type", b"text/plain"), (b"connection", b"keep-alive")],
            }
        )
        await send({"type": "http.response.body", "body": b"ok"})

    class Fixed:
        def should_shed(self) -> bool:
            return shed

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await ShedWhenCrowded(app, Fixed())({"type": "http"}, None, send)  # type: ignore[arg-type]
    return sent


@pytest.mark.parametrize("shed", [True, False])
def test_the_wrapper_closes_the_connection_only_when_told(shed: bool) -> None:
    import asyncio

    start, body = asyncio.run(_answer(shed))
    connection = [v for k, v in start["headers"] if k == b"connection"]
    assert connection == ([b"close"] if shed else [b"keep-alive"])
    assert body["body"] == b"ok"  # the answer itself is whole
