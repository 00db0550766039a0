"""Metrics of the evaluation report."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given
from hypothesis import strategies as st

from footprint.columns import Columns as C
from training.evaluation import spearman, truth_percentiles


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
    truth = pd.DataFrame({C.PARTICIPANT_ID: ["a", "b", "c", "a", "b"],
                          C.DIRECTION: ["python"] * 3 + ["robotics"] * 2,
                          C.TRUE_COMPETENCE: [10.0, 30.0, 20.0, 5.0, 1.0]})
    keys = pd.DataFrame({C.PARTICIPANT_ID: ["a", "b", "c", "a", "b", "z"],
                         C.DIRECTION: ["python"] * 3 + ["robotics"] * 2 + ["python"]})
    pct = truth_percentiles(truth, keys)
    np.testing.assert_allclose(pct[:5], [100 / 6, 500 / 6, 50, 75, 25])
    assert np.isnan(pct[5])
