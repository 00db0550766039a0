"""Translate a query dataset's rows and activities into a fitted model's internal indices.

A model fitted on one dataset may be asked about another (a later catalogue, new records): ids
are the only thing the two share, so rows and items are matched by external id. When the query
dataset is the fitted one the maps are the identity and cost nothing.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from models.recommend.dataset import RecommendDataset


def model_items(dataset: RecommendDataset, acts: np.ndarray, fitted_items: pd.Index) -> np.ndarray:
    """Fitted-model item (column) of each query activity (-1 when unknown to the model)."""
    items = dataset.catalog.item[acts]
    if dataset.item_ids is fitted_items:
        return items
    ids = dataset.item_ids.to_numpy()[np.maximum(items, 0)]
    out = fitted_items.get_indexer(pd.Index(ids, dtype=object))
    return np.where(items >= 0, out, -1)


def model_items_of_matrix(
    dataset: RecommendDataset, fitted_items: pd.Index, column: np.ndarray
) -> np.ndarray:
    """Model column of each column of the query dataset's interaction matrix (-1 if none)."""
    if dataset.item_ids is fitted_items:
        return column
    pos = fitted_items.get_indexer(dataset.item_ids)
    return np.where(pos >= 0, column[np.maximum(pos, 0)], -1)
