"""Serving fixtures: a service on a fresh SQLite store in tmp_path, tokens per role, a tiny world
pushed through the API itself."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from serving.auth import Role
from serving.core.config import DEV_TOKENS, Mode, ServingSettings
from serving.main import create_app
from tests.footprint.factory import achievement, activity, participant

AS_OF = dt.datetime(2026, 6, 15)
REC_AS_OF = dt.datetime(2025, 9, 1)
SEASON = "2025/26"


def bearer(role: Role | None, token: str | None = None) -> dict[str, str]:
    """Authorization header of the development token of ``role`` (or of ``token``)."""
    value = token if token is not None else (DEV_TOKENS[role] if role else None)
    return {"Authorization": f"Bearer {value}"} if value else {}


def settings_for(url: str, **over: Any) -> ServingSettings:
    """Development settings on the store at ``url``, reading it as of :data:`AS_OF`."""
    values: dict[str, Any] = {
        "mode": Mode.DEVELOPMENT,
        "database_url": url,
        "api_tokens": [],
        "live_as_of": AS_OF,
        "live_check_seconds": 0,
        "competence_bundle": None,
        "recommend_bundle": None,
        "gc_freeze": False,  # a full collection of the test process at every start is slow
    }
    return ServingSettings(**(values | over))


@pytest.fixture(scope="session")
def bundles(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """A tiny real competence bundle saved as versions ``tiny-1`` and ``tiny-2`` (trained once)."""
    from tests.serving.bundle_factory import save_versions, tiny_bundle

    folder = tmp_path_factory.mktemp("bundles")
    return save_versions(tiny_bundle(), folder, ["tiny-1", "tiny-2"])


@pytest.fixture(scope="session")
def recommender(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny content recommender over the competence tests' world, as of :data:`REC_AS_OF`."""
    from tests.serving.bundle_factory import tiny_recommender

    return tiny_recommender(tmp_path_factory.mktemp("rec") / "content.joblib", REC_AS_OF)


@pytest.fixture
def browser() -> Iterator[Any]:
    """Headless Debian ``chromium`` under Playwright (see ``tests/serving/browser_kit.py``)."""
    from playwright.sync_api import sync_playwright

    from tests.serving.browser_kit import CHROMIUM, CHROMIUM_ARGS

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def settings(tmp_path: Path) -> ServingSettings:
    return settings_for(f"sqlite:///{tmp_path / 'talent.db'}")


@pytest.fixture
def client(settings: ServingSettings) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as c:
        yield c


def world_records() -> dict[str, list[dict[str, Any]]]:
    """Three participants, a selection stage feeding a final, a hackathon; five achievements,
    two of them pending."""
    return {
        "participants": [
            participant("p1"),
            participant("p2", grade="10"),
            participant("p3", account_verified_at=""),
        ],
        "activities": [
            activity("a1"),
            activity(
                "a2",
                kind="olympiad_final",
                format="offline",
                region="RU-MOW",
                start_at="2026-03-01",
                end_at="2026-03-05",
                registration_deadline="2026-02-20",
                directions="python:0.6;robotics:0.4",
            ),
            activity(
                "h1",
                kind="hackathon",
                level="regional",
                directions="python:1",
                start_at="2025-11-20",
                end_at="2025-11-22",
                registration_deadline="2025-11-15",
                olympiad_list_level="",
            ),
        ],
        "activity_edges": [
            {"from_activity_id": "a1", "to_activity_id": "a2", "edge_type": "selection"}
        ],
        "achievements": [
            achievement("r1", "p1", "a1", result="prize_winner", score="80"),
            achievement("r2", "p2", "a1", status="pending", status_changed_at="", evidence="doc:2"),
            achievement(
                "r3",
                "p1",
                "a2",
                result="finalist",
                score="40",
                achieved_at="2026-03-05",
                recorded_at="2026-03-07",
                status_changed_at="2026-03-10",
            ),
            achievement(
                "r4",
                "p2",
                "h1",
                result="winner",
                score="",
                status="pending",
                status_changed_at="",
                achieved_at="2025-11-22",
                recorded_at="2025-11-23",
                evidence="https://example.org/diploma/4",
            ),
            achievement("r5", "p3", "a1", result="winner", score="95"),
        ],
    }


def push(
    client: TestClient, entity: str, records: list[dict[str, Any]], source: str = "platform"
) -> Any:
    """Push ``records`` as the platform; empty strings are sent as missing values."""
    body = {
        "source": source,
        "records": [{k: (None if v == "" else v) for k, v in r.items()} for r in records],
    }
    return client.post(f"/v1/footprint/{entity}", json=body, headers=bearer(Role.PLATFORM))


@pytest.fixture
def world(client: TestClient) -> TestClient:
    """The client, with :func:`world_records` pushed (every row accepted)."""
    for entity, records in world_records().items():
        response = push(client, entity, records)
        assert response.status_code == 200, response.text
        assert response.json()["quarantined"] == 0, response.json()
    return client
