"""The CPU-bound routes run on the worker's model-work threads (``TALENT_MODEL_THREADS``), the
routes that wait on the store on the general pool; dependencies run on the event loop."""

from __future__ import annotations

import datetime as dt
import threading
from concurrent.futures import ThreadPoolExecutor
from types import SimpleNamespace
from typing import Any

import pytest
from fastapi.routing import APIRoute, iter_route_contexts
from fastapi.testclient import TestClient

from serving.api.deps import model_work
from serving.auth import Role
from serving.main import create_app
from serving.state import ServiceState
from tests.serving.conftest import bearer, settings_for

MODEL_ROUTES = {
    ("GET", "/v1/participants/{participant_id}/competence"),
    ("GET", "/v1/participants/{participant_id}/recommendations"),
    ("POST", "/v1/participants/{participant_id}/trajectory"),
    ("POST", "/v1/recommendations/batch"),
    ("GET", "/v1/rating/{direction}"),
    ("GET", "/v1/rating/{direction}/participants/{participant_id}"),
    ("POST", "/v1/rating/{direction}/participants/{participant_id}/what-if"),
    ("GET", "/v1/talent"),
    ("GET", "/v1/talent/shortlists/{shortlist_id}"),
    ("GET", "/v1/participants/{participant_id}/portfolio"),
    ("POST", "/v1/participants/{participant_id}/portfolio/exports"),
}


def test_exactly_the_cpu_bound_routes_use_the_model_threads(tmp_path: object) -> None:
    app = create_app(settings_for(f"sqlite:///{tmp_path}/talent.db"))
    marked = {
        (method, ctx.path)
        for ctx in iter_route_contexts(app.routes)
        if isinstance(ctx.original_route, APIRoute) and ctx.path is not None
        for method in ctx.methods or ()
        if getattr(ctx.original_route.endpoint, "model_work", False)
    }
    assert marked == MODEL_ROUTES


def test_model_work_needs_the_state_parameter() -> None:
    def route(participant_id: str) -> None:
        del participant_id

    with pytest.raises(TypeError, match="state: StateDep"):
        model_work(route)


def _concurrency(tmp_path: object, model_threads: int, calls: int) -> tuple[int, int]:
    """Most recommendation calls running at once when ``calls`` arrive together, and the status
    of /v1/me asked while they all block."""
    app = create_app(settings_for(f"sqlite:///{tmp_path}/talent.db", model_threads=model_threads))
    running, most = 0, 0
    lock = threading.Lock()
    release = threading.Event()
    arrived = threading.Semaphore(0)

    def fake_recommend(participant_id: str, **_: Any) -> tuple[Any, dt.datetime, list[Any]]:
        nonlocal running, most
        with lock:
            running += 1
            most = max(most, running)
        arrived.release()
        release.wait(30)
        with lock:
            running -= 1
        loaded = SimpleNamespace(bundle=SimpleNamespace(name="fake", label="fake"), version="v")
        return loaded, dt.datetime(2026, 3, 1), []

    with TestClient(app) as client:
        state: ServiceState = app.state.talent
        state.recommend.recommend = fake_recommend  # type: ignore[method-assign]
        headers = bearer(Role.PLATFORM)
        with ThreadPoolExecutor(calls) as pool:
            futures = [
                pool.submit(client.get, f"/v1/participants/p{i}/recommendations", headers=headers)
                for i in range(calls)
            ]
            for _ in range(model_threads):  # the model threads are all taken
                assert arrived.acquire(timeout=30)
            me = client.get("/v1/me", headers=headers).status_code
            release.set()
            statuses = [f.result(timeout=60).status_code for f in futures]
    assert statuses == [200] * calls
    return most, me


def test_one_model_thread_runs_one_model_call_at_a_time_and_leaves_the_rest_answering(
    tmp_path: object,
) -> None:
    most, me = _concurrency(tmp_path, model_threads=1, calls=4)
    assert most == 1
    assert me == 200  # a route on the general pool is not queued behind model work


def test_the_setting_is_the_bound(tmp_path: object) -> None:
    most, _ = _concurrency(tmp_path, model_threads=3, calls=4)
    assert most == 3
