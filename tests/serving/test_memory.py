"""settle_heap: a full collection, then the survivors frozen; garbage frozen earlier is reclaimed
at the next settle; the service settles after start-up and after a snapshot rebuild."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator
from pathlib import Path

import pytest

from serving.memory import settle_heap


class Node:
    def __init__(self) -> None:
        self.me = self  # a reference cycle: only the collector frees it


@pytest.fixture(autouse=True)
def _unfrozen() -> Iterator[None]:
    yield
    gc.unfreeze()


def test_survivors_are_frozen_and_frozen_garbage_is_reclaimed_at_the_next_settle() -> None:
    node = Node()
    ref = weakref.ref(node)
    settle_heap("test")
    assert gc.get_freeze_count() > 0
    del node
    gc.collect()
    assert ref() is not None  # frozen: a full pass does not look at it
    settle_heap("test")
    assert ref() is None  # unfrozen, collected


def test_the_service_settles_after_start_up_and_after_a_snapshot_rebuild(tmp_path: Path) -> None:
    from fastapi.testclient import TestClient

    from serving.main import create_app
    from tests.serving.conftest import settings_for

    gc.unfreeze()
    settings = settings_for(f"sqlite:///{tmp_path}/t.db", gc_freeze=True)
    with TestClient(create_app(settings)) as client:
        assert gc.get_freeze_count() > 0
        live = client.app.state.talent.live  # type: ignore[attr-defined]
        cycle = Node()
        ref = weakref.ref(cycle)
        gc.freeze()  # as if it had been frozen with the old snapshot
        del cycle
        live.invalidate()
        live.snapshot()  # the rebuild settles
        assert ref() is None


def test_the_setting_turns_it_off(tmp_path: Path) -> None:
    from fastapi.testclient import TestClient

    from serving.main import create_app
    from tests.serving.conftest import settings_for

    gc.unfreeze()
    with TestClient(create_app(settings_for(f"sqlite:///{tmp_path}/t.db", gc_freeze=False))):
        assert gc.get_freeze_count() == 0
