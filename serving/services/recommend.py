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


class RecommendService:
    """Recommendations and plans for participants of the live store."""

    def __init__(self, live: LiveFootprint, rating: RatingService, bundle: BundleGetter) -> None:
        self.live = live
        self.rating = rating
        self._bundle = bundle
        self._planners: dict[tuple[str, int, str], Planner] = {}
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
        _, _, participants = self.live.participant_frames([participant_id])
        if participants.empty:
            raise NotFoundError("no such participant in the store")

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
        _, snapshot = self.live.snapshot()
        if direction is not None:
            ad = snapshot.activity_directions
            weight = ad[ad[C.DIRECTION] == direction].set_index(C.ACTIVITY_ID)[C.WEIGHT]
            keep = frame[C.ACTIVITY_ID].map(weight).fillna(0.0) >= MIN_DIRECTION_WEIGHT
            frame = frame[keep.to_numpy()].head(k).copy()
            frame[RC.RANK] = range(1, len(frame) + 1)
        acts = snapshot.activities.set_index(C.ACTIVITY_ID)
        for col in (C.TITLE, C.KIND, C.LEVEL, C.FORMAT, C.START_AT, C.REGISTRATION_DEADLINE):
            frame[col] = frame[C.ACTIVITY_ID].map(acts[col])
        return loaded, instant, frame.reset_index(drop=True)

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
