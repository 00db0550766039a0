"""A model's settings as one validated pydantic config: what both model families' bases share.

``__init__`` only stores the config (the default one when none is given); ``get_config`` and
``from_config`` round-trip it through plain JSON-able data, so a bundle, an MLflow run and a TOML
file all name a model's settings the same way.
"""

from __future__ import annotations

from typing import Any, ClassVar, Generic, Self, TypeVar

from pydantic import BaseModel

ConfigT = TypeVar("ConfigT", bound=BaseModel)


class Configured(Generic[ConfigT]):
    """Holds ``config``, an instance of the subclass's ``config_class``."""

    config_class: ClassVar[type[BaseModel]]

    def __init__(self, config: ConfigT | None = None) -> None:
        # ClassVar cannot name the type variable, so the default's type is asserted here
        self.config: ConfigT = config if config is not None else self.config_class()  # type: ignore[assignment]

    def get_config(self) -> dict[str, Any]:
        """The config as plain JSON-able data."""
        return self.config.model_dump(mode="json")

    @classmethod
    def from_config(cls, data: dict[str, Any]) -> Self:
        """A fresh (unfitted) model from :meth:`get_config` output."""
        return cls(cls.config_class.model_validate(data))  # type: ignore[arg-type]
