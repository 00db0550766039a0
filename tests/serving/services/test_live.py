"""The live state follows the store's change log piecewise, in every worker.

Two services (two workers) run on one SQLite store; a push through one is visible in the other's
next answer, and neither reads the store whole again nor builds its recommenders' dataset whole
(the counters of :class:`~serving.services.live.LiveFootprint` and
:class:`~serving.services.live.LiveDatasets` say which path was taken)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient

from footprint.changes import Change, ChangeCursor, ChangeKind
from models.recommend.codes import ReasonCode
from models.recommend.dataset import dataset_from_snapshot
from serving.auth import Role
from serving.main import create_app
from serving.state import ServiceState
from tests.serving.bundle_factory import tiny_recommender, world_push_records
from tests.serving.conftest import REC_AS_OF, bearer, push, settings_for

PLATFORM = bearer(Role.PLATFORM)
T = dt.datetime(2025, 11, 10)
PERSONAL = ReasonCode.SIMILAR_PARTICIPANTS.value


@pytest.fixture(scope="module")
def ease_bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tiny_recommender(tmp_path_factory.mktemp("rec") / "ease.bin", REC_AS_OF, "ease")


@pytest.fixture(scope="module")
def workers(
    tmp_path_factory: pytest.TempPathFactory, ease_bundle: Path
) -> Iterator[tuple[TestClient, TestClient]]:
    """Two services on one store, the world pushed through the first (once for the module:
    every test uses participants of its own)."""
    db = tmp_path_factory.mktemp("live") / "talent.db"
    settings = settings_for(f"sqlite:///{db}", recommend_bundle=ease_bundle)
    with ExitStack() as stack:
        a = stack.enter_context(TestClient(create_app(settings)))
        for entity, rows in world_push_records().items():
            assert push(a, entity, rows, source="world").json()["quarantined"] == 0
        b = stack.enter_context(TestClient(create_app(settings)))
        yield a, b


def _state(client: TestClient) -> ServiceState:
    state = client.app.state.talent  # type: ignore[attr-defined]
    assert isinstance(state, ServiceState)
    return state


def _items(client: TestClient, pid: str) -> list[dict[str, Any]]:
    r = client.get(
        f"/v1/participants/{pid}/recommendations",
        params={"as_of": T.isoformat(), "k": 10},
        headers=PLATFORM,
    )
    assert r.status_code == 200, r.text
    return r.json()["items"]  # type: ignore[no-any-return]


def _newcomer(client: TestClient, pid: str, activities: list[str], register: bool = True) -> None:
    if register:
        part = {
            "participant_id": pid,
            "grade": 8,
            "grade_year": 2025,
            "region": "RU-MOW",
            "registered_at": "2025-09-05T00:00:00",
            "account_verified_at": "2025-09-06T00:00:00",
            "consent_status": "given",
        }
        assert push(client, "participants", [part]).json()["added"] == 1
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
    assert body["added"] == len(rows), body


def _counters(client: TestClient) -> tuple[int, int]:
    state = _state(client)
    return state.live.rebuilds, state.recommend.datasets.builds


def test_a_push_reaches_both_workers_without_a_whole_read(
    workers: tuple[TestClient, TestClient],
) -> None:
    a, b = workers
    assert _items(a, "p000001") and _items(b, "p000001")  # both built once, at start-up
    before_a, before_b = _counters(a), _counters(b)
    splices_b = _state(b).recommend.datasets.splices
    _newcomer(a, "p-live-9", ["a-2025-0-0", "a-2025-0-1", "a-2025-1-0"])
    for client in (a, b):
        items = _items(client, "p-live-9")
        assert items and all(PERSONAL in i["reason_codes"] for i in items)
    assert _counters(a) == before_a and _counters(b) == before_b  # nothing read or built whole
    assert _state(b).recommend.datasets.splices > splices_b
    assert _state(b).live.patches >= 1


def test_the_spliced_dataset_equals_a_whole_build(workers: tuple[TestClient, TestClient]) -> None:
    """The piecewise dataset holds, per participant, the rows a whole build of the same state
    (with the same activity statistics) would hold."""
    a, b = workers
    _items(b, "p000002")
    _newcomer(a, "p-live-8", ["a-2025-0-0"])
    _newcomer(a, "p000003", ["a-2025-1-0"], register=False)  # a known participant's new record
    _items(b, "p-live-8")
    datasets = _state(b).recommend.datasets
    kept = datasets._built[-1]
    spliced = kept.dataset
    _, snapshot = _state(b).live.snapshot()
    whole = dataset_from_snapshot(snapshot, spliced.as_of, ability=False, stats=kept.stats)
    assert set(spliced.participant_ids) == set(whole.participant_ids)
    ids = ["p-live-8", "p000003", "p000001", "p000004"]
    rs, rw = spliced.rows(ids), whole.rows(ids)
    assert (rs >= 0).all() and (rw >= 0).all()
    assert spliced.item_ids.equals(whole.item_ids)
    for matrix in ("interactions", "taken"):
        left = getattr(spliced, matrix)[rs].toarray()
        right = getattr(whole, matrix)[rw].toarray()
        np.testing.assert_allclose(left, right)
    np.testing.assert_array_equal(spliced.grade[rs], whole.grade[rw])
    np.testing.assert_array_equal(spliced.declared[rs], whole.declared[rw])
    assert spliced.interactions[spliced.rows(["p-live-8"])].nnz == 1


def test_an_erasure_removes_the_participant_from_every_worker_at_once(
    workers: tuple[TestClient, TestClient],
) -> None:
    a, b = workers
    assert _items(b, "p000005")
    before_b = _counters(b)
    r = a.post("/v1/participants/p000005/erasure", headers=PLATFORM)
    assert r.status_code == 200 and r.json()["status"] == "erased", r.text
    for client in (a, b):
        r = client.get(
            "/v1/participants/p000005/recommendations",
            params={"as_of": T.isoformat()},
            headers=PLATFORM,
        )
        assert r.status_code == 404, r.text
    assert _items(b, "p000001")  # the recommenders' dataset follows, piecewise
    assert _counters(b) == before_b
    spliced = _state(b).recommend.datasets._built[-1].dataset
    assert "p000005" not in set(spliced.participant_ids)


def test_a_catalogue_change_reads_the_catalogue_not_the_store(
    workers: tuple[TestClient, TestClient],
) -> None:
    a, b = workers
    _items(b, "p000001")
    rebuilds = _state(b).live.rebuilds
    act = world_push_records()["activities"][18]
    new = {
        **act,
        "activity_id": "a-new-live",
        "series_id": "s-new-live",
        "title": "Новая олимпиада",
        "directions": "python:1.0",
        "start_at": "2025-12-01T00:00:00",
        "end_at": "2025-12-02T00:00:00",
        "registration_deadline": "2025-11-25T00:00:00",
        "published_at": "2025-11-01T00:00:00",
    }
    assert push(a, "activities", [new]).json()["added"] == 1
    _items(b, "p000001")
    assert _state(b).live.rebuilds == rebuilds
    _, snapshot = _state(b).live.catalogue()
    assert "a-new-live" in set(snapshot.activities["activity_id"].astype(str))


def test_the_cursor_waits_for_a_number_committed_late() -> None:
    """On PostgreSQL seq 2 may become visible after seq 3: it is applied when it comes, once."""
    cursor = ChangeCursor(horizon=1)
    c2, c3 = (Change(s, ChangeKind.PARTICIPANT, f"p{s}") for s in (2, 3))
    assert cursor.advance([c3], clock=0.0) == [c3]
    assert cursor.horizon == 1
    assert cursor.advance([c3], clock=1.0) == []  # not twice
    assert cursor.advance([c2, c3], clock=2.0) == [c2]
    assert cursor.horizon == 3 and not cursor.seen
    # a number that never comes (a rolled-back transaction) stops being waited for
    c5 = Change(5, ChangeKind.CATALOGUE, None)
    assert cursor.advance([c5], clock=3.0) == [c5]
    assert cursor.advance([], clock=100.0) == []
    assert cursor.horizon == 5


def test_the_overlay_merges_into_the_frames_and_answers_stay(
    workers: tuple[TestClient, TestClient],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    a, b = workers
    _newcomer(a, "p-live-7", ["a-2025-0-0"])
    live = _state(b).live
    live.refresh()
    before = _items(b, "p-live-7")
    _, ach, _ = live.participant_frames(["p-live-7"])
    monkeypatch.setattr("serving.services.live.COMPACT_AT", 0)
    assert live.compact()
    assert live._built is not None and not live._built.overlay
    _, merged, _ = live.participant_frames(["p-live-7"])
    assert list(merged["activity_id"]) == list(ach["activity_id"]) == ["a-2025-0-0"]
    assert live.has_participant("p-live-7") and not live.has_participant("nobody")
    assert _items(b, "p-live-7") == before
