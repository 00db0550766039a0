"""The contract every recommender passes (a test class mixes it in with three lines).

A subclass sets ``make`` (a fresh model with a fixed seed) and provides a ``dataset`` fixture.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from footprint.columns import Columns as C
from models.recommend.base import NotFittedError, Recommender
from models.recommend.columns import RECOMMENDATION_COLUMNS
from models.recommend.columns import RecColumns as R
from models.recommend.dataset import RecommendDataset
from models.recommend.feasibility import feasible


class RecommenderContract:
    """Shared checks: fit returns self, refit replaces, fixed columns, k, feasibility,
    save/load, determinism, config round trip, not-fitted error."""

    def make(self) -> Recommender:  # pragma: no cover - overridden
        raise NotImplementedError

    def participants(self, dataset: RecommendDataset) -> list[str]:
        return list(dataset.participant_ids[:: max(1, dataset.n_participants // 40)])

    def test_fit_returns_self(self, dataset: RecommendDataset) -> None:
        model = self.make()
        assert model.fit(dataset) is model
        assert model.is_fitted

    def test_not_fitted_raises(self, dataset: RecommendDataset) -> None:
        with pytest.raises(NotFittedError):
            self.make().recommend(self.participants(dataset), k=3)

    def test_fixed_columns_and_k(self, dataset: RecommendDataset) -> None:
        model = self.make().fit(dataset)
        pids = self.participants(dataset)
        for k in (1, 3):
            recs = model.recommend(pids, k=k)
            assert tuple(recs.columns) == RECOMMENDATION_COLUMNS
            assert recs.groupby(C.PARTICIPANT_ID).size().max() <= k
            assert (recs[R.MODEL] == model.name).all()
            ranks = recs.groupby(C.PARTICIPANT_ID)[R.RANK].apply(list)
            assert all(r == list(range(1, len(r) + 1)) for r in ranks)
            assert recs[R.REASON_CODES].map(len).min() >= 1
            assert (recs[R.REASON_TEXT_RU].str.len() > 0).all()

    def test_no_infeasible_items(self, dataset: RecommendDataset) -> None:
        model = self.make().fit(dataset)
        pids = self.participants(dataset)
        recs = model.recommend(pids, k=5)
        rows = dataset.rows(recs[C.PARTICIPANT_ID].astype("object").to_numpy())
        acts = dataset.catalog.activity_ids.get_indexer(recs[C.ACTIVITY_ID].astype("object"))
        assert (acts >= 0).all()
        for r, a, cond in zip(rows, acts, recs[R.CONDITIONAL], strict=True):
            f = feasible(dataset, np.array([r]), np.array([a]), dataset.as_of)
            assert f.feasible[0, 0]
            assert f.conditional[0, 0] == cond

    def test_refit_replaces(self, dataset: RecommendDataset, other: RecommendDataset) -> None:
        pids = self.participants(dataset)
        twice = self.make().fit(other).fit(dataset).recommend(pids, k=3)
        once = self.make().fit(dataset).recommend(pids, k=3)
        pd.testing.assert_frame_equal(twice, once)

    def test_deterministic(self, dataset: RecommendDataset) -> None:
        pids = self.participants(dataset)
        a = self.make().fit(dataset).recommend(pids, k=3)
        b = self.make().fit(dataset).recommend(pids, k=3)
        pd.testing.assert_frame_equal(a, b)

    def test_save_load_round_trip(self, dataset: RecommendDataset, tmp_path: Path) -> None:
        model = self.make().fit(dataset)
        path = model.save(tmp_path / "model.joblib")
        loaded = type(model).load(path)
        pids = self.participants(dataset)
        pd.testing.assert_frame_equal(loaded.recommend(pids, k=3), model.recommend(pids, k=3))

    def test_config_round_trip(self) -> None:
        model = self.make()
        again = type(model).from_config(model.get_config())
        assert again.get_config() == model.get_config()

    def test_unknown_participant_gets_cold_start(self, dataset: RecommendDataset) -> None:
        recs = self.make().fit(dataset).recommend(["nobody-at-all"], k=3)
        assert len(recs) >= 1
        assert (recs[C.PARTICIPANT_ID] == "nobody-at-all").all()
