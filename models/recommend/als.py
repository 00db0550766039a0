"""Implicit-feedback ALS (Hu, Koren and Volinsky, 2008) on participants x activity series.

Items are series, so this season's edition of an event scores through the factors its earlier
editions learned. Uses the ``implicit`` package with one BLAS thread (as it asks). It is imported
only to fit: a fitted model keeps plain numpy factors, so the service loads and scores it without
``implicit`` installed (it belongs to the ``train`` extra, see pyproject.toml).
"""

from __future__ import annotations

import warnings
from typing import ClassVar

import numpy as np
from pydantic import Field
from threadpoolctl import threadpool_limits

from models.recommend.base import Recommender, RecommenderConfig
from models.recommend.dataset import RecommendDataset
from models.recommend.mapping import model_items, model_rows


class ALSConfig(RecommenderConfig):
    factors: int = Field(default=64, ge=1, le=1024)
    regularization: float = Field(default=0.05, ge=0)
    alpha: float = Field(default=10.0, gt=0)
    """Confidence = 1 + alpha x weight."""
    iterations: int = Field(default=15, ge=1, le=200)
    seed: int = 0


class ALSRecommender(Recommender[ALSConfig]):
    """Participant and series factors; score = their dot product."""

    name: ClassVar[str] = "als"
    config_class = ALSConfig

    def _fit(self, dataset: RecommendDataset) -> None:
        from implicit.cpu.als import AlternatingLeastSquares

        cfg = self.config
        with threadpool_limits(1, "blas"), warnings.catch_warnings():
            # implicit warns about any multi-threaded BLAS it can see when the model is made,
            # even one limited for the fit below
            warnings.filterwarnings("ignore", message="OpenBLAS is configured",
                                    category=RuntimeWarning)
            model = AlternatingLeastSquares(
                factors=cfg.factors, regularization=cfg.regularization, alpha=cfg.alpha,
                iterations=cfg.iterations, random_state=cfg.seed, num_threads=1,
            )
            model.fit(dataset.interactions.astype(np.float32).tocsr(), show_progress=False)
        self.user_factors_ = np.asarray(model.user_factors, dtype=np.float32)
        self.item_factors_ = np.asarray(model.item_factors, dtype=np.float32)
        self.participant_ids_ = dataset.participant_ids
        self.item_ids_ = dataset.item_ids
        self.has_history_ = dataset.history_counts() > 0
        self.item_seen_ = np.diff(dataset.interactions.tocsc().indptr) > 0

    def score(self, dataset: RecommendDataset, rows: np.ndarray, acts: np.ndarray) -> np.ndarray:
        r = model_rows(dataset, rows, self.participant_ids_)
        items = model_items(dataset, acts, self.item_ids_)
        known_r = r >= 0
        known_r[known_r] = self.has_history_[r[known_r]]
        known_i = items >= 0
        known_i[known_i] = self.item_seen_[items[known_i]]
        u = self.user_factors_[np.maximum(r, 0)]
        v = self.item_factors_[np.maximum(items, 0)]
        out = (u @ v.T).astype(np.float64)
        out[~known_r] = np.nan
        out[:, ~known_i] = np.nan
        return out
