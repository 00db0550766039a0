"""Predictive intervals of the next year's results on hand-made rows with known answers."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from models.competence.columns import CompetenceColumns as CC
from models.competence.predictive import NextResultIntervals, coverage_by_bucket


def _rows(competence: np.ndarray, n_records: np.ndarray, direction: str = "python") -> pd.DataFrame:
    return pd.DataFrame(
        {
            "participant_id": [f"p{i}" for i in range(len(competence))],
            "direction": direction,
            CC.COMPETENCE: competence,
            CC.N_RECORDS: n_records,
        }
    )


def test_line_and_bucket_quantiles_are_the_known_ones() -> None:
    comp = np.tile(np.repeat(np.linspace(0, 100, 20), 2), 2)  # each value twice: +e and -e
    n = np.repeat([1, 6], 40)  # bucket "1" and bucket "5+"
    # next percentile = 10 + 0.5 x competence, off by +-4 in bucket "1" and +-1 in "5+"
    sign = np.where(np.arange(80) % 2 == 0, 1.0, -1.0)
    y = (10 + 0.5 * comp + sign * np.where(n == 1, 4.0, 1.0)) / 100
    fit = NextResultIntervals.fit(_rows(comp, n), y, 0.9)
    d = fit.directions["python"]
    assert (d.a, d.b) == pytest.approx((10.0, 0.5), abs=1e-9)
    assert d.conformal.quantiles == pytest.approx({"1": 4.0, "5+": 1.0})
    out = fit.apply(_rows(np.array([50.0, 50.0, 99.0]), np.array([1, 7, 3])))
    assert out[CC.NEXT_RESULT].tolist() == pytest.approx([35.0, 35.0, 59.5])
    assert out[CC.NEXT_LOWER].tolist() == pytest.approx([31.0, 34.0, 59.5 - d.conformal.pooled])
    assert out[CC.NEXT_UPPER].tolist() == pytest.approx([39.0, 36.0, 59.5 + d.conformal.pooled])
    assert (out[CC.NEXT_LEVEL] == 0.9).all()
    # new results off by +-2 (inside bucket "1"'s +-4) and by +-3 (outside "5+"'s +-1)
    y_new = (10 + 0.5 * comp + sign * np.where(n == 1, 2.0, 3.0)) / 100
    report = coverage_by_bucket(_rows(comp, n), fit.apply(_rows(comp, n)), y_new)
    assert (report["coverage.1"], report["coverage.5+"], report["coverage.all"]) == (1, 0, 0.5)
    assert report["n.all"] == 80 and report["width.1"] == pytest.approx(8.0)


def test_unknown_direction_and_too_few_results_give_no_interval() -> None:
    comp = np.linspace(0, 100, 20)
    fit = NextResultIntervals.fit(_rows(comp, np.ones(20, int)), comp / 100, 0.9)
    assert fit.directions == {}  # fewer than 30 results
    out = fit.apply(_rows(comp[:2], np.ones(2, int), "robotics"))
    assert out.isna().all().all()


def test_interval_stays_on_the_percentile_scale() -> None:
    comp = np.linspace(0, 100, 60)
    y = np.clip(comp / 100 + np.where(np.arange(60) % 2 == 0, 0.3, -0.3), 0, 1)
    out = NextResultIntervals.fit(_rows(comp, np.full(60, 2)), y, 0.9).apply(
        _rows(np.array([0.0, 100.0]), np.array([2, 2]))
    )
    assert out[CC.NEXT_LOWER].min() >= 0 and out[CC.NEXT_UPPER].max() <= 100
