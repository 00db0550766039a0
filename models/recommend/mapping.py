"""Translate a query dataset's rows and activities into a fitted model's internal indices.

A model fitted on one dataset may be asked about another (a later catalogue, new records): ids
are the only thing the two share, so rows and items are matched by external id. When the query
dataset is the fitted one the maps are the identity and cost nothing.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from models.recommend.dataset import RecommendDataset


def model_rows(dataset: RecommendDataset, rows: np.ndarray, fitted_ids: pd.Index) -> np.ndarray:
    """Fitted-model row of each query row (-1 when unknown to the model)."""
    if dataset.participant_ids is fitted_ids:
        return rows
    ids = dataset.participant_ids.to_numpy()[np.maximum(rows, 0)]
    out = fitted_ids.get_indexer(pd.Index(ids, dtype=object))
    return np.where(rows >= 0, out, -1)


def model_items(dataset: RecommendDataset, acts: np.ndarray, fitted_items: pd.Index) -> np.ndarray:
    """Fitted-model item (column) of each query activity (-1 when unknown to the model)."""
    items = dataset.catalog.item[acts]
    if dataset.item_ids is fitted_items:
        return items
    ids = dataset.item_ids.to_numpy()[np.maximum(items, 0)]
    out = fitted_items.get_indexer(pd.Index(ids, dtype=object))
    return np.where(items >= 0, out, -1)
