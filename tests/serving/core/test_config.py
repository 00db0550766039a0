"""Settings are typed, read from TALENT_* and refuse development secrets in production."""

from __future__ import annotations

import json

import pytest
from pydantic import ValidationError

from core.artifacts import DEV_BUNDLE_KEY
from serving.auth import Role
from serving.core.config import (
    DEV_PORTFOLIO_KEY,
    DEV_TOKENS,
    MIN_SECRET_BITS,
    Mode,
    ServingSettings,
    estimated_bits,
    token_sha256,
)
from serving.services.signing import new_private_key_b64

STRONG = "q7Vd2pLx9TzR4mWc8NbY1sKf6HgJ3eUa"  # 32 characters of 32 kinds: 160 estimated bits
SIGNING_KEY = new_private_key_b64()


def _tokens(token: str = "a-long-random-production-token") -> str:
    return json.dumps(
        [{"name": "platform-main", "role": "platform", "sha256": token_sha256(token)}]
    )


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (
        "MODE",
        "API_TOKENS",
        "SESSION_SECRET",
        "ERASURE_SALT",
        "DATABASE_URL",
        "BUNDLE_KEY",
        "PORTFOLIO_SIGNING_KEY",
    ):
        monkeypatch.delenv(f"TALENT_{name}", raising=False)


def test_development_defaults_work_and_give_dev_tokens() -> None:
    settings = ServingSettings()
    assert settings.mode is Mode.DEVELOPMENT
    assert {t.role for t in settings.tokens()} == set(Role)
    assert not settings.secure_cookies


@pytest.mark.parametrize(
    ("env", "complaint"),
    [
        ({}, "TALENT_API_TOKENS is empty"),
        (
            {
                "TALENT_API_TOKENS": json.dumps(
                    [
                        {
                            "name": "dev",
                            "role": "admin",
                            "sha256": token_sha256(DEV_TOKENS[Role.ADMIN]),
                        }
                    ]
                )
            },
            "development token",
        ),
        ({"TALENT_SESSION_SECRET": "short"}, "TALENT_SESSION_SECRET"),
        ({"TALENT_ERASURE_SALT": "development-only-salt"}, "TALENT_ERASURE_SALT"),
        # issue 16 item 4: no signing key, no production service
        ({"TALENT_BUNDLE_KEY": ""}, "TALENT_BUNDLE_KEY is the development default"),
        ({"TALENT_BUNDLE_KEY": DEV_BUNDLE_KEY}, "TALENT_BUNDLE_KEY is the development default"),
        # issue 16 item 11: long enough, but guessable
        ({"TALENT_SESSION_SECRET": "x" * 40}, "TALENT_SESSION_SECRET has too little entropy"),
        ({"TALENT_ERASURE_SALT": "ab" * 20}, "TALENT_ERASURE_SALT has too little entropy"),
        ({"TALENT_BUNDLE_KEY": "abc" * 14}, "TALENT_BUNDLE_KEY has too little entropy"),
        (
            {"TALENT_PORTFOLIO_SIGNING_KEY": DEV_PORTFOLIO_KEY},
            "TALENT_PORTFOLIO_SIGNING_KEY is the development key",
        ),
        ({"TALENT_PORTFOLIO_SIGNING_KEY": "bm90IGEga2V5"}, "32 bytes"),
    ],
)
def test_production_refuses_default_secrets(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str], complaint: str
) -> None:
    base = {
        "TALENT_MODE": "production",
        "TALENT_API_TOKENS": _tokens(),
        "TALENT_SESSION_SECRET": STRONG,
        "TALENT_ERASURE_SALT": STRONG,
        "TALENT_BUNDLE_KEY": STRONG,
        "TALENT_PORTFOLIO_SIGNING_KEY": SIGNING_KEY,
    }
    if not env:
        base.pop("TALENT_API_TOKENS")
    for key, value in (base | env).items():
        monkeypatch.setenv(key, value)
    with pytest.raises(ValidationError, match=complaint):
        ServingSettings()


def test_production_with_real_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    for key, value in {
        "TALENT_MODE": "production",
        "TALENT_API_TOKENS": _tokens(),
        "TALENT_SESSION_SECRET": STRONG,
        "TALENT_ERASURE_SALT": STRONG,
        "TALENT_BUNDLE_KEY": STRONG,
        "TALENT_MAX_REQUEST_BYTES": "2048",
        "TALENT_PORTFOLIO_SIGNING_KEY": SIGNING_KEY,
    }.items():
        monkeypatch.setenv(key, value)
    settings = ServingSettings()
    assert [t.name for t in settings.tokens()] == ["platform-main"]  # no dev tokens
    assert settings.secure_cookies and settings.max_request_bytes == 2048


def test_bad_values_name_the_field(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(
        "TALENT_API_TOKENS", json.dumps([{"name": "x", "role": "root", "sha256": "00"}])
    )
    with pytest.raises(ValidationError) as info:
        ServingSettings()
    fields = {e["loc"][-1] for e in info.value.errors()}
    assert fields == {"role", "sha256"}


def test_the_store_url_resolves_like_the_footprints(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TALENT_DATA_DIR", "/srv/talent")
    assert ServingSettings().resolved_database_url() == "sqlite:////srv/talent/talent.db"
    monkeypatch.setenv("TALENT_DATABASE_URL", "postgresql+psycopg://u@h/db")
    assert ServingSettings().resolved_database_url() == "postgresql+psycopg://u@h/db"


def test_handler_threads_bound_the_pool_that_runs_sync_handlers(tmp_path: object) -> None:
    """The plain ``def`` routes run in anyio's thread pool; the setting bounds it per worker."""
    import anyio.to_thread
    from fastapi.testclient import TestClient

    from serving.main import create_app
    from tests.serving.conftest import settings_for

    app = create_app(settings_for(f"sqlite:///{tmp_path}/talent.db", handler_threads=3))
    with TestClient(app) as client:
        assert client.portal is not None
        tokens = client.portal.call(
            lambda: anyio.to_thread.current_default_thread_limiter().total_tokens
        )
        assert tokens == 3
        assert client.get("/healthz").status_code == 200
    with pytest.raises(ValidationError):
        ServingSettings(handler_threads=0)


def test_secret_entropy_estimate_separates_random_from_patterned() -> None:
    import secrets

    assert estimated_bits("x" * 40) == 0
    assert estimated_bits("ab" * 20) == pytest.approx(40)
    assert estimated_bits(STRONG) == pytest.approx(160)
    assert estimated_bits(secrets.token_urlsafe(32)) > MIN_SECRET_BITS
