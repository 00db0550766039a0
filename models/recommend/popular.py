"""The popularity baseline, overall or within the participant's directions.

``overall``: an activity scores the number of participants who took its series before (so a new
season's edition inherits its series' popularity). The counts are those of the dataset asked
about (the live store's at request time), so they are always current; fitting learns nothing.
``direction``: the same count times the
participant's interest in the activity's directions (:func:`direction_profile`), so a robotics
fan sees the popular robotics events first. Both are meaningful for participants with no history
(the direction mode then uses declared interests).
"""

from __future__ import annotations

from typing import ClassVar, Literal

import numpy as np

from models.recommend.base import Recommender, RecommenderConfig
from models.recommend.codes import ReasonCode
from models.recommend.dataset import RecommendDataset
from models.recommend.profile import direction_profile, item_directions, item_popularity
from models.recommend.reasons import Reason, direction_title, main_direction, reason


class PopularConfig(RecommenderConfig):
    mode: Literal["overall", "direction"] = "overall"


class PopularRecommender(Recommender[PopularConfig]):
    """Most taken series first (optionally weighted by direction interest)."""

    name: ClassVar[str] = "popular"
    config_class = PopularConfig

    @property
    def label(self) -> str:
        return "popular_direction" if self.config.mode == "direction" else self.name

    def _fit(self, dataset: RecommendDataset) -> None:
        del dataset  # nothing to learn: the counts are read from the dataset asked about

    def _item_scores(self, dataset: RecommendDataset, acts: np.ndarray) -> np.ndarray:
        items = dataset.catalog.item[acts]
        pop = np.where(items >= 0, item_popularity(dataset)[np.maximum(items, 0)], 0.0)
        return np.log1p(pop)

    def score(self, dataset: RecommendDataset, rows: np.ndarray, acts: np.ndarray) -> np.ndarray:
        base = self._item_scores(dataset, acts)
        if self.config.mode == "overall" or not dataset.directions:
            return np.tile(base, (len(rows), 1))
        profile = direction_profile(dataset, rows, item_directions(dataset))
        affinity = profile @ dataset.catalog.weights[acts].T
        return base[None, :] + np.log(affinity + 0.05)

    def primary_reasons(
        self, dataset: RecommendDataset, rows: np.ndarray, sel: np.ndarray, valid: np.ndarray
    ) -> list[list[Reason]]:
        if self.config.mode == "overall":
            r = reason(ReasonCode.POPULAR)
            return [[r] * sel.shape[1] for _ in range(len(rows))]
        out = []
        for i in range(len(rows)):
            line = []
            for j in range(sel.shape[1]):
                d = main_direction(dataset, int(sel[i, j])) if valid[i, j] else None
                line.append(
                    reason(ReasonCode.POPULAR_IN_DIRECTION, direction_title=direction_title(d))
                    if d
                    else reason(ReasonCode.POPULAR)
                )
            out.append(line)
        return out
