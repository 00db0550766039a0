"""Achievement decisions in the audit trail are filed under random subject keys whose link to the
achievement is deleted on erasure (through the API, and by the footprint library with the
service's erasure watcher); entries filed under achievement ids before migration s0003 are
re-keyed by it."""

from __future__ import annotations

import datetime as dt
import time
import uuid
from collections.abc import Callable, Iterator
from importlib import resources
from typing import Any

import pytest
from alembic import command
from alembic.config import Config
from fastapi.testclient import TestClient
from sqlalchemy import func, select, text

from footprint import tables as ft
from footprint.columns import Columns as C
from footprint.consent import erase_participants
from footprint.enums import Entity
from footprint.store import Store, open_store
from serving import migrate
from serving.auth import Role
from serving.core.config import DEV_ERASURE_SALT
from serving.main import create_app
from serving.services.audit import audit_entries
from serving.services.footprint import push_records
from serving.tables import achievement_subjects, audit_log, metadata
from tests.serving.conftest import bearer, push, settings_for, world_records

MOD, PLATFORM = bearer(Role.MODERATOR), bearer(Role.PLATFORM)
PID = "p2"  # has two pending achievements in the world


@pytest.fixture
def service(store_url: str) -> Iterator[TestClient]:
    """The service on a fresh store with the conftest world pushed; the erasure watcher checks
    every 50 ms."""
    settings = settings_for(store_url, live_as_of=None, erasure_check_seconds=0.05)
    with TestClient(create_app(settings)) as client:
        for entity, records in world_records().items():
            assert push(client, entity, records).status_code == 200
        yield client


def _store(client: TestClient) -> Store:
    return client.app.state.talent.store  # type: ignore[attr-defined,no-any-return]


def _achievements_of(store: Store, pid: str) -> list[str]:
    a = ft.achievements
    with store.engine.connect() as conn:
        query = select(a.c[C.ACHIEVEMENT_ID]).where(a.c[C.PARTICIPANT_ID] == pid)
        return sorted(str(v) for v in conn.execute(query).scalars())


def _decide_all_pending(client: TestClient) -> list[str]:
    """Verify one pending achievement and reject the other; returns their ids."""
    items = client.get("/v1/moderation/achievements", headers=MOD).json()["items"]
    assert len(items) == 2
    for item, (decision, comment) in zip(
        items, [("verify", ""), ("reject", "нет диплома")], strict=True
    ):
        r = client.post(
            f"/v1/moderation/achievements/{item['achievement_id']}/decision",
            json={"decision": decision, "expected_version": item["version"], "comment": comment},
            headers=MOD,
        )
        assert r.status_code == 200, r.text
    return [str(i["achievement_id"]) for i in items]


def _serving_rows(store: Store) -> list[dict[str, Any]]:
    """Every row of every table of the service (the audit, the subject keys, estimates...)."""
    rows: list[dict[str, Any]] = []
    with store.engine.connect() as conn:
        for table in metadata.sorted_tables:
            rows.extend(dict(r._mapping) for r in conn.execute(select(table)).all())
    return rows


def _subjects(store: Store) -> dict[str, str]:
    s = achievement_subjects
    with store.engine.connect() as conn:
        return {
            str(a): str(k)
            for k, a in conn.execute(select(s.c.subject_key, s.c.achievement_id)).all()
        }


def _assert_filed_under_keys(client: TestClient, decided: list[str]) -> dict[str, str]:
    """Before the erasure: each decision is filed under a UUID4 key that is not the achievement
    id, and the API still finds it by the achievement id. Returns achievement id -> key."""
    keys = _subjects(_store(client))
    assert sorted(keys) == sorted(decided)
    audit = client.get("/v1/moderation/audit", headers=MOD).json()["items"]
    assert len(audit) == 2
    for entry in audit:
        assert uuid.UUID(entry["subject_id"]).version == 4
        assert entry["subject_id"] == keys[entry["achievement_id"]]
    for aid in decided:
        found = client.get(
            "/v1/moderation/audit",
            headers=MOD,
            params={"subject_type": "achievement", "subject_id": aid},
        ).json()
        assert [e["subject_id"] for e in found["items"]] == [keys[aid]]
        assert found["items"][0]["achievement_id"] == aid
        by_key = client.get(
            "/v1/moderation/audit", headers=MOD, params={"subject_id": keys[aid]}
        ).json()
        assert by_key["page"]["total"] == 1
        detail = client.get(f"/v1/moderation/achievements/{aid}", headers=MOD).json()
        assert [e["subject_id"] for e in detail["audit"]] == [keys[aid]]
    return keys


def _assert_unlinked(client: TestClient, ids: list[str], keys: dict[str, str]) -> None:
    """After the erasure: the entries stay, under their keys, and nothing the service stores
    leads from the participant or their achievement ids to them."""
    store = _store(client)
    assert _subjects(store) == {}
    rows = _serving_rows(store)
    audit = [r for r in rows if "audit_id" in r]
    assert sorted(r["subject_id"] for r in audit) == sorted(keys.values())  # kept, append-only
    for needle in [PID, *ids]:
        assert not any(needle in str(v) for r in rows for v in r.values()), needle
    for aid in keys:
        found = client.get(
            "/v1/moderation/audit",
            headers=MOD,
            params={"subject_type": "achievement", "subject_id": aid},
        ).json()
        assert found["page"]["total"] == 0
    page = client.get("/v1/moderation/audit", headers=MOD).json()["items"]
    assert [e["achievement_id"] for e in page] == [None, None]
    html = client.get("/moderation/audit", headers=MOD)
    assert not any(aid in html.text for aid in ids)


def test_api_erasure_deletes_the_subject_keys(service: TestClient) -> None:
    ids = _achievements_of(_store(service), PID)
    decided = _decide_all_pending(service)
    assert set(decided) <= set(ids)
    keys = _assert_filed_under_keys(service, decided)
    r = service.post(f"/v1/participants/{PID}/erasure", headers=PLATFORM)
    assert r.status_code == 200 and r.json()["status"] == "erased", r.text
    assert _subjects(_store(service)) == {}  # in the erasure's own transaction, no watcher
    _assert_unlinked(service, ids, keys)


def _wait_for(condition: Callable[[], bool], seconds: float = 15) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "the condition did not hold in time"
        time.sleep(0.05)  # polling a condition, with a deadline


def test_library_erasure_deletes_the_subject_keys_while_the_service_runs(
    service: TestClient, store_url: str
) -> None:
    ids = _achievements_of(_store(service), PID)
    keys = _assert_filed_under_keys(service, _decide_all_pending(service))
    other = open_store(store_url)  # as `talent erase` in another process
    try:
        with other.transaction() as conn:
            erase_participants(
                conn, [PID], actor="admin", reason_code="consent_withdrawn", salt=DEV_ERASURE_SALT
            )
    finally:
        other.dispose()
    _wait_for(lambda: _subjects(_store(service)) == {})
    _assert_unlinked(service, ids, keys)


def test_erasure_while_the_service_was_down_is_purged_at_start(store_url: str) -> None:
    settings = settings_for(store_url, live_as_of=None, erasure_check_seconds=3600)
    with TestClient(create_app(settings)) as client:
        for entity, records in world_records().items():
            assert push(client, entity, records).status_code == 200
        _decide_all_pending(client)
    store = open_store(store_url)
    try:
        with store.transaction() as conn:
            erase_participants(
                conn, [PID], actor="admin", reason_code="consent_withdrawn", salt=DEV_ERASURE_SALT
            )
        assert len(_subjects(store)) == 2  # nobody purged them yet
        with TestClient(create_app(settings)):
            assert _subjects(store) == {}  # before the service answers
    finally:
        store.dispose()


# --- migration s0003: entries filed under achievement ids before it -------------------------


def _alembic(store: Store, target: str, down: bool = False) -> None:
    cfg = Config()
    cfg.set_main_option("script_location", str(resources.files("serving") / "migrations"))
    with store.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        (command.downgrade if down else command.upgrade)(cfg, target)


def _legacy_entry(conn: Any, subject_type: str, subject_id: str, n: int) -> None:
    conn.execute(
        audit_log.insert().values(
            audit_id=str(uuid.uuid4()),
            occurred_at=dt.datetime(2026, 5, 1, 0, n),
            actor="moderator:anna",
            actor_role="moderator",
            action=f"{subject_type}.verify",
            subject_type=subject_type,
            subject_id=subject_id,
            before='{"status": "pending", "version": 1}',
            after='{"status": "verified", "version": 2}',
            comment="",
            request_id=None,
        )
    )


def test_upgrade_from_s0002_rekeys_entries_filed_under_achievement_ids(store_url: str) -> None:
    store = open_store(store_url)  # the footprint at its newest revision
    try:
        for entity, records in world_records().items():
            push_records(store, Entity(entity), records, source="platform", salt=DEV_ERASURE_SALT)
        _alembic(store, "s0002")  # the service's tables as the previous head left them
        live, gone = _achievements_of(store, "p1"), _achievements_of(store, PID)
        assert live and gone
        review_id = str(uuid.uuid4())
        with store.transaction() as conn:
            for n, aid in enumerate([*live, *gone, live[0]]):
                _legacy_entry(conn, "achievement", aid, n)
            _legacy_entry(conn, "competence", review_id, 59)
            erase_participants(
                conn, [PID], actor="admin", reason_code="consent_withdrawn", salt=DEV_ERASURE_SALT
            )
        with store.engine.connect() as conn:
            before = {r.audit_id: r for r in conn.execute(select(audit_log)).all()}

        migrate.upgrade(store)  # s0002 -> head

        keys = _subjects(store)
        assert sorted(keys) == sorted(live)  # erased achievements get no mapping row
        with store.engine.connect() as conn:
            after = {r.audit_id: r for r in conn.execute(select(audit_log)).all()}
            _, page = audit_entries(conn, subject_type="achievement", subject_id=live[0])
        assert len(page) == 2 and {e.achievement_id for e in page} == {live[0]}
        rekey = [r for a, r in after.items() if a not in before]
        assert [(r.action, r.subject_type, r.actor_role) for r in rekey] == [
            ("audit.rekey", "audit", "system")
        ]
        assert f'"achievements_unlinked": {len(gone)}' in rekey[0].after
        unlinked = set()
        for audit_id, old in before.items():
            new = after[audit_id]
            # only the subject changes; who, when, what and why stay
            assert (new.occurred_at, new.actor, new.action, new.before, new.after, new.comment) == (
                old.occurred_at,
                old.actor,
                old.action,
                old.before,
                old.after,
                old.comment,
            )
            if old.subject_type == "competence":
                assert new.subject_id == review_id
            elif old.subject_id in live:
                assert new.subject_id == keys[old.subject_id]
            else:
                assert uuid.UUID(new.subject_id).version == 4
                assert new.subject_id not in keys.values()
                unlinked.add(new.subject_id)
        assert len(unlinked) == len(gone)
        everything = str(_serving_rows(store))
        assert PID not in everything and not any(aid in everything for aid in gone)
        for sql in ("UPDATE serving_audit_log SET comment = 'x'", "DELETE FROM serving_audit_log"):
            with pytest.raises(Exception, match="append-only"), store.transaction() as conn:
                conn.execute(text(sql))

        _alembic(store, "s0002", down=True)  # the previous code looks entries up by id again
        with store.engine.connect() as conn:
            restored = {r.audit_id: r.subject_id for r in conn.execute(select(audit_log)).all()}
            version = conn.execute(text("SELECT version_num FROM serving_alembic_version"))
            assert version.scalar_one() == "s0002"
        assert all(
            restored[a] == before[a].subject_id for a in before if before[a].subject_id not in gone
        )
        assert sum(restored[a] == before[a].subject_id for a in before) == len(before) - len(gone)
        migrate.upgrade(store)  # and up again
        with store.engine.connect() as conn:
            n = conn.execute(select(func.count()).select_from(achievement_subjects)).scalar_one()
        assert n == len(live)
    finally:
        store.dispose()
