"""The re-ranker's features on the hand-made world, with answers counted by hand."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from footprint.columns import Columns as C
from models.recommend.dataset import RecommendDataset, dataset_from_snapshot
from models.recommend.rerank import (
    FEATURES,
    _days_since_direction,
    _interest_share,
    _region_share,
)

from .conftest import TINY_AS_OF, tiny_snapshot

PYTHON_FANS = [f"py{n:02d}" for n in range(6)] + ["u-new"]


@pytest.fixture(scope="module")
def data() -> RecommendDataset:
    """The tiny world with py00-py05 and u-new declaring python (u-new has no record)."""
    snap = tiny_snapshot()
    people = snap.participants.copy()
    people.loc[people[C.PARTICIPANT_ID].isin(PYTHON_FANS), C.DECLARED_INTERESTS] = "python"
    return dataset_from_snapshot(dataclasses.replace(snap, participants=people), TINY_AS_OF)


def _cols(data: RecommendDataset, *aids: str) -> np.ndarray:
    return np.asarray(data.catalog.activity_ids.get_indexer(list(aids)))


def test_new_features_are_named_once() -> None:
    assert len(set(FEATURES)) == len(FEATURES)
    new = {"pop_region", "pop_interest", "days_since_direction", "age_days"}
    assert new <= set(FEATURES)


def test_region_share_counts_the_participants_region(data: RecommendDataset) -> None:
    acts = _cols(data, "a-py-a-2025", "a-pop-2025", "a-spb-2025")
    rows = data.rows(["py00", "nobody"])
    share = _region_share(data, rows, data.catalog.item[acts])
    # everyone (27) lives in RU-MOW: 12 python fans and u-py took py-a, all but u-new took pop;
    # the RU-SPE event's series was never taken
    assert share[0, 0] == pytest.approx(13 / 27)
    assert share[0, 1] == pytest.approx(26 / 27)
    assert share[0, 2] == 0.0
    assert np.isnan(share[1]).all()  # an unknown participant


def test_interest_share_is_popularity_among_those_who_declared_the_same(
    data: RecommendDataset,
) -> None:
    acts = _cols(data, "a-py-a-2025", "a-rb-a-2025", "a-pop-2025")
    rows = data.rows(["u-new", "rb00"])
    share = _interest_share(data, rows, data.catalog.item[acts])
    # seven declared python; six of them (py00-py05) took py-a and pop, none took rb-a
    assert share[0] == pytest.approx([6 / 7, 0.0, 6 / 7])
    assert np.isnan(share[1]).all()  # rb00 declared nothing


def test_days_since_direction_reads_the_latest_start_in_that_direction(
    data: RecommendDataset,
) -> None:
    acts = _cols(data, "a-spb-2025", "a-rb-a-2025", "a-pop-2025")
    rows = data.rows(["py00", "u-new"])
    t = int(np.datetime64(TINY_AS_OF, "us").astype(np.int64))
    days = _days_since_direction(data, rows, acts, t)
    # py00's python and engineering editions started on 2024-11-01, 334 days before the cut-off
    assert days[0, 0] == pytest.approx(334.0)
    assert np.isnan(days[0, 1])  # no robotics record
    assert days[0, 2] == pytest.approx(334.0)
    assert np.isnan(days[1]).all()  # no record at all
