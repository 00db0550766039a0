"""Admin state is one state across workers: two services on one store answer the same refresh
status, refuse a second refresh started in the other, and a reload taken by one switches both."""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from serving.auth import Role
from serving.main import create_app
from serving.services.jobs import JobBoard, JobStatus
from tests.serving.bundle_factory import world_push_records
from tests.serving.conftest import bearer, push, settings_for

ADMIN = bearer(Role.ADMIN)


@pytest.fixture
def workers(tmp_path: Path, bundles: list[Path]) -> Iterator[tuple[TestClient, TestClient, Path]]:
    folder = tmp_path / "competence"
    folder.mkdir()
    for path in bundles:
        for f in path.parent.glob(path.name + "*"):
            shutil.copy(f, folder / f.name)
    (folder / "latest.txt").write_text(bundles[0].name)
    settings = settings_for(
        f"sqlite:///{tmp_path / 'talent.db'}", competence_bundle=folder, admin_check_seconds=0.1
    )
    with ExitStack() as stack:
        a = stack.enter_context(TestClient(create_app(settings)))
        b = stack.enter_context(TestClient(create_app(settings)))
        yield a, b, folder


def _status(client: TestClient) -> dict[str, Any]:
    r = client.get("/v1/admin/competence/refresh", headers=ADMIN)
    assert r.status_code == 200, r.text
    return dict(r.json())


def _version(client: TestClient) -> str:
    r = client.get("/v1/admin/models", headers=ADMIN)
    return str(next(s["version"] for s in r.json() if s["kind"] == "competence"))


def test_every_worker_answers_the_same_refresh_status(
    workers: tuple[TestClient, TestClient, Path],
) -> None:
    a, b, _ = workers
    rows = world_push_records()
    for entity in ("participants", "activities", "achievements"):
        assert (
            push(
                a,
                entity,
                rows[entity][:40] if entity != "activities" else rows[entity],
                source="world",
            ).status_code
            == 200
        )
    assert _status(a) == _status(b) and _status(b)["state"] == "idle"
    a.app.state.talent.refresh.start(wait=True)  # type: ignore[attr-defined]
    done = _status(b)
    # how many items a refresh opens depends on the review rules (only flags a moderator can act on
    # open one); what this test is about is that both workers report the same finished job
    assert done["state"] == "done" and done["participants"] > 0 and done["opened"] >= 0
    assert done == _status(a)


def test_a_running_refresh_refuses_a_second_start_in_another_worker(
    workers: tuple[TestClient, TestClient, Path],
) -> None:
    a, b, _ = workers
    board: JobBoard = a.app.state.talent.refresh.board  # type: ignore[attr-defined]
    assert board.claim(JobStatus(state="running", participants=7))  # a's run, in progress
    r = b.post("/v1/admin/competence/refresh", headers=ADMIN)
    assert r.status_code == 409, r.text
    assert _status(b)["state"] == "running" and _status(b)["participants"] == 7


def test_a_reload_taken_by_one_worker_switches_every_worker(
    workers: tuple[TestClient, TestClient, Path],
    bundles: list[Path],
) -> None:
    a, b, folder = workers
    assert _version(a) == _version(b) == "tiny-1"
    (folder / "latest.txt").write_text(bundles[1].name)
    r = a.post("/v1/admin/models/competence/reload", headers=ADMIN)
    assert r.status_code == 200 and r.json()["version"] == "tiny-2", r.text
    deadline = time.monotonic() + 10
    while _version(b) != "tiny-2" and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _version(b) == "tiny-2"
