"""The rating as features: point in time, two seasons, only rated participants."""

from __future__ import annotations

import datetime as dt

import numpy as np

from features.schema import RATING_COLUMNS, Feat
from footprint.columns import Columns as C
from models.competence.rating_features import rating_frame
from tests.features.tiny import CUTOFF, tiny_snapshot


def test_rating_frame_at_the_cutoff() -> None:
    frame = rating_frame(tiny_snapshot(), CUTOFF)
    assert set(RATING_COLUMNS) <= set(frame.columns)
    p1 = frame[(frame[C.PARTICIPANT_ID] == "p1") & (frame[C.DIRECTION] == "python")].iloc[0]
    assert p1[Feat.RATING_POINTS_CURRENT] > 0  # verified prize and win in 2024/25
    assert np.isnan(p1[Feat.RATING_POINTS_PREVIOUS])  # nothing in 2023/24
    # p2's only counted-looking record is pending at the cut-off: not in the official rating
    p2 = frame[frame[C.PARTICIPANT_ID] == "p2"]
    assert p2.empty or (p2[Feat.RATING_POINTS_CURRENT].fillna(0) == 0).all()


def test_the_final_after_the_cutoff_adds_nothing() -> None:
    early = rating_frame(tiny_snapshot(), CUTOFF)
    late = rating_frame(tiny_snapshot(), dt.datetime(2025, 5, 1))
    e = early.set_index([C.PARTICIPANT_ID, C.DIRECTION])[Feat.RATING_POINTS_CURRENT]
    later = late.set_index([C.PARTICIPANT_ID, C.DIRECTION])[Feat.RATING_POINTS_CURRENT]
    assert later[("p1", "python")] > e[("p1", "python")]  # the final counts once it is known


def test_diploma_gap_counts_places_to_the_nearest_boundary() -> None:
    import pandas as pd

    from models.competence.rating_features import diploma_gap
    from models.rating.columns import RatingColumns as RC

    table = pd.DataFrame(
        {C.DIRECTION: ["python"] * 6 + ["robotics"], RC.PLACE: [1, 2, 3, 4, 5, 9, 1]}
    )
    # python: winners on places 1-2, prize-winners on 3-5; robotics: no diplomas
    thresholds = pd.DataFrame(
        {
            C.DIRECTION: ["python", "robotics"],
            RC.WINNER_SLOTS: [2, 0],
            RC.PRIZE_WINNER_SLOTS: [3, 0],
        }
    )
    gap = diploma_gap(table, thresholds)
    assert gap[:6].tolist() == [1, 0, 0, 1, 0, 3] and np.isnan(gap[6])
