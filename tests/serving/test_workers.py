"""``talent serve --workers N``: a listening socket per worker (SO_REUSEPORT), so the kernel
spreads connections over the workers; the pool replaces a dead worker, stops on SIGTERM and on
a failed start-up, and refuses a port already taken."""

from __future__ import annotations

import asyncio
import http.client
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator

import pytest

from serving.workers import PortInUseError, check_port_free, reuse_port_socket

pytestmark = pytest.mark.skipif(not hasattr(socket, "SO_REUSEPORT"), reason="needs SO_REUSEPORT")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _pid_of_new_connection(port: int) -> int | None:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        conn.request("GET", "/")
        return int(conn.getresponse().read())
    except OSError:
        return None
    finally:
        conn.close()


def _pool(port: int, app: str, factory: bool = False) -> subprocess.Popen[str]:
    code = (
        "import uvicorn\n"
        "from serving.workers import WorkerPool\n"
        f"config = uvicorn.Config({app!r}, factory={factory}, host='127.0.0.1', port={port},"
        " workers=2, log_level='warning')\n"
        "raise SystemExit(WorkerPool(config, 2).run())\n"
    )
    # the pool's ``pool_ready`` line is an INFO log: whatever level the caller runs at
    env = {**os.environ, "TALENT_LOG_LEVEL": "INFO"}
    return subprocess.Popen(
        [sys.executable, "-c", code],
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env=env,
    )


def _wait_for_line(process: subprocess.Popen[str], text: str) -> str:
    """The pool's output up to the first line holding ``text`` (from where the last call
    stopped)."""
    assert process.stdout is not None
    lines = []
    for line in process.stdout:
        lines.append(line)
        if text in line:
            return "".join(lines)
    raise AssertionError(f"the pool ended without {text!r}: {''.join(lines)}")


def _pids_seen(port: int, want: int, seconds: float = 60.0) -> set[int]:
    """Worker pids answering new connections, until ``want`` distinct ones answered."""
    seen: set[int] = set()
    deadline = time.monotonic() + seconds
    while len(seen) < want and time.monotonic() < deadline:
        pid = _pid_of_new_connection(port)
        if pid is None:
            time.sleep(0.1)
        else:
            seen.add(pid)
    return seen


def _stop(process: subprocess.Popen[str]) -> None:
    if process.poll() is None:
        process.terminate()
        process.wait(timeout=60)


@pytest.fixture
def pool() -> Iterator[tuple[subprocess.Popen[str], int]]:
    port = _free_port()
    process = _pool(port, "tests.cli.pid_app:app")
    yield process, port
    _stop(process)


def test_connections_are_spread_over_both_workers(
    pool: tuple[subprocess.Popen[str], int],
) -> None:
    _, port = pool
    assert len(_pids_seen(port, 2)) == 2
    # once both listen, the kernel hashes each new connection to one of them
    pids = [_pid_of_new_connection(port) for _ in range(40)]
    counts = {p: pids.count(p) for p in set(pids)}
    assert None not in counts and len(counts) == 2, counts


def test_a_dead_worker_is_replaced_and_sigterm_stops_the_pool(
    pool: tuple[subprocess.Popen[str], int],
) -> None:
    process, port = pool
    _wait_for_line(process, "pool_ready")
    first = _pids_seen(port, 2)
    victim = min(first)
    os.kill(victim, signal.SIGKILL)
    now = _pids_seen(port, 2)
    deadline = time.monotonic() + 60
    while victim in now or len(now) < 2:
        assert time.monotonic() < deadline, f"no replacement for {victim}: {now}"
        now = _pids_seen(port, 2) - {victim}
    assert victim not in now and len(now) == 2
    assert "worker_died" in _wait_for_line(process, "pool_ready")  # again, once it joined
    for _ in range(5):  # a burst, as when `uv run` forwards its own: no lock in the handler
        process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=60) == 0
    for pid in now:  # the workers went with it
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)


def test_a_worker_that_fails_its_start_up_stops_the_pool_with_uvicorns_code() -> None:
    """uvicorn exits 1 when the app cannot load; its own supervisor restarts such a worker
    forever."""
    process = _pool(_free_port(), "tests.cli.pid_app:broken", factory=True)
    try:
        assert process.wait(timeout=120) == 3
    finally:
        _stop(process)


def test_workers_of_a_killed_pool_stop_and_free_the_port(
    pool: tuple[subprocess.Popen[str], int],
) -> None:
    process, port = pool
    workers = _pids_seen(port, 2)
    process.kill()  # SIGKILL: the pool cannot stop its workers itself
    process.wait()
    deadline = time.monotonic() + 30
    while any(_alive(pid) for pid in workers):
        assert time.monotonic() < deadline, "orphaned workers kept running"
        time.sleep(0.2)
    check_port_free("127.0.0.1", port)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_a_taken_port_is_refused_before_any_worker_starts() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(PortInUseError, match=f"127.0.0.1:{port}"):
            check_port_free("127.0.0.1", port)
    check_port_free("127.0.0.1", port)  # free again once closed


def test_accepted_connections_get_tcp_nodelay() -> None:
    """Regression (Kludex/uvicorn#3149): a listener bound with proto 0 made asyncio leave Nagle's
    algorithm on, and every keep-alive answer after the first waited ~43 ms for the client's
    delayed ACK."""
    listener = reuse_port_socket("127.0.0.1", 0)
    assert listener.proto == socket.IPPROTO_TCP
    nodelay: list[int] = []

    class Probe(asyncio.Protocol):
        def connection_made(self, transport: asyncio.BaseTransport) -> None:
            sock = transport.get_extra_info("socket")
            nodelay.append(sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
            transport.close()

    async def accept_one() -> None:
        server = await asyncio.get_running_loop().create_server(Probe, sock=listener)
        _, writer = await asyncio.open_connection(*listener.getsockname()[:2])
        for _ in range(100):
            if nodelay:
                break
            await asyncio.sleep(0.01)
        writer.close()
        server.close()
        await server.wait_closed()

    asyncio.run(accept_one())
    assert nodelay and nodelay[0] != 0


def test_few_keep_alive_connections_end_evenly_spread(
    pool: tuple[subprocess.Popen[str], int],
) -> None:
    """16 persistent connections, each reconnecting when told to close: however the kernel
    hashed them first, the workers end with 8 each (give or take one), and no request fails."""
    _, port = pool
    assert len(_pids_seen(port, 2)) == 2
    conns = [http.client.HTTPConnection("127.0.0.1", port, timeout=5) for _ in range(16)]
    owner: list[int] = [0] * len(conns)
    closes = 0
    for _ in range(60):
        for i, conn in enumerate(conns):
            conn.request("GET", "/")
            response = conn.getresponse()
            owner[i] = int(response.read())
            assert response.status == 200
            if response.will_close:
                closes += 1
                conn.close()
                conns[i] = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        time.sleep(0.05)
    for i, conn in enumerate(conns):  # who holds each connection now (a last close is moot)
        conn.request("GET", "/")
        response = conn.getresponse()
        owner[i] = int(response.read())
        conn.close()
    per_worker = sorted(owner.count(p) for p in set(owner))
    assert len(per_worker) == 2 and per_worker[1] - per_worker[0] <= 2, (per_worker, closes)
