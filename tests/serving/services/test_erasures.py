"""Erasures made outside the API (the footprint library, ``talent erase``, an ingested consent
withdrawal) delete the service's own rows of the participant while it runs, without a refresh;
erasures made while it was down are caught at start-up; an estimate computed before an erasure
and recorded after it is refused."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, text

from core.instants import utc_now
from footprint.consent import erase_participants
from footprint.ingest.run import ingest_file
from footprint.store import Store, open_store
from serving.auth import Role
from serving.core.config import ServingSettings
from serving.main import create_app
from serving.services.reviews import _present_locked, purge_orphans, record_estimates
from serving.tables import audit_log, competence_estimates, competence_reviews
from tests.serving.bundle_factory import world_push_records
from tests.serving.conftest import bearer, push, settings_for

MOD, DS = bearer(Role.MODERATOR), bearer(Role.DATA_SCIENTIST)
SERVING_TABLES = (competence_estimates, competence_reviews)


@pytest.fixture(scope="module")
def records() -> dict[str, list[dict[str, Any]]]:
    return world_push_records()


def _settings(url: str, bundles: list[Path], check_seconds: float) -> ServingSettings:
    return settings_for(
        url,
        competence_bundle=bundles[0],
        erasure_check_seconds=check_seconds,
    )


def _fill(settings: ServingSettings, records: dict[str, list[dict[str, Any]]]) -> None:
    """Push the bundle's world, estimate everyone (the review queue fills), decide one item."""
    with TestClient(create_app(settings)) as client:
        for entity, rows in records.items():
            assert push(client, entity, rows, source="world").status_code == 200
        client.app.state.talent.refresh.start(wait=True)  # type: ignore[attr-defined]
        item = client.get("/v1/moderation/competence", headers=MOD).json()["items"][0]
        r = client.post(
            f"/v1/moderation/competence/{item['review_id']}/decision",
            headers=MOD,
            json={"decision": "approve", "expected_version": item["version"]},
        )
        assert r.status_code == 200, r.text


@pytest.fixture
def filled(
    store_url: str, bundles: list[Path], records: dict[str, list[dict[str, Any]]]
) -> Iterator[Store]:
    """A store whose service tables hold estimates and review items (one decided); yields a
    second handle on it, as another process (``talent erase``) would open it."""
    _fill(_settings(store_url, bundles, 60), records)
    store = open_store(store_url)
    yield store
    store.dispose()


def _rows(store: Store, pid: str | None = None) -> int:
    with store.engine.connect() as conn:
        return sum(
            int(
                conn.execute(
                    select(func.count())
                    .select_from(t)
                    .where(t.c.participant_id == pid if pid is not None else True)
                ).scalar_one()
            )
            for t in SERVING_TABLES
        )


def _decided_participant(store: Store) -> tuple[str, str]:
    """The participant and review id of the decided item (it also has an audit entry)."""
    rv = competence_reviews
    with store.engine.connect() as conn:
        row = conn.execute(
            select(rv.c.participant_id, rv.c.review_id).where(rv.c.status != "open")
        ).one()
    return str(row.participant_id), str(row.review_id)


def _erase_with_library(store: Store, pid: str, tmp_path: Path, salt: str) -> None:
    """As ``talent erase`` does: the footprint's function in a transaction of its own."""
    with store.transaction() as conn:
        erase_participants(conn, [pid], actor="admin", reason_code="consent_withdrawn", salt=salt)


def _erase_by_consent_file(store: Store, pid: str, tmp_path: Path, salt: str) -> None:
    """As ``talent ingest consents.csv`` does: a withdrawal in an ingested file."""
    path = tmp_path / "consents.csv"
    path.write_text(f"participant_id,consent_status,changed_at\n{pid},withdrawn,2026-06-01\n")
    assert ingest_file(store, path, "world", salt=salt).erased == 1


def _wait_for(condition: Callable[[], bool], seconds: float = 15) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "the condition did not hold in time"
        time.sleep(0.05)  # polling a condition, with a deadline


@pytest.mark.parametrize(
    "erase", [_erase_with_library, _erase_by_consent_file], ids=["talent-erase", "consents-file"]
)
def test_an_erasure_outside_the_api_purges_the_service_rows_while_it_runs(
    filled: Store,
    store_url: str,
    tmp_path: Path,
    bundles: list[Path],
    erase: Callable[..., None],
) -> None:
    pid, review_id = _decided_participant(filled)
    mine, everyone = _rows(filled, pid), _rows(filled)
    assert mine > 0 and everyone > mine
    settings = _settings(store_url, bundles, 0.05)
    with TestClient(create_app(settings)) as client:
        state = client.app.state.talent  # type: ignore[attr-defined]
        assert _rows(filled) == everyone  # nothing to purge at start
        before = state.refresh.status  # the fill's refresh (the status is shared, in the store)
        erase(filled, pid, tmp_path, settings.erasure_salt)
        _wait_for(lambda: _rows(filled, pid) == 0)
        assert _rows(filled) == everyone - mine  # the others' rows stay
        assert state.refresh.status == before  # no refresh did it
        metrics = client.get("/metrics", headers=DS).text
        assert f"talent_erasure_purged_rows_total {float(mine)}" in metrics
        r = client.get(f"/v1/moderation/competence/{review_id}", headers=MOD)
        assert r.status_code == 404
    # the audit keeps the decision, under the review id only (no participant id in any column)
    with filled.engine.connect() as conn:
        audit = [dict(a._mapping) for a in conn.execute(select(audit_log)).all()]
    assert [a["subject_id"] for a in audit] == [review_id]
    assert not any(pid in str(v) for a in audit for v in a.values())


def test_erasures_made_while_the_service_was_down_are_purged_at_start(
    filled: Store, store_url: str, tmp_path: Path, bundles: list[Path]
) -> None:
    pid, _ = _decided_participant(filled)
    settings = _settings(store_url, bundles, 3600)  # no periodic check during the test
    _erase_with_library(filled, pid, tmp_path, settings.erasure_salt)
    assert _rows(filled, pid) > 0
    with TestClient(create_app(settings)):
        assert _rows(filled, pid) == 0  # done before the service answers


def test_an_estimate_recorded_after_the_erasure_is_refused(
    filled: Store, store_url: str, tmp_path: Path, bundles: list[Path]
) -> None:
    pid, _ = _decided_participant(filled)
    settings = _settings(store_url, bundles, 3600)
    with TestClient(create_app(settings)) as client:
        state = client.app.state.talent  # type: ignore[attr-defined]
        _, frame = state.competence.estimate([pid], evidence=True)  # computed before...
        assert not frame.empty
        _erase_with_library(filled, pid, tmp_path, settings.erasure_salt)
        assert state.erasures.check() > 0  # the watcher's purge, run now
        done = record_estimates(filled, frame, utc_now())  # ...recorded after the erasure
        assert (done.estimates, done.opened) == (0, 0)
        assert _rows(filled, pid) == 0


def test_on_postgresql_an_erasure_waits_for_a_recording_in_flight(
    filled: Store, store_url: str, tmp_path: Path, bundles: list[Path]
) -> None:
    """The recorder share-locks the participants it records, so an erasure cannot commit between
    its check and its commit (the rows would then outlive the watcher's purge)."""
    if filled.dialect != "postgresql":
        pytest.skip("SQLite serialises write transactions (BEGIN IMMEDIATE)")
    pid, _ = _decided_participant(filled)
    salt = _settings(store_url, bundles, 3600).erasure_salt  # the store refuses any other
    waiting = text(
        "SELECT COUNT(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
        "AND datname = current_database()"
    )
    eraser = threading.Thread(target=_erase_with_library, args=(filled, pid, tmp_path, salt))
    with filled.transaction() as conn:  # a recording in flight
        assert _present_locked(conn, [pid]) == {pid}
        eraser.start()

        def blocked() -> bool:
            with filled.engine.connect() as other:
                return int(other.execute(waiting).scalar_one()) > 0

        _wait_for(blocked)  # the erasure waits on the recording's lock
        assert eraser.is_alive()
    eraser.join(timeout=30)
    assert not eraser.is_alive() and _rows(filled, pid) > 0
    assert purge_orphans(filled) > 0 and _rows(filled, pid) == 0
