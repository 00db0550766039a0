"""The contract every model of this project keeps (config, fit, predict, save/load).

A model's test class inherits :class:`EstimatorContract` and provides ``make_model`` and
``data``; it gets these tests for free.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from pydantic import ValidationError

from core.errors import NotFittedError
from models.competence.base import Estimator


class EstimatorContract:
    """Mixin of contract tests; subclasses define :meth:`make_model`, :meth:`data` and
    :meth:`predict_input` and list the fixed prediction columns in ``columns``."""

    columns: tuple[str, ...] = ()

    def make_model(self) -> Estimator[Any]:
        raise NotImplementedError

    def data(self) -> Any:
        raise NotImplementedError

    def predict_input(self) -> pd.DataFrame:
        raise NotImplementedError

    def test_config_round_trips(self) -> None:
        model = self.make_model()
        again = type(model).from_config(model.get_config())
        assert again.get_config() == model.get_config()

    def test_unknown_config_keys_are_refused(self) -> None:
        model = self.make_model()
        with pytest.raises(ValidationError):
            type(model).from_config(model.get_config() | {"no_such_option": 1})

    def test_predict_before_fit_raises(self) -> None:
        with pytest.raises(NotFittedError):
            self.make_model().predict(self.predict_input())

    def test_fit_returns_self_and_sets_fitted_attributes(self) -> None:
        model = self.make_model()
        assert model.fit(self.data()) is model
        assert model.is_fitted
        assert all(not k.endswith("_") for k in vars(self.make_model()))

    def test_predict_has_fixed_columns(self) -> None:
        out = self.make_model().fit(self.data()).predict(self.predict_input())
        assert tuple(out.columns) == self.columns
        assert len(out) > 0

    def test_refit_replaces_the_previous_fit(self) -> None:
        model = self.make_model().fit(self.data())
        first = model.predict(self.predict_input())
        model.fit(self.data())
        pd.testing.assert_frame_equal(first, model.predict(self.predict_input()))

    def test_save_and_load_give_the_same_predictions(self, tmp_path: Path) -> None:
        model = self.make_model().fit(self.data())
        path = model.save(tmp_path / "model.joblib")
        again = type(model).load(path)
        pd.testing.assert_frame_equal(
            model.predict(self.predict_input()), again.predict(self.predict_input())
        )
