"""Several uvicorn workers, each with its own listening socket on the same port (``SO_REUSEPORT``).

uvicorn's own supervisor hands one shared listening socket to every worker. Each worker's event
loop then accepts in a loop of up to ``backlog`` connections per wake-up, so a burst of new
keep-alive connections (a load balancer's pool, wrk's connections) lands mostly on whichever
worker woke first and stays there: bench/load.py measured two workers doing no better than one.
With a socket per worker bound with ``SO_REUSEPORT`` the kernel spreads connections over the
workers by a hash of the connection's addresses, as nginx's ``reuseport`` does.

The hash spreads many connections evenly but a few long-lived ones unevenly (11/5 of 16 in the
load test); :mod:`serving.balance` evens them out by closing, after a complete answer, connections
of
a worker that holds more than its share.

Each worker binds its socket before start-up but listens only once its application has started
(uvicorn listens after the lifespan start-up), so the kernel gives no connection to a worker that
is still loading its models and snapshot, and a restarted worker joins when it is ready.

The parent only supervises: it checks the port is free, starts the workers, restarts one that
dies after it served, stops with uvicorn's start-up failure code (3) when a worker ends before it
ever served (it would fail the same way again; uvicorn's own supervisor restarts a worker whose
app fails to import forever) and forwards SIGINT/SIGTERM.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import socket
import threading
import time
from collections.abc import MutableSequence
from dataclasses import dataclass, field
from multiprocessing.context import SpawnContext
from multiprocessing.process import BaseProcess
from multiprocessing.synchronize import Event as EventType
from types import FrameType

import uvicorn
from uvicorn.config import STARTUP_FAILURE

from core.logs import get_logger
from serving.balance import NOT_SERVING, ConnectionBalance, ShedWhenCrowded

log = get_logger(__name__)

STOP_SECONDS = 30.0
"""How long a stopping worker may finish the requests in flight before it is killed."""
POLL_SECONDS = 0.5
ORPHAN_CHECK_SECONDS = 1.0
POOL_READY = "pool_ready"
"""Logged by the pool each time all its workers have started (again)."""


class PortInUseError(OSError):
    """The address is taken (by another server, or by an earlier ``talent serve``)."""


def _address(host: str, port: int) -> tuple[socket.AddressFamily, tuple[object, ...]]:
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    family, _, _, _, sockaddr = infos[0]
    return family, sockaddr


def check_port_free(host: str, port: int) -> None:
    """Raise :class:`PortInUseError` when ``host:port`` is taken.

    The workers' sockets share the port with each other, and would share it just as silently
    with an earlier ``talent serve`` still running: so the port must be free of everyone first.
    """
    family, sockaddr = _address(host, port)
    probe = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        probe.bind(sockaddr)
    except OSError as exc:
        raise PortInUseError(exc.errno, f"cannot listen on {host}:{port}: {exc.strerror}") from exc
    finally:
        probe.close()


def reuse_port_socket(host: str, port: int) -> socket.socket:
    """A TCP socket bound to ``host:port`` with ``SO_REUSEPORT``, not yet listening.

    Created with ``proto=IPPROTO_TCP``: asyncio turns Nagle's algorithm off (``TCP_NODELAY``)
    only on accepted sockets that say they are TCP. uvicorn's own supervisor bound its shared
    listener with ``proto`` 0, and every keep-alive answer after the first then waited ~43 ms for
    the client's delayed ACK (Kludex/uvicorn#3149, found by bench/load.py).
    """
    family, sockaddr = _address(host, port)
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind(sockaddr)
    return sock


class _Server(uvicorn.Server):
    """uvicorn's server, telling the pool once it has started (and so listens) and publishing its
    connection count for the balance (:mod:`serving.balance`)."""

    def __init__(
        self, config: uvicorn.Config, started: EventType, counts: MutableSequence[int], slot: int
    ) -> None:
        super().__init__(config)
        self._started_event = started
        self._counts = counts
        self._slot = slot
        self.balance = ConnectionBalance(counts, slot, lambda: len(self.server_state.connections))

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        if self.started:
            self.balance.publish()
            self._started_event.set()

    async def on_tick(self, counter: int) -> bool:
        if self.started and not self.should_exit:
            self.balance.publish()  # every 0.1 s, also while no request comes
        return await super().on_tick(counter)

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        self._counts[self._slot] = NOT_SERVING
        await super().shutdown(sockets)


def _exit_with_parent(parent: int) -> None:  # pragma: no cover - runs in the worker
    """Stop this worker (gracefully, by SIGTERM) once the pool's process is gone: a worker
    orphaned by a killed pool would otherwise keep the port forever."""
    while os.getppid() == parent:
        time.sleep(ORPHAN_CHECK_SECONDS)
    os.kill(os.getpid(), signal.SIGTERM)


def _worker_main(  # pragma: no cover - runs in the worker
    config: uvicorn.Config,
    started: EventType,
    parent: int,
    counts: MutableSequence[int],
    slot: int,
) -> None:
    threading.Thread(target=_exit_with_parent, args=(parent,), daemon=True).start()
    config.configure_logging()
    sock = reuse_port_socket(config.host, config.port)
    server = _Server(config, started, counts, slot)
    config.load()
    config.loaded_app = ShedWhenCrowded(config.loaded_app, server.balance)
    server.run(sockets=[sock])


@dataclass(frozen=True)
class _Worker:
    process: BaseProcess
    started: EventType
    """Set by the worker once its application has started and its socket listens."""


@dataclass
class WorkerPool:
    """Starts ``workers`` processes serving ``config`` and keeps them running until stopped."""

    config: uvicorn.Config
    workers: int
    stop_seconds: float = STOP_SECONDS
    _processes: list[_Worker] = field(default_factory=list)
    _context: SpawnContext = field(default_factory=lambda: multiprocessing.get_context("spawn"))
    _counts: MutableSequence[int] = field(init=False)
    _signals: list[int] = field(default_factory=list)

    def __post_init__(self) -> None:
        # open connections per worker slot, read and written by the workers (serving/balance.py)
        self._counts = self._context.Array("i", [NOT_SERVING] * self.workers, lock=False)

    def _start_one(self, slot: int) -> _Worker:
        self._counts[slot] = NOT_SERVING
        started = self._context.Event()
        process = self._context.Process(
            target=_worker_main,
            args=(self.config, started, os.getpid(), self._counts, slot),
            name="talent-worker",
            daemon=False,
        )
        process.start()
        log.info("worker_starting", pid=process.pid, slot=slot)
        return _Worker(process, started)

    def run(self) -> int:
        """Serve until SIGINT/SIGTERM or a failed start-up; returns the exit code (0, or
        uvicorn's start-up failure code 3)."""
        check_port_free(self.config.host, self.config.port)
        previous = {
            sig: signal.signal(sig, self._on_signal) for sig in (signal.SIGINT, signal.SIGTERM)
        }
        code = 0
        try:
            self._processes = [self._start_one(slot) for slot in range(self.workers)]
            all_ready = False
            while not self._signals:
                time.sleep(POLL_SECONDS)
                if self._signals:
                    break  # the workers got the same Ctrl-C: stopping, not dead
                code = self._replace_dead()
                if code:
                    break
                ready = all(w.started.is_set() for w in self._processes)
                if ready and not all_ready:
                    # every worker listens: what a client waiting for the whole pool looks for
                    log.info(POOL_READY, workers=len(self._processes))
                all_ready = ready
        finally:
            if self._signals:
                log.info("pool_stopping", signal=signal.Signals(self._signals[0]).name)
            self._stop_all()
            for sig, handler in previous.items():
                signal.signal(sig, handler)
        return code

    def _on_signal(self, signum: int, frame: FrameType | None) -> None:
        # no lock may be taken here (no logging, no threading.Event): the handler runs between
        # two bytecodes of the main thread, which may hold that very lock, and a second signal
        # (``uv run`` forwards its own) arrives while the first is handled
        del frame
        self._signals.append(signum)

    def _replace_dead(self) -> int:
        for i, worker in enumerate(self._processes):
            process = worker.process
            if process.is_alive():
                continue
            process.join()
            if not worker.started.is_set():
                # it never served (a broken configuration, an app that cannot load, a port it
                # cannot bind): a new one would fail the same way, again and again
                log.error("worker_failed_to_start", pid=process.pid, exitcode=process.exitcode)
                return STARTUP_FAILURE
            log.warning("worker_died", pid=process.pid, exitcode=process.exitcode)
            self._processes[i] = self._start_one(i)
        return 0

    def _stop_all(self) -> None:
        for worker in self._processes:
            if worker.process.is_alive():
                worker.process.terminate()  # SIGTERM: uvicorn finishes the requests in flight
        for worker in self._processes:
            worker.process.join(self.stop_seconds)
            if worker.process.is_alive():
                log.warning("worker_killed", pid=worker.process.pid)
                worker.process.kill()
                worker.process.join()
