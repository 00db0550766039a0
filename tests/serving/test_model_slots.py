"""The recommender's smoke check: the cold-start answer, then one known participant's request at
the service's instant, both on the live dataset, in the loading thread (so the first request to a
new bundle builds neither the live dataset nor the per-dataset lookups)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from models.recommend.base import Recommender
from serving.bundles import ModelRegistry
from serving.core.config import ServingSettings
from serving.metrics import Metrics
from serving.model_slots import configure_models, recommend_bundle
from tests.serving.bundle_factory import tiny_recommender

AS_OF = dt.datetime(2025, 3, 1)


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tiny_recommender(tmp_path_factory.mktemp("rec") / "content.joblib", AS_OF)


class _LiveData:
    """Stands for the service's live datasets: the tiny world as of a later instant."""

    def __init__(self) -> None:
        self.built: list[Any] = []

    def __call__(self, model: Any) -> Any:
        from models.recommend.dataset import dataset_from_snapshot
        from tests.serving.bundle_factory import tiny_world_snapshot

        at = dt.datetime(2025, 6, 1)
        dataset = dataset_from_snapshot(tiny_world_snapshot(at), at, ability=model.ability_model)
        self.built.append(dataset)
        return dataset


def test_loading_answers_a_known_participant_at_the_service_instant(
    bundle: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls: list[dict[str, Any]] = []
    original = Recommender.recommend_records

    def spy(self: Recommender, participants: Any, *args: Any, **kwargs: Any) -> Any:
        calls.append({"participants": list(participants), **kwargs})
        return original(self, participants, *args, **kwargs)

    monkeypatch.setattr(Recommender, "recommend_records", spy)
    instant = dt.datetime(2024, 9, 1, 12, 0)  # activities open in the tiny world
    registry = ModelRegistry()
    live = _LiveData()
    configure_models(
        registry,
        ServingSettings(recommend_bundle=bundle, live_as_of=instant),
        Metrics(),
        recommend_dataset=live,
    )
    assert registry.load_all() == {}
    served = recommend_bundle(registry)
    assert served is not None
    assert len(live.built) == 1
    dataset = live.built[0]
    assert dataset.ability is not None  # the bundle's ability parameters, applied to the store
    assert calls == [
        {"participants": [dataset.participant_ids[0]], "k": 3, "as_of": instant, "dataset": dataset}
    ]
    # the lookups the request path builds on first use belong to the live dataset already
    from models.recommend.dataset import _DERIVED

    assert set(vars(dataset)) & _DERIVED


def test_without_a_fixed_instant_the_warm_up_asks_as_of_now(
    bundle: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seen: list[dt.datetime] = []
    original = Recommender.recommend_records

    def spy(self: Recommender, participants: Any, *args: Any, **kwargs: Any) -> Any:
        seen.append(kwargs["as_of"])
        return original(self, participants, *args, **kwargs)

    monkeypatch.setattr(Recommender, "recommend_records", spy)
    registry = ModelRegistry()
    configure_models(
        registry, ServingSettings(recommend_bundle=bundle), Metrics(), recommend_dataset=_LiveData()
    )
    before = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    assert registry.load_all() == {}
    after = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    assert len(seen) == 1 and before <= seen[0] <= after
