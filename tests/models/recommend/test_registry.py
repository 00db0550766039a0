"""The recommender registry: names, declared needs, validated settings."""

from __future__ import annotations

import pytest

from models.recommend.coldstart import ColdStartRecommender
from models.recommend.ease import EASEConfig, EASERecommender
from models.recommend.popular import PopularRecommender
from models.recommend.registry import MODELS, RegistryError, spec


def test_needs_are_declared_not_guessed_from_names() -> None:
    needs = {
        name: (s.needs_ability, s.needs_decisions, s.needs_content) for name, s in MODELS.items()
    }
    assert needs == {
        "popular": (False, False, False),
        "popular_direction": (False, False, True),
        "coldstart": (False, False, True),
        "als": (False, False, False),
        "ease": (False, False, False),
        "ease_recency": (False, False, False),
        "content": (True, False, True),
        "rerank": (True, True, True),
    }
    assert [n for n, s in MODELS.items() if s.fits_logs] == [
        "popular",
        "als",
        "ease",
        "ease_recency",
    ]
    assert [n for n, s in MODELS.items() if s.recency_weighted] == ["ease_recency"]


def test_every_model_round_trips_its_config_and_names_its_fallback() -> None:
    for name, entry in MODELS.items():
        model = entry.build()
        assert isinstance(model, entry.cls)
        assert type(model).from_config(model.get_config()).get_config() == model.get_config()
        # a model that cannot score everyone names the model that can
        assert model.fallback_class in (None, ColdStartRecommender), name


def test_a_preset_makes_the_variant_and_settings_go_on_top() -> None:
    direction = spec("popular_direction").build()
    assert isinstance(direction, PopularRecommender) and direction.label == "popular_direction"
    recency = spec("ease_recency").build({"regularization": 3.0})
    assert isinstance(recency, EASERecommender)
    assert recency.config == EASEConfig(regularization=3.0, weighted_scoring=True)
    # a config object of the model's class is taken as its section
    assert spec("ease_recency").config(EASEConfig(regularization=3.0)) == recency.config


@pytest.mark.parametrize(
    ("name", "settings", "message"),
    [
        ("nope", None, r"unknown recommender 'nope'; registered: popular, popular_direction"),
        ("ease", {"regularization": -1}, r"ease\.regularization: Input should be greater than 0"),
        ("ease", {"lambda": 3}, r"ease\.lambda: Extra inputs are not permitted"),
        (
            "ease_recency",
            {"weighted_scoring": False},
            r"ease_recency\.weighted_scoring is True for this model",
        ),
        ("als", EASEConfig(), r"als: a EASEConfig is not the config of this model \(ALSConfig\)"),
    ],
)
def test_bad_names_and_settings_are_named(name: str, settings: object, message: str) -> None:
    with pytest.raises(RegistryError, match=message):
        spec(name).build(settings)  # type: ignore[arg-type]
