"""``talent token`` makes a token and its configuration entry; ``talent serve`` refuses a bad
configuration before starting anything."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from cli.main import app
from serving.core.config import TokenEntry, token_sha256


def test_token_prints_the_token_once_and_its_hashed_entry() -> None:
    result = CliRunner().invoke(app, ["token", "--role", "moderator", "--name", "anna"])
    assert result.exit_code == 0, result.output
    lines = result.output.strip().splitlines()
    token = lines[0].rsplit(" ", 1)[1]
    entry = TokenEntry.model_validate(json.loads(lines[-1]))
    assert entry.role == "moderator" and entry.name == "anna"
    assert entry.sha256 == token_sha256(token) and token not in lines[-1]


def test_serve_refuses_development_secrets_in_production(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TALENT_MODE", "production")
    monkeypatch.delenv("TALENT_API_TOKENS", raising=False)
    result = CliRunner().invoke(app, ["serve"])
    assert result.exit_code == 2
    assert "refusing to start in production mode" in result.output


def test_the_listener_of_several_workers_gives_connections_tcp_nodelay() -> None:
    """Regression (Kludex/uvicorn#3149): with --workers N uvicorn bound its listener with proto 0,
    so asyncio left Nagle's algorithm on and every keep-alive answer waited ~43 ms for the
    client's delayed ACK."""
    import asyncio
    import socket

    from cli.serve_command import TcpConfig

    listener = TcpConfig("serving.main:create_app", host="127.0.0.1", port=0).bind_socket()
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
