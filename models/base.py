"""What both model families' bases share (scikit-learn's estimator rules).

``__init__`` only stores a validated pydantic config (the default one when none is given);
``get_config`` and ``from_config`` round-trip it through plain JSON-able data, so a bundle, an
MLflow run and a TOML file all name a model's settings the same way. Fitted attributes end in
``_``: ``check_fitted`` refuses an unfitted model, ``_reset`` forgets a fit before the next.
"""

from __future__ import annotations

from typing import Any, ClassVar, Generic, Self, TypeVar

from pydantic import BaseModel

from core.errors import NotFittedError

ConfigT = TypeVar("ConfigT", bound=BaseModel)


class ModelBase(Generic[ConfigT]):
    """Holds ``config``, an instance of the subclass's ``config_class``, and the fitted
    attributes (names ending in ``_``)."""

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

    @property
    def is_fitted(self) -> bool:
        return any(k.endswith("_") and not k.startswith("_") for k in vars(self))

    def check_fitted(self) -> None:
        if not self.is_fitted:
            raise NotFittedError(f"{type(self).__name__} is not fitted; call fit() or load()")

    def _reset(self) -> None:
        for key in [k for k in vars(self) if k.endswith("_") and not k.startswith("_")]:
            delattr(self, key)
