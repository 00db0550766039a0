"""Point-in-time filters: later records vanish, later statuses read pending, grades shift."""

from __future__ import annotations

import datetime as dt

from features.cutoff import snapshot_at, visible_achievements, visible_participants
from footprint.columns import Columns as C
from tests.features.tiny import CUTOFF, tiny_snapshot


def test_records_after_the_cutoff_are_invisible() -> None:
    ach = visible_achievements(tiny_snapshot().achievements, CUTOFF)
    assert sorted(ach[C.ACHIEVEMENT_ID]) == ["r1", "r2", "r3", "r4"]


def test_a_status_set_after_the_cutoff_reads_pending() -> None:
    ach = visible_achievements(tiny_snapshot().achievements, dt.datetime(2024, 10, 22))
    row = ach[ach[C.ACHIEVEMENT_ID] == "r1"].iloc[0]
    assert row[C.STATUS] == "pending"
    assert row[C.STATUS_CHANGED_AT] is None or str(row[C.STATUS_CHANGED_AT]) == "NaT"


def test_grade_is_shifted_to_the_season_of_the_cutoff() -> None:
    parts = visible_participants(tiny_snapshot().participants, dt.datetime(2023, 10, 1))
    assert parts.empty  # nobody registered yet
    later = visible_participants(tiny_snapshot().participants, dt.datetime(2025, 9, 2))
    assert dict(zip(later[C.PARTICIPANT_ID], later[C.GRADE], strict=True))["p1"] == 9


def test_snapshot_at_keeps_only_what_was_known() -> None:
    snap = snapshot_at(tiny_snapshot(), CUTOFF)
    assert snap.as_of == CUTOFF
    assert sorted(snap.participants[C.PARTICIPANT_ID]) == ["p1", "p2", "p3"]
    assert "r5" not in set(snap.achievements[C.ACHIEVEMENT_ID])
