"""Access logs and metrics carry route templates, never ids, tokens or bodies."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from serving import middleware
from serving.auth import Role
from serving.core.config import DEV_TOKENS, ServingSettings
from serving.main import create_app
from tests.serving.conftest import bearer


class _Recorder:
    def __init__(self) -> None:
        self.lines: list[str] = []

    def info(self, event: str, **fields: object) -> None:
        self.lines.append(" ".join([event, *(f"{k}={v}" for k, v in sorted(fields.items()))]))


def test_access_log_has_no_personal_data(
    world: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    recorder = _Recorder()
    monkeypatch.setattr(middleware, "access_log", recorder)
    r = world.post(
        "/v1/participants/p2/erasure?secret=q",
        json={"reason_code": "legal_request"},
        headers=bearer(Role.PLATFORM),
    )
    assert r.status_code == 200
    assert len(r.headers["x-request-id"]) == 36
    world.get("/v1/rating/python/participants/p3", headers=bearer(Role.MODERATOR))
    lines = recorder.lines
    err = "\n".join(lines)
    assert len(lines) == 2 and all(line.startswith("request ") for line in lines)
    assert "route=/v1/participants/{participant_id}/erasure" in lines[0]
    assert "role=platform" in lines[0] and "status=200" in lines[0]
    for token in DEV_TOKENS.values():
        assert token not in err
    assert "p2" not in err and "p3" not in err and "secret" not in err
    assert "legal_request" not in lines[0]


def test_metrics_count_requests_by_template(world: TestClient) -> None:
    world.get("/v1/rating/python/participants/p1", headers=bearer(Role.PLATFORM))
    world.get("/v1/rating/python/participants/nobody", headers=bearer(Role.PLATFORM))
    text = world.get("/metrics", headers=bearer(Role.ADMIN)).text
    assert (
        'talent_http_requests_total{method="GET",'
        'route="/v1/rating/{direction}/participants/{participant_id}",status="404"} 1.0'
    ) in text
    assert "talent_footprint_pushed_rows_total" in text
    assert "talent_rating_builds_total" in text
    assert "p1" not in text and "nobody" not in text


def test_a_500_carries_its_request_id(settings: ServingSettings) -> None:
    """Issue 16 item 11: the 500 answer leaves through Starlette's outermost error middleware,
    around the access log's; the id must still reach the caller, to quote it to an operator."""
    app = create_app(settings)

    @app.get("/boom")
    def boom() -> None:
        raise RuntimeError("a bug")

    with TestClient(app, raise_server_exceptions=False) as client:
        r = client.get("/boom")
    assert r.status_code == 500
    assert len(r.headers["x-request-id"]) == 36
    assert r.json()["request_id"] == r.headers["x-request-id"]
