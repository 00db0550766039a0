"""The one feasibility filter every recommender and the planner share.

An activity is open to a participant at ``as_of`` when

1. it is published, has not started, its registration deadline has not passed and it is not a
   nested part of another activity (one enters a project school's hackathon with the school)
   (:meth:`Catalog.open_at <models.recommend.dataset.Catalog.open_at>`);
2. the participant's grade is within its grades (an unknown grade passes);
3. it is online, or offline in the participant's region, or offline at a level people travel to
   (``travel_levels``, national and international by default: the NTI finals and national
   events draw participants from everywhere); ``online_only`` / ``regions`` narrow this further;
4. for a stage fed by selection edges: the participant qualified in a feeding stage (winner or
   prize-winner), or may still qualify (the feeding stage is still open or running, or finished
   so recently that results may not be recorded yet); then it is *conditional*. A participant
   with a non-qualifying result, or none after the feeding stage closed, is out;
5. the participant has no record of it yet.

Every rule is vectorised over participants x candidate activities.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from features.activity_stats import LEVELS
from features.cutoff import as_micros
from footprint.enums import Level
from models.recommend.dataset import QUALIFYING_RESULTS, RESULT_VALUE, RecommendDataset
from models.recommend.rows import dense_block

_QUALIFYING_VALUES = np.array(sorted(RESULT_VALUE[r] for r in QUALIFYING_RESULTS))
_QUALIFYING_LIST: tuple[int, ...] = tuple(int(v) for v in _QUALIFYING_VALUES)


class Violation(StrEnum):
    """Stable codes of the feasibility rules (used in audits of plans and in tests)."""

    NOT_OPEN = "not_open"
    GRADE = "grade"
    REGION = "region"
    SELECTION = "selection"
    TAKEN = "taken"
    OVERLAP = "overlap"
    WORKLOAD = "workload"
    HORIZON = "horizon"
    ORDER = "selection_order"


class FeasibilityRules(BaseModel):
    """Parameters of the filter (data, not code)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    travel_levels: tuple[Level, ...] = (Level.NATIONAL, Level.INTERNATIONAL)
    """Offline activities of these levels are open to participants from any region."""
    include_conditional: bool = True
    """Show stages one may still qualify for (marked conditional) rather than hiding them."""
    result_lag_days: int = Field(default=14, ge=0)
    """After a feeding stage ends, results may take this long to be recorded: until then a
    participant without a result may still have qualified (conditional)."""
    online_only: bool = False
    regions: tuple[str, ...] | None = None
    """When set, offline activities must be in one of these regions (this replaces the
    own-region and travel-level rule; the participant's own region is not added)."""


@dataclass(frozen=True)
class Feasibility:
    """Masks of a batch: ``feasible`` (rows x candidates) and ``conditional`` (a subset of it)."""

    feasible: np.ndarray
    conditional: np.ndarray


def _travel_mask(
    dataset: RecommendDataset, acts: np.ndarray, rules: FeasibilityRules
) -> np.ndarray:
    codes = [LEVELS.index(lv.value) for lv in rules.travel_levels]
    return np.isin(dataset.catalog.level[acts], codes)


def feasible(
    dataset: RecommendDataset,
    rows: np.ndarray,
    acts: np.ndarray,
    as_of: dt.datetime | None,
    rules: FeasibilityRules | None = None,
) -> Feasibility:
    """Which candidate activities are open to which participants at ``as_of``.

    Parameters
    ----------
    dataset
        The dataset (catalogue, grades, regions, records).
    rows
        Participant rows (-1 = unknown participant: no grade, region or records).
    acts
        Candidate activity indices (normally :meth:`Catalog.open_at`; others are checked too).
    as_of
        The request instant.
    rules
        Filter parameters.
    """
    rules = rules or FeasibilityRules()
    # the pipeline and a re-ranker's features ask for the same batch in a row: the last one is
    # kept on the dataset itself (its memo), so it never outlives or confuses datasets
    key = (rows.tobytes(), acts.tobytes(), as_of, rules)
    memo = dataset.batch_memo
    last = memo.get("feasible")
    if last is not None and last[0] == key:
        return last[1]  # type: ignore[no-any-return]
    out = _feasible(dataset, rows, acts, as_of, rules)
    memo["feasible"] = (key, out)
    return out


def _feasible(
    dataset: RecommendDataset,
    rows: np.ndarray,
    acts: np.ndarray,
    as_of: dt.datetime | None,
    rules: FeasibilityRules,
) -> Feasibility:
    cat = dataset.catalog
    n, m = len(rows), len(acts)
    open_set = cat.open_at(as_of)
    is_open = np.isin(acts, open_set)
    if not is_open.any():
        # nothing open (e.g. a cut-off after the season's deadlines): every later rule only
        # narrows the mask further
        return Feasibility(np.zeros((n, m), bool), np.zeros((n, m), bool))
    ok = np.broadcast_to(is_open[None, :], (n, m)).copy()
    known = rows >= 0
    safe = np.where(known, rows, 0)
    grade = dataset.grade_of(rows)
    g = grade[:, None]
    in_grade = (cat.grade_min[acts][None, :] <= g) & (g <= cat.grade_max[acts][None, :])
    ok &= in_grade | np.isnan(g)
    offline = cat.offline[acts]
    if offline.any():
        region = dataset.region_of(rows)
        act_region = cat.region[acts]
        same = (region[:, None] == act_region[None, :]) & (region[:, None] != None)  # noqa: E711
        travel = _travel_mask(dataset, acts, rules)[None, :]
        allowed = same | travel
        if rules.regions is not None:
            allowed = np.broadcast_to(np.isin(act_region, list(rules.regions))[None, :], same.shape)
        if rules.online_only:
            allowed = np.zeros_like(allowed)
        ok &= ~offline[None, :] | allowed
    feeders = cat.feeders()
    chain = sorted({int(f) for a in acts.tolist() if a in feeders for f in _upstream(a, feeders)})
    cols = np.unique(np.r_[acts, np.array(chain, dtype=np.int64)]).astype(np.int64)
    dense = dense_block(dataset.taken, safe, cols)
    dense[~known] = 0
    col_of = {int(c): j for j, c in enumerate(cols.tolist())}
    ok &= dense[:, [col_of[int(a)] for a in acts.tolist()]] <= 0
    conditional = np.zeros((n, m), bool)
    memo: dict[int, tuple[np.ndarray, np.ndarray]] = {}
    open_ids = set(open_set.tolist()) if feeders else set()
    for j, a in enumerate(acts.tolist()):
        if a in feeders:
            qual, maybe = _selection_state(
                dataset, dense, col_of, a, feeders, as_of, rules, open_ids, memo, 0
            )
            cond = maybe & ~qual
            ok[:, j] &= qual | (cond if rules.include_conditional else False)
            conditional[:, j] = cond & ok[:, j]
    return Feasibility(ok, conditional)


def _upstream(act: int, feeders: dict[int, np.ndarray], depth: int = 0) -> list[int]:
    out: list[int] = []
    for f in feeders.get(act, np.zeros(0, np.int64)).tolist():
        out.append(int(f))
        if depth < 5:
            out += _upstream(int(f), feeders, depth + 1)
    return out


def _selection_state(
    dataset: RecommendDataset,
    dense: np.ndarray,
    col_of: dict[int, int],
    act: int,
    feeders: dict[int, np.ndarray],
    as_of: dt.datetime | None,
    rules: FeasibilityRules,
    open_set: set[int],
    memo: dict[int, tuple[np.ndarray, np.ndarray]],
    depth: int,
) -> tuple[np.ndarray, np.ndarray]:
    """(qualified, may still qualify) for entering ``act``, per participant row."""
    if act in memo:
        return memo[act]
    cat = dataset.catalog
    n = dense.shape[0]
    qualified = np.zeros(n, bool)
    maybe = np.zeros(n, bool)
    t = as_micros(as_of) if as_of is not None else None
    lag = np.timedelta64(rules.result_lag_days, "D")
    for f in feeders.get(act, np.zeros(0, np.int64)).tolist():
        value = dense[:, col_of[int(f)]]
        for q in _QUALIFYING_LIST:  # np.isin on a few values, without its per-call overhead
            qualified |= value == q
        has_result = value > 0
        end = cat.end[f]
        pending = t is None or np.isnat(end) or t <= end + lag
        if f in feeders and depth < 5:
            # the feeding stage is itself a selection stage: one may still get into it
            q2, m2 = _selection_state(
                dataset, dense, col_of, f, feeders, as_of, rules, open_set, memo, depth + 1
            )
            enter_f = q2 | m2
        else:
            enter_f = np.ones(n, bool)
        still_open = int(f) in open_set
        maybe |= ~has_result & enter_f & (still_open | pending)
    memo[act] = (qualified, maybe)
    return qualified, maybe
