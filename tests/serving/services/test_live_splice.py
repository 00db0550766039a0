"""A participant's change replaces only that participant's rows of the live dataset.

Hand-made datasets of four participants: splicing in new rows must give what building the
dataset again gives, keep the participant index (and, with it, the ability scale's rows), and
carry the population lookups over corrected, not stale."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

from footprint.columns import Columns as C
from models.recommend.ability import AbilityScale
from models.recommend.columns import RecColumns as R
from models.recommend.dataset import RecommendDataset
from serving.services.live_splice import splice_participants

DIRS = ("python", "robotics")
ITEMS = ["s1", "s2", "s3"]


def _dataset(
    rows: list[tuple[str, str]], people: dict[str, tuple[int, str | None]]
) -> RecommendDataset:
    inter = pd.DataFrame(
        [{C.PARTICIPANT_ID: p, R.ITEM_ID: i, R.WEIGHT: 1.0} for p, i in rows]
        # every item once, so both datasets have the same item columns
        + [{C.PARTICIPANT_ID: "anchor", R.ITEM_ID: i, R.WEIGHT: 1.0} for i in ITEMS]
    )
    parts = pd.DataFrame(
        [
            {C.PARTICIPANT_ID: p, C.GRADE: g, C.REGION: r, C.DECLARED_INTERESTS: "python"}
            for p, (g, r) in people.items()
        ]
    )
    return RecommendDataset.construct(inter, participants=parts, directions=DIRS)


def _part(whole: RecommendDataset, ids: list[str]) -> RecommendDataset:
    """The rows of ``ids`` alone, as a dataset built on a snapshot of them would hold them."""
    rows = whole.rows(ids)
    return dataclasses.replace(
        whole,
        participant_ids=pd.Index(ids, dtype=object),
        interactions=whole.interactions[rows],
        taken=whole.taken[rows],
        grade=whole.grade[rows],
        region=whole.region[rows],
        declared=whole.declared[rows],
    )


PEOPLE = {"anchor": (9, "RU-MOW"), "p1": (7, "RU-MOW"), "p2": (8, None), "p3": (10, "RU-SPE")}
BEFORE = [("p1", "s1"), ("p2", "s2"), ("p3", "s1"), ("p3", "s3")]


def _lookups(d: RecommendDataset) -> None:
    for name in (
        "item_popularity",
        "entrants",
        "peer_counts",
        "item_directions",
        "region_sizes",
        "interest_popularity",
    ):
        getattr(d, name)


def test_a_changed_participant_keeps_its_row_and_the_lookups_follow() -> None:
    base = _dataset(BEFORE, PEOPLE)
    _lookups(base)
    people = PEOPLE | {"p2": (9, "RU-SPE")}  # moves from an unknown region to a known one
    after = [("p1", "s1"), ("p2", "s2"), ("p2", "s3"), ("p3", "s1"), ("p3", "s3")]
    whole = _dataset(after, people)

    spliced = splice_participants(base, _part(whole, ["p2"]), ["p2"])

    assert spliced.participant_ids is base.participant_ids  # no new index to hash again
    for name in ("interactions", "taken"):
        np.testing.assert_array_equal(
            getattr(spliced, name).toarray(), getattr(whole, name).toarray()
        )
    np.testing.assert_array_equal(spliced.grade, whole.grade)
    assert list(spliced.region) == list(whole.region)
    # carried over and corrected, equal to what the whole build derives
    carried = vars(spliced)
    for name in ("item_popularity", "entrants"):
        assert name in carried
        np.testing.assert_array_equal(carried[name], getattr(whole, name))
    peers, fresh = carried["peer_counts"], whole.peer_counts
    np.testing.assert_array_equal(peers.by_grade, fresh.by_grade)
    np.testing.assert_array_equal(peers.overall, fresh.overall)
    for region in ("RU-MOW", "RU-SPE"):
        a, b = peers.regions.get_loc(region), fresh.regions.get_loc(region)
        np.testing.assert_array_equal(peers.by_region[a], fresh.by_region[b])
    np.testing.assert_array_equal(peers.by_region[-1], fresh.by_region[-1])
    sizes = carried["region_sizes"]
    for region in ("RU-MOW", "RU-SPE"):
        a, b = peers.regions.get_loc(region), fresh.regions.get_loc(region)
        assert sizes[a] == whole.region_sizes[b]
    assert sizes[-1] == whole.region_sizes[-1]
    np.testing.assert_allclose(carried["interest_popularity"], whole.interest_popularity)
    assert base.item_popularity.tolist() == [2 + 1, 1 + 1, 1 + 1]  # the base is untouched


def test_a_region_new_to_the_counts_drops_them_to_be_derived_again() -> None:
    base = _dataset(BEFORE, PEOPLE)
    _lookups(base)
    people = PEOPLE | {"p1": (7, "RU-KDA")}
    whole = _dataset(BEFORE, people)
    spliced = splice_participants(base, _part(whole, ["p1"]), ["p1"])
    assert "peer_counts" not in vars(spliced)
    assert "RU-KDA" in set(spliced.peer_counts.regions)


def _scale(ids: list[str], ability: np.ndarray) -> AbilityScale:
    n = len(DIRS)
    return AbilityScale(
        directions=DIRS,
        participant_ids=pd.Index(ids, dtype=object),
        ability=ability,
        ability_se=np.ones_like(ability),
        activity_ids=pd.Index(ITEMS, dtype=object),
        difficulty=np.zeros((3, n)),
        discrimination=np.ones(3),
        threshold=np.zeros(3),
        reference=tuple(np.sort(ability[:, d]) for d in range(n)),
    )


def test_abilities_are_replaced_for_the_changed_participant_only() -> None:
    ids = ["anchor", "p1", "p2", "p3"]
    base = dataclasses.replace(
        _dataset(BEFORE, PEOPLE), ability=_scale(ids, np.arange(8.0).reshape(4, 2))
    )
    rows = base.ability_rows
    part = _part(_dataset(BEFORE, PEOPLE), ["p3"])
    spliced = splice_participants(base, part, ["p3"], _scale(["p3"], np.array([[9.0, 9.5]])))
    assert spliced.ability is not None and base.ability is not None
    assert spliced.ability.participant_ids is base.ability.participant_ids
    assert spliced.ability_rows is rows  # carried: the same rows on the same scale
    np.testing.assert_array_equal(spliced.ability.ability, [[0, 1], [2, 3], [4, 5], [9.0, 9.5]])
    assert base.ability.ability[3].tolist() == [6, 7]
    # the reference distribution (percentiles) stays the whole population's
    assert spliced.ability.reference is base.ability.reference


@pytest.mark.parametrize("who", ["p-new", "p2"])
def test_an_arrival_or_a_departure_moves_the_rows(who: str) -> None:
    base = _dataset(BEFORE, PEOPLE)
    _lookups(base)
    if who == "p-new":
        whole = _dataset([*BEFORE, ("p-new", "s2")], PEOPLE | {"p-new": (6, None)})
        part = _part(whole, ["p-new"])
    else:  # erased: absent from the part
        whole = _dataset(
            [r for r in BEFORE if r[0] != "p2"], {k: v for k, v in PEOPLE.items() if k != "p2"}
        )
        part = _part(whole, [])
    spliced = splice_participants(base, part, [who])
    assert set(spliced.participant_ids) == set(whole.participant_ids)
    ids = list(whole.participant_ids)
    np.testing.assert_array_equal(
        spliced.interactions[spliced.rows(ids)].toarray(), whole.interactions.toarray()
    )
    np.testing.assert_array_equal(spliced.item_popularity, whole.item_popularity)
