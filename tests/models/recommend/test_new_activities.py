"""Activities published after training are recommendable at once (a bundle fitted at the cut-off
scores the later catalogue): a new edition of a known series through the series' collaborative
signal, a brand-new series through its content, and the re-ranker ranks the new series without
any collaborative score."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from features.cutoff import snapshot_at
from footprint.columns import Columns as C
from footprint.frames import Snapshot
from models.recommend.als import ALSConfig
from models.recommend.base import Recommender
from models.recommend.dataset import DecisionPoint, RecommendDataset, dataset_from_snapshot
from models.recommend.rerank import FEATURES, RerankConfig, RerankRecommender, candidate_features
from tests.models.recommend.conftest import CUTOFF
from training.simworld import SimWorld

AT = CUTOFF + dt.timedelta(days=10)
EDITION, SERIES = "a-next-edition", "a-new-series"


@pytest.fixture(scope="module")
def model(
    sim_dataset: RecommendDataset,
    sim_decisions: tuple[DecisionPoint, ...],
    tmp_path_factory: pytest.TempPathFactory,
) -> RerankRecommender:
    fitted = RerankRecommender(
        RerankConfig(n_estimators=20, max_groups=2_000, als=ALSConfig(factors=8, iterations=5))
    )
    path = fitted.fit(sim_dataset, sim_decisions).save(tmp_path_factory.mktemp("rr") / "rerank.bin")
    loaded = Recommender.load(path)
    assert isinstance(loaded, RerankRecommender)
    return loaded


def _template(sim_dataset: RecommendDataset) -> str:
    """A popular open, non-conditional activity of the cut-off (its series is well known)."""
    cat = sim_dataset.catalog
    open_acts = cat.open_at(CUTOFF)
    taken = np.asarray(sim_dataset.interactions.sum(axis=0)).ravel()
    plain = [a for a in open_acts if a not in set(cat.selection_to.tolist())]
    best = max(plain, key=lambda a: taken[cat.item[a]] if cat.item[a] >= 0 else -1)
    return str(cat.activity_ids[best])


@pytest.fixture(scope="module")
def later(
    sim: SimWorld, sim_dataset: RecommendDataset, model: RerankRecommender
) -> RecommendDataset:
    """The store ten days after the cut-off, with two activities published since: the next
    edition of a known series and a brand-new series (same directions, kind and level)."""
    snap = snapshot_at(sim.snapshot, AT)
    acts = snap.activities
    base = acts[acts[C.ACTIVITY_ID].astype(str) == _template(sim_dataset)]
    rows = []
    for aid, series in ((EDITION, base[C.SERIES_ID].iloc[0]), (SERIES, "s-brand-new")):
        row = base.copy()
        row[C.ACTIVITY_ID] = aid
        row[C.SERIES_ID] = series
        row[C.TITLE] = f"Новое: {aid}"
        row[C.PUBLISHED_AT] = pd.Timestamp(AT - dt.timedelta(days=1))
        row[C.START_AT] = pd.Timestamp(AT + dt.timedelta(days=30))
        row[C.END_AT] = pd.Timestamp(AT + dt.timedelta(days=31))
        row[C.REGISTRATION_DEADLINE] = pd.Timestamp(AT + dt.timedelta(days=20))
        rows.append(row)
    ad = snap.activity_directions
    dirs = [
        ad[ad[C.ACTIVITY_ID].astype(str) == str(base[C.ACTIVITY_ID].iloc[0])].assign(
            **{C.ACTIVITY_ID: aid}
        )
        for aid in (EDITION, SERIES)
    ]
    new = replace(
        snap,
        activities=pd.concat([acts, *rows], ignore_index=True),
        activity_directions=pd.concat([ad, *dirs], ignore_index=True),
    )
    assert isinstance(new, Snapshot)
    return dataset_from_snapshot(new, AT, ability=model.ability_model)


def test_new_activities_are_scored(model: RerankRecommender, later: RecommendDataset) -> None:
    rows = np.flatnonzero(later.history_counts() > 0)[:300]
    acts = later.catalog.open_at(AT)
    ids = list(later.catalog.activity_ids[acts])
    edition, series = ids.index(EDITION), ids.index(SERIES)
    ease = model.bases_["ease"].score(later, rows, acts)
    # the new edition inherits its series' collaborative signal; the new series has none
    assert np.isfinite(ease[:, edition]).all()
    assert np.isnan(ease[:, series]).all()
    # the new series is scored from content (its difficulty placed by kind and level)
    assert later.ability is not None and SERIES in set(later.ability.activity_ids)
    content = model.bases_["content"]
    parts = content.parts(later, rows, acts)  # type: ignore[attr-defined]
    assert np.isfinite(parts["success"][:, series]).all()
    # the re-ranker ranks it with no collaborative score among its features
    feats, cand, _ = candidate_features(
        model.bases_, later, rows, acts, AT, model.config.candidates_per_model
    )
    assert cand[:, series].any()
    assert np.isnan(feats[cand[:, series], series, FEATURES.index("score_ease")]).all()
    scores = model.score_at(later, rows, acts, AT)
    assert np.isfinite(scores[cand[:, series], series]).all()
    recs = model.recommend(list(later.participant_ids[rows]), k=10, as_of=AT, dataset=later)
    assert {EDITION, SERIES} <= set(recs[C.ACTIVITY_ID].astype(str))
