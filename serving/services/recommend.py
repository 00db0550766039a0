"""Recommendations and season trajectories with the served recommender bundle.

The bundle is a fitted :class:`models.recommend.base.Recommender` saved with the dataset it
recommends from (``talent train recommend``); serving calls its ``recommend`` and
:func:`models.recommend.planner.plan` exactly as ``talent recommend`` and ``talent plan`` do, with
the rating of the live store for the planner's what-ifs and diploma thresholds. Nothing is fitted
here: the dataset's abilities come with the bundle.

Only participants present in the live store are answered: the bundle's dataset was built before
later erasures, and an erased participant's history must not be used (152-FZ).
"""

from __future__ import annotations

import datetime as dt
import threading
from dataclasses import dataclass
from typing import Any

import pandas as pd

from footprint.calendar import season_name, season_start_year
from footprint.columns import Columns as C
from footprint.errors import ConfigError
from models.rating.codes import View
from models.recommend.columns import RecColumns as RC
from models.recommend.feasibility import FeasibilityRules
from models.recommend.planner import Goal, Plan, PlanConstraints, Planner, plan
from serving.bundles import LoadedBundle
from serving.errors import InvalidInputError, NotFoundError, NotReadyError
from serving.services.competence import BundleGetter
from serving.services.live import LiveFootprint
from serving.services.rating import RatingService

# an activity counts for a direction from this share of its weight (the planner's default)
MIN_DIRECTION_WEIGHT: float = PlanConstraints.model_fields["min_weight"].default
DIRECTION_FETCH_FACTOR = 10
# what an answer tells about each recommended activity, from the live store
DETAIL_COLUMNS = (C.TITLE, C.KIND, C.LEVEL, C.FORMAT, C.START_AT, C.REGISTRATION_DEADLINE)
_NO_WEIGHTS = pd.Series(dtype=float)


@dataclass(frozen=True)
class _Catalogue:
    """Lookups over one snapshot generation's catalogue: activity details by id and, per
    direction, each activity's weight in it."""

    generation: int
    details: pd.DataFrame
    weights: dict[str, pd.Series]


class RecommendService:
    """Recommendations and plans for participants of the live store."""

    def __init__(self, live: LiveFootprint, rating: RatingService, bundle: BundleGetter) -> None:
        self.live = live
        self.rating = rating
        self._bundle = bundle
        self._planners: dict[tuple[str, int, str], Planner] = {}
        self._catalogue_cache: _Catalogue | None = None
        self._lock = threading.Lock()

    def loaded(self) -> LoadedBundle[Any]:
        """The bundle to use for one whole request.

        Raises
        ------
        NotReadyError
            No recommender bundle is configured or loaded.
        """
        loaded = self._bundle()
        if loaded is None:
            raise NotReadyError(
                "no recommender is loaded (set TALENT_RECOMMEND_BUNDLE; see /v1/admin/models)"
            )
        return loaded

    def _require_known(self, participant_id: str) -> None:
        if not self.live.has_participant(participant_id):
            raise NotFoundError("no such participant in the store")

    def _catalogue(self) -> _Catalogue:
        """The live catalogue's lookups, built once per snapshot generation (not per request)."""
        generation, snapshot = self.live.snapshot()
        cached = self._catalogue_cache
        if cached is not None and cached.generation == generation:
            return cached
        ad = snapshot.activity_directions
        weights = {
            str(d): group.set_index(C.ACTIVITY_ID)[C.WEIGHT]
            for d, group in ad.groupby(ad[C.DIRECTION].astype(object), sort=False)
        }
        details = snapshot.activities.set_index(C.ACTIVITY_ID)[list(DETAIL_COLUMNS)]
        cached = _Catalogue(generation, details, weights)
        self._catalogue_cache = cached
        return cached

    def recommend(
        self,
        participant_id: str,
        *,
        k: int,
        direction: str | None = None,
        as_of: dt.datetime | None = None,
        online_only: bool = False,
        regions: tuple[str, ...] | None = None,
    ) -> tuple[LoadedBundle[Any], dt.datetime, pd.DataFrame]:
        """The served bundle, the request instant and the top-``k`` frame (library columns plus
        the activity's title and dates from the live store)."""
        loaded = self.loaded()
        self._require_known(participant_id)
        model = loaded.bundle
        instant = as_of or self.live.now()
        rules = FeasibilityRules(online_only=online_only, regions=regions)
        fetch = k * DIRECTION_FETCH_FACTOR if direction else k
        frame = model.recommend([participant_id], k=fetch, as_of=instant, rules=rules)
        catalogue = self._catalogue()
        if direction is not None:
            weight = catalogue.weights.get(direction, _NO_WEIGHTS)
            keep = frame[C.ACTIVITY_ID].map(weight).fillna(0.0) >= MIN_DIRECTION_WEIGHT
            frame = frame[keep.to_numpy()].head(k).copy()
            frame[RC.RANK] = range(1, len(frame) + 1)
        frame = frame.reset_index(drop=True)
        details = catalogue.details.reindex(frame[C.ACTIVITY_ID].to_numpy())
        for col in DETAIL_COLUMNS:
            frame[col] = details[col].to_numpy()
        return loaded, instant, frame

    def _planner(self, loaded: LoadedBundle[Any], as_of: dt.datetime) -> Planner:
        """One planner per bundle, store generation and season (its catalogue cache is kept)."""
        year = season_start_year(as_of.date())
        key = (loaded.sha256, self.rating.generation, season_name(year))
        planner = self._planners.get(key)
        if planner is not None:
            return planner
        with self._lock:
            planner = self._planners.get(key)
            if planner is None:
                current = self.rating.result(season_name(year), View.OFFICIAL)
                reference = self.rating.result(season_name(year - 1), View.OFFICIAL)
                planner = Planner(loaded.bundle.dataset_, current, reference)
                # older generations are never asked again
                self._planners = {k: v for k, v in self._planners.items() if k[1] == key[1]}
                self._planners[key] = planner
        return planner

    def plan(
        self,
        participant_id: str,
        goal: str,
        *,
        horizon: dt.datetime | None,
        constraints: PlanConstraints,
        as_of: dt.datetime | None = None,
    ) -> tuple[LoadedBundle[Any], Plan]:
        """A dated trajectory toward ``goal`` (``python:advanced``, ``robotics:prize_winner``,
        ``engineering:70``).

        Raises
        ------
        InvalidInputError
            A malformed goal or an unknown direction (``field`` names it).
        NotReadyError
            No bundle, or a bundle whose dataset has no abilities.
        NotFoundError
            The participant is not in the live store.
        """
        loaded = self.loaded()
        self._require_known(participant_id)
        if loaded.bundle.dataset_.ability is None:
            raise NotReadyError(
                "the served recommender's dataset has no abilities; train it with the "
                "content or rerank model to plan trajectories"
            )
        try:
            target = Goal.parse(goal)
        except (ConfigError, ValueError) as exc:
            raise InvalidInputError(str(exc), ("body", "goal")) from exc
        instant = as_of or self.live.now()
        planner = self._planner(loaded, instant)
        try:
            result = plan(participant_id, target, horizon, constraints, planner, instant)
        except ConfigError as exc:
            raise InvalidInputError(str(exc), ("body", "goal")) from exc
        return loaded, result
