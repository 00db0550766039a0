"""Cold start: entry-level recommendations from grade, region and declared interests alone.

For a participant with no footprint the score of an activity is

    log(1 + taken by participants of the same grade) + 0.5 log(1 + taken in the same region)
    + interest x (declared interest in its directions) + entry x (entry level)

where "entry level" means a school, municipal or regional activity, an online course, a test or
an olympiad's first stage (no selection needed). Every base model falls back to it for
participants it knows nothing about.

The peer counts are those of the dataset asked about (the live store's at request time, computed
once per dataset), so fitting learns nothing and the model holds no participant data.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np
import pandas as pd
from pydantic import Field

from models.recommend.base import Recommender, RecommenderConfig
from models.recommend.codes import ReasonCode
from models.recommend.dataset import N_GRADES, PeerCounts, RecommendDataset
from models.recommend.reasons import Reason, reason


class ColdStartConfig(RecommenderConfig):
    region_weight: float = Field(default=0.5, ge=0)
    interest_weight: float = Field(default=1.5, ge=0)
    entry_weight: float = Field(default=0.7, ge=0)


def entry_level(dataset: RecommendDataset, acts: np.ndarray) -> np.ndarray:
    """Whether each activity is a sensible first step (no selection, modest level)."""
    return dataset.catalog.entry_level[acts]


def peer_counts(dataset: RecommendDataset) -> PeerCounts:
    """:class:`PeerCounts` of ``dataset``, computed once per dataset
    (:attr:`RecommendDataset.peer_counts`)."""
    return dataset.peer_counts


class ColdStartRecommender(Recommender[ColdStartConfig]):
    """Popularity among peers of the same grade and region, tilted to interests and entry level."""

    name: ClassVar[str] = "coldstart"
    config_class = ColdStartConfig
    needs_content: ClassVar[bool] = True

    def _fit(self, dataset: RecommendDataset) -> None:
        del dataset  # nothing to learn: the peer counts are read from the dataset asked about

    def score(self, dataset: RecommendDataset, rows: np.ndarray, acts: np.ndarray) -> np.ndarray:
        cfg = self.config
        counts = peer_counts(dataset)
        items = dataset.catalog.item[acts]
        ok = items >= 0
        safe_i = np.maximum(items, 0)
        known = rows >= 0
        safe = np.maximum(rows, 0)
        grade = dataset.grade_of(rows)
        g = np.where(np.isnan(grade), -1, np.clip(grade, 0, N_GRADES - 1)).astype(np.int64)
        peer = np.where(
            g[:, None] >= 0,
            counts.by_grade[np.maximum(g, 0)][:, safe_i],
            counts.overall[safe_i][None, :] / N_GRADES,
        )
        region = dataset.region_of(rows)
        r = counts.regions.get_indexer(pd.Index(region, dtype=object))
        local = np.where(r[:, None] >= 0, counts.by_region[np.maximum(r, 0)][:, safe_i], 0.0)
        score = np.log1p(peer * ok) + cfg.region_weight * np.log1p(local * ok)
        if dataset.directions:
            declared = np.where(known[:, None], dataset.declared[safe], 0.0)
            score += cfg.interest_weight * (declared @ dataset.catalog.weights[acts].T)
        score += cfg.entry_weight * entry_level(dataset, acts)[None, :]
        return score

    def primary_reasons(
        self, dataset: RecommendDataset, rows: np.ndarray, sel: np.ndarray, valid: np.ndarray
    ) -> list[list[Reason]]:
        entry = entry_level(dataset, sel.ravel()).reshape(sel.shape)
        out = []
        for i, row in enumerate(rows.tolist()):
            grade = dataset.grade[row] if row >= 0 else np.nan
            fits = (
                reason(ReasonCode.FITS_GRADE, grade=int(grade))
                if not np.isnan(grade)
                else reason(ReasonCode.POPULAR)
            )
            out.append(
                [
                    reason(ReasonCode.ENTRY_LEVEL) if entry[i, j] else fits
                    for j in range(sel.shape[1])
                ]
            )
        return out
