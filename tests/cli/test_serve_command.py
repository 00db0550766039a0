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

