"""Recommendations and season trajectories with the served recommender bundle.

The bundle is a fitted :class:`models.recommend.base.Recommender` holding parameters only
(``talent train recommend``). Every answer is computed from the live store: the participant's
history, the participants' counts and the open catalogue as they are now
(:class:`~serving.services.live.LiveDatasets`, built by the same ``dataset_from_snapshot`` that
training uses, with the bundle's ability parameters applied). Serving calls the model's
``recommend_records`` (the rows of ``recommend`` without the frame) and
:func:`models.recommend.planner.plan` exactly as ``talent recommend`` and ``talent plan`` do, with
the rating of the live store for the planner's what-ifs and diploma thresholds. Nothing is fitted
here.

So an achievement pushed a minute ago counts in the next answer, a participant who registered
after training is scored from their history, an activity published after training is a
candidate, and an erased participant is gone from every answer at once (152-FZ).
"""

from __future__ import annotations

import datetime as dt
import threading
from dataclasses import dataclass
from typing import Any

import pandas as pd

from core.errors import ConfigError
from footprint.calendar import season_name, season_start_year
from footprint.columns import Columns as C
from models.rating.codes import View
from models.recommend.base import Recommender
from models.recommend.columns import RecColumns as RC
from models.recommend.feasibility import FeasibilityRules
from models.recommend.planner import Goal, Plan, PlanConstraints, Planner, plan
from serving.bundles import BundleGetter, LoadedBundle, require_bundle
from serving.errors import InvalidInputError, NotFoundError, NotReadyError
from serving.services.live import LiveDatasets, LiveFootprint
from serving.services.rating import RatingService

# an activity counts for a direction from this share of its weight (the planner's default)
MIN_DIRECTION_WEIGHT: float = PlanConstraints.model_fields["min_weight"].default
DIRECTION_FETCH_FACTOR = 10
# what an answer tells about each recommended activity, from the live store
DETAIL_COLUMNS = (C.TITLE, C.KIND, C.LEVEL, C.FORMAT, C.START_AT, C.REGISTRATION_DEADLINE)
_NO_DETAILS: dict[str, Any] = dict.fromkeys(DETAIL_COLUMNS)


def _plain(value: Any) -> Any:
    """A frame cell as a plain value: missing (None, NaN, NaT) as None, timestamps as
    datetimes."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    return value


@dataclass(frozen=True)
class _Catalogue:
    """Lookups over one snapshot generation's catalogue: activity details by id and, per
    direction, each activity's weight in it."""

    generation: int
    details: dict[str, dict[str, Any]]
    weights: dict[str, dict[str, float]]


class RecommendService:
    """Recommendations and plans for participants of the live store."""

    def __init__(
        self,
        live: LiveFootprint,
        rating: RatingService,
        bundle: BundleGetter[Recommender],
        datasets: LiveDatasets | None = None,
    ) -> None:
        self.live = live
        self.datasets = datasets or LiveDatasets(live)
        self.rating = rating
        self._bundle = bundle
        self._planners: dict[tuple[str, int, str], Planner] = {}
        self._catalogue_cache: _Catalogue | None = None
        self._lock = threading.Lock()

    def loaded(self) -> LoadedBundle[Recommender]:
        """The bundle to use for one whole request (:class:`NotReadyError` when none is loaded)."""
        return require_bundle(
            self._bundle,
            "no recommender is loaded (set TALENT_RECOMMEND_BUNDLE; see /v1/admin/models)",
        )

    def _require_known(self, participant_id: str) -> None:
        if not self.live.has_participant(participant_id):
            raise NotFoundError("no such participant in the store")

    def _catalogue(self) -> _Catalogue:
        """The live catalogue's lookups, built once per snapshot generation (not per request)."""
        generation, snapshot = self.live.catalogue()
        cached = self._catalogue_cache
        if cached is not None and cached.generation == generation:
            return cached
        ad = snapshot.activity_directions
        weights = {
            str(d): dict(
                zip(group[C.ACTIVITY_ID].astype(str), group[C.WEIGHT].astype(float), strict=True)
            )
            for d, group in ad.groupby(ad[C.DIRECTION].astype(object), sort=False)
        }
        acts = snapshot.activities
        columns = [[_plain(v) for v in acts[col].astype(object)] for col in DETAIL_COLUMNS]
        details = {
            str(aid): dict(zip(DETAIL_COLUMNS, values, strict=True))
            for aid, *values in zip(acts[C.ACTIVITY_ID].astype(str), *columns, strict=True)
        }
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
    ) -> tuple[LoadedBundle[Recommender], dt.datetime, list[dict[str, Any]]]:
        """The served bundle, the request instant and the top-``k`` rows, best first: the
        library's columns plus the activity's title, kind, level, format and dates from the live
        store, as plain values (missing ones None).

        One participant's answer is a handful of rows: the library's
        :meth:`~models.recommend.base.Recommender.recommend_records` gives them as dicts (no
        frame) and they are joined in plain Python.
        """
        loaded = self.loaded()
        self._require_known(participant_id)
        model = loaded.bundle
        instant = as_of or self.live.now()
        rules = FeasibilityRules(online_only=online_only, regions=regions)
        fetch = k * DIRECTION_FETCH_FACTOR if direction else k
        dataset = self.datasets.dataset(model.ability_model)
        found = model.recommend_records(
            [participant_id], k=fetch, as_of=instant, rules=rules, dataset=dataset
        )
        return loaded, instant, self._finish(found, k=k, direction=direction)

    def _finish(
        self, found: list[dict[str, Any]], *, k: int, direction: str | None
    ) -> list[dict[str, Any]]:
        """One participant's rows, best first: kept to ``direction`` (re-ranked) and joined
        with the activity's details from the live catalogue."""
        catalogue = self._catalogue()
        if direction is not None:
            weight = catalogue.weights.get(direction, {})
            found = [
                r for r in found if weight.get(str(r[C.ACTIVITY_ID]), 0.0) >= MIN_DIRECTION_WEIGHT
            ][:k]
        rows = []
        for rank, row in enumerate(found, start=1):
            if direction is not None:
                row[RC.RANK] = rank
            row.update(catalogue.details.get(str(row[C.ACTIVITY_ID]), _NO_DETAILS))
            rows.append(row)
        return rows

    def recommend_many(
        self,
        participant_ids: list[str],
        *,
        k: int,
        direction: str | None = None,
        as_of: dt.datetime | None = None,
        online_only: bool = False,
        regions: tuple[str, ...] | None = None,
    ) -> tuple[LoadedBundle[Recommender], dt.datetime, dict[str, list[dict[str, Any]]], list[str]]:
        """:meth:`recommend` for many participants in one pass of the model (the nightly
        jobs' path): the bundle, the instant, each known participant's rows (in the order
        asked, duplicates once) and the ids the live store does not hold (not an error here:
        the caller reports them per participant).

        The model scores all known participants in one call of
        :meth:`~models.recommend.base.Recommender.recommend_records` (it batches internally),
        so a batch costs less than the same requests one by one.
        """
        loaded = self.loaded()
        model = loaded.bundle
        instant = as_of or self.live.now()
        wanted = list(dict.fromkeys(participant_ids))
        known = [p for p in wanted if self.live.has_participant(p)]
        known_set = set(known)
        unknown = [p for p in wanted if p not in known_set]
        rules = FeasibilityRules(online_only=online_only, regions=regions)
        fetch = k * DIRECTION_FETCH_FACTOR if direction else k
        grouped: dict[str, list[dict[str, Any]]] = {p: [] for p in known}
        if known:
            dataset = self.datasets.dataset(model.ability_model)
            for row in model.recommend_records(
                known, k=fetch, as_of=instant, rules=rules, dataset=dataset
            ):
                grouped[str(row[C.PARTICIPANT_ID])].append(row)
        results = {p: self._finish(rows, k=k, direction=direction) for p, rows in grouped.items()}
        return loaded, instant, results, unknown

    def _planner(self, loaded: LoadedBundle[Recommender], as_of: dt.datetime) -> Planner:
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
                dataset = self.datasets.dataset(loaded.bundle.ability_model)
                planner = Planner(dataset, current, reference)
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
    ) -> tuple[LoadedBundle[Recommender], Plan]:
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
        if loaded.bundle.ability_model is None:
            raise NotReadyError(
                "the served recommender has no ability scale; train it with the "
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
