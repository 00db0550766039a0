"""Temporal splits for recommender evaluation.

* :func:`user_temporal_split`: per user, the last ``test_share`` of their interactions by time is
  the test set (with no time column: a seeded random share per user). Used for any interaction
  log (``talent evaluate recommend --interactions``).
* :func:`open_choices`: on the footprint, the activities each participant took among those open
  at a cut-off (the choice made "afterwards" that a recommendation at the cut-off should predict).
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from features.cutoff import visible_achievements
from footprint.columns import Columns as C
from footprint.frames import Snapshot
from models.recommend.dataset import RecommendDataset


def user_temporal_split(
    frame: pd.DataFrame,
    user_col: str,
    time_col: str | None,
    test_share: float = 0.2,
    seed: int = 0,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Split a log into train and test rows, per user.

    Each user with at least two rows gives ``max(1, round(test_share x n))`` rows to the test
    set: the latest by ``time_col`` (ties keep file order), or a seeded random choice without a
    time column. Users with one row stay in train.

    Returns
    -------
    train, test
        Row subsets of ``frame`` (original index kept).
    """
    if not 0 < test_share < 1:
        raise ValueError(f"test_share must be in (0, 1), got {test_share}")
    rng = np.random.default_rng(seed)
    users = frame[user_col].to_numpy()
    key = frame[time_col].to_numpy() if time_col is not None else rng.random(len(frame))
    order = np.lexsort((np.arange(len(frame)), key, pd.factorize(users)[0]))
    u = pd.factorize(users)[0][order]
    start = np.r_[True, u[1:] != u[:-1]]
    first = np.maximum.accumulate(np.where(start, np.arange(len(u)), 0))
    pos = np.arange(len(u)) - first
    size = np.bincount(u)[u]
    n_test = np.where(size >= 2, np.maximum(1, np.round(test_share * size)), 0)
    is_test = np.zeros(len(frame), bool)
    is_test[order] = pos >= size - n_test
    return frame[~is_test], frame[is_test]


def open_choices(
    snapshot: Snapshot, cutoff: dt.datetime, dataset: RecommendDataset
) -> dict[str, set[str]]:
    """Participant id -> activity ids they took among those open at ``cutoff``.

    ``dataset`` is the cut-off's dataset (its catalogue defines what was open); the records come
    from ``snapshot``, which must be later than the cut-off for the choices to be known.
    """
    acts = dataset.catalog.activity_ids[dataset.catalog.open_at(cutoff)]
    vis = visible_achievements(snapshot.achievements, snapshot.as_of)
    vis = vis[vis[C.ACTIVITY_ID].astype("object").isin(set(acts)).to_numpy()]
    out: dict[str, set[str]] = {}
    for pid, aid in zip(
        vis[C.PARTICIPANT_ID].astype("object"), vis[C.ACTIVITY_ID].astype("object"), strict=True
    ):
        out.setdefault(pid, set()).add(aid)
    return out
