"""Recommendations follow the live store without retraining: the bundle (fitted as of
:data:`REC_AS_OF`, parameters only) answers from what was pushed after it was trained.

The store is the bundle's own synthetic world pushed through the API; the requests ask as of
:data:`T` (mid-November 2025), when the world's 2025/26 editions are open."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from models.recommend.codes import ReasonCode
from serving.auth import Role
from serving.main import create_app
from tests.serving.bundle_factory import tiny_recommender, world_push_records
from tests.serving.conftest import REC_AS_OF, bearer, push, settings_for

PLATFORM = bearer(Role.PLATFORM)
T = dt.datetime(2025, 11, 10)
PERSONAL = ReasonCode.SIMILAR_PARTICIPANTS.value
"""The collaborative model's own reason: present only on rows the model scored itself (rows of a
participant it cannot score come from the cold-start model, with its reasons)."""


@pytest.fixture(scope="module")
def ease_bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tiny_recommender(tmp_path_factory.mktemp("rec") / "ease.bin", REC_AS_OF, "ease")


@pytest.fixture(scope="module")
def records() -> dict[str, list[dict[str, Any]]]:
    return world_push_records()


def _serve(
    tmp_path: Path, bundle: Path, records: dict[str, list[dict[str, Any]]]
) -> Iterator[TestClient]:
    settings = settings_for(f"sqlite:///{tmp_path / 'talent.db'}", recommend_bundle=bundle)
    with TestClient(create_app(settings)) as client:
        for entity, rows in records.items():
            assert push(client, entity, rows, source="world").json()["quarantined"] == 0
        yield client


@pytest.fixture
def ease(
    tmp_path: Path, ease_bundle: Path, records: dict[str, list[dict[str, Any]]]
) -> Iterator[TestClient]:
    yield from _serve(tmp_path, ease_bundle, records)


@pytest.fixture
def content(
    tmp_path: Path, recommender: Path, records: dict[str, list[dict[str, Any]]]
) -> Iterator[TestClient]:
    yield from _serve(tmp_path, recommender, records)


def _items(client: TestClient, pid: str, k: int = 10) -> list[dict[str, Any]]:
    r = client.get(
        f"/v1/participants/{pid}/recommendations",
        params={"as_of": T.isoformat(), "k": k},
        headers=PLATFORM,
    )
    assert r.status_code == 200, r.text
    return r.json()["items"]  # type: ignore[no-any-return]


def _newcomer(client: TestClient, pid: str, activities: list[str]) -> None:
    """A participant registered after the bundle's cut-off, with one record per activity (each
    a day after the activity started)."""
    part = {
        "participant_id": pid,
        "grade": 8,
        "grade_year": 2025,
        "region": "RU-MOW",
        "registered_at": "2025-09-05T00:00:00",
        "account_verified_at": "2025-09-06T00:00:00",
        "consent_status": "given",
    }
    assert push(client, "participants", [part]).json()["quarantined"] == 0
    if activities:
        _achieve(client, pid, activities)


def _achieve(client: TestClient, pid: str, activities: list[str]) -> None:
    starts = {
        a["activity_id"]: dt.datetime.fromisoformat(str(a["start_at"]))
        for a in world_push_records()["activities"]
    }
    rows = [
        {
            "source_record_id": f"live-{pid}-{aid}",
            "participant_id": pid,
            "activity_id": aid,
            "result": "prize_winner",
            "status": "verified",
            "achieved_at": (starts[aid] + dt.timedelta(days=1)).isoformat(),
            "recorded_at": (starts[aid] + dt.timedelta(days=2)).isoformat(),
            "status_changed_at": (starts[aid] + dt.timedelta(days=3)).isoformat(),
        }
        for aid in activities
    ]
    body = push(client, "achievements", rows).json()
    assert body["quarantined"] == 0 and body["added"] == len(rows), body


def test_a_participant_registered_after_training_gets_personal_recommendations(
    ease: TestClient,
) -> None:
    _newcomer(ease, "p-live-1", ["a-2025-0-0", "a-2025-0-1", "a-2025-1-0"])
    items = _items(ease, "p-live-1")
    assert items
    assert all(PERSONAL in i["reason_codes"] for i in items)
    assert body_model(ease, "p-live-1") == "ease"
    # the control: a newcomer without records is a cold start (the check can fail)
    _newcomer(ease, "p-live-0", [])
    assert not any(PERSONAL in i["reason_codes"] for i in _items(ease, "p-live-0"))


def body_model(client: TestClient, pid: str) -> str:
    r = client.get(
        f"/v1/participants/{pid}/recommendations",
        params={"as_of": T.isoformat(), "k": 3},
        headers=PLATFORM,
    )
    return str(r.json()["model"])


def test_a_new_achievement_changes_the_next_list(ease: TestClient) -> None:
    _newcomer(ease, "p-live-2", ["a-2025-0-0", "a-2025-0-1"])
    before = _items(ease, "p-live-2")
    took = before[0]["activity_id"]
    _achieve(ease, "p-live-2", [took])
    after = _items(ease, "p-live-2")
    assert took not in [i["activity_id"] for i in after]  # the activity just done is gone
    # the series just entered counts: the other activities' scores moved
    old = {i["activity_id"]: i["score"] for i in before}
    moved = [i for i in after if i["activity_id"] in old and i["score"] != old[i["activity_id"]]]
    assert moved


def test_a_new_activity_is_recommended_with_reasons(
    content: TestClient,
    records: dict[str, list[dict[str, Any]]],
) -> None:
    """A brand-new series published after training, open at the request and fitting the
    participant (python, their declared interest), is scored from its content."""
    pid = "p000000"
    assert all(i["activity_id"] != "a-new-2025" for i in _items(content, pid, k=50))
    new = {
        **records["activities"][18],
        "activity_id": "a-new-2025",
        "series_id": "s-new",
        "title": "Новый хакатон",
        "directions": "python:1.0",
        "start_at": "2025-12-01T00:00:00",
        "end_at": "2025-12-02T00:00:00",
        "registration_deadline": "2025-11-25T00:00:00",
        "published_at": "2025-11-01T00:00:00",
    }
    body = push(content, "activities", [new]).json()
    assert body["quarantined"] == 0 and body["added"] == 1, body
    items = {i["activity_id"]: i for i in _items(content, pid, k=50)}
    assert "a-new-2025" in items
    row = items["a-new-2025"]
    assert row["reason_codes"] and row["reason_text_ru"]
    assert row["title"] == "Новый хакатон"


def test_an_activity_whose_deadline_passed_disappears(
    ease: TestClient,
    records: dict[str, list[dict[str, Any]]],
) -> None:
    _newcomer(ease, "p-live-3", ["a-2025-0-0", "a-2025-0-1"])
    first = _items(ease, "p-live-3")[0]["activity_id"]
    changed = next(a for a in records["activities"] if a["activity_id"] == first)
    body = push(
        ease,
        "activities",
        [{**changed, "registration_deadline": (T - dt.timedelta(days=1)).isoformat()}],
    ).json()
    assert body["quarantined"] == 0 and body["updated"] == 1, body
    assert first not in [i["activity_id"] for i in _items(ease, "p-live-3")]
