"""Directions are store data through the API: pushed like any entity, listed from the live
store, and accepted by the routes that name a direction once the store knows them."""

from __future__ import annotations

from fastapi.testclient import TestClient

from serving.auth import Role
from tests.footprint.factory import activity
from tests.serving.conftest import bearer, push

PLATFORM = bearer(Role.PLATFORM)
# the codes a process accepts grow with what its live stores showed (serving.directions): each
# test names its own so none depends on another's pushes
DRONES = {"code": "drones_listed", "title_ru": "Беспилотные авиационные системы", "aka_ru": ""}


def _codes(client: TestClient) -> list[str]:
    r = client.get("/v1/directions", headers=PLATFORM)
    assert r.status_code == 200, r.text
    return [d["code"] for d in r.json()["directions"]]


def test_a_pushed_direction_is_listed_and_named_by_routes(world: TestClient) -> None:
    assert _codes(world) == ["python", "robotics", "engineering"]
    refused = world.get("/v1/rating/drones_listed", headers=PLATFORM)
    assert refused.status_code == 422 and "drones_listed" in refused.text
    pushed = push(world, "directions", [DRONES])
    assert pushed.json()["added"] == 1, pushed.text
    assert _codes(world) == ["python", "robotics", "engineering", "drones_listed"]
    listed = world.get("/v1/directions", headers=PLATFORM).json()["directions"]
    assert listed[3] == {"code": "drones_listed", "title_ru": DRONES["title_ru"], "aka_ru": None}
    # an activity in the new direction is accepted now, and the rating route names it
    act = push(world, "activities", [activity("d1", directions="drones_listed:1")])
    assert act.json()["quarantined"] == 0, act.text
    rated = world.get("/v1/rating/drones_listed", headers=PLATFORM)
    assert rated.status_code == 200, rated.text


def test_a_bad_direction_row_is_named_in_the_push_answer(world: TestClient) -> None:
    good = DRONES | {"code": "drones_pushed"}
    r = push(world, "directions", [good, good | {"code": "Дроны"}])
    body = r.json()
    assert (body["added"], body["quarantined"]) == (1, 1)
    assert body["problems"][0]["row_number"] == 2 and body["problems"][0]["field"] == "code"
