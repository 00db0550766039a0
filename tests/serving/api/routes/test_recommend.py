"""Recommendations and trajectories with a served recommender: the library's answers on the same
data, direction filters, unknown and erased participants, bad goals."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient

from footprint.frames import Snapshot
from footprint.snapshot import read_frames
from models.rating import load_rules, rate
from models.recommend.base import Recommender
from models.recommend.dataset import RecommendDataset, dataset_from_snapshot
from models.recommend.planner import Goal, Plan, PlanConstraints, Planner, audit, plan
from serving.auth import Role
from serving.core.config import ServingSettings
from serving.main import create_app
from serving.schemas.common import zulu
from tests.serving.bundle_factory import world_push_records
from tests.serving.conftest import AS_OF, REC_AS_OF, bearer, push, settings_for

PLATFORM = bearer(Role.PLATFORM)
P = "p000000"
WHEN = {"as_of": REC_AS_OF.isoformat()}


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


def _live_dataset(client: TestClient, model: Recommender) -> RecommendDataset:
    """The library's dataset of the service's store at its instant (what the service scores)."""
    store = client.app.state.talent.store  # type: ignore[attr-defined]
    live = Snapshot.from_frames(AS_OF, read_frames(store, AS_OF))
    return dataset_from_snapshot(live, AS_OF, ability=model.ability_model or False)


def test_recommendations_are_the_library_s(world: TestClient, recommender: Path) -> None:
    r = world.get(f"/v1/participants/{P}/recommendations", params=WHEN | {"k": 5}, headers=PLATFORM)
    assert r.status_code == 200, r.text
    body = r.json()
    model = Recommender.load(recommender)
    lib = model.recommend([P], k=5, as_of=REC_AS_OF, dataset=_live_dataset(world, model))
    assert [i["activity_id"] for i in body["items"]] == list(lib["activity_id"])
    assert [i["rank"] for i in body["items"]] == [1, 2, 3, 4, 5]
    assert body["model"] == "content" and body["model_version"] == "content@2025-09-01"
    first = body["items"][0]
    assert first["reason_codes"] and first["reason_text_ru"]
    assert first["title"] and first["start_at"].endswith("Z")
    assert body["as_of"] == REC_AS_OF.isoformat() + "Z"


def test_direction_filter_keeps_activities_of_that_direction(
    world: TestClient, records: dict[str, Any]
) -> None:
    weights = {
        a["activity_id"]: dict(p.split(":") for p in a["directions"].split(";"))
        for a in records["activities"]
    }
    body = world.get(
        f"/v1/participants/{P}/recommendations",
        params=WHEN | {"k": 3, "direction": "robotics"},
        headers=PLATFORM,
    ).json()
    assert body["items"]
    assert all(float(weights[i["activity_id"]].get("robotics", 0)) >= 0.3 for i in body["items"])
    assert [i["rank"] for i in body["items"]] == list(range(1, len(body["items"]) + 1))


def test_unknown_erased_and_bad_requests(world: TestClient) -> None:
    url = "/v1/participants/{}/recommendations"
    assert world.get(url.format("nobody"), headers=PLATFORM).status_code == 404
    assert world.post(f"/v1/participants/{P}/erasure", headers=PLATFORM).status_code == 200
    # erased from the store: not answered (the bundle never held them)
    assert world.get(url.format(P), params=WHEN, headers=PLATFORM).status_code == 404
    for params, field in (
        ({"k": 0}, "k"),
        ({"k": 51}, "k"),
        ({"direction": "x"}, "direction"),
        ({"region": "moscow"}, "region"),
    ):
        r = world.get(url.format("p000001"), params=params, headers=PLATFORM)
        assert r.status_code == 422 and field in r.json()["errors"][0]["loc"]


def test_trajectory_is_the_planner_s_on_the_live_rating(
    world: TestClient, recommender: Path
) -> None:
    body = {"goal": "python:prize_winner", "as_of": REC_AS_OF.isoformat(), "monthly_cap": 2}
    r = world.post(f"/v1/participants/{P}/trajectory", json=body, headers=PLATFORM)
    assert r.status_code == 200, r.text
    got = r.json()["plan"]
    store = world.app.state.talent.store  # type: ignore[attr-defined]
    live = Snapshot.from_frames(AS_OF, read_frames(store, AS_OF))
    model = Recommender.load(recommender)
    planner = Planner(
        _live_dataset(world, model),
        rate(live, "2025/26", load_rules(season="2025/26")),
        rate(live, "2024/25", load_rules(season="2024/25")),
    )
    expected = plan(
        P, Goal.parse("python:prize_winner"), None, PlanConstraints(), planner, REC_AS_OF
    )
    assert got == zulu(expected.model_dump(mode="json"))
    assert got["steps"] and got["summary_ru"]
    starts = [s["start_at"] for s in got["steps"]]
    assert starts == sorted(starts)


def test_bad_goals_are_422_naming_the_goal(world: TestClient) -> None:
    url = f"/v1/participants/{P}/trajectory"
    for goal in ("python", "cooking:70", "python:genius", "python:170"):
        r = world.post(url, json={"goal": goal}, headers=PLATFORM)
        assert r.status_code == 422, (goal, r.text)
        assert r.json()["errors"][0]["loc"][-1] == "goal"
    r = world.post(url, json={"goal": "python:70", "monthly_cap": 0}, headers=PLATFORM)
    assert r.status_code == 422 and r.json()["errors"][0]["loc"][-1] == "monthly_cap"


def test_no_recommender_is_503(tmp_path: Path) -> None:
    with TestClient(create_app(settings_for(f"sqlite:///{tmp_path / 'x.db'}"))) as client:
        r = client.get("/v1/participants/p1/recommendations", headers=PLATFORM)
        assert r.status_code == 503 and "no recommender" in r.json()["detail"]
        r = client.post(
            "/v1/participants/p1/trajectory", json={"goal": "python:70"}, headers=PLATFORM
        )
        assert r.status_code == 503


def test_trajectory_on_a_live_store_without_registration_deadlines(
    client: TestClient, records: dict[str, list[dict[str, Any]]], recommender: Path
) -> None:
    """Real exports leave some deadlines empty: such activities are open until they start, and
    the service plans on them from the live store (the steps say they have no deadline)."""
    acts = [
        {k: v for k, v in a.items() if k != "registration_deadline"} for a in records["activities"]
    ]
    for entity, rows in (records | {"activities": acts}).items():
        assert push(client, entity, rows, source="world").json()["quarantined"] == 0
    body = {"goal": "python:advanced", "as_of": REC_AS_OF.isoformat()}
    r = client.post(f"/v1/participants/{P}/trajectory", json=body, headers=PLATFORM)
    assert r.status_code == 200, r.text
    steps = r.json()["plan"]["steps"]
    real = [s for s in steps if not s["projected"]]
    assert real and all(s["registration_deadline"] is None for s in real)
    data = _live_dataset(client, Recommender.load(recommender))
    assert data.catalog.deadline.size and bool(np.isnat(data.catalog.deadline).all())
    # the served plan passes the library's independent audit on the live data
    served = Plan.model_validate(_naive(r.json()["plan"]))
    assert audit(served, Planner(data)) == []


def _naive(value: Any) -> Any:
    """The API's UTC timestamps (``...Z``) as the library's naive UTC ones."""
    if isinstance(value, dict):
        return {k: _naive(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_naive(v) for v in value]
    if isinstance(value, str) and value.endswith("Z") and value[:4].isdigit():
        return value[:-1]
    return value
