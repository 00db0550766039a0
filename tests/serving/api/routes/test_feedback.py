"""Feedback on recommendations: stored for evaluation and read back in pages; events of unknown
participants refused by position; erasure (through the API or elsewhere) removes a participant's
feedback; roles and bad input."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from footprint.consent import erase_participants
from serving.auth import Role
from serving.services.erasures import ErasureWatcher
from serving.tables import recommendation_feedback
from tests.serving.conftest import bearer

PLATFORM, DS, MOD = bearer(Role.PLATFORM), bearer(Role.DATA_SCIENTIST), bearer(Role.MODERATOR)
URL = "/v1/feedback"


def event(pid: str, kind: str = "shown", **over: Any) -> dict[str, Any]:
    return {
        "participant_id": pid,
        "activity_id": "a1",
        "event": kind,
        "occurred_at": "2026-06-01T10:00:00Z",
        "model_version": "content@2025-09-01",
        "rank": 1,
    } | over


def _count(client: TestClient, pid: str | None = None) -> int:
    store = client.app.state.talent.store  # type: ignore[attr-defined]
    t = recommendation_feedback
    query = select(func.count()).select_from(t)
    if pid is not None:
        query = query.where(t.c.participant_id == pid)
    with store.engine.connect() as conn:
        return int(conn.execute(query).scalar_one())


def test_events_are_stored_and_read_back_in_pages(world: TestClient) -> None:
    events = [
        event("p1"),
        event("p1", "clicked", occurred_at="2026-06-01T10:01:00+03:00"),
        event("p2", "registered", model_version=None, rank=None),
        event("p2", "dismissed"),
    ]
    r = world.post(URL, json={"events": events}, headers=PLATFORM)
    assert r.status_code == 200, r.text
    assert r.json() == {"accepted": 4, "refused": []}
    first = world.get(URL, params={"limit": 3}, headers=DS).json()
    assert [i["event"] for i in first["items"]] == ["shown", "clicked", "registered"]
    # an offset is converted to UTC
    assert first["items"][1]["occurred_at"] == "2026-06-01T07:01:00Z"
    assert first["items"][2]["model_version"] is None
    rest = world.get(URL, params={"after": first["next_after"]}, headers=DS).json()
    assert [i["event"] for i in rest["items"]] == ["dismissed"] and rest["next_after"] is None
    window = world.get(
        URL, params={"since": "2026-06-01T10:00:00Z", "until": "2026-06-01T10:00:01Z"}, headers=DS
    ).json()
    assert [i["event"] for i in window["items"]] == ["shown", "registered", "dismissed"]


def test_unknown_participants_are_refused_by_position(world: TestClient) -> None:
    r = world.post(
        URL, json={"events": [event("p1"), event("nobody"), event("p2")]}, headers=PLATFORM
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["accepted"] == 2
    assert [(x["index"], x["participant_id"], x["code"], x["status"]) for x in body["refused"]] == [
        (1, "nobody", "not_found", 404)
    ]
    assert _count(world) == 2 and _count(world, "nobody") == 0


def test_erasure_through_the_api_removes_the_participant_s_feedback(world: TestClient) -> None:
    world.post(URL, json={"events": [event("p1"), event("p2")]}, headers=PLATFORM)
    assert world.post("/v1/participants/p1/erasure", headers=PLATFORM).status_code == 200
    assert _count(world, "p1") == 0 and _count(world, "p2") == 1
    # feedback arriving after the erasure is refused, not stored
    body = world.post(URL, json={"events": [event("p1")]}, headers=PLATFORM).json()
    assert body["accepted"] == 0 and _count(world, "p1") == 0


def test_erasure_outside_the_api_removes_it_at_the_next_check(world: TestClient) -> None:
    world.post(URL, json={"events": [event("p1"), event("p2")]}, headers=PLATFORM)
    state = world.app.state.talent  # type: ignore[attr-defined]
    with state.store.transaction() as conn:  # as `talent erase` does
        erase_participants(
            conn,
            ["p2"],
            actor="admin",
            reason_code="consent_withdrawn",
            salt=state.settings.erasure_salt,
        )
    watcher = ErasureWatcher(state.store, check_seconds=3600, metrics=state.metrics)
    assert watcher.check() >= 1
    assert _count(world, "p2") == 0 and _count(world, "p1") == 1


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"events": []}, "events"),
        ({"events": [event("p1", "liked")]}, "event"),
        ({"events": [event("p1", rank=0)]}, "rank"),
        ({"events": [event("p1", occurred_at="1900-01-01T00:00:00Z")]}, "occurred_at"),
        ({"events": [event("p1", extra=1)]}, "extra"),
    ],
)
def test_bad_events_are_422_naming_the_field(
    client: TestClient, body: dict[str, Any], field: str
) -> None:
    r = client.post(URL, json=body, headers=PLATFORM)
    assert r.status_code == 422, r.text
    assert field in r.json()["errors"][0]["loc"]


def test_roles(client: TestClient) -> None:
    assert client.post(URL, json={"events": [event("p1")]}, headers=MOD).status_code == 403
    assert client.get(URL, headers=PLATFORM).status_code == 403
    assert client.get(URL).status_code == 401
