"""The rating engine: one season of a snapshot in, the rating table and its explanations out.

``rate`` is the only entry point; the CLI, the benchmark and (later) the serving layer all call
it, so they cannot disagree. The work is vectorised over all achievements of the season:

1. pick the season's achievements (1 September .. 31 May, Moscow time, as
   :func:`footprint.calendar.season_window` defines it; the summer before it is kept only to be
   explained as out of season) and score each one (:mod:`models.rating.points`), the score
   percentile taken among the records that are eligible in the view;
2. mark the ineligible ones (rejected, out of season, unverified, account unverified, no points);
3. expand each achievement to its activity's directions, weighted;
4. select what counts (:mod:`models.rating.selection`): best role, furthest chain stage, caps,
   best N;
5. sum, normalise, order and award diplomas (:mod:`models.rating.ranking`).
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from core.errors import ConfigError
from core.logs import get_logger
from footprint.calendar import parse_season, season_window, summer_window
from footprint.columns import Columns as C
from footprint.enums import ModerationStatus
from footprint.frames import Snapshot
from models.rating.chains import selection_chains
from models.rating.codes import COUNTED, REASON_INDEX, ReasonCode, View
from models.rating.columns import RatingColumns as RC
from models.rating.explain import RatingExplanation, build_explanation, explanation_dicts
from models.rating.points import (
    achievement_points,
    activity_factors,
    performance,
    quality_from_performance,
    result_factors,
    score_percentile,
    scored_activities,
    weighted_units,
)
from models.rating.ranking import rank_directions, totals
from models.rating.result import RatedSeason, UnknownParticipantError
from models.rating.rules import RatingRules
from models.rating.selection import select

log = get_logger(__name__)

__all__ = ["TABLE_COLUMNS", "RatingResult", "UnknownParticipantError", "rate"]

TABLE_COLUMNS: tuple[str, ...] = (
    C.PARTICIPANT_ID,
    C.DIRECTION,
    RC.SEASON,
    RC.RAW_POINTS,
    RC.SCORE,
    RC.PLACE,
    RC.DIPLOMA,
    RC.PROVISIONAL,
    RC.N_COUNTED,
    RC.TIE_RESULTS,
    RC.DECIDING_AT,
    RC.RULES_VERSION,
)


def _micros(instant: dt.datetime) -> int:
    return int(np.datetime64(instant, "us").astype(np.int64))


class RatingResult(RatedSeason):
    """One season's rating in one view, with everything needed to explain it (the tables and
    lookups of :class:`~models.rating.result.RatedSeason`, and the explanations)."""

    def explain(self, participant_id: str, direction: str) -> RatingExplanation:
        """The stable explanation of one participant's standing in one direction."""
        return build_explanation(
            self, self.participant_code(participant_id), self.direction_code(direction)
        )

    def explanations(self, direction: str | None = None) -> Iterator[RatingExplanation]:
        """Validated explanations of every participant with an achievement in the season (lazy),
        ordered by participant and direction."""
        for data in explanation_dicts(self, direction):
            yield RatingExplanation.model_validate(data)

    def explanation_dicts(self, direction: str | None = None) -> Iterator[dict]:
        """The same explanations as JSON-ready dicts, built column-wise (fast, for bulk export)."""
        return explanation_dicts(self, direction)


def _resolve_directions(
    directions: Sequence[str] | None, known: tuple[str, ...]
) -> tuple[str, ...]:
    if directions is None:
        return known
    unknown = [d for d in directions if d not in known]
    if unknown:
        raise ConfigError(f"unknown direction(s) {unknown}; known: {', '.join(known)}")
    return tuple(d for d in known if d in set(directions))


def _season_rows(snapshot: Snapshot, year: int) -> pd.DataFrame:
    """Achievements of the season and of the summer before it (which belongs to no season and is
    kept only to be explained as out of season), Moscow time."""
    date = snapshot.achievements[C.ACHIEVED_AT].to_numpy("datetime64[us]")
    lo = np.datetime64(summer_window(year)[0], "us")
    hi = np.datetime64(season_window(year)[1], "us")
    return snapshot.achievements[(date >= lo) & (date < hi)].reset_index(drop=True)


def rate(
    snapshot: Snapshot,
    season: str,
    rules: RatingRules,
    *,
    provisional: bool = False,
    directions: Sequence[str] | None = None,
) -> RatingResult:
    """Compute the contest rating of ``season`` from ``snapshot``.

    Parameters
    ----------
    snapshot
        The footprint as of some instant (only what was known then is rated).
    season
        Season name, e.g. ``"2025/26"`` (1 September 2025 .. 31 May 2026, Moscow time).
    rules
        Validated rules (:func:`models.rating.rules.load_rules`); they must cover ``season``.
    provisional
        False: the official rating (verified achievements of verified accounts). True: as if every
        pending achievement and every account were verified, shown apart from the official one.
    directions
        Direction codes to rate; all the snapshot's directions when None.

    Returns
    -------
    RatingResult
        The table, per-direction thresholds and lazily built explanations.

    Raises
    ------
    ConfigError
        Malformed season, rules for another season, or an unknown direction.
    """
    started = time.perf_counter()
    try:
        year = parse_season(season)
    except ValueError as exc:
        raise ConfigError(str(exc)) from exc
    if not rules.covers(season):
        raise ConfigError(f"rules {rules.version} are for season {rules.season}, not {season}")
    dirs = _resolve_directions(directions, snapshot.direction_codes())
    view = View.PROVISIONAL if provisional else View.OFFICIAL

    activities = snapshot.activities.reset_index(drop=True)
    act_index = pd.Index(activities[C.ACTIVITY_ID].astype("object"))
    factors = activity_factors(activities, rules)
    chain, depth = selection_chains(snapshot.activity_edges, act_index)

    participants = snapshot.participants.sort_values(C.PARTICIPANT_ID, kind="stable")
    pid_index = pd.Index(participants[C.PARTICIPANT_ID].astype("object"))
    verified_account = participants[C.ACCOUNT_VERIFIED].to_numpy(bool)

    ach = _season_rows(snapshot, year)
    act = act_index.get_indexer(pd.Index(ach[C.ACTIVITY_ID].astype("object")))
    pid = pid_index.get_indexer(pd.Index(ach[C.PARTICIPANT_ID].astype("object")))
    known = (act >= 0) & (pid >= 0)
    if not known.all():
        log.warning(
            "achievements without their participant or activity skipped", rows=int((~known).sum())
        )
        ach, act, pid = ach[known].reset_index(drop=True), act[known], pid[known]
    order = (
        pc.rank(
            pa.array(ach[C.ACHIEVEMENT_ID].astype("object"), type=pa.string()),
            sort_keys="ascending",
            tiebreaker="first",
        )
        .to_numpy()
        .astype(np.int64)
    )
    canonical = np.lexsort((order, pid))
    ach = ach.iloc[canonical].reset_index(drop=True)
    act, pid, order = act[canonical], pid[canonical], order[canonical]
    scored, reason = _score(ach, act, pid, factors, activities, verified_account, year, view, rules)
    contributions = _expand(
        _Expansion(act_index, dirs, factors, chain, depth),
        snapshot.activity_directions,
        ach,
        act,
        pid,
        order,
        scored[RC.POINTS].to_numpy(),
        reason,
    )
    contributions = select(contributions, rules)
    contributions = contributions.iloc[
        np.lexsort(
            (
                contributions[RC.ROW].to_numpy(),
                contributions[RC.DIR].to_numpy(),
                contributions[RC.PID].to_numpy(),
            )
        )
    ].reset_index(drop=True)

    ranked, thresholds = rank_directions(totals(contributions), rules)
    table = _public_table(ranked, pid_index, dirs, season, view, rules)
    thresholds.insert(0, C.DIRECTION, [dirs[d] for d in thresholds[RC.DIR]])
    thresholds = thresholds.drop(columns=[RC.DIR])

    elapsed = time.perf_counter() - started
    log.info(
        "rating computed",
        season=season,
        view=view.value,
        snapshot=snapshot.snapshot_id,
        achievements=len(ach),
        contributions=len(contributions),
        rated=len(table),
        seconds=round(elapsed, 3),
    )
    return RatingResult(
        season=season,
        view=view,
        rules=rules,
        snapshot_id=snapshot.snapshot_id,
        as_of=snapshot.as_of,
        directions=dirs,
        table=table,
        thresholds=thresholds,
        contributions=contributions,
        achievements=ach,
        scored=scored,
        activities=activities.assign(**{RC.CHAIN: chain, RC.DEPTH: depth}),
        activity_directions=snapshot.activity_directions,
        participant_ids=pid_index,
        account_verified=verified_account,
        ranked=ranked,
    )


def _score(
    ach: pd.DataFrame,
    act: np.ndarray,
    pid: np.ndarray,
    factors: pd.DataFrame,
    activities: pd.DataFrame,
    verified_account: np.ndarray,
    year: int,
    view: View,
    rules: RatingRules,
) -> tuple[pd.DataFrame, np.ndarray]:
    """Factors and points of each achievement, and its eligibility reason (0 = eligible)."""
    # eligibility first: the score percentile is taken among the records eligible in this view
    date = ach[C.ACHIEVED_AT].to_numpy("datetime64[us]").astype(np.int64)
    status = ach[C.STATUS].astype("object").to_numpy()
    pending = status == ModerationStatus.PENDING.value
    official = view == View.OFFICIAL
    checks = [
        (ReasonCode.REJECTED, ~pending & (status != ModerationStatus.VERIFIED.value)),
        (ReasonCode.OUT_OF_SEASON, date < _micros(season_window(year)[0])),
        (ReasonCode.UNVERIFIED, pending & official),
        (ReasonCode.ACCOUNT_UNVERIFIED, ~verified_account[pid] & official),
    ]
    eligible = ~np.logical_or.reduce([mask for _, mask in checks])

    kind_code = factors[RC.KIND_CODE].to_numpy()[act]
    score = ach[C.SCORE].to_numpy(np.float64, na_value=np.nan)
    activity_max = activities[C.MAX_SCORE].to_numpy(np.float64, na_value=np.nan)
    max_score = activity_max[act]
    percentile = score_percentile(act, pid, score, act[eligible], pid[eligible], score[eligible])
    has_scores = scored_activities(act, score, eligible, activity_max)[act]
    p = performance(kind_code, score, max_score, percentile, has_scores, rules)
    scored = pd.DataFrame(
        {
            RC.BASE: factors[RC.BASE].to_numpy()[act],
            RC.LEVEL_FACTOR: factors[RC.LEVEL_FACTOR].to_numpy()[act],
            RC.RESULT_FACTOR: result_factors(ach[C.RESULT], kind_code, rules),
            RC.QUALITY: quality_from_performance(p, rules),
            RC.LIST_BONUS: factors[RC.LIST_BONUS].to_numpy()[act],
        }
    )
    points = achievement_points(
        scored[RC.BASE].to_numpy(),
        scored[RC.LEVEL_FACTOR].to_numpy(),
        scored[RC.RESULT_FACTOR].to_numpy(),
        scored[RC.QUALITY].to_numpy(),
        scored[RC.LIST_BONUS].to_numpy(),
    )
    scored[RC.POINTS] = points

    # the first reason that applies, in the order of codes.ReasonCode
    checks.append((ReasonCode.NO_POINTS, points <= 0))
    reason = np.select(
        [mask for _, mask in checks], [REASON_INDEX[code] for code, _ in checks], default=COUNTED
    ).astype(np.int16)
    return scored, reason


@dataclass(frozen=True)
class _Expansion:
    """Catalogue lookups by activity code needed to expand achievements to directions."""

    act_index: pd.Index
    dirs: tuple[str, ...]
    factors: pd.DataFrame
    chain: np.ndarray
    depth: np.ndarray


def _expand(
    cat: _Expansion,
    activity_directions: pd.DataFrame,
    ach: pd.DataFrame,
    act: np.ndarray,
    pid: np.ndarray,
    order: np.ndarray,
    points: np.ndarray,
    reason: np.ndarray,
) -> pd.DataFrame:
    """One contribution row per achievement and direction of its activity, weighted."""
    ad = activity_directions
    ad = ad[ad[C.DIRECTION].isin(cat.dirs)].drop_duplicates([C.ACTIVITY_ID, C.DIRECTION])
    ad_act = cat.act_index.get_indexer(pd.Index(ad[C.ACTIVITY_ID].astype("object")))
    ad_dir = pd.Index(cat.dirs).get_indexer(pd.Index(ad[C.DIRECTION].astype("object")))
    ad_weight = ad[C.WEIGHT].to_numpy(np.float64)
    keep = ad_act >= 0
    ad_act, ad_dir, ad_weight = ad_act[keep], ad_dir[keep], ad_weight[keep]
    ad_order = np.lexsort((ad_dir, ad_act))
    ad_act, ad_dir, ad_weight = ad_act[ad_order], ad_dir[ad_order], ad_weight[ad_order]
    # achievement i takes the per_act[act[i]] direction rows of its activity from first_of_act on
    per_act = np.bincount(ad_act, minlength=len(cat.act_index))
    first_of_act = np.r_[0, np.cumsum(per_act)[:-1]]
    repeat = per_act[act]
    row = np.repeat(np.arange(len(ach)), repeat)
    within = np.arange(len(row)) - np.repeat(np.cumsum(repeat) - repeat, repeat)
    link = first_of_act[act[row]] + within
    weight = ad_weight[link]
    act_row = act[row]
    return pd.DataFrame(
        {
            RC.ROW: row,
            RC.PID: pid[row],
            RC.DIR: ad_dir[link].astype(np.int64),
            RC.ACT: act_row,
            RC.KIND_CODE: cat.factors[RC.KIND_CODE].to_numpy()[act_row],
            RC.CHAIN: cat.chain[act_row],
            RC.DEPTH: cat.depth[act_row],
            RC.DATE: ach[C.ACHIEVED_AT].to_numpy("datetime64[us]").astype(np.int64)[row],
            RC.ORDER: order[row],
            C.WEIGHT: weight,
            RC.UNITS: weighted_units(points[row], weight),
            RC.REASON: reason[row],
            RC.TIE_LEVEL: cat.factors[RC.TIE_LEVEL].to_numpy(bool)[act_row],
        }
    )


def _public_table(
    ranked: pd.DataFrame,
    pid_index: pd.Index,
    dirs: tuple[str, ...],
    season: str,
    view: View,
    rules: RatingRules,
) -> pd.DataFrame:
    """Strings instead of codes, fixed column order, sorted by direction, place, participant."""
    pid = ranked[RC.PID].to_numpy(np.int64)
    table = pd.DataFrame(
        {
            C.PARTICIPANT_ID: pd.array(pid_index.to_numpy()[pid], dtype="string"),
            C.DIRECTION: pd.array(
                np.asarray(dirs, dtype=object)[ranked[RC.DIR].to_numpy(np.int64)], dtype="string"
            ),
            RC.SEASON: pd.array([season] * len(ranked), dtype="string"),
            RC.RAW_POINTS: ranked[RC.RAW_POINTS].to_numpy(np.float64),
            RC.SCORE: ranked[RC.SCORE].to_numpy(np.float64),
            RC.PLACE: ranked[RC.PLACE].to_numpy(np.int64),
            RC.DIPLOMA: pd.array(ranked[RC.DIPLOMA].to_numpy(), dtype="string"),
            RC.PROVISIONAL: np.full(len(ranked), view == View.PROVISIONAL),
            RC.N_COUNTED: ranked[RC.N_COUNTED].to_numpy(np.int64),
            RC.TIE_RESULTS: ranked[RC.TIE_RESULTS].to_numpy(np.int64),
            RC.DECIDING_AT: ranked[RC.DECIDING_AT].to_numpy(np.int64).astype("datetime64[us]"),
            RC.RULES_VERSION: pd.array([rules.version] * len(ranked), dtype="string"),
        },
        columns=list(TABLE_COLUMNS),
    )
    # participant codes follow the sorted participant ids, so they break the last ties by id
    order = np.lexsort((pid, table[RC.PLACE].to_numpy(), ranked[RC.DIR].to_numpy(np.int64)))
    return table.iloc[order].reset_index(drop=True)
