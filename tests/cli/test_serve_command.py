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
    result = CliRunner().invoke(app, ["token", "--role", "platform", "--name", "jobs", "--json"])
    body = json.loads(result.stdout)
    assert TokenEntry.model_validate(body["entry"]).sha256 == token_sha256(body["token"])
    result = CliRunner().invoke(app, ["signing-key", "--json"])
    assert result.exit_code == 0 and json.loads(result.stdout)["key_id"]


def test_serve_refuses_development_secrets_in_production(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TALENT_MODE", "production")
    monkeypatch.delenv("TALENT_API_TOKENS", raising=False)
    result = CliRunner().invoke(app, ["serve"])
    assert result.exit_code == 2
    assert "refusing to start in production mode" in result.output


def test_serve_refuses_development_tokens_on_a_network_address(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Issue 16 item 5: `talent serve --host 0.0.0.0` in development would accept
    dev-admin-token from any machine; it refuses unless told so, and then says so loudly."""
    import cli.serve_command as serve_module

    for name in ("TALENT_MODE", "TALENT_API_TOKENS"):
        monkeypatch.delenv(name, raising=False)
    # set (not deleted) first: monkeypatch then restores its absence at teardown, although the
    # command itself writes "true" into os.environ for its workers (it leaked into later tests)
    monkeypatch.setenv("TALENT_ALLOW_DEV_TOKENS_ON_NETWORK", "false")
    started: list[str] = []

    class _Server:
        started = True

        def __init__(self, config: object) -> None:
            self.config = config

        def run(self) -> None:
            started.append(str(getattr(self.config, "host", "")))

    monkeypatch.setattr(serve_module.uvicorn, "Server", _Server)
    result = CliRunner().invoke(app, ["serve", "--host", "0.0.0.0"])
    assert result.exit_code == 2 and started == []
    assert "refusing to serve the development tokens on 0.0.0.0" in result.output
    ok = CliRunner().invoke(app, ["serve", "--host", "127.0.0.1"])
    assert ok.exit_code == 0 and started == ["127.0.0.1"]
    loud = CliRunner().invoke(app, ["serve", "--host", "0.0.0.0", "--allow-dev-tokens-on-network"])
    assert loud.exit_code == 0 and started[-1] == "0.0.0.0"
    assert "WARNING" in loud.output and "anyone can act as admin" in loud.output
    real = json.dumps([{"name": "p", "role": "platform", "sha256": token_sha256("t" * 40)}])
    monkeypatch.setenv("TALENT_ALLOW_DEV_TOKENS_ON_NETWORK", "false")
    monkeypatch.setenv("TALENT_API_TOKENS", real)
    configured = CliRunner().invoke(app, ["serve", "--host", "0.0.0.0"])
    assert configured.exit_code == 0 and started[-1] == "0.0.0.0"
