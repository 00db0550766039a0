"""Verification of pending achievements through the API: queue, decisions, conflicts, audit."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from serving.auth import Role
from serving.core.config import ServingSettings
from tests.footprint.factory import achievement
from tests.serving.conftest import SEASON, bearer, push, settings_for

MOD = bearer(Role.MODERATOR)


@pytest.fixture
def settings(tmp_path: Path) -> ServingSettings:
    """The live store read as of each request's moment, so decisions made now are seen."""
    return settings_for(f"sqlite:///{tmp_path / 'talent.db'}", live_as_of=None)


def _queue(client: TestClient, **params: Any) -> dict[str, Any]:
    r = client.get("/v1/moderation/achievements", params=params, headers=MOD)
    assert r.status_code == 200, r.text
    return r.json()


def _decide(
    client: TestClient,
    aid: str,
    decision: str,
    version: int,
    comment: str = "",
    headers: dict[str, str] = MOD,
) -> Any:
    return client.post(
        f"/v1/moderation/achievements/{aid}/decision",
        json={"decision": decision, "expected_version": version, "comment": comment},
        headers=headers,
    )


def test_queue_lists_pending_with_evidence_oldest_first(world: TestClient) -> None:
    body = _queue(world)
    assert body["page"]["total"] == 2
    items = body["items"]
    assert [i["status"] for i in items] == ["pending", "pending"]
    assert items[0]["recorded_at"] <= items[1]["recorded_at"]
    hack = next(i for i in items if i["activity_id"] == "h1")
    assert hack["evidence"] == "https://example.org/diploma/4"
    assert hack["activity"]["kind"] == "hackathon"
    assert hack["sources"] == [{"source": "platform", "source_record_id": "r4"}]
    assert _queue(world, limit=1)["items"] == items[:1]
    assert _queue(world, offset=1, limit=1)["items"] == items[1:]
    assert _queue(world, activity_id="h1")["page"]["total"] == 1


def test_decision_changes_status_history_and_rating(world: TestClient) -> None:
    item = next(i for i in _queue(world)["items"] if i["activity_id"] == "h1")
    url, season = "/v1/rating/python/participants/p2", {"season": SEASON}
    standing = world.get(url, params=season, headers=MOD).json()
    assert standing["explanation"]["rated"] is False
    r = _decide(world, item["achievement_id"], "verify", item["version"], "диплом проверен")
    assert r.status_code == 200, r.text
    out = r.json()
    assert out["status"] == "verified" and out["version"] > item["version"]
    assert _queue(world)["page"]["total"] == 1
    detail = world.get(f"/v1/moderation/achievements/{item['achievement_id']}", headers=MOD).json()
    assert detail["status"] == "verified" and detail["version"] == out["version"]
    assert detail["history"][-1]["status"] == "verified"
    assert detail["history"][-1]["source"] == "moderation"
    assert detail["audit"][0]["comment"] == "диплом проверен"
    # the official rating now counts the verified hackathon
    after = world.get(url, params=season, headers=MOD).json()
    assert after["explanation"]["rated"] is True


def test_second_moderator_gets_a_conflict(world: TestClient) -> None:
    item = _queue(world)["items"][0]
    admin = bearer(Role.ADMIN)
    first = _decide(world, item["achievement_id"], "verify", item["version"])
    second = _decide(
        world, item["achievement_id"], "reject", item["version"], "не тот документ", headers=admin
    )
    assert first.status_code == 200
    assert second.status_code == 409
    detail = second.json()
    assert detail["code"] == "conflict" and detail["text_ru"]
    assert detail["current"] == {"status": "verified", "version": first.json()["version"]}
    status = world.get(f"/v1/moderation/achievements/{item['achievement_id']}", headers=MOD)
    assert status.json()["status"] == "verified"  # not silently overwritten
    assert len(status.json()["audit"]) == 1


def test_a_source_update_also_conflicts(world: TestClient) -> None:
    item = next(i for i in _queue(world)["items"] if i["activity_id"] == "a1")
    # the source re-sends the record as verified: the version moves on
    push(
        world,
        "achievements",
        [achievement("r2", "p2", "a1", evidence="doc:2", status_changed_at="2025-10-26")],
    )
    r = _decide(world, item["achievement_id"], "reject", item["version"], "нет документа")
    assert r.status_code == 409


def test_rejection_needs_a_comment_and_decisions_are_validated(world: TestClient) -> None:
    item = _queue(world)["items"][0]
    aid = item["achievement_id"]
    r = _decide(world, aid, "reject", item["version"], "   ")
    assert r.status_code == 422 and r.json()["errors"][0]["loc"] == ["body", "comment"]
    r = _decide(world, aid, "approve", item["version"])
    assert r.status_code == 422 and r.json()["errors"][0]["loc"] == ["body", "decision"]
    r = world.post(
        f"/v1/moderation/achievements/{aid}/decision", json={"decision": "verify"}, headers=MOD
    )
    assert r.status_code == 422 and r.json()["errors"][0]["loc"] == ["body", "expected_version"]
    r = _decide(world, aid, "verify", item["version"], "x" * 2001)
    assert r.status_code == 422 and r.json()["errors"][0]["loc"] == ["body", "comment"]
    assert _decide(world, "nope", "verify", 0).status_code == 404


def test_audit_trail_is_complete_and_append_only(world: TestClient) -> None:
    items = _queue(world)["items"]
    done = []
    for item, (decision, comment) in zip(
        items, [("verify", ""), ("reject", "подделка")], strict=True
    ):
        r = _decide(world, item["achievement_id"], decision, item["version"], comment)
        done.append((item, r.json()))
    again = _decide(
        world, items[1]["achievement_id"], "verify", done[1][1]["version"], "после апелляции"
    )
    assert again.status_code == 200
    audit = world.get("/v1/moderation/audit", headers=MOD).json()
    assert audit["page"]["total"] == 3
    newest = audit["items"][0]
    assert newest["action"] == "achievement.verify"
    assert newest["actor"] == "moderator:dev-moderator" and newest["actor_role"] == "moderator"
    assert newest["before"] == {"status": "rejected", "version": done[1][1]["version"]}
    assert newest["after"] == {"status": "verified", "version": again.json()["version"]}
    assert newest["comment"] == "после апелляции"
    by_subject = world.get(
        "/v1/moderation/audit",
        headers=MOD,
        params={"subject_type": "achievement", "subject_id": items[1]["achievement_id"]},
    ).json()
    assert [e["action"] for e in by_subject["items"]] == [
        "achievement.verify",
        "achievement.reject",
    ]
    # every status change by moderation has exactly one audit entry
    store = world.app.state.talent.store  # type: ignore[attr-defined]
    with store.engine.connect() as conn:
        changes = conn.execute(
            text("SELECT COUNT(*) FROM achievement_status_history WHERE source = 'moderation'")
        ).scalar_one()
        assert changes == 3
    for sql in ("UPDATE serving_audit_log SET comment = 'x'", "DELETE FROM serving_audit_log"):
        try:
            with store.transaction() as conn:
                conn.execute(text(sql))
        except Exception as exc:  # the trigger aborts the statement
            assert "append-only" in str(exc)
        else:
            raise AssertionError(f"{sql} was allowed")
