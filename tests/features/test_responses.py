"""Responses: performance, categories, recency and direction expansion on the tiny footprint."""

from __future__ import annotations

import numpy as np
import pytest

from features.activity_stats import compute_activity_stats
from features.responses import ResponseConfig, build_responses
from tests.features.tiny import CUTOFF, tiny_snapshot


def test_performance_category_and_weights() -> None:
    snap = tiny_snapshot()
    stats = compute_activity_stats(snap, CUTOFF)
    r = build_responses(snap.achievements, stats, CUTOFF, ResponseConfig(half_life_days=100))
    assert list(r.participant_ids) == ["p1", "p2"]  # p2's rejected record dropped, r5 is later
    rows = {
        (r.participant_ids[p], stats.directions[d], int(i)): (perf, cat, w)
        for p, d, i, perf, cat, w in zip(
            r.person, r.direction, r.row, r.performance, r.category, r.weight, strict=True
        )
    }
    # r1: 80 of (80, 40) -> mid-rank 0.75; score share 0.8 -> category 4 of 6
    perf, cat, w = rows[("p1", "python", 0)]
    assert perf == pytest.approx(0.75) and cat == 4
    assert w == pytest.approx(0.5 ** (73 / 100))  # 20 Oct -> 1 Jan is 73 days
    # r3: the only result of a2 -> mid-rank 0.5; no score -> category from it (3 of 6)
    perf, cat, w = rows[("p1", "robotics", 2)]
    assert perf == pytest.approx(0.5) and cat == 3
    assert w == pytest.approx(0.5 * 0.5 ** (52 / 100))
    assert ("p1", "engineering", 2) not in rows
    assert len(r) == 4  # r1 (python), r2 (python), r3 (python, robotics)


def test_percentile_source_ignores_score_share() -> None:
    snap = tiny_snapshot()
    stats = compute_activity_stats(snap, CUTOFF)
    r = build_responses(
        snap.achievements, stats, CUTOFF, ResponseConfig(category_source="percentile")
    )
    assert sorted(np.unique(r.category[r.row == 0])) == [4]  # 0.75 * 6 = 4.5
    assert sorted(np.unique(r.category[r.row == 1])) == [1]  # 0.25 * 6 = 1.5
