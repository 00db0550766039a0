"""The one per-participant feature function, correct on any set of whole participants.

``participant_features`` turns some participants' footprints into one row per participant and
direction, given the global :class:`~features.activity_stats.ActivityStats` (and optionally the
:class:`~features.calibration.Calibration` and the rule-based rating). Every aggregate is keyed by
(participant, direction), so a participant's row depends only on their own records and the
global statistics: one participant online, everyone in batch and each partition on a cluster give
identical rows (the function is what Spark ``mapInPandas`` or Dask ``map_partitions`` would call).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from features.activity_stats import KINDS, LEVELS, RESULTS, ActivityStats
from features.calibration import Calibration
from features.cutoff import as_micros, visible_participants
from features.responses import MICROS_PER_DAY, ResponseConfig, Responses, build_responses
from features.schema import FEATURE_NAMES, KEYS, RATING_COLUMNS, Feat
from footprint.columns import Columns as C
from footprint.enums import RESULT_RANK, ModerationStatus, Result

RECENT_DAYS = 365.0
RECENCY_SCALE_DAYS = 180.0
# 5 for a winner .. 0 for not completed (RESULT_RANK is best = 0)
_RESULT_SCORE = np.array([5 - RESULT_RANK[Result(r)] for r in RESULTS] + [-1], dtype=np.float64)
_PRIZE = np.array([r in (Result.WINNER, Result.PRIZE_WINNER) for r in RESULTS] + [False])


def _max_at(key: np.ndarray, values: np.ndarray, n: int, empty: float) -> np.ndarray:
    out = np.full(n, -np.inf)
    np.maximum.at(out, key, values)
    return np.where(np.isinf(out), empty, out)


def _min_at(key: np.ndarray, values: np.ndarray, n: int, empty: float) -> np.ndarray:
    out = np.full(n, np.inf)
    np.minimum.at(out, key, values)
    return np.where(np.isinf(out), empty, out)


def _ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, num / np.where(den > 0, den, 1.0), np.nan)


def _rejected_counts(
    achievements: pd.DataFrame, pids: pd.Index, stats: ActivityStats, as_of: dt.datetime
) -> np.ndarray:
    """Records rejected by ``as_of`` per (participant, direction); plain arrays (online path)."""
    cut = as_micros(as_of)
    status = achievements[C.STATUS].astype("object").to_numpy()
    changed = achievements[C.STATUS_CHANGED_AT].to_numpy("datetime64[us]")
    recorded = achievements[C.RECORDED_AT].to_numpy("datetime64[us]")
    achieved = achievements[C.ACHIEVED_AT].to_numpy("datetime64[us]")
    rejected = (
        (status == ModerationStatus.REJECTED.value)
        & (recorded <= cut)
        & (achieved <= cut)
        & (np.isnat(changed) | (changed <= cut))
    )
    n_dir = len(stats.directions)
    if not rejected.any():
        return np.zeros(len(pids) * n_dir)
    rows = achievements.loc[rejected]
    person = pids.get_indexer(rows[C.PARTICIPANT_ID].astype("object"))
    act = stats.positions(rows[C.ACTIVITY_ID])
    ok = (person >= 0) & (act >= 0)
    rec, d = np.nonzero(stats.weights[act[ok]] > 0)
    return np.bincount(person[ok][rec] * n_dir + d, minlength=len(pids) * n_dir).astype(float)


def _declared(parts: pd.DataFrame, directions: tuple[str, ...]) -> np.ndarray:
    text = parts[C.DECLARED_INTERESTS].astype("object").to_numpy()
    out = np.zeros((len(parts), len(directions)))
    for i, value in enumerate(text):
        if isinstance(value, str) and value:
            codes = {c.strip() for c in value.split(";")}
            out[i] = [d in codes for d in directions]
    return out


def _rating_block(rating: pd.DataFrame | None, pids: pd.Index, dirs: tuple[str, ...]) -> np.ndarray:
    n = len(pids) * len(dirs)
    if rating is None or rating.empty:
        return np.full((n, len(RATING_COLUMNS)), np.nan)
    key = pd.MultiIndex.from_arrays(
        [np.repeat(pids.to_numpy(), len(dirs)), np.tile(np.asarray(dirs, dtype=object), len(pids))]
    )
    own = rating.set_index(
        [rating[C.PARTICIPANT_ID].astype("object"), rating[C.DIRECTION].astype("object")]
    )
    own = own[~own.index.duplicated(keep="last")]
    block = own.reindex(key)[list(RATING_COLUMNS)]
    return block.to_numpy(np.float64, na_value=np.nan)


@dataclass(frozen=True)
class ParticipantBlock:
    """The feature rows plus what they were computed from, for explanations: the responses and
    the abilities and standard errors (persons x directions, NaN without a calibration)."""

    frame: pd.DataFrame
    responses: Responses
    ability: np.ndarray
    ability_se: np.ndarray


def participant_features(
    achievements: pd.DataFrame,
    participants: pd.DataFrame,
    stats: ActivityStats,
    as_of: dt.datetime,
    calibration: Calibration | None = None,
    rating: pd.DataFrame | None = None,
    config: ResponseConfig | None = None,
) -> pd.DataFrame:
    """Feature rows (participant x direction) of some whole participants as of ``as_of``.

    Parameters
    ----------
    achievements
        The participants' records (rows of a snapshot's ``achievements`` frame). Records of other
        participants are ignored; records recorded or achieved after ``as_of`` are ignored, and a
        status set after ``as_of`` reads ``pending``.
    participants
        Rows of a snapshot's ``participants`` frame; only those registered by ``as_of`` get rows.
    stats
        Global activity statistics, normally at the same cut-off.
    as_of
        The cut-off.
    calibration
        When given, adds calibrated abilities and difficulties (NaN otherwise).
    rating
        Optional frame ``participant_id, direction`` + :data:`~features.schema.RATING_COLUMNS`
        (rule-based rating of the cut-off's season so far and of the previous season).
    config
        How records become responses; the calibration's when None.

    Returns
    -------
    pandas.DataFrame
        ``participant_id, direction`` and every feature of :data:`~features.schema.FEATURES`
        (float64), sorted by participant id, then direction in ``stats.directions`` order.
    """
    return participant_block(
        achievements, participants, stats, as_of, calibration, rating, config
    ).frame


def participant_block(
    achievements: pd.DataFrame,
    participants: pd.DataFrame,
    stats: ActivityStats,
    as_of: dt.datetime,
    calibration: Calibration | None = None,
    rating: pd.DataFrame | None = None,
    config: ResponseConfig | None = None,
) -> ParticipantBlock:
    """:func:`participant_features` with the responses and abilities behind the rows."""
    cfg = config or (calibration.config.responses if calibration else ResponseConfig())
    if calibration is not None and np.isnan(stats.difficulty).all() and len(stats.table):
        stats = stats.with_difficulty(calibration.item_difficulty(stats))
    parts = visible_participants(participants, as_of).sort_values(C.PARTICIPANT_ID, kind="stable")
    pids = pd.Index(parts[C.PARTICIPANT_ID].to_numpy(dtype=object))
    dirs = stats.directions
    n_p, n_d = len(pids), len(dirs)
    n = n_p * n_d
    r: Responses = build_responses(achievements, stats, as_of, cfg, participant_ids=pids)
    key = r.person * n_d + r.direction
    dw = r.direction_weight

    def total(weights: np.ndarray | None = None) -> np.ndarray:
        return np.bincount(key, weights=weights, minlength=n).astype(np.float64)

    kind = stats.kind_code[r.act].astype(np.int64)
    level = stats.level_code[r.act].astype(np.int64)
    result = np.where(r.result_code < 0, len(RESULTS), r.result_code)
    feats: dict[str, np.ndarray] = {}
    grade = parts[C.GRADE].to_numpy(np.float64, na_value=np.nan)
    feats[Feat.GRADE] = np.repeat(grade, n_d)
    reg = parts[C.REGISTERED_AT].to_numpy("datetime64[us]").astype(np.int64)
    feats[Feat.TENURE_DAYS] = np.repeat(
        (as_micros(as_of).astype(np.int64) - reg) / MICROS_PER_DAY, n_d
    )
    feats[Feat.DECLARED_INTEREST] = _declared(parts, dirs).ravel()
    count = total()
    weighted = total(dw)
    feats[Feat.N_RECORDS] = count
    feats[Feat.WEIGHTED_RECORDS] = weighted
    n_kind = len(KINDS)
    by_kind = np.bincount(
        key * n_kind + np.clip(kind, 0, n_kind - 1), weights=dw * (kind >= 0), minlength=n * n_kind
    ).reshape(n, n_kind)
    for k, name in enumerate(Feat.kind(kind_name) for kind_name in KINDS):
        feats[name] = by_kind[:, k]
    n_lv = len(LEVELS)
    by_level = np.bincount(
        key * n_lv + np.clip(level, 0, n_lv - 1), weights=dw * (level >= 0), minlength=n * n_lv
    ).reshape(n, n_lv)
    for k, lv in enumerate(LEVELS):
        feats[Feat.level(lv)] = by_level[:, k]
    n_res = len(RESULTS)
    by_result = np.bincount(
        key * n_res + np.clip(result, 0, n_res - 1),
        weights=dw * (result < n_res),
        minlength=n * n_res,
    ).reshape(n, n_res)
    for k, res in enumerate(RESULTS):
        feats[Feat.result(res)] = by_result[:, k]
    feats[Feat.BEST_RESULT] = _max_at(key, _RESULT_SCORE[result], n, -1.0)
    prize = _PRIZE[result]
    feats[Feat.BEST_LEVEL_PRIZE] = _max_at(key[prize], level[prize].astype(float), n, -1.0)
    feats[Feat.MAX_LEVEL] = _max_at(key, level.astype(float), n, -1.0)
    recent = r.age_days <= RECENT_DAYS
    feats[Feat.N_RECENT] = total(recent.astype(float))
    feats[Feat.RECENCY_ACTIVITY] = total(dw * np.exp(-r.age_days / RECENCY_SCALE_DAYS))
    feats[Feat.DAYS_SINCE_LAST] = _min_at(key, r.age_days, n, np.nan)
    feats[Feat.DAYS_SINCE_FIRST] = _max_at(key, r.age_days, n, np.nan)
    perf = r.performance
    feats[Feat.PERF_MEAN] = _ratio(total(dw * perf), weighted)
    feats[Feat.PERF_MAX] = _max_at(key, perf, n, np.nan)
    recent_mean = _ratio(total(dw * perf * recent), total(dw * recent))
    feats[Feat.PERF_RECENT] = recent_mean
    feats[Feat.PERF_TREND] = recent_mean - _ratio(total(dw * perf * ~recent), total(dw * ~recent))
    feats[Feat.PERF_WEIGHTED] = _ratio(total(r.weight * perf), total(r.weight))
    feats[Feat.VERIFIED_SHARE] = _ratio(total(r.verified.astype(float)), count)
    feats[Feat.N_REJECTED] = _rejected_counts(achievements, pids, stats, as_of)
    feats[Feat.TEAM_SHARE] = _ratio(total(r.team.astype(float)), count)
    per_person = count.reshape(n_p, n_d)
    feats[Feat.N_DIRECTIONS] = np.repeat((per_person > 0).sum(axis=1).astype(float), n_d)
    w_pp = weighted.reshape(n_p, n_d)
    feats[Feat.DIRECTION_SHARE] = _ratio(
        w_pp, np.repeat(w_pp.sum(axis=1), n_d).reshape(n_p, n_d)
    ).ravel()
    pairs = np.unique(r.person * max(len(achievements), 1) + r.row) if len(r) else np.zeros(0, int)
    all_records = np.bincount(pairs // max(len(achievements), 1), minlength=n_p).astype(float)
    feats[Feat.ALL_RECORDS] = np.repeat(all_records, n_d)
    diff = stats.difficulty[r.act, r.direction] if len(r) else np.zeros(0)
    ok = ~np.isnan(diff)
    feats[Feat.DIFFICULTY_MEAN] = _ratio(total(np.where(ok, dw * diff, 0.0)), total(dw * ok))
    feats[Feat.DIFFICULTY_MAX] = _max_at(key[ok], diff[ok], n, np.nan)
    feats[Feat.DIFFICULTY_PRIZE_MAX] = _max_at(key[ok & prize], diff[ok & prize], n, np.nan)
    theta = se = np.full((n_p, n_d), np.nan)
    if calibration is not None:
        theta, se, _ = calibration.abilities(r, stats, grade)
        mean, sd = calibration.prior(grade)
        feats[Feat.ABILITY] = theta.ravel()
        feats[Feat.ABILITY_SE] = se.ravel()
        feats[Feat.ABILITY_Z] = ((theta - mean) / sd[None, :]).ravel()
        other = (theta.sum(axis=1, keepdims=True) - theta) / max(n_d - 1, 1)
        feats[Feat.ABILITY_OTHER] = other.ravel()
    else:
        for name in (Feat.ABILITY, Feat.ABILITY_SE, Feat.ABILITY_Z, Feat.ABILITY_OTHER):
            feats[name] = np.full(n, np.nan)
    rating_block = _rating_block(rating, pids, dirs)
    for j, name in enumerate(RATING_COLUMNS):
        feats[name] = rating_block[:, j]

    frame = pd.DataFrame(
        {
            KEYS[0]: pd.array(np.repeat(pids.to_numpy(), n_d), dtype="string"),
            KEYS[1]: pd.array(np.tile(np.asarray(dirs, dtype=object), n_p), dtype="string"),
        }
    )
    body = pd.DataFrame(
        np.column_stack([np.asarray(feats[name], dtype=np.float64) for name in FEATURE_NAMES])
        if n
        else np.zeros((0, len(FEATURE_NAMES))),
        columns=list(FEATURE_NAMES),
    )
    return ParticipantBlock(pd.concat([frame, body], axis=1), r, theta, se)
