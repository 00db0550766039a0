"""Metrics of the evaluation report."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from footprint.columns import Columns as C
from training.competence.evaluation import spearman, truth_percentiles


@given(st.lists(st.floats(-1e6, 1e6), min_size=3, max_size=40))
def test_spearman_is_bounded_and_one_with_itself(values: list[float]) -> None:
    x = np.array(values)
    r = spearman(x, x)
    assert np.isnan(r) or abs(r - 1) < 1e-9
    r2 = spearman(x, -x)
    assert np.isnan(r2) or abs(r2 + 1) < 1e-9


def test_spearman_ignores_missing_pairs() -> None:
    x = np.array([1.0, 2.0, np.nan, 4.0, 5.0])
    y = np.array([2.0, 4.0, 1.0, np.nan, 10.0])
    assert spearman(x, y) == 1.0
    assert np.isnan(spearman(np.ones(5), np.arange(5.0)))


def test_truth_percentiles_rank_within_direction() -> None:
    truth = pd.DataFrame(
        {
            C.PARTICIPANT_ID: ["a", "b", "c", "a", "b"],
            C.DIRECTION: ["python"] * 3 + ["robotics"] * 2,
            C.TRUE_COMPETENCE: [10.0, 30.0, 20.0, 5.0, 1.0],
        }
    )
    keys = pd.DataFrame(
        {
            C.PARTICIPANT_ID: ["a", "b", "c", "a", "b", "z"],
            C.DIRECTION: ["python"] * 3 + ["robotics"] * 2 + ["python"],
        }
    )
    pct = truth_percentiles(truth, keys)
    np.testing.assert_allclose(pct[:5], [100 / 6, 500 / 6, 50, 75, 25])
    assert np.isnan(pct[5])


def test_last_result_is_the_latest_record_before_the_cutoff() -> None:
    """On the tiny footprint: p1's latest python record is the hackathon (mid-rank 0.5, after
    the olympiad's 0.75), robotics only has the hackathon; p2's python record is 40 of (80, 40)
    (0.25); p3 has no record (0); p1's finalist record after the cut-off is not seen."""
    from features.activity_stats import compute_activity_stats
    from tests.features.tiny import CUTOFF, tiny_snapshot
    from training.competence.evaluation import last_results

    snap = tiny_snapshot()
    stats = compute_activity_stats(snap, CUTOFF)
    rows = pd.DataFrame(
        {
            C.PARTICIPANT_ID: ["p1", "p1", "p2", "p3", "p2"],
            C.DIRECTION: ["python", "robotics", "python", "python", "robotics"],
        }
    )
    got = last_results(snap.achievements, stats, CUTOFF, rows)
    assert got == pytest.approx([0.5, 0.5, 0.25, 0.0, 0.0])


def test_prediction_report_scores_extra_baselines() -> None:
    from models.competence.columns import CompetenceColumns as CC
    from training.competence.evaluation import prediction_report

    n = 12
    rng = np.random.default_rng(0)
    truth = rng.normal(size=n)
    features = pd.DataFrame(
        {C.PARTICIPANT_ID: [f"p{i}" for i in range(n)], C.DIRECTION: ["python"] * n}
    )
    for col in (
        "rating_points_current",
        "rating_points_previous",
        "n_records",
        "perf_mean",
        "ability",
    ):
        features[col] = rng.normal(size=n)
    labels = pd.DataFrame({CC.LABEL: truth, CC.NEXT_PERFORMANCE: truth})
    predictions = features[[C.PARTICIPANT_ID, C.DIRECTION]].assign(
        **{CC.COMPETENCE: -truth, CC.LOWER: 0.0, CC.UPPER: 1.0}
    )
    report = prediction_report(features, labels, predictions, {"last_result": truth})
    assert report["all.spearman_label.last_result"] == pytest.approx(1.0)
    assert report["all.spearman_label.model"] == pytest.approx(-1.0)
