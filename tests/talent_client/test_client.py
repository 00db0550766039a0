"""The typed client against the app itself (the test client is an ``httpx.Client``): answers
parse into the client's models and equal the raw API's, batches larger than one call are split,
error answers raise :class:`ProblemError` with the API's code, feedback round-trips."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

import talent_client.client as client_module
from serving.auth import Role
from serving.core.config import DEV_TOKENS, ServingSettings
from serving.main import create_app
from talent_client import FeedbackEvent, FeedbackItem, ProblemError, TalentClient
from tests.serving.bundle_factory import world_push_records
from tests.serving.conftest import REC_AS_OF, push, recommender, settings_for

__all__ = ["recommender"]  # the session fixture, used through pytest
WHEN = REC_AS_OF.replace(tzinfo=dt.UTC)


@pytest.fixture(scope="module")
def records() -> dict[str, list[dict[str, Any]]]:
    return world_push_records()


@pytest.fixture(scope="module")
def http(
    tmp_path_factory: pytest.TempPathFactory,
    recommender: Path,
    records: dict[str, list[dict[str, Any]]],
) -> Iterator[TestClient]:
    """One service and world for the module (the tests only add feedback)."""
    folder = tmp_path_factory.mktemp("client")
    settings: ServingSettings = settings_for(
        f"sqlite:///{folder / 'talent.db'}", recommend_bundle=recommender
    )
    with TestClient(create_app(settings)) as c:
        for entity, rows in records.items():
            assert push(c, entity, rows, source="world").json()["quarantined"] == 0
        yield c


def _api(http: TestClient, role: Role = Role.PLATFORM) -> TalentClient:
    return TalentClient(token=DEV_TOKENS[role], http=http)


def test_recommendations_parse_into_the_client_s_models(http: TestClient) -> None:
    api = _api(http)
    one = api.recommendations("p000001", k=3, as_of=WHEN)
    raw = http.get(
        "/v1/participants/p000001/recommendations",
        params={"k": 3, "as_of": REC_AS_OF.isoformat()},
        headers={"Authorization": f"Bearer {DEV_TOKENS[Role.PLATFORM]}"},
    ).json()
    assert [i.activity_id for i in one.items] == [i["activity_id"] for i in raw["items"]]
    assert one.items[0].score == raw["items"][0]["score"]
    assert one.as_of == WHEN and one.model_version == raw["model_version"]


def test_batches_are_split_and_errors_reported(
    http: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(client_module, "BATCH_LIMIT", 2)  # five ids: three calls
    api = _api(http)
    pids = ["p000000", "p000001", "nobody", "p000002", "p000003"]
    batches = list(api.iter_batch_recommendations(pids, k=2, as_of=WHEN))
    assert len(batches) == 3
    answered = [r.participant_id for b in batches for r in b.results]
    assert answered == ["p000000", "p000001", "p000002", "p000003"]
    assert [(e.participant_id, e.code) for b in batches for e in b.errors] == [
        ("nobody", "not_found")
    ]
    single = api.recommendations("p000002", k=2, as_of=WHEN)
    assert batches[1].results[0].items == single.items


def test_error_answers_raise_problems_with_the_api_s_code(http: TestClient) -> None:
    api = _api(http)
    with pytest.raises(ProblemError) as missing:
        api.recommendations("nobody")
    assert missing.value.status == 404 and missing.value.code == "not_found"
    assert missing.value.text_ru and missing.value.request_id
    with pytest.raises(ProblemError) as bad:
        api.batch_recommendations(["p000001"], k=0)
    assert bad.value.code == "validation_error" and "k" in bad.value.errors[0]["loc"]
    with pytest.raises(ProblemError) as anonymous:
        TalentClient(http=http).recommendations("p000001")
    assert anonymous.value.status == 401


def test_feedback_round_trips(http: TestClient) -> None:
    shown = dt.datetime(2026, 6, 1, 13, 0, tzinfo=dt.timezone(dt.timedelta(hours=3)))
    events = [
        FeedbackItem(
            participant_id="p000001",
            activity_id="a1",
            event=FeedbackEvent.SHOWN,
            occurred_at=shown,
            rank=1,
            model_version="content@2025-09-01",
        ),
        FeedbackItem(
            participant_id="p000001",
            activity_id="a1",
            event=FeedbackEvent.CLICKED,
            occurred_at=shown,
        ),
        FeedbackItem(
            participant_id="nobody",
            activity_id="a1",
            event=FeedbackEvent.DISMISSED,
            occurred_at=shown,
        ),
    ]
    result = _api(http).send_feedback(events)
    assert result.accepted == 2 and [r.index for r in result.refused] == [2]
    stored = list(_api(http, Role.DATA_SCIENTIST).iter_feedback(limit=1))
    assert [(s.event, s.rank) for s in stored] == [
        (FeedbackEvent.SHOWN, 1),
        (FeedbackEvent.CLICKED, None),
    ]
    assert stored[0].occurred_at == dt.datetime(2026, 6, 1, 10, 0, tzinfo=dt.UTC)
