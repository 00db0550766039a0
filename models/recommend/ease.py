"""EASE (Steck, 2019): a closed-form item-item model.

B = I - P diag(1/diag(P)) with P = (X'X + lambda I)^-1 and a zero diagonal.

Scores are the participant's interaction row times B. With a few thousand series the dense
item-item matrix is small; ``max_items`` keeps the most popular items when a log has many.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np
import scipy.sparse as sp
from pydantic import Field
from threadpoolctl import threadpool_limits

from models.recommend.base import Recommender, RecommenderConfig
from models.recommend.coldstart import ColdStartRecommender
from models.recommend.dataset import RecommendDataset
from models.recommend.mapping import model_items, model_items_of_matrix
from models.recommend.rows import take_rows


class EASEConfig(RecommenderConfig):
    regularization: float = Field(default=250.0, gt=0)
    max_items: int | None = Field(default=20_000, ge=1)
    binary: bool = True
    """Fit on 0/1 interactions (the paper's setting) rather than result weights."""
    weighted_scoring: bool = False
    """Score with the participant's interaction weights (e.g. recency weights) instead of 0/1:
    the item-item model stays the same, recent items speak louder."""


class EASERecommender(Recommender[EASEConfig]):
    """Item-item weights from a ridge regression of each item on all others."""

    name: ClassVar[str] = "ease"
    config_class = EASEConfig
    fallback_class = ColdStartRecommender

    def _fit(self, dataset: RecommendDataset) -> None:
        x = dataset.interactions.astype(np.float64).tocsc()
        if self.config.binary:
            x.data[:] = 1.0
        counts = np.diff(x.indptr)
        keep = np.flatnonzero(counts > 0)
        if self.config.max_items is not None and len(keep) > self.config.max_items:
            keep = keep[np.argsort(-counts[keep], kind="stable")[: self.config.max_items]]
            keep.sort()
        xs = x[:, keep]
        with threadpool_limits(2, "blas"):
            # single precision halves the inversion time; the ridge keeps it well conditioned
            g = (xs.T @ xs).toarray().astype(np.float32)
            g[np.diag_indices_from(g)] += self.config.regularization
            p = np.linalg.inv(g)
        b = -p / np.diag(p)[None, :]
        np.fill_diagonal(b, 0.0)
        col = np.full(dataset.n_items, -1)
        col[keep] = np.arange(len(keep))
        self.weights_ = b.astype(np.float32)
        self.column_ = col
        self.item_ids_ = dataset.item_ids

    def score(self, dataset: RecommendDataset, rows: np.ndarray, acts: np.ndarray) -> np.ndarray:
        items = model_items(dataset, acts, self.item_ids_)
        cols = np.where(items >= 0, self.column_[np.maximum(items, 0)], -1)
        safe = np.maximum(rows, 0)
        x = take_rows(dataset.interactions, safe).astype(np.float32)
        if self.config.binary and not self.config.weighted_scoring:
            x.data[:] = 1.0
        # query items -> model columns (a later dataset may have more series): remap the few
        # non-zeros of the participants' rows rather than slicing the item-item matrix
        q_cols = model_items_of_matrix(dataset, self.item_ids_, self.column_)
        mapped = q_cols[x.indices]
        keep = mapped >= 0
        row_of = np.repeat(np.arange(len(rows)), np.diff(x.indptr))
        indptr = np.r_[0, np.cumsum(np.bincount(row_of[keep], minlength=len(rows)))]
        x = sp.csr_matrix(
            (x.data[keep], mapped[keep], indptr), shape=(len(rows), self.weights_.shape[0])
        )
        w = self.weights_[:, np.maximum(cols, 0)]
        out = np.asarray(x @ w, dtype=np.float64)
        has = np.diff(x.indptr) > 0
        out[~(has & (rows >= 0))] = np.nan
        out[:, cols < 0] = np.nan
        return out
