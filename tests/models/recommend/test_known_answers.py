"""Tiny hand-made worlds whose right answers are known in advance."""

from __future__ import annotations

import numpy as np
import pandas as pd

from footprint.columns import Columns as C
from models.recommend.als import ALSConfig, ALSRecommender
from models.recommend.base import Recommender
from models.recommend.codes import ReasonCode
from models.recommend.columns import RecColumns as R
from models.recommend.dataset import RecommendDataset, dataset_from_interactions
from models.recommend.ease import EASERecommender
from models.recommend.popular import PopularConfig, PopularRecommender
from tests.models.recommend.conftest import tiny_log


def _top(model: Recommender, pid: str, k: int = 10) -> list[str]:
    recs = model.recommend([pid], k=k)
    return list(recs[C.ACTIVITY_ID].astype(str))


def test_popular_puts_the_most_taken_series_first(tiny: RecommendDataset) -> None:
    top = _top(PopularRecommender().fit(tiny), "u-new")
    assert top[0] == "a-pop-2025"


def test_popular_by_direction_follows_declared_interest(tiny: RecommendDataset) -> None:
    top = _top(PopularRecommender(PopularConfig(mode="direction")).fit(tiny), "u-new")
    # u-new declared robotics: the robotics series come before the python ones
    assert top.index("a-rb-a-2025") < top.index("a-py-a-2025")
    assert top.index("a-rb-b-2025") < top.index("a-py-b-2025")


def test_ease_completes_the_taste_group(tiny: RecommendDataset) -> None:
    model = EASERecommender(_ease_config()).fit(tiny)
    top = _top(model, "u-py")
    assert top.index("a-py-b-2025") < top.index("a-rb-a-2025")
    assert top.index("a-py-b-2025") < top.index("a-rb-b-2025")
    top = _top(model, "u-rb")
    assert top.index("a-rb-b-2025") < top.index("a-py-b-2025")


def test_als_completes_the_taste_group(tiny: RecommendDataset) -> None:
    # two taste groups, two factors: with four factors and almost no regularization the tiny
    # world is fitted exactly and the two unseen series differ by noise (1e-3), which the
    # participant's folded-in factors ordered either way
    model = ALSRecommender(ALSConfig(factors=2, iterations=30, regularization=0.1, seed=1)).fit(
        tiny
    )
    top = _top(model, "u-py")
    assert top.index("a-py-b-2025") < top.index("a-rb-b-2025")
    top = _top(model, "u-rb")
    assert top.index("a-rb-b-2025") < top.index("a-py-b-2025")


def test_a_new_edition_of_a_known_series_is_not_cold(tiny: RecommendDataset) -> None:
    # the 2025 editions have no records at all, yet they score through their series
    model = EASERecommender(_ease_config()).fit(tiny)
    recs = model.recommend(["u-py"], k=3)
    assert recs[R.SCORE].notna().all()
    assert ReasonCode.SIMILAR_PARTICIPANTS.value in recs[R.REASON_CODES].iloc[0]


def test_ease_on_a_generic_log_stays_in_the_group(rng: np.random.Generator) -> None:
    log = tiny_log(rng)
    data = dataset_from_interactions(log, "user", "item", R.WEIGHT)
    recs = EASERecommender(_ease_config()).fit(data).recommend(["u0", "u1"], k=3)
    for pid, group in (("u0", 0), ("u1", 1)):
        items = recs[recs[C.PARTICIPANT_ID] == pid][C.ACTIVITY_ID].astype(str)
        assert all(int(i[1:]) // 10 == group for i in items)
        seen = set(log[log["user"] == pid]["item"])
        assert not seen & set(items)


def test_undated_log_has_no_infeasible_dates(rng: np.random.Generator) -> None:
    data = dataset_from_interactions(tiny_log(rng), "user", "item")
    assert len(data.catalog.open_at(None)) == data.n_items
    recs = PopularRecommender().fit(data).recommend(["u0"], k=20)
    assert len(recs) == 10 - 6 + 10  # every unseen item of both groups
    assert isinstance(recs, pd.DataFrame)


def _ease_config():
    from models.recommend.ease import EASEConfig

    return EASEConfig(regularization=1.0)
