"""Responses: one row per (achievement, direction), the common input of calibration and features.

Each known, non-rejected achievement becomes a *performance* in [0, 1] per direction of its
activity: the score's mid-rank percentile among the activity's known scores, or, when the record
has no score, the mid-rank of its result among the activity's results (the share of worse results
plus half the share of the same result). Performances are cut into ``n_categories`` ordinal
categories for the psychometric model, and weighted by the activity's direction weight times a
recency weight (so the ability describes the participant now, not two seasons ago).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field

from features.activity_stats import RESULTS, ActivityStats, codes_of
from features.columns import FeatureColumns as F
from features.cutoff import as_micros, visible_achievements
from footprint.columns import Columns as C
from footprint.enums import RESULT_RANK, ModerationStatus, Result

# fallback performance of a result when its activity has no known results (e.g. a brand-new one)
DEFAULT_RESULT_PERFORMANCE: dict[str, float] = {
    Result.WINNER: 0.95,
    Result.PRIZE_WINNER: 0.8,
    Result.FINALIST: 0.5,
    Result.COMPLETED: 0.6,
    Result.PARTICIPANT: 0.35,
    Result.NOT_COMPLETED: 0.15,
}
MICROS_PER_DAY = 86_400_000_000


class ResponseConfig(BaseModel):
    """How achievements become weighted ordinal responses."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    n_categories: int = Field(6, ge=2, le=20)
    """Ordinal categories the performance in [0, 1] is cut into (equal widths)."""
    half_life_days: float = Field(540.0, gt=0)
    """A record this old weighs half as much as one from the cut-off day."""
    category_source: Literal["score_share", "percentile"] = "score_share"
    """What the ordinal category is cut from. ``score_share`` (score / max_score, where both are
    known; the performance otherwise) keeps the model sample-invariant: a percentile depends on
    who else entered, a score share on the participant and the activity only, which is what lets
    the item difficulty absorb how hard the activity is."""


@dataclass(frozen=True)
class Responses:
    """Column arrays of responses; ``person`` indexes ``participant_ids``.

    ``act`` is the internal activity index of the :class:`ActivityStats` used, ``direction`` the
    position in its ``directions``; ``row`` is the position of the achievement in the frame the
    responses were built from (to explain an estimate by its achievements).
    """

    participant_ids: pd.Index
    person: np.ndarray
    act: np.ndarray
    direction: np.ndarray
    row: np.ndarray
    performance: np.ndarray
    category: np.ndarray
    weight: np.ndarray
    direction_weight: np.ndarray
    age_days: np.ndarray
    result_code: np.ndarray
    verified: np.ndarray
    team: np.ndarray
    has_score: np.ndarray

    def __len__(self) -> int:
        return len(self.person)

    def take(self, mask: np.ndarray) -> Responses:
        """The responses where ``mask`` holds (same participant index)."""
        return Responses(self.participant_ids, *(getattr(self, f)[mask] for f in _ARRAYS))


_ARRAYS = (
    "person",
    "act",
    "direction",
    "row",
    "performance",
    "category",
    "weight",
    "direction_weight",
    "age_days",
    "result_code",
    "verified",
    "team",
    "has_score",
)

# results ordered best -> worst, as positions in RESULTS
_ORDER = np.array([RESULTS.index(r.value) for r in sorted(Result, key=RESULT_RANK.__getitem__)])


def result_percentile(stats: ActivityStats, act: np.ndarray, result: np.ndarray) -> np.ndarray:
    """Mid-rank of each result among its activity's results; fallback table when unknown."""
    shares = stats.table[[F.SHARE_PREFIX + r for r in RESULTS]].to_numpy(np.float64)
    fallback = np.array([DEFAULT_RESULT_PERFORMANCE[r] for r in RESULTS] + [np.nan])
    out = fallback[result].copy()
    ok = (act >= 0) & (result >= 0)
    if ok.any() and len(shares):
        s = shares[act[ok]][:, _ORDER]  # best -> worst
        worse = s[:, ::-1].cumsum(axis=1)[:, ::-1] - s  # share strictly worse, per position
        pos = np.argsort(_ORDER)[result[ok]]
        idx = np.arange(len(pos))
        value = worse[idx, pos] + 0.5 * s[idx, pos]
        out[ok] = np.where(np.isnan(value), out[ok], value)
    return out


def build_responses(
    achievements: pd.DataFrame,
    stats: ActivityStats,
    as_of: dt.datetime,
    config: ResponseConfig | None = None,
    participant_ids: pd.Index | None = None,
) -> Responses:
    """Responses of the given achievements, known at ``as_of``, against ``stats``.

    Parameters
    ----------
    achievements
        Rows of a snapshot's ``achievements`` frame: whole participants' records.
    stats
        Activity statistics (their cut-off should be ``as_of``; online, an earlier one).
    as_of
        The cut-off; later records and later status changes are ignored.
    config
        Categories and recency half-life.
    participant_ids
        The participant index to code ``person`` against; the sorted distinct ids when None.
        Records of participants outside it are dropped.
    """
    cfg = config or ResponseConfig()
    rows = np.arange(len(achievements))
    vis = visible_achievements(achievements.assign(_row=rows), as_of)
    vis = vis[vis[C.STATUS].to_numpy(dtype=object) != ModerationStatus.REJECTED.value]
    if participant_ids is None:
        participant_ids = pd.Index(np.unique(vis[C.PARTICIPANT_ID].to_numpy(dtype=object)))
    person = participant_ids.get_indexer(vis[C.PARTICIPANT_ID].astype("object"))
    act = stats.positions(vis[C.ACTIVITY_ID])
    keep = (person >= 0) & (act >= 0)
    vis, person, act = vis[keep], person[keep], act[keep]

    score = vis[C.SCORE].to_numpy(np.float64, na_value=np.nan)
    result = codes_of(vis[C.RESULT].to_numpy(dtype=object), RESULTS)
    perf = stats.percentile(act, score)
    no_score = np.isnan(perf)
    perf[no_score] = result_percentile(stats, act[no_score], result[no_score])
    perf = np.nan_to_num(perf, nan=0.5)
    basis = perf
    if cfg.category_source == "score_share":
        max_score = stats.table[C.MAX_SCORE].to_numpy(np.float64)[act]
        with np.errstate(invalid="ignore", divide="ignore"):
            share = np.clip(score / max_score, 0.0, 1.0)
        basis = np.where(np.isnan(share) | ~(max_score > 0), perf, share)
    category = np.minimum((basis * cfg.n_categories).astype(np.int64), cfg.n_categories - 1)
    achieved = vis[C.ACHIEVED_AT].to_numpy("datetime64[us]").astype(np.int64)
    age = (as_micros(as_of).astype(np.int64) - achieved) / MICROS_PER_DAY
    recency = 0.5 ** (np.clip(age, 0, None) / cfg.half_life_days)
    verified = vis[C.STATUS].to_numpy(dtype=object) == ModerationStatus.VERIFIED.value
    team = vis[C.TEAM_ID].notna().to_numpy() | stats.table[C.IS_TEAM].to_numpy(bool)[act]

    # expand to directions
    w = stats.weights[act]  # records x directions
    rec, direction = np.nonzero(w > 0)
    dw = w[rec, direction]
    return Responses(
        participant_ids=participant_ids,
        person=person[rec].astype(np.int64),
        act=act[rec].astype(np.int64),
        direction=direction.astype(np.int64),
        row=vis["_row"].to_numpy(np.int64)[rec],
        performance=perf[rec],
        category=category[rec],
        weight=dw * recency[rec],
        direction_weight=dw,
        age_days=age[rec],
        result_code=result[rec].astype(np.int64),
        verified=verified[rec],
        team=team[rec],
        has_score=~no_score[rec],
    )
