"""The participant x activity-series interaction matrix, weighted by result (for the recommender).

A series is a recurring event across seasons (one NTI profile, one hackathon brand), so the matrix
says "who took part in what, and how well" in a form that carries over from one season to the
next. Rows and columns are internal indices of a :class:`scipy.sparse.csr_matrix`; the id maps
(``participant_ids``, ``series_ids``) translate them, and only external ids leave this module
(:meth:`InteractionMatrix.to_frame`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp

from features.activity_stats import RESULTS, ActivityStats, codes_of
from features.columns import FeatureColumns as F
from features.cutoff import visible_achievements
from footprint.columns import Columns as C
from footprint.enums import ModerationStatus, Result

RESULT_WEIGHTS: dict[str, float] = {
    Result.WINNER: 1.0,
    Result.PRIZE_WINNER: 0.8,
    Result.FINALIST: 0.6,
    Result.COMPLETED: 0.5,
    Result.PARTICIPANT: 0.3,
    Result.NOT_COMPLETED: 0.1,
}
"""Default value of one record by its result: any participation counts, a better result more."""


@dataclass(frozen=True)
class InteractionMatrix:
    """A sparse participants x series matrix with its id maps.

    ``matrix[i, j]`` is the largest result weight participant ``participant_ids[i]`` obtained in
    any edition of series ``series_ids[j]`` by the cut-off (0 = no record).
    """

    matrix: sp.csr_matrix
    participant_ids: pd.Index
    series_ids: pd.Index
    as_of: dt.datetime

    def row(self, participant_id: str) -> pd.Series:
        """The non-zero entries of one participant, indexed by series id (empty when unknown)."""
        i = self.participant_ids.get_indexer(pd.Index([participant_id]))[0]
        if i < 0:
            return pd.Series(dtype=np.float64)
        lo, hi = self.matrix.indptr[i], self.matrix.indptr[i + 1]
        return pd.Series(self.matrix.data[lo:hi], index=self.series_ids[self.matrix.indices[lo:hi]])

    def to_frame(self) -> pd.DataFrame:
        """Long form with external ids: ``participant_id, series_id, value``."""
        coo = self.matrix.tocoo()
        return pd.DataFrame(
            {
                C.PARTICIPANT_ID: pd.array(
                    self.participant_ids.to_numpy()[coo.row], dtype="string"
                ),
                C.SERIES_ID: pd.array(self.series_ids.to_numpy()[coo.col], dtype="string"),
                F.VALUE: coo.data.astype(np.float64),
            }
        )


def interaction_matrix(
    achievements: pd.DataFrame,
    stats: ActivityStats,
    as_of: dt.datetime,
    participant_ids: pd.Index | None = None,
    series_ids: pd.Index | None = None,
    result_weights: dict[str, float] | None = None,
) -> InteractionMatrix:
    """Build the matrix from records known at ``as_of`` (rejected ones left out).

    Parameters
    ----------
    achievements
        Rows of a snapshot's ``achievements`` frame.
    stats
        Activity statistics, for the activity -> series map (activities unknown to it are skipped).
    as_of
        The cut-off.
    participant_ids, series_ids
        Row and column id maps; by default the sorted distinct participants with records and all
        series of ``stats`` (so matrices built on partitions share columns).
    result_weights
        Value of each result; :data:`RESULT_WEIGHTS` when None.
    """
    weights = result_weights or RESULT_WEIGHTS
    vis = visible_achievements(achievements, as_of)
    vis = vis[vis[C.STATUS].to_numpy(dtype=object) != ModerationStatus.REJECTED.value]
    if participant_ids is None:
        participant_ids = pd.Index(np.unique(vis[C.PARTICIPANT_ID].to_numpy(dtype=object)))
    if series_ids is None:
        series_ids = pd.Index(np.unique(stats.table[C.SERIES_ID].to_numpy(dtype=object)))
    act = stats.positions(vis[C.ACTIVITY_ID])
    row = participant_ids.get_indexer(vis[C.PARTICIPANT_ID].astype("object"))
    series = stats.table[C.SERIES_ID].to_numpy(dtype=object)
    col = np.full(len(vis), -1)
    known = act >= 0
    col[known] = series_ids.get_indexer(series[act[known]])
    table = np.array([weights.get(r, 0.0) for r in RESULTS] + [0.0])
    value = table[codes_of(vis[C.RESULT].to_numpy(dtype=object), RESULTS)]
    ok = (row >= 0) & (col >= 0) & (value > 0)
    row, col, value = row[ok], col[ok], value[ok]
    # the best result per cell: sort by value so the last write wins, then dedupe
    order = np.lexsort((value, col, row))
    row, col, value = row[order], col[order], value[order]
    last = (
        np.r_[(row[1:] != row[:-1]) | (col[1:] != col[:-1]), True]
        if len(row)
        else np.zeros(0, bool)
    )
    matrix = sp.csr_matrix(
        (value[last], (row[last], col[last])), shape=(len(participant_ids), len(series_ids))
    )
    matrix.sort_indices()
    return InteractionMatrix(matrix, participant_ids, series_ids, as_of)
