"""The interaction matrix keeps the best result per participant and series, with id maps."""

from __future__ import annotations

import pytest

from features.activity_stats import compute_activity_stats
from features.interactions import interaction_matrix
from footprint.columns import Columns as C
from tests.features.tiny import AS_OF, CUTOFF, record, tiny_snapshot


def test_known_matrix() -> None:
    snap = tiny_snapshot()
    stats = compute_activity_stats(snap, CUTOFF)
    m = interaction_matrix(snap.achievements, stats, CUTOFF)
    assert list(m.participant_ids) == ["p1", "p2"]
    assert m.row("p1").to_dict() == {"s-a1": 0.8, "s-a2": 1.0}
    assert m.row("p2").to_dict() == {"s-a1": 0.3}  # the rejected a2 record is left out
    assert m.row("nobody").empty
    frame = m.to_frame()
    assert set(frame.columns) == {C.PARTICIPANT_ID, C.SERIES_ID, "value"}
    assert len(frame) == 3


def test_best_result_wins_and_later_records_are_ignored() -> None:
    extra = [
        record(
            "r9", "p2", "a1", "winner", 99.0, "verified", "2024-10-20", "2024-10-22", "2024-10-30"
        )
    ]
    snap = tiny_snapshot(extra)
    stats = compute_activity_stats(snap, AS_OF)
    m = interaction_matrix(snap.achievements, stats, AS_OF)
    assert m.row("p2")["s-a1"] == pytest.approx(1.0)
    assert m.row("p1")["s-a3"] == pytest.approx(0.6)
    early = interaction_matrix(snap.achievements, stats, CUTOFF)
    assert "s-a3" not in early.row("p1").index
