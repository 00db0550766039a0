"""Concurrent decisions on one achievement: exactly one wins, the other gets a conflict.
Runs on SQLite and, when configured, PostgreSQL."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from sqlalchemy import text

from footprint.ingest.run import ingest_path
from footprint.store import Store
from serving.auth import Principal, Role
from serving.errors import ConflictError
from serving.migrate import upgrade
from serving.services.moderation import AchievementDecision, achievement_state, decide_achievement
from tests.footprint.factory import small_world


@pytest.fixture
def moderated(store: Store, tmp_path: Path) -> tuple[Store, str]:
    ingest_path(store, small_world(tmp_path / "w"), "platform")
    upgrade(store)
    with store.engine.connect() as conn:
        pending = conn.execute(
            text("SELECT achievement_id FROM achievements WHERE status = 'pending'")
        ).scalar_one()
    return store, str(pending)


def test_concurrent_decisions_one_wins(moderated: tuple[Store, str]) -> None:
    store, aid = moderated
    with store.engine.connect() as conn:
        state = achievement_state(conn, aid)
    assert state is not None
    barrier = threading.Barrier(4)
    outcomes: list[str] = []

    def decide(name: str, decision: AchievementDecision) -> None:
        barrier.wait()
        try:
            decide_achievement(
                store,
                aid,
                decision,
                expected_version=state.version,
                comment="проверено",
                principal=Principal(name, Role.MODERATOR),
            )
            outcomes.append("done")
        except ConflictError:
            outcomes.append("conflict")

    threads = [
        threading.Thread(target=decide, args=(f"m{i}", d))
        for i, d in enumerate([AchievementDecision.VERIFY, AchievementDecision.REJECT] * 2)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["conflict", "conflict", "conflict", "done"]
    with store.engine.connect() as conn:
        audits = conn.execute(text("SELECT COUNT(*) FROM serving_audit_log")).scalar_one()
        history = conn.execute(
            text("SELECT COUNT(*) FROM achievement_status_history WHERE source = 'moderation'")
        ).scalar_one()
    assert (audits, history) == (1, 1)


def test_erasure_is_not_blocked_by_moderation_tables(moderated: tuple[Store, str]) -> None:
    from core.settings import FootprintSettings
    from footprint.consent import erase_participants

    store, aid = moderated
    decide_achievement(
        store,
        aid,
        AchievementDecision.VERIFY,
        expected_version=0,
        comment="",
        principal=Principal("m", Role.MODERATOR),
    )
    with store.transaction() as conn:
        owner = conn.execute(
            text("SELECT participant_id FROM achievements WHERE achievement_id = :a"), {"a": aid}
        ).scalar_one()
        erase_participants(
            conn,
            [owner],
            actor="test",
            reason_code="consent_withdrawn",
            salt=FootprintSettings().erasure_salt,
        )  # the store's own
    with store.engine.connect() as conn:
        assert achievement_state(conn, aid) is None
        # the audit keeps the decision, and no participant id
        row = conn.execute(text("SELECT * FROM serving_audit_log")).one()
    assert owner not in " ".join(str(v) for v in row)


def test_the_audit_log_refuses_updates_and_deletes(moderated: tuple[Store, str]) -> None:
    store, aid = moderated
    decide_achievement(
        store,
        aid,
        AchievementDecision.VERIFY,
        expected_version=0,
        comment="ok",
        principal=Principal("m", Role.MODERATOR),
    )
    for sql in (
        "UPDATE serving_audit_log SET comment = 'changed'",
        "DELETE FROM serving_audit_log",
    ):
        with pytest.raises(Exception, match="append-only"), store.transaction() as conn:
            conn.execute(text(sql))
    with store.engine.connect() as conn:
        assert conn.execute(text("SELECT comment FROM serving_audit_log")).scalar_one() == "ok"
