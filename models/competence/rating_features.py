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

from core.logs import get_logger
from features.cutoff import snapshot_at
from features.schema import KEYS, Feat
from footprint.calendar import season_name, season_start_year
from footprint.columns import Columns as C
from footprint.frames import Snapshot
from models.competence.columns import CompetenceColumns as CC
from models.rating.columns import RatingColumns as RC
from models.rating.engine import rate
from models.rating.rules import RatingRules, load_rules

log = get_logger(__name__)


def _season_table(
    snapshot: Snapshot, season: str, rules: RatingRules | None, gap: bool = False
) -> pd.DataFrame:
    result = rate(snapshot, season, rules or load_rules(season=season))
    table = result.table
    out = table[[C.PARTICIPANT_ID, C.DIRECTION, RC.RAW_POINTS, RC.SCORE]]
    if gap:
        out = out.assign(**{CC.DIPLOMA_GAP: diploma_gap(table, result.thresholds)})
    return out


def diploma_gap(table: pd.DataFrame, thresholds: pd.DataFrame) -> np.ndarray:
    """Places between each rated row and the nearest diploma boundary of its direction.

    The boundaries lie after the last winner slot and after the last prize-winner slot; a row on
    place ``p`` is ``min(|p - b - 0.5|) - 0.5`` places away (0: the last place with a diploma of
    that kind, or the first place without it). A moderator's decision on one record moves a
    participant this close across a boundary. NaN for a direction without diploma slots.
    """
    dir_of = thresholds[C.DIRECTION].astype("object").tolist()
    winners = dict(zip(dir_of, thresholds[RC.WINNER_SLOTS].to_numpy(np.float64), strict=True))
    prizes = dict(zip(dir_of, thresholds[RC.PRIZE_WINNER_SLOTS].to_numpy(np.float64), strict=True))
    out = np.full(len(table), np.nan)
    dirs = table[C.DIRECTION].astype("object").to_numpy()
    place = table[RC.PLACE].to_numpy(np.float64)
    for direction in pd.unique(dirs):
        if direction not in winners:
            continue
        w = float(winners[direction])
        bounds = np.array([w, w + float(prizes[direction])])
        bounds = bounds[bounds > 0]
        if not len(bounds):
            continue
        m = dirs == direction
        out[m] = np.min(np.abs(place[m][:, None] - bounds[None, :] - 0.5), axis=1) - 0.5
    return out


def rating_frame(
    snapshot: Snapshot, as_of: dt.datetime, rules: RatingRules | None = None
) -> pd.DataFrame:
    """Rating points and scores per participant and direction, as known at ``as_of``.

    Returns
    -------
    pandas.DataFrame
        ``participant_id, direction``, :data:`features.schema.RATING_COLUMNS` and
        ``rating_diploma_gap`` (:func:`diploma_gap` in the current season, or in the one just
        ended while the current has no rated records; a review flag's input, not a feature);
        participants rated in neither season are absent.
    """
    known = snapshot_at(snapshot, as_of)
    year = season_start_year(as_of.date())
    current = _season_table(known, season_name(year), rules, gap=True).rename(
        columns={RC.RAW_POINTS: Feat.RATING_POINTS_CURRENT, RC.SCORE: Feat.RATING_SCORE_CURRENT}
    )
    # the season whose diplomas are at stake: the current one, or the one just ended while the
    # current has no rated records yet (between 1 June and the first results of the new season)
    previous = _season_table(known, season_name(year - 1), rules, gap=current.empty).rename(
        columns={RC.RAW_POINTS: Feat.RATING_POINTS_PREVIOUS, RC.SCORE: Feat.RATING_SCORE_PREVIOUS}
    )
    if current.empty:
        current = current.drop(columns=[CC.DIPLOMA_GAP])
    both = current.merge(previous, on=list(KEYS), how="outer")
    for col in (
        Feat.RATING_POINTS_CURRENT,
        Feat.RATING_SCORE_CURRENT,
        Feat.RATING_POINTS_PREVIOUS,
        Feat.RATING_SCORE_PREVIOUS,
    ):
        both[col] = both[col].astype(np.float64)
    log.info("rating features", as_of=as_of.isoformat(), rows=len(both))
    return both
