"""The recommenders by name: each registered with its class, the settings that make it this
variant, and what it needs to be fitted.

Callers ask the registry instead of checking names. What a model needs is declared on its class
(``needs_ability``: the ability scale; ``needs_decisions``: past decision points;
``needs_content``: the footprint's catalogue content, directions, kinds and dates) or, for a
variant of a class, on its entry here (``popular_direction`` reads directions, ``popular`` does
not). The CLI, the pipeline, tuning and the benchmarks build the data a model needs from these
declarations (:func:`training.recommend.evaluate.fit_recommender`), and an interaction log is
evaluated
with the models that need nothing a log lacks (:attr:`ModelSpec.fits_logs`).

A config names a model and its settings in its own section (``[recommend.models.<name>]``):
:meth:`ModelSpec.config` validates that section against the model's pydantic config, with the
variant's preset on top (a preset is what makes the variant, so a section may not contradict it).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from core.errors import TalentError
from models.recommend.als import ALSRecommender
from models.recommend.base import Recommender, RecommenderConfig
from models.recommend.coldstart import ColdStartRecommender
from models.recommend.content import ContentRecommender
from models.recommend.ease import EASERecommender
from models.recommend.popular import PopularRecommender
from models.recommend.rerank import RerankRecommender

__all__ = ["MODELS", "ModelSpec", "RegistryError", "spec"]


class RegistryError(TalentError, ValueError):
    """An unknown model name, or an invalid settings section (the message names the model and
    the field). A ``ValueError`` too, so pydantic reports it at the config field it came from."""


@dataclass(frozen=True)
class ModelSpec:
    """A registered model: its class, the preset that makes it this variant, what it needs.

    Attributes
    ----------
    name
        The registered name (the ``model`` column, report rows, ``[recommend.models.<name>]``).
    cls
        The recommender class.
    preset
        Settings fixed for this variant (``popular_direction``: ``mode = "direction"``).
    content
        The variant reads the catalogue's content even when its class need not.
    recency_weighted
        On an interaction log, the model is fitted on recency-weighted interactions (needs a
        time column): ``ease_recency``.
    """

    name: str
    cls: type[Recommender[Any]]
    preset: Mapping[str, Any] = field(default_factory=dict)
    content: bool = False
    recency_weighted: bool = False

    @property
    def needs_ability(self) -> bool:
        return self.cls.needs_ability

    @property
    def needs_decisions(self) -> bool:
        return self.cls.needs_decisions

    @property
    def needs_content(self) -> bool:
        return self.cls.needs_content or self.content

    @property
    def fits_logs(self) -> bool:
        """Fitted and scored on a plain interaction log (no ability, decisions or content)."""
        return not (self.needs_ability or self.needs_decisions or self.needs_content)

    def config(
        self, settings: Mapping[str, Any] | RecommenderConfig | None = None
    ) -> RecommenderConfig:
        """The validated config of this model: ``settings`` (a config section or a config of
        the model's class), with the preset on top.

        Raises
        ------
        RegistryError
            A field the model does not have, a value out of range, or a value that contradicts
            the preset; the message names ``<model>.<field>``.
        """
        if isinstance(settings, RecommenderConfig):
            if not isinstance(settings, self.cls.config_class):
                raise RegistryError(
                    f"{self.name}: a {type(settings).__name__} is not the "
                    f"config of this model ({self.cls.config_class.__name__})"
                )
            values: dict[str, Any] = settings.model_dump(exclude_defaults=True)
        else:
            values = dict(settings or {})
        for key, fixed in self.preset.items():
            if key in values and values[key] != fixed:
                raise RegistryError(
                    f"{self.name}.{key} is {fixed!r} for this model (it is what "
                    f"makes it {self.name!r}), got {values[key]!r}"
                )
        try:
            return self.cls.config_class.model_validate({**values, **self.preset})
        except ValidationError as exc:
            raise RegistryError(
                "; ".join(
                    f"{self.name}.{'.'.join(str(p) for p in e['loc'])}: {e['msg']}"
                    for e in exc.errors()
                )
            ) from None

    def build(
        self, settings: Mapping[str, Any] | RecommenderConfig | None = None
    ) -> Recommender[Any]:
        """A fresh (unfitted) model with :meth:`config` of ``settings``."""
        return self.cls(self.config(settings))


MODELS: dict[str, ModelSpec] = {
    spec.name: spec
    for spec in (
        ModelSpec("popular", PopularRecommender),
        ModelSpec("popular_direction", PopularRecommender, {"mode": "direction"}, content=True),
        ModelSpec("coldstart", ColdStartRecommender),
        ModelSpec("als", ALSRecommender),
        ModelSpec("ease", EASERecommender),
        ModelSpec(
            "ease_recency", EASERecommender, {"weighted_scoring": True}, recency_weighted=True
        ),
        ModelSpec("content", ContentRecommender),
        ModelSpec("rerank", RerankRecommender),
    )
}
"""Every recommender by its registered name."""


def spec(name: str) -> ModelSpec:
    """The registered model ``name``.

    Raises
    ------
    RegistryError
        An unknown name (the message lists the registered ones).
    """
    try:
        return MODELS[name]
    except KeyError:
        raise RegistryError(
            f"unknown recommender {name!r}; registered: {', '.join(MODELS)}"
        ) from None
