"""Competence-aware content model and cold start."""

from __future__ import annotations

import dataclasses

import numpy as np

from features.cutoff import snapshot_at
from footprint.columns import Columns as C
from models.recommend.coldstart import ColdStartRecommender, entry_level
from models.recommend.columns import RecColumns as R
from models.recommend.content import ContentConfig, ContentRecommender, success_matrix
from models.recommend.dataset import RecommendDataset
from tests.models.recommend.conftest import CUTOFF
from training.simworld import SimWorld


def test_stretch_zone_prefers_a_chance_near_the_target(sim_dataset: RecommendDataset) -> None:
    data = sim_dataset
    acts = data.catalog.open_at(data.as_of)
    row = np.array([int(np.flatnonzero(data.history_counts() > 2)[0])])
    p = success_matrix(data, row, acts)[0]
    assert np.nanmin(p) >= 0 and np.nanmax(p) <= 1
    pure = ContentRecommender(
        ContentConfig(region_bonus=0, popularity_weight=0, interest_floor=10.0, target_success=0.5)
    ).fit(data)
    score = pure.score(data, row, acts)[0]
    ok = ~np.isnan(p)
    # with interest flattened out, the score falls as the chance moves away from 0.5
    order = np.argsort(-score[ok])
    gaps = np.abs(p[ok][order] - 0.5)
    assert gaps[0] <= np.median(gaps)


def test_ability_changes_the_ranking(sim_dataset: RecommendDataset) -> None:
    data = sim_dataset
    acts = data.catalog.open_at(data.as_of)
    p = success_matrix(data, np.arange(0, data.n_participants, 50), acts)
    assert np.nanstd(p, axis=0).mean() > 0.01  # different people, different chances


def test_cold_start_uses_grade_interests_and_entry_level(sim_dataset: RecommendDataset) -> None:
    data = sim_dataset
    model = ColdStartRecommender().fit(data)
    at_school = (data.grade >= 5) & (data.grade <= 11)
    newcomers = data.participant_ids[(data.history_counts() == 0) & at_school][:30]
    assert len(newcomers) > 0
    recs = model.recommend(newcomers, k=5)
    assert recs[C.PARTICIPANT_ID].nunique() == len(newcomers)
    acts = data.catalog.activity_ids.get_indexer(recs[C.ACTIVITY_ID].astype("object"))
    assert entry_level(data, acts).mean() > 0.5
    codes = {c for cs in recs[R.REASON_CODES] for c in cs}
    assert codes & {"entry_level", "fits_grade"}


def test_cold_start_follows_declared_interest(sim_dataset: RecommendDataset) -> None:
    data = sim_dataset
    model = ColdStartRecommender().fit(data)
    acts = data.catalog.open_at(data.as_of)
    d = data.directions.index("robotics")
    rows = np.flatnonzero(
        (data.history_counts() == 0) & (data.declared[:, d] == 1) & (data.declared.sum(axis=1) == 1)
    )[:20]
    assert len(rows) > 0
    score = model.score(data, rows, acts)
    top = acts[np.argmax(score, axis=1)]
    assert (data.catalog.weights[top, d] > 0).mean() >= 0.6


def test_a_few_participants_placed_on_the_kept_item_side_match_the_whole_scale(
    sim: SimWorld, sim_dataset: RecommendDataset
) -> None:
    """The live path recomputes a changed participant's abilities alone
    (:meth:`AbilityModel.participants`); they must equal that participant's row of the scale
    computed for everyone."""
    scale = sim_dataset.ability
    assert scale is not None and scale.model is not None
    snap = snapshot_at(sim.snapshot, CUTOFF)
    whole = scale.model.apply(snap, CUTOFF)
    ids = [str(p) for p in whole.participant_ids[[3, 50, 400]]]
    one = snap.achievements[snap.achievements[C.PARTICIPANT_ID].astype(str).isin(ids)]
    few = dataclasses.replace(
        snap,
        achievements=one,
        participants=snap.participants[snap.participants[C.PARTICIPANT_ID].astype(str).isin(ids)],
    )
    part = scale.model.participants(whole, few, CUTOFF)
    assert list(part.participant_ids) == sorted(ids)
    np.testing.assert_allclose(part.ability, whole.ability_for(part.participant_ids))
    assert part.reference is whole.reference and part.difficulty is whole.difficulty
