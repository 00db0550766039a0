"""Every error is RFC 9457 problem details from the one handler (issue 17 item 4), and bad
numbers, dates and seasons are 422s naming their field (issue 16 item 6)."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from serving.api.errors import CODES, PROBLEM_JSON
from serving.auth import Role
from serving.core.config import ServingSettings
from serving.main import create_app
from tests.serving.conftest import bearer

KEYS = {"type", "title", "status", "detail", "code", "text_ru", "request_id"}


def _problem(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM_JSON
    body = dict(response.json())
    assert set(body) >= KEYS and body["status"] == status and body["code"] == code
    assert body["type"] == f"urn:talent:problem:{code}"
    assert body["text_ru"] == CODES[code].text_ru
    assert body["request_id"] == response.headers["x-request-id"]
    return body


def test_every_status_is_a_problem(world: TestClient) -> None:
    _problem(world.get("/v1/me"), 401, "unauthorized")
    _problem(world.get("/v1/admin/models", headers=bearer(Role.PLATFORM)), 403, "forbidden")
    _problem(
        world.get("/v1/rating/python/participants/nobody", headers=bearer(Role.PLATFORM)),
        404,
        "not_found",
    )
    _problem(
        world.post("/v1/admin/models/nope/reload", headers=bearer(Role.ADMIN)), 404, "not_found"
    )
    _problem(
        world.get("/v1/participants/p1/competence", headers=bearer(Role.PLATFORM)), 503, "not_ready"
    )
    body = _problem(
        world.get("/v1/rating/python?limit=0", headers=bearer(Role.PLATFORM)),
        422,
        "validation_error",
    )
    assert body["field"] == "query.limit" and body["errors"][0]["loc"] == ["query", "limit"]
    _problem(world.delete("/v1/me", headers=bearer(Role.PLATFORM)), 405, "method_not_allowed")


def test_a_500_is_a_problem_with_its_request_id(settings: ServingSettings) -> None:
    app = create_app(settings)

    @app.get("/boom")
    def boom() -> None:
        raise RuntimeError("a bug")

    with TestClient(app, raise_server_exceptions=False) as client:
        body = _problem(client.get("/boom"), 500, "internal_error")
    assert "a bug" not in str(body)


@pytest.mark.parametrize("raw", ["NaN", "Infinity", "-Infinity", "1e309"])
def test_non_finite_numbers_are_422_naming_the_field(world: TestClient, raw: str) -> None:
    """Python's JSON parser reads these; they used to reach the validators (and the error
    answer, which could not be written: a 500)."""
    h = bearer(Role.PLATFORM) | {"content-type": "application/json"}
    push = '{"source": "platform", "records": [{"achievement_id": "r9", "score": RAW}]}'.replace(
        "RAW", raw
    )
    body = _problem(
        world.post("/v1/footprint/achievements", content=push, headers=h), 422, "validation_error"
    )
    assert body["field"].startswith("body.records.0.score")
    decision = '{"decision": "override", "expected_version": 0, "value": RAW}'.replace("RAW", raw)
    body = _problem(
        world.post(
            "/v1/moderation/competence/x/decision",
            content=decision,
            headers=h | bearer(Role.MODERATOR),
        ),
        422,
        "validation_error",
    )
    assert body["field"] == "body.value"
    _problem(
        world.post("/v1/footprint/achievements", content=raw, headers=h), 422, "validation_error"
    )


@pytest.mark.parametrize("instant", ["0001-01-01T00:00:00Z", "9999-12-31T23:59:59Z"])
def test_extreme_instants_are_422_naming_the_field(world: TestClient, instant: str) -> None:
    h = bearer(Role.PLATFORM)
    for field in ("as_of", "horizon"):
        r = world.post(
            "/v1/participants/p1/trajectory",
            json={"goal": "python:prize_winner", field: instant},
            headers=h,
        )
        assert _problem(r, 422, "validation_error")["field"] == f"body.{field}"
    r = world.get("/v1/participants/p1/recommendations", params={"as_of": instant}, headers=h)
    assert _problem(r, 422, "validation_error")["field"] == "query.as_of"


@pytest.mark.parametrize("season", ["0000/01", "9999/00", "1999/00"])
def test_extreme_seasons_are_422_naming_the_field(world: TestClient, season: str) -> None:
    h = bearer(Role.PLATFORM)
    for path in ("/v1/rating/python", "/v1/rating/python/participants/p1"):
        r = world.get(path, params={"season": season}, headers=h)
        assert _problem(r, 422, "validation_error")["field"] == "query.season"


def test_every_guarded_operation_declares_its_problems(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()
    guarded = [p for p, ops in schema["paths"].items() for op in ops.values() if op.get("security")]
    assert len(guarded) > 20
    for path, operations in schema["paths"].items():
        for method, op in operations.items():
            codes = set(op["responses"])
            if op.get("security"):  # takes a bearer token
                assert {"401", "403"} <= codes, (method, path)
            if op.get("parameters") or op.get("requestBody"):
                assert "422" in codes, (method, path)
            for code in codes - {"200", "202"}:
                if code.startswith(("4", "5")) and path != "/readyz":
                    content = op["responses"][code]["content"]
                    assert PROBLEM_JSON in content, (method, path, code)


def test_scores_are_rounded(world: TestClient) -> None:
    rows = world.get("/v1/rating/python", headers=bearer(Role.PLATFORM)).json()["items"]
    assert rows
    for row in rows:
        for key in ("raw_points", "score"):
            assert round(row[key], 4) == row[key]


def test_docs_are_served_without_a_cdn(client: TestClient) -> None:
    """Issue 17 item 4: inside a closed network /docs was a blank page (Swagger UI came from a
    CDN); the assets now come from the service itself."""
    import re

    for page in ("/docs", "/redoc"):
        html = client.get(page).text
        assert "cdn" not in html.lower()
        assets = re.findall(r'(?:src|href)="([^"]+\.(?:js|css))"', html)
        assert assets and all(a.startswith("/") for a in assets)
        for asset in assets:
            assert client.get(asset).status_code == 200
