"""The per-participant feature function: hand-computed rows, partition invariance, no leakage."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from features.activity_stats import compute_activity_stats
from features.calibration import CalibrationConfig, fit_calibration
from features.participant import participant_features
from features.responses import build_responses
from features.schema import FEATURE_NAMES, Feat
from footprint.columns import Columns as C
from tests.features.tiny import CUTOFF, record, tiny_snapshot
from tests.features.world import make_world


def features_of(snapshot, extra_cal=None):  # type: ignore[no-untyped-def]
    stats = compute_activity_stats(snapshot, CUTOFF)
    return participant_features(
        snapshot.achievements, snapshot.participants, stats, CUTOFF, extra_cal
    )


def cell(frame: pd.DataFrame, pid: str, direction: str, name: str) -> float:
    row = frame[(frame[C.PARTICIPANT_ID] == pid) & (frame[C.DIRECTION] == direction)]
    assert len(row) == 1
    return float(row.iloc[0][name])


def test_hand_computed_features() -> None:
    f = features_of(tiny_snapshot())
    assert sorted(set(f[C.PARTICIPANT_ID])) == ["p1", "p2", "p3"]  # p4 registers later
    assert len(f) == 9 and list(f.columns[2:]) == list(FEATURE_NAMES)
    assert cell(f, "p1", "python", Feat.N_RECORDS) == 2
    assert cell(f, "p1", "python", Feat.WEIGHTED_RECORDS) == pytest.approx(1.5)
    assert cell(f, "p1", "python", Feat.kind("hackathon")) == pytest.approx(0.5)
    assert cell(f, "p1", "python", Feat.BEST_RESULT) == 5  # winner
    assert cell(f, "p1", "python", Feat.BEST_LEVEL_PRIZE) == 3  # prize at a national stage
    assert cell(f, "p1", "python", Feat.PERF_MEAN) == pytest.approx((0.75 + 0.5 * 0.5) / 1.5)
    assert cell(f, "p1", "python", Feat.PERF_MAX) == pytest.approx(0.75)
    assert cell(f, "p1", "python", Feat.TEAM_SHARE) == pytest.approx(0.5)
    assert cell(f, "p1", "python", Feat.DECLARED_INTEREST) == 1
    assert cell(f, "p1", "robotics", Feat.N_RECORDS) == 1
    assert cell(f, "p1", "python", Feat.N_DIRECTIONS) == 2
    assert cell(f, "p1", "python", Feat.ALL_RECORDS) == 2
    assert cell(f, "p1", "python", Feat.DIRECTION_SHARE) == pytest.approx(0.75)
    assert cell(f, "p1", "python", Feat.DAYS_SINCE_LAST) == 52
    assert cell(f, "p1", "python", Feat.DAYS_SINCE_FIRST) == 73
    assert cell(f, "p2", "python", Feat.VERIFIED_SHARE) == 0.0
    assert cell(f, "p2", "python", Feat.N_REJECTED) == 1
    assert cell(f, "p2", "robotics", Feat.N_RECORDS) == 0
    assert cell(f, "p3", "python", Feat.TENURE_DAYS) == 31
    assert cell(f, "p3", "python", Feat.GRADE) == 6
    assert np.isnan(cell(f, "p3", "python", Feat.PERF_MEAN))
    assert np.isnan(cell(f, "p1", "python", Feat.ABILITY))  # no calibration given


def test_rating_frame_is_joined_by_keys() -> None:
    snap = tiny_snapshot()
    stats = compute_activity_stats(snap, CUTOFF)
    rating = pd.DataFrame(
        {
            C.PARTICIPANT_ID: ["p1"],
            C.DIRECTION: ["python"],
            Feat.RATING_POINTS_CURRENT: [12.5],
            Feat.RATING_SCORE_CURRENT: [40.0],
            Feat.RATING_POINTS_PREVIOUS: [np.nan],
            Feat.RATING_SCORE_PREVIOUS: [np.nan],
        }
    )
    f = participant_features(snap.achievements, snap.participants, stats, CUTOFF, rating=rating)
    assert cell(f, "p1", "python", Feat.RATING_POINTS_CURRENT) == 12.5
    assert np.isnan(cell(f, "p1", "robotics", Feat.RATING_POINTS_CURRENT))


@pytest.fixture(scope="module")
def world_setup():  # type: ignore[no-untyped-def]
    world = make_world(n_participants=300, seed=3)
    snap = world.snapshot()
    cut = pd.Timestamp("2025-12-01").to_pydatetime()
    stats = compute_activity_stats(snap, cut)
    r = build_responses(snap.achievements, stats, cut)
    grades = (
        snap.participants.set_index(C.PARTICIPANT_ID)[C.GRADE]
        .reindex(r.participant_ids)
        .to_numpy(float, na_value=np.nan)
    )
    cal = fit_calibration(r, stats, grades, CalibrationConfig(n_iter=8))
    return snap, cut, stats.with_difficulty(cal.item_difficulty(stats)), cal


def test_one_all_and_partitions_give_identical_rows(world_setup) -> None:  # type: ignore[no-untyped-def]
    snap, cut, stats, cal = world_setup
    ach, parts = snap.achievements, snap.participants
    everyone = participant_features(ach, parts, stats, cut, cal)
    assert everyone[Feat.ABILITY].notna().all()
    ids = parts[C.PARTICIPANT_ID].to_numpy()
    pieces = []
    for chunk in np.array_split(ids, 4):
        mask_a = ach[C.PARTICIPANT_ID].isin(chunk).to_numpy()
        mask_p = parts[C.PARTICIPANT_ID].isin(chunk).to_numpy()
        pieces.append(participant_features(ach[mask_a], parts[mask_p], stats, cut, cal))
    pd.testing.assert_frame_equal(pd.concat(pieces, ignore_index=True), everyone)
    for pid in ids[:5]:
        one = participant_features(
            ach[ach[C.PARTICIPANT_ID] == pid],
            parts[parts[C.PARTICIPANT_ID] == pid],
            stats,
            cut,
            cal,
        )
        pd.testing.assert_frame_equal(
            one, everyone[everyone[C.PARTICIPANT_ID] == pid].reset_index(drop=True)
        )


def test_records_after_the_cutoff_change_nothing(world_setup) -> None:  # type: ignore[no-untyped-def]
    snap, cut, stats, cal = world_setup
    before = participant_features(snap.achievements, snap.participants, stats, cut, cal)
    ach = snap.achievements.copy()
    later = ach[C.ACHIEVED_AT] > cut
    assert later.any()
    # change every later record, and add new ones dated after the cut-off
    ach.loc[later, C.SCORE] = 0.0
    ach.loc[later, C.RESULT] = "winner"
    ach.loc[later, C.STATUS] = "rejected"
    extra = ach[~later].head(50).copy()
    extra[C.ACHIEVEMENT_ID] = "late-" + extra[C.ACHIEVEMENT_ID].astype(str)
    extra[C.ACHIEVED_AT] = cut + pd.Timedelta(days=3)
    extra[C.RECORDED_AT] = cut + pd.Timedelta(days=5)
    changed = pd.concat([ach, extra], ignore_index=True)
    after = participant_features(changed, snap.participants, stats, cut, cal)
    pd.testing.assert_frame_equal(before, after)


def test_a_record_changed_before_the_cutoff_does_change_features() -> None:
    """The leakage test above must be able to fail: an earlier record does move features."""
    base = features_of(tiny_snapshot())
    moved = features_of(
        tiny_snapshot(
            [
                record(
                    "r8",
                    "p2",
                    "a1",
                    "winner",
                    95.0,
                    "verified",
                    "2024-10-20",
                    "2024-10-21",
                    "2024-10-22",
                )
            ]
        )
    )
    assert not base.equals(moved)
