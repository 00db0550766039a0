"""Settings chosen on a validation cut-off inside the simulator split's training period."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from footprint.columns import Columns as C
from models.recommend.als import ALSConfig
from tests.training.recommend_world import small_world  # noqa: F401 - a fixture
from training.recommend.evaluate import SimSplitConfig, prepare_split
from training.select_simulator import SimSelectionConfig, select_sim_settings, validation_split
from training.simworld import SimWorld

TESTS = (dt.datetime(2024, 10, 1), dt.datetime(2024, 12, 1))
CFG = SimSplitConfig(
    cutoffs=TESTS, models=("popular", "ease", "als"), max_queries=200, ability_sample=100
)
SETTINGS = {"als": ALSConfig(iterations=5)}
SEL = SimSelectionConfig(
    enabled=True,
    max_queries=200,
    ease_lambdas=(20.0, 2000.0),
    als_factors=(8, 16),
    als_regularization=(0.05,),
    als_iterations=(3, 5),
    als_budget=2,
    rerank_budget=0,
)


def test_validation_never_overlaps_the_test(small_world: SimWorld) -> None:  # noqa: F811
    snap = small_world.snapshot
    val, first = validation_split(
        snap, CFG.model_copy(update={"models": ("popular",)}), SEL, decisions=False
    )
    assert first == TESTS[0]
    (cut,) = val.cutoffs
    assert cut.cutoff == dt.datetime(2023, 10, 1) and cut.dataset.as_of < first
    # in time: every validation choice was recorded (and achieved) before the first test cut-off
    ach = snap.achievements
    pairs = {(p, a) for p, rel in zip(cut.participants, cut.relevant, strict=True) for a in rel}
    assert pairs
    keys = pd.MultiIndex.from_arrays(
        [ach[C.PARTICIPANT_ID].astype("object"), ach[C.ACTIVITY_ID].astype("object")]
    )
    rows = ach[keys.isin(list(pairs))]
    assert (
        len(rows) and (rows[C.RECORDED_AT] <= first).all() and (rows[C.ACHIEVED_AT] <= first).all()
    )
    # in ids: no (participant, activity) choice is both a validation and a test answer
    test = prepare_split(snap, CFG.model_copy(update={"models": ("popular",)}), decisions=False)
    test_pairs = {
        (p, a)
        for c in test.cutoffs
        for p, rel in zip(c.participants, c.relevant, strict=True)
        for a in rel
    }
    assert test_pairs and not pairs & test_pairs


def test_selection_is_reproducible_and_picks_the_validation_best(small_world: SimWorld) -> None:  # noqa: F811
    a = select_sim_settings(small_world.snapshot, CFG, SETTINGS, SEL)
    b = select_sim_settings(small_world.snapshot, CFG, SETTINGS, SEL)
    assert a.chosen == b.chosen and a.grid == b.grid
    ease = {g["lambda"]: g["ndcg@10"] for g in a.grid if g["model"] == "ease"}
    assert set(ease) == {20.0, 2000.0}
    assert a.chosen["ease.lambda"] == max(ease, key=lambda lam: ease[lam])
    assert a.settings["ease"].regularization == a.chosen["ease.lambda"]  # type: ignore[attr-defined]
    assert a.settings["als"].factors == a.chosen["als.factors"] in (8, 16)  # type: ignore[attr-defined]
    assert a.settings["als"].iterations == a.chosen["als.iterations"] in (3, 5)  # type: ignore[attr-defined]
    assert a.validation["ease"] == max(ease.values())
    assert a.metrics()["selected.ease.lambda"] == a.chosen["ease.lambda"]
