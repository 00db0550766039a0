"""The small base interface every model here follows (scikit-learn's estimator rules).

``__init__`` only stores a validated pydantic config; ``fit`` replaces any previous state and
returns ``self``; fitted attributes end in ``_``; ``save``/``load`` round-trip through joblib;
``get_config``/``from_config`` round-trip the config. A shared contract test checks all of it.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from pathlib import Path
from typing import Any, Self, TypeVar

import joblib
from pydantic import BaseModel

from core.errors import TalentError
from models.base import ModelBase

ConfigT = TypeVar("ConfigT", bound=BaseModel)


class Estimator(ModelBase[ConfigT], ABC):
    """Config in, ``fit`` returns self, ``predict`` returns a frame with fixed columns."""

    def fit(self, data: Any) -> Self:
        """Fit on ``data``, replacing any earlier fit; returns ``self``."""
        self._reset()
        self._fit(data)
        return self

    @abstractmethod
    def _fit(self, data: Any) -> None: ...

    def save(self, path: Path | str) -> Path:
        """Write the fitted model to ``path`` (joblib)."""
        self.check_fitted()
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        joblib.dump(self, path, compress=3)
        return path

    @classmethod
    def load(cls, path: Path | str) -> Self:
        """Read a model written by :meth:`save`; refuses a file holding another class."""
        obj = joblib.load(Path(path))
        if not isinstance(obj, cls):
            raise TalentError(f"{path} holds a {type(obj).__name__}, not a {cls.__name__}")
        return obj
