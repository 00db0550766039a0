"""Implicit-feedback ALS (Hu, Koren and Volinsky, 2008) on participants x activity series.

Items are series, so this season's edition of an event scores through the factors its earlier
editions learned. Uses the ``implicit`` package with one BLAS thread (as it asks). It is imported
only to fit: a fitted model keeps plain numpy factors, so the service loads and scores it without
``implicit`` installed (it belongs to the ``train`` extra, see pyproject.toml).

Only the *item* factors are kept. A participant's factors are folded in from the history of the
dataset asked about: the exact least-squares user step of ALS with the item factors fixed (what
implicit's ``recalculate_user`` computes, written here in numpy so serving needs no ``implicit``),
so the score reflects what is true now (an achievement pushed this morning counts), a participant
who registered after training but has history is scored like anyone else, and the fitted model
holds nothing about any participant.
"""

from __future__ import annotations

import warnings
from typing import ClassVar

import numpy as np
from pydantic import Field
from threadpoolctl import threadpool_limits

from models.recommend.base import Recommender, RecommenderConfig
from models.recommend.coldstart import ColdStartRecommender
from models.recommend.dataset import RecommendDataset
from models.recommend.mapping import model_items, model_items_of_matrix
from models.recommend.rows import take_rows

FOLD_IN_BATCH = 256
"""Participants whose factors are solved at once (bounds the stacked normal equations)."""


class ALSConfig(RecommenderConfig):
    factors: int = Field(default=64, ge=1, le=1024)
    regularization: float = Field(default=0.05, ge=0)
    alpha: float = Field(default=10.0, gt=0)
    """Confidence = alpha x weight for the items a participant took (implicit's convention)."""
    iterations: int = Field(default=15, ge=1, le=200)
    seed: int = 0


class ALSRecommender(Recommender[ALSConfig]):
    """Series factors learned by ALS; a participant's factors folded in from their history."""

    name: ClassVar[str] = "als"
    config_class = ALSConfig
    fallback_class = ColdStartRecommender

    def _fit(self, dataset: RecommendDataset) -> None:
        from implicit.cpu.als import AlternatingLeastSquares

        cfg = self.config
        with threadpool_limits(1, "blas"), warnings.catch_warnings():
            # implicit warns about any multi-threaded BLAS it can see when the model is made,
            # even one limited for the fit below
            warnings.filterwarnings(
                "ignore", message="OpenBLAS is configured", category=RuntimeWarning
            )
            model = AlternatingLeastSquares(
                factors=cfg.factors,
                regularization=cfg.regularization,
                alpha=cfg.alpha,
                iterations=cfg.iterations,
                random_state=cfg.seed,
                num_threads=1,
            )
            model.fit(dataset.interactions.astype(np.float32).tocsr(), show_progress=False)
        item_factors = np.asarray(model.item_factors, dtype=np.float32)
        self.item_factors_ = item_factors
        self.gram_ = item_factors.T.astype(np.float64) @ item_factors.astype(np.float64)
        self.item_ids_ = dataset.item_ids
        self.item_seen_ = np.diff(dataset.interactions.tocsc().indptr) > 0

    def user_factors(self, dataset: RecommendDataset, rows: np.ndarray) -> np.ndarray:
        """Factors of participants ``rows`` of ``dataset`` (-1 = unknown) folded in from their
        current history (rows x factors; zeros without a history the model knows).

        Per participant ``x = (Y'Y + reg I + Y'(C - I)Y)^-1 Y'C p`` over the series they took,
        ``C = alpha x weight``: ALS's own user step (Hu et al. 2008, eq. 4) with the item factors
        ``Y`` fixed."""
        safe = np.maximum(rows, 0)
        x = take_rows(dataset.interactions, safe)
        # the query dataset's columns -> the model's items (a later catalogue has more series)
        column = np.arange(len(self.item_ids_))
        mapped = model_items_of_matrix(dataset, self.item_ids_, column)[x.indices]
        keep = mapped >= 0
        keep[keep] = self.item_seen_[mapped[keep]]
        row_of = np.repeat(np.arange(len(rows)), np.diff(x.indptr))
        keep &= rows[row_of] >= 0
        row_of, items = row_of[keep], mapped[keep]
        conf = self.config.alpha * x.data[keep].astype(np.float64)
        n_f = self.item_factors_.shape[1]
        base = self.gram_ + self.config.regularization * np.eye(n_f)
        out = np.zeros((len(rows), n_f), np.float32)
        for lo in range(0, len(rows), FOLD_IN_BATCH):
            hi = min(lo + FOLD_IN_BATCH, len(rows))
            sel = (row_of >= lo) & (row_of < hi)
            if not sel.any():
                continue
            r = row_of[sel] - lo
            y = self.item_factors_[items[sel]].astype(np.float64)
            c = conf[sel]
            a = np.repeat(base[None], hi - lo, axis=0)
            np.add.at(a, r, (c - 1.0)[:, None, None] * y[:, :, None] * y[:, None, :])
            b = np.zeros((hi - lo, n_f))
            np.add.at(b, r, c[:, None] * y)
            has = np.bincount(r, minlength=hi - lo) > 0
            out[lo:hi][has] = np.linalg.solve(a[has], b[has][:, :, None])[:, :, 0]
        return out

    def score(self, dataset: RecommendDataset, rows: np.ndarray, acts: np.ndarray) -> np.ndarray:
        items = model_items(dataset, acts, self.item_ids_)
        known_i = items >= 0
        known_i[known_i] = self.item_seen_[items[known_i]]
        u = self.user_factors(dataset, rows)
        v = self.item_factors_[np.maximum(items, 0)]
        out = (u @ v.T).astype(np.float64)
        out[~u.any(axis=1)] = np.nan  # no history the model knows: no opinion
        out[:, ~known_i] = np.nan
        return out
