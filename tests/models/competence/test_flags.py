"""Review flags on hand-made rows: each flag fires exactly when its condition holds."""

from __future__ import annotations

import numpy as np
import pandas as pd

from features.schema import Feat
from footprint.columns import Columns as C
from models.competence.codes import FlagCode
from models.competence.columns import CompetenceColumns as CC
from models.competence.config import FlagConfig
from models.competence.flags import review_flags


def test_each_flag() -> None:
    pred = pd.DataFrame(
        {
            C.PARTICIPANT_ID: ["a", "b", "c", "d"],
            C.DIRECTION: ["python"] * 4,
            CC.COMPETENCE: [50.0, 80.0, 30.0, 60.0],
            CC.LOWER: [10.0, 70.0, 20.0, 50.0],
            CC.UPPER: [90.0, 90.0, 40.0, 70.0],
            CC.COLD_START: [True, False, False, False],
        }
    )
    feats = pd.DataFrame(
        {
            Feat.VERIFIED_SHARE: [np.nan, 1.0, 0.2, 0.9],
            Feat.N_DIRECTIONS: [0.0, 1.0, 1.0, 1.0],
            Feat.N_RECORDS: [0.0, 3.0, 4.0, 5.0],
            Feat.PERF_MEAN: [np.nan, 0.7, 0.4, 0.55],
        }
    )
    previous = pd.DataFrame(
        {
            C.PARTICIPANT_ID: ["b", "d"],
            C.DIRECTION: ["python", "python"],
            CC.COMPETENCE: [40.0, 55.0],
        }
    )
    rating = np.array([np.nan, 20.0, 35.0, np.nan])
    flags = review_flags(pred, feats, FlagConfig(), rating, previous)
    codes = [[f["code"] for f in row] for row in flags]
    assert codes[0] == [FlagCode.COLD_START, FlagCode.WIDE_INTERVAL]
    assert codes[1] == [FlagCode.LARGE_CHANGE, FlagCode.RATING_DISAGREEMENT]
    assert codes[2] == [FlagCode.MOSTLY_UNVERIFIED]
    assert codes[3] == []
    assert "+40" in flags[1][0]["text_ru"] and flags[1][0]["params"]["change"] == 40.0
    assert all(f["text_ru"] for row in flags for f in row)


def test_cold_start_resting_on_other_directions_says_so() -> None:
    pred = pd.DataFrame(
        {
            C.PARTICIPANT_ID: ["a", "b"],
            C.DIRECTION: ["robotics"] * 2,
            CC.COMPETENCE: [50.0, 50.0],
            CC.LOWER: [40.0, 40.0],
            CC.UPPER: [60.0, 60.0],
            CC.COLD_START: [True, True],
        }
    )
    feats = pd.DataFrame(
        {
            Feat.VERIFIED_SHARE: [np.nan, np.nan],
            Feat.N_DIRECTIONS: [2.0, 0.0],
            Feat.N_RECORDS: [0.0, 0.0],
            Feat.PERF_MEAN: [np.nan, np.nan],
        }
    )
    flags = review_flags(pred, feats, FlagConfig(), np.full(2, np.nan))
    assert [f["code"] for f in flags[0]] == [FlagCode.COLD_START, FlagCode.OTHER_DIRECTIONS]
    assert flags[0][1]["params"] == {"n_directions": 2}
    assert "других направлениях (2)" in flags[0][1]["text_ru"]
    assert [f["code"] for f in flags[1]] == [FlagCode.COLD_START]


def test_what_a_moderator_can_decide() -> None:
    """Far from the participant's own results, a single record, a diploma boundary in reach."""
    pred = pd.DataFrame(
        {
            C.PARTICIPANT_ID: ["a", "b", "c", "d"],
            C.DIRECTION: ["python"] * 4,
            CC.COMPETENCE: [85.0, 80.0, 60.0, 60.0],
            CC.LOWER: [75.0, 70.0, 50.0, 50.0],
            CC.UPPER: [95.0, 90.0, 70.0, 70.0],
            CC.COLD_START: [False] * 4,
        }
    )
    feats = pd.DataFrame(
        {
            Feat.VERIFIED_SHARE: [1.0] * 4,
            Feat.N_DIRECTIONS: [1.0] * 4,
            Feat.N_RECORDS: [3.0, 1.0, 4.0, 1.0],
            # a: 85 against 30 (55 apart); b: 80 on one record (d: 60, not high)
            Feat.PERF_MEAN: [0.30, 0.75, 0.55, 0.6],
        }
    )
    gap = np.array([np.nan, np.nan, 2.0, 3.0])  # c is 2 places from a diploma; d 3 (too far)
    flags = review_flags(pred, feats, FlagConfig(), np.full(4, np.nan), None, gap)
    codes = [[f["code"] for f in row] for row in flags]
    assert codes == [
        [FlagCode.FAR_FROM_RESULTS],
        [FlagCode.SINGLE_RECORD],
        [FlagCode.DIPLOMA_BOUNDARY],
        [],
    ]
    assert flags[0][0]["params"] == {"competence": 85.0, "results": 30.0}
    assert "30 % участников" in flags[0][0]["text_ru"]
    assert "2 мест" in flags[2][0]["text_ru"]
