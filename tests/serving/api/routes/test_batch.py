"""Batch recommendations: each participant's answer is the single route's; unknown and erased
participants are reported one by one with the single route's code; the size is bounded."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from serving.auth import Role
from serving.core.config import ServingSettings
from serving.schemas.recommend import MAX_BATCH
from tests.serving.bundle_factory import world_push_records
from tests.serving.conftest import REC_AS_OF, bearer, push, settings_for

PLATFORM = bearer(Role.PLATFORM)
URL = "/v1/recommendations/batch"
WHEN = REC_AS_OF.isoformat()


@pytest.fixture
def settings(tmp_path: Path, recommender: Path) -> ServingSettings:
    return settings_for(f"sqlite:///{tmp_path / 'talent.db'}", recommend_bundle=recommender)


@pytest.fixture(scope="module")
def records() -> dict[str, list[dict[str, Any]]]:
    return world_push_records()


@pytest.fixture
def world(client: TestClient, records: dict[str, list[dict[str, Any]]]) -> TestClient:
    for entity, rows in records.items():
        assert push(client, entity, rows, source="world").json()["quarantined"] == 0
    return client


def _single(client: TestClient, pid: str, **params: Any) -> Any:
    r = client.get(
        f"/v1/participants/{pid}/recommendations", params={"as_of": WHEN} | params, headers=PLATFORM
    )
    assert r.status_code == 200, r.text
    return r.json()


def test_each_answer_is_the_single_route_s(world: TestClient) -> None:
    pids = ["p000000", "p000001", "p000002"]
    r = world.post(
        URL, json={"participant_ids": [*pids, "p000001"], "k": 4, "as_of": WHEN}, headers=PLATFORM
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["errors"] == []
    assert [x["participant_id"] for x in body["results"]] == pids  # asked order, repeat once
    for result in body["results"]:
        single = _single(world, result["participant_id"], k=4)
        assert result["items"] == single["items"]
        assert body["model_version"] == single["model_version"]
    assert body["as_of"] == WHEN + "Z"


def test_direction_filter_matches_the_single_route(world: TestClient) -> None:
    body = world.post(
        URL,
        json={"participant_ids": ["p000003"], "k": 3, "as_of": WHEN, "direction": "robotics"},
        headers=PLATFORM,
    ).json()
    assert (
        body["results"][0]["items"] == _single(world, "p000003", k=3, direction="robotics")["items"]
    )


def test_unknown_and_erased_participants_are_errors_of_their_own(world: TestClient) -> None:
    assert world.post("/v1/participants/p000000/erasure", headers=PLATFORM).status_code == 200
    r = world.post(
        URL,
        json={"participant_ids": ["nobody", "p000000", "p000001"], "as_of": WHEN},
        headers=PLATFORM,
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert [x["participant_id"] for x in body["results"]] == ["p000001"]
    assert [(e["participant_id"], e["status"], e["code"]) for e in body["errors"]] == [
        ("nobody", 404, "not_found"),
        ("p000000", 404, "not_found"),
    ]
    assert all(e["text_ru"] for e in body["errors"])


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"participant_ids": []}, "participant_ids"),
        ({"participant_ids": ["p"] * (MAX_BATCH + 1)}, "participant_ids"),
        ({"participant_ids": ["a b"]}, "participant_ids"),
        ({"participant_ids": ["p000001"], "k": 0}, "k"),
        ({"participant_ids": ["p000001"], "direction": "x"}, "direction"),
        ({"participant_ids": ["p000001"], "colour": "red"}, "colour"),
    ],
)
def test_bad_batches_are_422_naming_the_field(
    client: TestClient, body: dict[str, Any], field: str
) -> None:
    r = client.post(URL, json=body, headers=PLATFORM)
    assert r.status_code == 422, r.text
    assert field in r.json()["errors"][0]["loc"]


def test_without_a_recommender_the_call_is_503(tmp_path: Path) -> None:
    from serving.main import create_app

    with TestClient(create_app(settings_for(f"sqlite:///{tmp_path / 'x.db'}"))) as client:
        r = client.post(URL, json={"participant_ids": ["p1"]}, headers=PLATFORM)
        assert r.status_code == 503 and r.json()["code"] == "not_ready"
