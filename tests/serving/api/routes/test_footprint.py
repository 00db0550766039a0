"""Footprint pushes and erasure through the API."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from core.errors import SaltMismatchError
from serving.auth import Role
from serving.main import create_app
from tests.footprint.factory import achievement, participant
from tests.serving.conftest import bearer, push, settings_for


def _count(client: TestClient, sql: str) -> int:
    store = client.app.state.talent.store  # type: ignore[attr-defined]
    with store.engine.connect() as conn:
        return int(conn.execute(text(sql)).scalar_one())


def test_push_stores_good_rows_and_reports_each_bad_one(world: TestClient) -> None:
    records = [
        achievement("n1", "p1", "h1", result="participant", score="", status="verified"),
        achievement("n2", "p1", "h1", result="champion"),  # unknown result
        achievement("n3", "p9", "a1"),  # unknown participant
        achievement("n4", "p2", "a1", score="-5", rank="0"),  # two bad fields
        achievement("n5", "p3", "h1", result="participant", score=""),
    ]
    response = push(world, "achievements", records)
    assert response.status_code == 200
    body = response.json()
    assert (body["rows"], body["added"], body["quarantined"], body["accepted"]) == (5, 2, 3, 2)
    problems = {(p["row_number"], p["field"]): p["reason_code"] for p in body["problems"]}
    assert problems == {
        (2, "result"): "unknown_value",
        (3, "participant_id"): "unknown_participant",
        (4, "score"): "out_of_range",
        (4, "rank"): "out_of_range",
    }
    assert all(p["reason"] for p in body["problems"])
    ids = "SELECT COUNT(*) FROM achievement_sources WHERE source_record_id IN ('n1','n5')"
    assert _count(world, ids) == 2
    assert (
        _count(
            world,
            "SELECT COUNT(*) FROM achievement_sources WHERE source_record_id IN ('n2','n3','n4')",
        )
        == 0
    )


def test_push_is_idempotent(world: TestClient) -> None:
    before = _count(world, "SELECT COUNT(*) FROM achievements")
    quarantined = _count(world, "SELECT COUNT(*) FROM quarantine")
    again = push(
        world,
        "achievements",
        [
            achievement("r1", "p1", "a1", result="prize_winner", score="80"),
            achievement("bad", "p1", "a1", result="x"),
        ],
    )
    body = again.json()
    assert (body["added"], body["updated"], body["unchanged"]) == (0, 0, 1)
    twice = push(world, "achievements", [achievement("bad", "p1", "a1", result="x")]).json()
    assert twice["quarantined"] == 1
    assert _count(world, "SELECT COUNT(*) FROM achievements") == before
    # a re-sent bad row does not grow the quarantine
    assert _count(world, "SELECT COUNT(*) FROM quarantine") == quarantined + 1


def test_missing_required_key_is_a_row_problem(world: TestClient) -> None:
    good = participant("p7")
    bad = {k: v for k, v in participant("p8").items() if k != "region"}
    body = push(world, "participants", [good, bad]).json()
    assert body["added"] == 1
    assert body["problems"] == [
        {
            "row_number": 2,
            "field": "region",
            "reason_code": "missing_required",
            "reason": body["problems"][0]["reason"],
        }
    ]


def test_unknown_key_refuses_the_batch_naming_the_field(world: TestClient) -> None:
    rec = participant("p7") | {"full_name": "Иванов"}
    response = push(world, "participants", [participant("p6"), rec])
    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"] == ["body", "records", 1, "full_name"]
    assert _count(world, "SELECT COUNT(*) FROM participants WHERE participant_id='p6'") == 0


def test_malformed_bodies_get_422_with_the_field(client: TestClient) -> None:
    h = bearer(Role.PLATFORM)
    cases = {
        "source": {"records": [{"participant_id": "x"}]},
        "records": {"source": "platform", "records": []},
    }
    for field, body in cases.items():
        r = client.post("/v1/footprint/participants", json=body, headers=h)
        assert r.status_code == 422
        assert field in r.json()["errors"][0]["loc"]
    r = client.post("/v1/footprint/pets", json={"source": "x", "records": [{}]}, headers=h)
    assert r.status_code == 422 and r.json()["errors"][0]["loc"] == ["path", "entity"]
    r = client.post(
        "/v1/footprint/participants",
        content=b"{not json",
        headers=h | {"content-type": "application/json"},
    )
    assert r.status_code == 422
    r = client.post(
        "/v1/footprint/participants",
        json={"source": "platform", "records": [{"grade": [1, 2]}]},
        headers=h,
    )
    assert r.status_code == 422 and r.json()["errors"][0]["loc"][:3] == ["body", "records", 0]


def test_request_size_is_bounded(tmp_path: Path) -> None:
    settings = settings_for(f"sqlite:///{tmp_path / 's.db'}", max_request_bytes=4096)
    big = {"source": "platform", "records": [participant(f"p{i}") for i in range(40)]}
    small = {"source": "platform", "records": [participant("p1")]}
    with TestClient(create_app(settings)) as client:
        h = bearer(Role.PLATFORM)
        assert client.post("/v1/footprint/participants", json=big, headers=h).status_code == 413

        def chunks() -> Iterator[bytes]:  # no Content-Length: counted while read
            data = json.dumps(big).encode()
            for i in range(0, len(data), 1000):
                yield data[i : i + 1000]

        r = client.post(
            "/v1/footprint/participants",
            content=chunks(),
            headers=h | {"content-type": "application/json"},
        )
        assert r.status_code == 413
        assert client.post("/v1/footprint/participants", json=small, headers=h).status_code == 200


def test_erasure_deletes_audits_and_blocks_later_pushes(world: TestClient) -> None:
    h = bearer(Role.PLATFORM)
    r = world.post(
        "/v1/participants/p1/erasure", json={"reason_code": "consent_withdrawn"}, headers=h
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["status"] == "erased" and body["rows_deleted"]["achievements"] == 2
    assert _count(world, "SELECT COUNT(*) FROM participants WHERE participant_id='p1'") == 0
    assert _count(world, "SELECT COUNT(*) FROM achievements WHERE participant_id='p1'") == 0
    log = _count(
        world,
        "SELECT COUNT(*) FROM erasure_log WHERE actor='platform:dev-platform' "
        "AND reason_code='consent_withdrawn'",
    )
    assert log == 1
    # idempotent, and the participant's rows are refused afterwards
    again = world.post("/v1/participants/p1/erasure", headers=h)
    assert again.json() == {"status": "already_erased", "erasure_id": None, "rows_deleted": {}}
    pushed = push(world, "achievements", [achievement("z1", "p1", "a1")]).json()
    assert pushed["problems"][0]["reason_code"] == "erased"
    assert world.post("/v1/participants/nobody/erasure", headers=h).status_code == 404
    # the rating no longer knows them
    r = world.get("/v1/rating/python/participants/p1", headers=h)
    assert r.status_code == 404


def test_erasure_resolves_a_source_id(world: TestClient) -> None:
    ident = push(
        world,
        "identities",
        [{"source": "olymp", "source_participant_id": "o-2", "participant_id": "p2"}],
    )
    assert ident.json()["added"] == 1
    r = world.post(
        "/v1/participants/o-2/erasure", json={"source": "olymp"}, headers=bearer(Role.PLATFORM)
    )
    assert r.status_code == 200 and r.json()["status"] == "erased"
    assert _count(world, "SELECT COUNT(*) FROM participants WHERE participant_id='p2'") == 0


def test_a_bad_row_of_an_erased_participant_keeps_no_content(world: TestClient) -> None:
    """An erased participant's later row that is also wrong for another reason is refused as
    ``erased`` first, and the quarantine keeps nothing of it (it used to keep the whole row)."""
    h = bearer(Role.PLATFORM)
    assert world.post("/v1/participants/p1/erasure", headers=h).json()["status"] == "erased"
    bad = achievement(
        "zz-secret-77", "p1", "a1", result="champion", score="-1", evidence="doc:p1-diploma"
    )
    body = push(world, "achievements", [bad]).json()
    assert [(p["field"], p["reason_code"]) for p in body["problems"]] == [
        ("participant_id", "erased")
    ]
    assert (
        _count(
            world,
            "SELECT COUNT(*) FROM quarantine WHERE raw_row LIKE '%zz-secret-77%' "
            "OR raw_row LIKE '%p1%'",
        )
        == 0
    )
    again = world.post("/v1/participants/p1/erasure", headers=h).json()
    assert again["status"] == "already_erased"
    assert _count(world, "SELECT COUNT(*) FROM quarantine WHERE raw_row LIKE '%p1%'") == 0


def test_an_activities_batch_without_directions_is_refused_whole(world: TestClient) -> None:
    """Issue 16 item 11, as docs/serving.md says: the wrong file, not a bad row."""
    from tests.footprint.factory import activity

    bare = {k: v for k, v in activity("a9").items() if k != "directions"}
    response = push(world, "activities", [bare, activity("a8") | {"directions": ""}])
    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"] == ["body", "records", 0, "directions"]
    assert _count(world, "SELECT COUNT(*) FROM activities WHERE activity_id IN ('a8','a9')") == 0
    # one record without them among others is that record's problem
    mixed = push(world, "activities", [bare, activity("a8")]).json()
    assert mixed["added"] == 1 and mixed["problems"][0]["field"] == "directions"


def test_the_service_refuses_a_store_made_with_another_erasure_salt(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 's.db'}"
    with TestClient(create_app(settings_for(url, erasure_salt="salt-one-" + "a1" * 20))) as client:
        assert push(client, "participants", [participant("p1")]).status_code == 200
    other = create_app(settings_for(url, erasure_salt="salt-two-" + "b2" * 20))
    with pytest.raises(SaltMismatchError, match="TALENT_ERASURE_SALT"), TestClient(other):
        pass
