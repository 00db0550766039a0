"""What plans are made from, prepared once and shared by every participant's plan."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np

from models.rating.engine import RatingResult
from models.recommend.dataset import RecommendDataset
from models.recommend.feasibility import FeasibilityRules
from models.recommend.planner.plans import PlanConstraints
from models.recommend.planner.projection import PlanCatalog, plan_catalog, source_index


@dataclass(frozen=True)
class Planner:
    """Everything plans are made from, prepared once: the dataset (with abilities), the rating
    of the season so far (for what-ifs) and the rating used for diploma thresholds (the current
    one, or the previous season's as a forecast early in a season).

    The dataset may be a training snapshot's or the live store's (serving builds it per store
    generation with :class:`serving.services.live.LiveDatasets`); the planner reads only its
    catalogue, histories, grades, regions and the ability scale, so both plan the same way.
    """

    dataset: RecommendDataset
    rating: RatingResult | None = None
    reference_rating: RatingResult | None = None
    rules: FeasibilityRules = field(default_factory=FeasibilityRules)
    _catalogs: dict[tuple[object, ...], tuple[PlanCatalog, np.ndarray]] = field(
        default_factory=dict, repr=False, compare=False
    )

    def catalog(
        self, as_of: dt.datetime, horizon: dt.datetime, project: bool
    ) -> tuple[PlanCatalog, np.ndarray]:
        """The plan catalogue and its source editions (the same for every participant: cached)."""
        key = (as_of, horizon, project)
        if key not in self._catalogs:
            pc = plan_catalog(self.dataset, as_of, horizon, project=project)
            self._catalogs[key] = (pc, source_index(pc, self.dataset))
        return self._catalogs[key]

    def rules_for(self, constraints: PlanConstraints) -> FeasibilityRules:
        """The feasibility rules narrowed by a request's format and region constraints."""
        return self.rules.model_copy(
            update={"online_only": constraints.online_only, "regions": constraints.regions}
        )
