"""Global activity statistics as of a cut-off: the small table every per-participant step reads.

Computed once over all records known at the cut-off (entrants, score distribution, share of each
result, direction weights) and passed to :func:`features.participant.participant_features`, so a
participant's features depend only on their own records and these statistics. That is what lets
the same function run on one participant online, on everyone in batch, or on one partition.
Calibrated difficulties are added by :meth:`ActivityStats.with_difficulty`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from features.columns import FeatureColumns as F
from features.cutoff import as_micros, visible_achievements, visible_activities
from footprint.columns import Columns as C
from footprint.enums import ActivityKind, Level, ModerationStatus, Result
from footprint.frames import Snapshot

KINDS: tuple[str, ...] = tuple(k.value for k in ActivityKind)
LEVELS: tuple[str, ...] = tuple(lv.value for lv in Level)
RESULTS: tuple[str, ...] = tuple(r.value for r in Result)


def codes_of(values: pd.Series | np.ndarray, vocabulary: tuple[str, ...]) -> np.ndarray:
    """Integer position of each value in ``vocabulary``; -1 for missing or unknown values."""
    return pd.Index(vocabulary).get_indexer(pd.Index(values, dtype="object")).astype(np.int16)


@dataclass(frozen=True)
class ActivityStats:
    """Statistics of every activity known at ``as_of``.

    Attributes
    ----------
    as_of
        The cut-off the statistics describe.
    directions
        Direction codes, the column order of ``weights`` and ``difficulty``.
    table
        One row per activity (position = internal activity index): ``activity_id, series_id, kind,
        level, is_team, max_score, end_at, n_entrants, n_scored, score_mean, score_std`` and
        ``share_<result>`` for each result.
    weights
        Direction weight of each activity (activities x directions; 0 where it does not count).
    kind_code, level_code
        Integer codes of kind and level (positions in :data:`KINDS`, :data:`LEVELS`).
    score_offsets, score_keys
        Every known score, sorted within each activity: activity ``a``'s scores are
        ``score_keys[score_offsets[a]:score_offsets[a+1]] - a * score_span``.
    score_span
        Larger than any score, so ``a * score_span + score`` sorts by activity, then score.
    difficulty
        Calibrated difficulty per activity and direction (logits), NaN until
        :meth:`with_difficulty` is called or where the activity was not calibrated.
    """

    as_of: dt.datetime
    directions: tuple[str, ...]
    table: pd.DataFrame
    weights: np.ndarray
    kind_code: np.ndarray
    level_code: np.ndarray
    score_offsets: np.ndarray
    score_keys: np.ndarray
    score_span: float
    difficulty: np.ndarray

    @property
    def index(self) -> pd.Index:
        """Activity ids in internal order (external id -> internal index via ``get_indexer``)."""
        return pd.Index(self.table[C.ACTIVITY_ID].to_numpy(dtype=object))

    def positions(self, activity_ids: pd.Series | np.ndarray) -> np.ndarray:
        """Internal index of each activity id (-1 when unknown at ``as_of``)."""
        return self.index.get_indexer(pd.Index(activity_ids, dtype="object"))

    def percentile(self, act: np.ndarray, score: np.ndarray) -> np.ndarray:
        """Mid-rank percentile of each score among the known scores of its activity, in [0, 1].

        ``(#below + 0.5 x #equal) / #scored``; NaN where the score is missing or the activity has
        no known scores. A score that is itself part of the statistics counts itself as "equal".
        """
        out = np.full(len(act), np.nan)
        ok = (act >= 0) & ~np.isnan(score)
        if not ok.any():
            return out
        a = act[ok].astype(np.int64)
        key = a * self.score_span + score[ok]
        lo = self.score_offsets[a]
        n = self.score_offsets[a + 1] - lo
        below = np.searchsorted(self.score_keys, key, "left") - lo
        equal = np.searchsorted(self.score_keys, key, "right") - lo - below
        below = np.clip(below, 0, n)
        equal = np.clip(equal, 0, n - below)
        with np.errstate(invalid="ignore", divide="ignore"):
            out[ok] = np.where(n > 0, (below + 0.5 * equal) / np.maximum(n, 1), np.nan)
        return out

    def with_difficulty(self, difficulty: np.ndarray) -> ActivityStats:
        """A copy carrying calibrated difficulties (activities x directions)."""
        if difficulty.shape != self.weights.shape:
            raise ValueError(
                f"difficulty has shape {difficulty.shape}, expected "
                f"{self.weights.shape} (activities x directions)"
            )
        return replace(self, difficulty=difficulty.astype(np.float64))


def _direction_weights(
    snapshot: Snapshot, ids: pd.Index, directions: tuple[str, ...]
) -> np.ndarray:
    ad = snapshot.activity_directions
    rows = ids.get_indexer(pd.Index(ad[C.ACTIVITY_ID], dtype="object"))
    cols = pd.Index(directions).get_indexer(pd.Index(ad[C.DIRECTION], dtype="object"))
    keep = (rows >= 0) & (cols >= 0)
    weights = np.zeros((len(ids), len(directions)))
    weights[rows[keep], cols[keep]] = ad[C.WEIGHT].to_numpy(np.float64)[keep]
    return weights


def compute_activity_stats(
    snapshot: Snapshot, as_of: dt.datetime | None = None, directions: tuple[str, ...] | None = None
) -> ActivityStats:
    """Statistics of every activity from the records of ``snapshot`` known at ``as_of``.

    Parameters
    ----------
    snapshot
        The footprint; only what it knew at ``as_of`` is used.
    as_of
        The cut-off; the snapshot's own ``as_of`` when None. Must not be after it.
    directions
        Direction codes (the snapshot's when None).

    Returns
    -------
    ActivityStats
        Entrants, scores and result shares of the activities published by ``as_of``. Rejected
        records are left out; pending ones count (moderation confirms who earned a result, not
        the activity's results table).
    """
    as_of = as_of or snapshot.as_of
    if as_micros(as_of) > as_micros(snapshot.as_of):
        raise ValueError(
            f"cut-off {as_of} is after the snapshot's as_of {snapshot.as_of}: "
            "the snapshot cannot know what happened in between"
        )
    dirs = directions or snapshot.direction_codes()
    acts = visible_activities(snapshot.activities, as_of).sort_values(C.ACTIVITY_ID, kind="stable")
    acts = acts.reset_index(drop=True)
    ids = pd.Index(acts[C.ACTIVITY_ID].to_numpy(dtype=object))
    ach = visible_achievements(snapshot.achievements, as_of)
    ach = ach[ach[C.STATUS].to_numpy(dtype=object) != ModerationStatus.REJECTED.value]
    act = ids.get_indexer(ach[C.ACTIVITY_ID].astype("object"))
    known = act >= 0
    act = act[known]
    score = ach[C.SCORE].to_numpy(np.float64, na_value=np.nan)[known]
    result = codes_of(ach[C.RESULT].to_numpy(dtype=object)[known], RESULTS)

    n_act = len(ids)
    entrants = np.bincount(act, minlength=n_act).astype(np.int64)
    has = ~np.isnan(score)
    n_scored = np.bincount(act[has], minlength=n_act).astype(np.int64)
    s_sum = np.bincount(act[has], weights=score[has], minlength=n_act)
    s_sq = np.bincount(act[has], weights=score[has] ** 2, minlength=n_act)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(n_scored > 0, s_sum / np.maximum(n_scored, 1), np.nan)
        var = np.where(
            n_scored > 1, (s_sq - n_scored * mean**2) / np.maximum(n_scored - 1, 1), np.nan
        )
    span = float(np.nanmax(score, initial=0.0)) + 1.0
    keys = np.sort(act[has].astype(np.float64) * span + score[has])
    offsets = np.r_[0, np.cumsum(n_scored)].astype(np.int64)

    table = pd.DataFrame(
        {
            C.ACTIVITY_ID: pd.array(ids.to_numpy(), dtype="string"),
            C.SERIES_ID: acts[C.SERIES_ID].astype("string").to_numpy(),
            C.KIND: acts[C.KIND].astype("string").to_numpy(),
            C.LEVEL: acts[C.LEVEL].astype("string").to_numpy(),
            C.IS_TEAM: acts[C.IS_TEAM].to_numpy(bool),
            C.MAX_SCORE: acts[C.MAX_SCORE].to_numpy(np.float64, na_value=np.nan),
            C.END_AT: acts[C.END_AT].to_numpy("datetime64[us]"),
            F.N_ENTRANTS: entrants,
            F.N_SCORED: n_scored,
            F.SCORE_MEAN: mean,
            F.SCORE_STD: np.sqrt(np.clip(var, 0, None)),
        }
    )
    for i, r in enumerate(RESULTS):
        cnt = np.bincount(act[result == i], minlength=n_act)
        with np.errstate(invalid="ignore", divide="ignore"):
            share = np.where(entrants > 0, cnt / np.maximum(entrants, 1), np.nan)
        table[F.SHARE_PREFIX + r] = share
    weights = _direction_weights(snapshot, ids, dirs)
    return ActivityStats(
        as_of=as_of,
        directions=tuple(dirs),
        table=table,
        weights=weights,
        kind_code=codes_of(acts[C.KIND].to_numpy(dtype=object), KINDS),
        level_code=codes_of(acts[C.LEVEL].to_numpy(dtype=object), LEVELS),
        score_offsets=offsets,
        score_keys=keys,
        score_span=span,
        difficulty=np.full(weights.shape, np.nan),
    )
