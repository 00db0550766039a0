"""Participant-level quantities several models share: direction profiles and item popularity.

Kept apart so popular, content, cold-start and the re-ranker compute them the same way.
"""

from __future__ import annotations

import numpy as np

from models.recommend.dataset import RecommendDataset
from models.recommend.rows import take_rows

PRIOR_WEIGHT = 0.5
"""Pseudo-records spread evenly over directions, so one record does not mean 100% interest."""
DECLARED_WEIGHT = 1.0
"""Pseudo-records per declared interest."""


def item_directions(dataset: RecommendDataset) -> np.ndarray:
    """Direction weights of each item (items x directions): the mean over its editions, once
    per dataset (:attr:`RecommendDataset.item_directions`, read-only)."""
    return dataset.item_directions


def direction_profile(
    dataset: RecommendDataset, rows: np.ndarray, item_dirs: np.ndarray
) -> np.ndarray:
    """Share of each participant's interest per direction (rows x directions, rows sum to 1).

    Past records (by their items' direction weights), declared interests and a small even prior,
    normalised. Unknown participants (-1) get the even prior.
    """
    n_dir = item_dirs.shape[1]
    if n_dir == 0:
        return np.zeros((len(rows), 0))
    known = rows >= 0
    safe = np.where(known, rows, 0)
    binary = take_rows(dataset.interactions, safe)
    binary.data[:] = 1.0
    hist = np.asarray(binary @ item_dirs)
    hist[~known] = 0
    declared = np.where(known[:, None], dataset.declared[safe], 0.0)
    total = hist + DECLARED_WEIGHT * declared + PRIOR_WEIGHT / n_dir
    return total / total.sum(axis=1, keepdims=True)


def item_popularity(dataset: RecommendDataset) -> np.ndarray:
    """Participants per item, once per dataset (:attr:`RecommendDataset.item_popularity`): the
    counts are the dataset's (the live store's at request time), never a fitted table."""
    return dataset.item_popularity


def last_edition_size(dataset: RecommendDataset) -> np.ndarray:
    """Entrants of each item's most recent edition that already has records (NaN for an item
    without one), once per dataset (:attr:`RecommendDataset.last_edition_size`)."""
    return dataset.last_edition_size
