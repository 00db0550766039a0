"""Points of one achievement: ``base x level x result x quality x list_bonus``, vectorised.

Activity-level factors (base, level, list bonus) are computed once per activity and gathered by
integer code; the result factor and quality are per achievement. The same functions score the real
footprint and the hypothetical achievements of :mod:`models.rating.whatif`, so both agree.
"""

from __future__ import annotations

from typing import Final

import numpy as np
import pandas as pd

from footprint.columns import Columns as C
from footprint.enums import ActivityKind, Level, Result
from models.rating.columns import RatingColumns as RC
from models.rating.rules import RatingRules

KINDS: Final[tuple[ActivityKind, ...]] = tuple(ActivityKind)
LEVELS: Final[tuple[Level, ...]] = tuple(Level)
RESULTS: Final[tuple[Result, ...]] = tuple(Result)
UNKNOWN: Final = -1
POINT_SCALE: Final = 10_000
"""Points, R, R_ref and S are kept in whole ten-thousandths (4 decimals), compared as integers."""


def codes_of(values: pd.Series | np.ndarray, vocabulary: tuple[str, ...]) -> np.ndarray:
    """Integer code of each value in ``vocabulary`` (-1 for missing or unknown values)."""
    return pd.Index(vocabulary).get_indexer(pd.Index(values, dtype="object")).astype(np.int16)


def activity_factors(activities: pd.DataFrame, rules: RatingRules) -> pd.DataFrame:
    """Per-activity factors, aligned with ``activities`` by position.

    Returns a frame with ``kind_code``, ``base``, ``level_factor``, ``list_bonus`` and ``tie_level``
    (whether a result at this activity's level counts for the diploma tie-break). Unknown kinds or
    levels get factor 0, so a malformed catalogue row can never add points.
    """
    kind = codes_of(activities[C.KIND], KINDS)
    level = codes_of(activities[C.LEVEL], LEVELS)
    base_table = np.array([rules.points.base[k] for k in KINDS] + [0.0])
    level_table = np.array([rules.points.level[lv] for lv in LEVELS] + [0.0])
    tie_table = np.array([lv in rules.diplomas.tie_break_levels for lv in LEVELS] + [False])
    bonus_by_level = rules.points.list_bonus.by_level()
    list_level = (
        activities[C.OLYMPIAD_LIST_LEVEL].astype("Float64").to_numpy(np.float64, na_value=0)
    )
    bonus = np.ones(len(activities))
    for lvl, factor in bonus_by_level.items():
        bonus[list_level == lvl] = factor
    return pd.DataFrame(
        {
            RC.KIND_CODE: kind,
            RC.BASE: base_table[kind],  # -1 picks the trailing 0
            RC.LEVEL_FACTOR: level_table[level],
            RC.LIST_BONUS: bonus,
            RC.TIE_LEVEL: tie_table[level],
        }
    )


def result_factors(
    result: pd.Series | np.ndarray, kind_code: np.ndarray, rules: RatingRules
) -> np.ndarray:
    """Factor of each result; ``completed`` outside its kinds scores as ``completed.scored_as``."""
    code = codes_of(result, RESULTS)
    table = np.array([rules.points.result[r] for r in RESULTS] + [0.0])
    factor = table[code]
    completed_kinds = np.array(
        [KINDS.index(k) for k in rules.points.completed.kinds], dtype=np.int16
    )
    elsewhere = (code == RESULTS.index(Result.COMPLETED)) & ~np.isin(kind_code, completed_kinds)
    factor[elsewhere] = rules.points.result[rules.points.completed.scored_as]
    return factor


def quality_from_performance(p: np.ndarray, rules: RatingRules) -> np.ndarray:
    """``floor + slope x p`` (p in [0, 1])."""
    return rules.quality.floor + rules.quality.slope * np.clip(p, 0.0, 1.0)


def achievement_points(
    base: np.ndarray,
    level: np.ndarray,
    result: np.ndarray,
    quality: np.ndarray,
    list_bonus: np.ndarray,
) -> np.ndarray:
    """``base x level x result x quality x list_bonus``, in double precision, left to right."""
    return base * level * result * quality * list_bonus


def weighted_units(points: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """Points in one direction (``points x weight``) in whole units of ``1 / POINT_SCALE``.

    ``points x weight x POINT_SCALE`` in double precision, rounded to the nearest integer (ties to
    even). Everything after this (selection, sums, R_ref, S, places) works on these integers, so
    equal credits give equal sums whatever the order of records: summing doubles in record order
    once split four equal participants across a diploma boundary.
    """
    return np.rint(points * weight * POINT_SCALE).astype(np.int64)


def round_half_even(numerator: np.ndarray, denominator: int) -> np.ndarray:
    """``numerator / denominator`` rounded to the nearest integer, ties to even, exactly
    (non-negative integers; no floating point)."""
    quotient, remainder = np.divmod(numerator, denominator)
    twice = 2 * remainder
    up = (twice > denominator) | ((twice == denominator) & (quotient % 2 == 1))
    return quotient + up.astype(np.int64)


def score_percentile(
    act: np.ndarray,
    pid: np.ndarray,
    score: np.ndarray,
    pop_act: np.ndarray,
    pop_pid: np.ndarray,
    pop_score: np.ndarray,
) -> np.ndarray:
    """Percentile of each queried score among the OTHER participants of the same activity.

    The population is the records of the activity that are eligible in the view being rated (the
    engine passes them; rejected records, records outside the season and, in the official view,
    pending records and unverified accounts are left out), those with a score, reduced to each
    participant's best score. For a query (activity a, participant i, score s) the percentile is
    ``(#others below s + 0.5 x #others equal to s) / #others``, and 1 when nobody else in the
    population has a score. Leaving the participant's own records out makes the quality of one of
    their achievements independent of their other records in the same activity; a query need not be
    in the population (an ineligible record is scored against the same others, for its
    explanation). Queries with a NaN score get NaN.
    """
    out = np.full(len(score), np.nan)
    q = ~np.isnan(score)
    if not q.any():
        return out
    has = ~np.isnan(pop_score)
    pa, pp, ps = pop_act[has].astype(np.int64), pop_pid[has].astype(np.int64), pop_score[has]
    if len(ps) == 0:
        out[q] = 1.0
        return out
    qa, qp, qs = act[q].astype(np.int64), pid[q].astype(np.int64), score[q]
    n_pid = int(max(pp.max(), qp.max())) + 1
    n_act = int(max(pa.max(), qa.max())) + 1
    # best score per (activity, participant)
    pair = pa * n_pid + pp
    order = np.lexsort((-ps, pair))
    pair_sorted = pair[order]
    first = np.r_[True, pair_sorted[1:] != pair_sorted[:-1]]
    best_pair, best_score = pair_sorted[first], ps[order][first]
    best_act = best_pair // n_pid
    query_pair = qa * n_pid + qp
    at = np.minimum(_sorted_search(best_pair, query_pair, "left"), len(best_pair) - 1)
    in_pop = best_pair[at] == query_pair
    own_best = np.where(in_pop, best_score[at], np.nan)

    # encode (activity, score) as one sortable int: activity x span + rank of the score value
    values = np.unique(best_score)
    span = len(values) + 1
    pop_key = np.sort(best_act * span + np.searchsorted(values, best_score))
    # a query score absent from the population sorts between two population values
    rank_left = np.searchsorted(values, qs, "left")
    exact = (rank_left < len(values)) & (values[np.minimum(rank_left, len(values) - 1)] == qs)
    q_key = qa * span + rank_left
    act_bounds = np.searchsorted(pop_key, np.arange(n_act + 1) * span, "left")
    start, end = act_bounds[qa], act_bounds[qa + 1]
    below = _sorted_search(pop_key, q_key, "left") - start
    at_or_below = np.where(exact, _sorted_search(pop_key, q_key, "right") - start, below)
    # the participant's own best, when in the population, is not one of the "others"
    equal = at_or_below - below - (in_pop & (own_best == qs))
    below = below - (in_pop & (own_best < qs))
    others = end - start - in_pop
    p = np.where(others > 0, (below + 0.5 * equal) / np.maximum(others, 1), 1.0)
    out[q] = p
    return out


def _sorted_search(haystack: np.ndarray, needles: np.ndarray, side: str) -> np.ndarray:
    """``np.searchsorted`` with the needles sorted first: the same result, far fewer cache misses
    on million-row inputs."""
    order = np.argsort(needles, kind="stable")
    found = np.empty(len(needles), dtype=np.int64)
    found[order] = np.searchsorted(haystack, needles[order], side)  # type: ignore[call-overload]
    return found


def performance(
    kind_code: np.ndarray,
    score: np.ndarray,
    max_score: np.ndarray,
    percentile: np.ndarray,
    scored_activity: np.ndarray,
    rules: RatingRules,
) -> np.ndarray:
    """The p of ``quality = floor + slope x p`` for each achievement.

    ``score / max_score`` for the ratio kinds (tests, courses) when both are known; otherwise the
    score percentile within the activity. Without a score: ``quality.missing_score`` when the
    activity has scores (``scored_activity``), else ``quality.without_score``.
    """
    ratio_codes = np.array([KINDS.index(k) for k in rules.quality.ratio_kinds], dtype=np.int16)
    use_ratio = np.isin(kind_code, ratio_codes) & ~np.isnan(score) & (np.nan_to_num(max_score) > 0)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = np.where(use_ratio, score / np.where(max_score > 0, max_score, 1.0), percentile)
    unscored = np.where(scored_activity, rules.quality.missing_score, rules.quality.without_score)
    return np.where(np.isnan(score), unscored, np.clip(p, 0.0, 1.0))


def scored_activities(
    act: np.ndarray, score: np.ndarray, eligible: np.ndarray, max_score: np.ndarray
) -> np.ndarray:
    """Per activity (by code): whether it has scores, i.e. a max score or a score on a record
    eligible in the view."""
    n_act = len(max_score)
    with_score = eligible & ~np.isnan(score)
    counts = np.bincount(act[with_score], minlength=n_act)
    return (counts > 0) | (np.nan_to_num(max_score) > 0)
