"""Participant-level quantities several models share: direction profiles and item popularity.

Kept apart so popular, content, cold-start and the re-ranker compute them the same way.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from models.recommend.dataset import RecommendDataset
from models.recommend.rows import take_rows

PRIOR_WEIGHT = 0.5
"""Pseudo-records spread evenly over directions, so one record does not mean 100% interest."""
DECLARED_WEIGHT = 1.0
"""Pseudo-records per declared interest."""


def per_dataset(dataset: RecommendDataset, key: str, compute: Callable[[], Any]) -> Any:
    """``compute()`` once per dataset object and ``key`` (datasets are frozen).

    Kept on the dataset itself (its ``_derived`` slot), so it lives exactly as long as the
    dataset: a new dataset (the live store's next generation, another cut-off) gets its own, and
    nothing outlives the data it was computed from. Arrays are returned read-only, since every
    caller shares them.
    """
    derived: dict[str, Any] = dataset.__dict__.setdefault("_derived", {})
    if key in derived:
        return derived[key]
    value = compute()
    if isinstance(value, np.ndarray):
        value.setflags(write=False)
    return derived.setdefault(key, value)


def item_directions(dataset: RecommendDataset) -> np.ndarray:
    """Direction weights of each item (items x directions): the mean over its editions.

    Computed once per dataset (read-only; see :func:`per_dataset`)."""
    return per_dataset(dataset, "item_directions", lambda: _item_directions(dataset))  # type: ignore[no-any-return]


def _item_directions(dataset: RecommendDataset) -> np.ndarray:
    cat = dataset.catalog
    n_dir = len(dataset.directions)
    out = np.zeros((dataset.n_items, n_dir))
    if n_dir == 0:
        return out
    ok = cat.item >= 0
    np.add.at(out, cat.item[ok], cat.weights[ok])
    counts = np.bincount(cat.item[ok], minlength=dataset.n_items)
    return out / np.maximum(counts, 1)[:, None]


def direction_profile(dataset: RecommendDataset, rows: np.ndarray,
                      item_dirs: np.ndarray) -> np.ndarray:
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
    """Participants per item (column counts of the interaction matrix), once per dataset: the
    counts are the dataset's (the live store's at request time), never a fitted table."""
    return per_dataset(dataset, "item_popularity",  # type: ignore[no-any-return]
                       lambda: np.diff(dataset.interactions.tocsc().indptr).astype(np.float64))


def last_edition_size(dataset: RecommendDataset) -> np.ndarray:
    """Entrants of each item's most recent edition that already has records (NaN for an item
    without one): the best guess of how many will enter its next edition."""
    entrants = np.diff(dataset.taken.tocsc().indptr).astype(np.float64)
    cat = dataset.catalog
    out = np.full(dataset.n_items, np.nan)
    has = (entrants > 0) & (cat.item >= 0)
    if not has.any():
        return out
    start = cat.start.astype("datetime64[us]").astype(np.int64)
    idx = np.flatnonzero(has)
    order = idx[np.lexsort((start[idx], cat.item[idx]))]
    # the last row of each item in (item, start) order is its latest edition with records
    items = cat.item[order]
    last = np.r_[items[1:] != items[:-1], True]
    out[items[last]] = entrants[order[last]]
    return out
