"""The rule-based rating «Талант 20.35» as features: points and score of two seasons.

For a cut-off C the rating is computed on what was known at C (so it is point in time): the season
containing C so far, and the previous season. The result is the optional ``rating`` frame of
:func:`features.participant.participant_features`. Both seasons are rated over the whole
population, since a rating's score is relative to everyone rated (its normalisation); online, the
frame comes from the stored ratings rather than from a recomputation.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from features.cutoff import snapshot_at
from features.schema import KEYS, Feat
from footprint.calendar import season_name, season_start_year
from footprint.columns import Columns as C
from footprint.frames import Snapshot
from footprint.logs import get_logger
from models.rating.columns import RatingColumns as RC
from models.rating.engine import rate
from models.rating.rules import RatingRules, load_rules

log = get_logger(__name__)


def _season_table(snapshot: Snapshot, season: str, rules: RatingRules | None) -> pd.DataFrame:
    table = rate(snapshot, season, rules or load_rules(season=season)).table
    return table[[C.PARTICIPANT_ID, C.DIRECTION, RC.RAW_POINTS, RC.SCORE]]


def rating_frame(
    snapshot: Snapshot, as_of: dt.datetime, rules: RatingRules | None = None
) -> pd.DataFrame:
    """Rating points and scores per participant and direction, as known at ``as_of``.

    Returns
    -------
    pandas.DataFrame
        ``participant_id, direction`` and :data:`features.schema.RATING_COLUMNS`; participants
        rated in neither season are absent.
    """
    known = snapshot_at(snapshot, as_of)
    year = season_start_year(as_of.date())
    current = _season_table(known, season_name(year), rules).rename(columns={
        RC.RAW_POINTS: Feat.RATING_POINTS_CURRENT, RC.SCORE: Feat.RATING_SCORE_CURRENT})
    previous = _season_table(known, season_name(year - 1), rules).rename(columns={
        RC.RAW_POINTS: Feat.RATING_POINTS_PREVIOUS, RC.SCORE: Feat.RATING_SCORE_PREVIOUS})
    both = current.merge(previous, on=list(KEYS), how="outer")
    for col in (Feat.RATING_POINTS_CURRENT, Feat.RATING_SCORE_CURRENT,
                Feat.RATING_POINTS_PREVIOUS, Feat.RATING_SCORE_PREVIOUS):
        both[col] = both[col].astype(np.float64)
    log.info("rating features", as_of=as_of.isoformat(), rows=len(both))
    return both
