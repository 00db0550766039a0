"""Activity statistics on the tiny footprint, worked out by hand."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from features.activity_stats import compute_activity_stats
from features.columns import FeatureColumns as F
from footprint.columns import Columns as C
from tests.features.tiny import CUTOFF, tiny_snapshot


@pytest.fixture
def stats():  # type: ignore[no-untyped-def]
    return compute_activity_stats(tiny_snapshot(), CUTOFF)


def row(stats, aid):  # type: ignore[no-untyped-def]
    return stats.table[stats.table[C.ACTIVITY_ID] == aid].iloc[0]


def test_entrants_scores_and_shares(stats) -> None:  # type: ignore[no-untyped-def]
    a1 = row(stats, "a1")
    assert a1[F.N_ENTRANTS] == 2 and a1[F.N_SCORED] == 2
    assert a1[F.SCORE_MEAN] == pytest.approx(60.0)
    assert a1[F.SCORE_STD] == pytest.approx(np.sqrt(800.0))
    assert a1[F.SHARE_PREFIX + "prize_winner"] == pytest.approx(0.5)
    a2 = row(stats, "a2")  # the rejected record does not count
    assert a2[F.N_ENTRANTS] == 1 and a2[F.SHARE_PREFIX + "winner"] == pytest.approx(1.0)
    assert row(stats, "a3")[F.N_ENTRANTS] == 0  # its record arrives after the cut-off


def test_percentile_is_a_mid_rank(stats) -> None:  # type: ignore[no-untyped-def]
    a1 = stats.positions(np.array(["a1"] * 4, dtype=object))
    got = stats.percentile(a1, np.array([80.0, 40.0, 60.0, 100.0]))
    np.testing.assert_allclose(got, [0.75, 0.25, 0.5, 1.0])
    assert np.isnan(stats.percentile(np.array([-1]), np.array([50.0]))[0])


def test_direction_weights(stats) -> None:  # type: ignore[no-untyped-def]
    i = stats.positions(np.array(["a2"], dtype=object))[0]
    d = list(stats.directions)
    assert stats.weights[i, d.index("python")] == 0.5
    assert stats.weights[i, d.index("robotics")] == 0.5
    assert stats.weights[i, d.index("engineering")] == 0.0


def test_a_cutoff_after_the_snapshot_is_refused() -> None:
    with pytest.raises(ValueError, match="after the snapshot"):
        compute_activity_stats(tiny_snapshot(), dt.datetime(2030, 1, 1))
