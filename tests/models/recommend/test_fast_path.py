"""The re-ranker's per-request fast path gives exactly the answers of the straightforward code.

The reference is the old code path, computed in the same test: the helpers the fast path
replaced (frame built column by column and reordered, item directions, entry levels and the
ability-scale activity and participant maps recomputed per call, scipy's sparse row indexing,
the whole feasibility filter as it was, with ``np.isin`` in the selection rule) are patched back
in, and both answers are compared frame for frame (same values, dtypes and arrow types). The
service's :meth:`~models.recommend.base.Recommender.recommend_records` must give the reference
frame's records.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from typing import Any

import numpy as np
import pandas as pd
import pytest

import models.recommend.base as base
import models.recommend.coldstart as coldstart
import models.recommend.feasibility as feas
import models.recommend.profile as profile
import models.recommend.rows as rows_module
from features.activity_stats import KINDS, LEVELS
from features.cutoff import as_micros
from footprint.columns import Columns as C
from models.recommend.als import ALSConfig
from models.recommend.columns import RECOMMENDATION_COLUMNS
from models.recommend.columns import RecColumns as R
from models.recommend.dataset import ENTRY_KINDS, ENTRY_LEVELS, DecisionPoint, RecommendDataset
from models.recommend.rerank import RerankConfig, RerankRecommender


def _old_frame(
    pids: list[str],
    acts: list[str],
    score: np.ndarray,
    rank: np.ndarray,
    model: str,
    conditional: np.ndarray,
    codes: list[tuple[str, ...]],
    texts: list[str],
) -> pd.DataFrame:
    frame = pd.DataFrame(
        {
            C.PARTICIPANT_ID: pd.array(pids, dtype="string"),
            C.ACTIVITY_ID: pd.array(acts, dtype="string"),
            R.SCORE: np.asarray(score, np.float64),
            R.RANK: np.asarray(rank, np.int64),
            R.MODEL: pd.array([model] * len(pids), dtype="string"),
            R.CONDITIONAL: np.asarray(conditional, bool),
            R.REASON_CODES: pd.Series(codes, dtype=object),
            R.REASON_TEXT_RU: pd.array(texts, dtype="string"),
        }
    )
    return frame.loc[:, list(RECOMMENDATION_COLUMNS)]


_CALLS: list[int] = []


def _old_selection_state(
    dataset: RecommendDataset,
    dense: np.ndarray,
    col_of: dict[int, int],
    act: int,
    feeders: dict[int, np.ndarray],
    as_of: dt.datetime | None,
    rules: feas.FeasibilityRules,
    open_set: Any,
    memo: dict[int, tuple[np.ndarray, np.ndarray]],
    depth: int,
) -> tuple[np.ndarray, np.ndarray]:
    _CALLS.append(act)
    if act in memo:
        return memo[act]
    open_arr = np.array(sorted(open_set), dtype=np.int64)
    cat = dataset.catalog
    n = dense.shape[0]
    qualified = np.zeros(n, bool)
    maybe = np.zeros(n, bool)
    t = as_micros(as_of) if as_of is not None else None
    lag = np.timedelta64(rules.result_lag_days, "D")
    for f in feeders.get(act, np.zeros(0, np.int64)).tolist():
        value = dense[:, col_of[int(f)]]
        qualified |= np.isin(value, feas._QUALIFYING_VALUES)
        has_result = value > 0
        end = cat.end[f]
        pending = t is None or np.isnat(end) or t <= end + lag
        if f in feeders and depth < 5:
            q2, m2 = _old_selection_state(
                dataset, dense, col_of, f, feeders, as_of, rules, open_set, memo, depth + 1
            )
            enter_f = q2 | m2
        else:
            enter_f = np.ones(n, bool)
        still_open = bool(np.isin(f, open_arr))
        maybe |= ~has_result & enter_f & (still_open | pending)
    memo[act] = (qualified, maybe)
    return qualified, maybe


def _old_feasible(
    dataset: RecommendDataset,
    rows: np.ndarray,
    acts: np.ndarray,
    as_of: dt.datetime | None,
    rules: feas.FeasibilityRules,
) -> feas.Feasibility:
    cat = dataset.catalog
    n, m = len(rows), len(acts)
    open_set = cat.open_at(as_of)
    ok = np.broadcast_to(np.isin(acts, open_set)[None, :], (n, m)).copy()
    known = rows >= 0
    safe = np.where(known, rows, 0)
    grade = np.where(known, dataset.grade[safe], np.nan)
    g = grade[:, None]
    in_grade = (cat.grade_min[acts][None, :] <= g) & (g <= cat.grade_max[acts][None, :])
    ok &= in_grade | np.isnan(g)
    offline = cat.offline[acts]
    if offline.any():
        region = np.where(known, dataset.region[safe], None)  # type: ignore[call-overload]
        act_region = cat.region[acts]
        same = (region[:, None] == act_region[None, :]) & (region[:, None] != None)  # noqa: E711
        travel = feas._travel_mask(dataset, acts, rules)[None, :]
        allowed = same | travel
        if rules.regions is not None:
            allowed = np.broadcast_to(np.isin(act_region, list(rules.regions))[None, :], same.shape)
        if rules.online_only:
            allowed = np.zeros_like(allowed)
        ok &= ~offline[None, :] | allowed
    feeders = cat.feeders()
    chain = sorted(
        {int(f) for a in acts.tolist() if a in feeders for f in feas._upstream(a, feeders)}
    )
    cols = np.unique(np.r_[acts, np.array(chain, dtype=np.int64)]).astype(np.int64)
    dense = dataset.taken[safe][:, cols].toarray()
    dense[~known] = 0
    col_of = {int(c): j for j, c in enumerate(cols.tolist())}
    ok &= dense[:, [col_of[int(a)] for a in acts.tolist()]] <= 0
    conditional = np.zeros((n, m), bool)
    memo: dict[int, tuple[np.ndarray, np.ndarray]] = {}
    for j, a in enumerate(acts.tolist()):
        if a in feeders:
            qual, maybe = _old_selection_state(
                dataset, dense, col_of, a, feeders, as_of, rules, set(open_set.tolist()), memo, 0
            )
            cond = maybe & ~qual
            ok[:, j] &= qual | (cond if rules.include_conditional else False)
            conditional[:, j] = cond & ok[:, j]
    return feas.Feasibility(ok, conditional)


def _old_entry_level(dataset: RecommendDataset, acts: np.ndarray) -> np.ndarray:
    cat = dataset.catalog
    kinds = [KINDS.index(k.value) for k in ENTRY_KINDS]
    levels = [LEVELS.index(lv.value) for lv in ENTRY_LEVELS]
    return np.isin(cat.kind[acts], kinds) | np.isin(cat.level[acts], levels)


@pytest.fixture(scope="module")
def model(
    sim_dataset: RecommendDataset, sim_decisions: tuple[DecisionPoint, ...]
) -> RerankRecommender:
    return RerankRecommender(
        RerankConfig(n_estimators=20, max_groups=2_000, als=ALSConfig(factors=8, iterations=5))
    ).fit(sim_dataset, sim_decisions)


def _reference(
    model: RerankRecommender, monkeypatch: pytest.MonkeyPatch, calls: list[dict[str, Any]]
) -> list[pd.DataFrame]:
    with monkeypatch.context() as m:
        m.setattr(base._Batch, "frame", lambda batch: _old_frame(*batch))
        m.setattr(rows_module, "SMALL_BATCH", 0)  # scipy's own row indexing throughout
        # every per-dataset lookup computed afresh on each use, no memo of the last batch
        for name in ("item_directions", "ability_rows", "ability_activities"):
            m.setattr(RecommendDataset, name, property(getattr(RecommendDataset, name).func))
        m.setattr(RecommendDataset, "batch_memo", property(lambda dataset: {}))
        m.setattr(feas, "_feasible", _old_feasible)
        m.setattr(coldstart, "entry_level", _old_entry_level)
        return [model.recommend(**c) for c in calls]


def _same(fast: pd.DataFrame, ref: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(fast, ref, check_exact=True)
    assert list(fast.columns) == list(RECOMMENDATION_COLUMNS)
    for col in fast.columns:
        a, b = fast[col].array, ref[col].array
        assert type(a) is type(b), col
        if hasattr(a, "_pa_array"):
            assert a._pa_array.type == b._pa_array.type, col
    assert [type(v) for v in fast[R.REASON_CODES]] == [type(v) for v in ref[R.REASON_CODES]]


def test_fast_path_matches_reference(
    model: RerankRecommender, sim_dataset: RecommendDataset, monkeypatch: pytest.MonkeyPatch
) -> None:
    pids = list(sim_dataset.participant_ids[::97][:12])
    calls: list[dict[str, Any]] = []
    for as_of in (None, dt.datetime(2024, 10, 15), dt.datetime(2025, 3, 1)):
        for k in (1, 5, 10):
            for reasons in (True, False):
                # single participants (the request path), a small batch, unknown ids
                calls += [
                    dict(participants=[p], k=k, as_of=as_of, reasons=reasons) for p in pids[:4]
                ]
                calls.append(
                    dict(participants=[*pids, "nobody"], k=k, as_of=as_of, reasons=reasons)
                )
    # both branches of the re-ranker's score: candidates, and none at the dataset's cut-off
    later = replace(sim_dataset, as_of=dt.datetime(2025, 9, 1))
    for as_of in (None, dt.datetime(2024, 10, 15)):
        calls.append(dict(participants=pids[:3], k=10, as_of=as_of, dataset=later))
    rows = sim_dataset.rows(pids)
    acts = sim_dataset.catalog.open_at(dt.datetime(2024, 10, 15))
    assert not np.isnan(model.score(sim_dataset, rows, acts)).all()
    assert np.isnan(model.score(later, rows, acts)).all()
    fast = [model.recommend(**c) for c in calls]
    again = [model.recommend(**c) for c in calls]  # warm caches give the same answers
    ref = _reference(model, monkeypatch, calls)
    assert sum(len(f) for f in fast) > 0
    assert _CALLS, "the reference did not run the old selection rule"
    assert any(f[R.CONDITIONAL].any() for f in fast), "no conditional stage was recommended"
    assert any(f[R.REASON_TEXT_RU].str.len().gt(0).any() for f in fast)
    for f, a, r in zip(fast, again, ref, strict=True):
        _same(f, r)
        _same(a, r)
    for c, r in zip(calls, ref, strict=True):
        records = model.recommend_records(**c)
        assert records == r.astype(object).to_dict("records")
        assert all(type(v) in (str, float, int, bool, tuple) for x in records for v in x.values())


def test_caches_follow_the_dataset(model: RerankRecommender, sim_dataset: RecommendDataset) -> None:
    # per-dataset values are rebuilt for another dataset object and never pickled
    dirs = profile.item_directions(sim_dataset)
    assert dirs is profile.item_directions(sim_dataset)
    assert not dirs.flags.writeable
    twin = replace(sim_dataset)
    assert profile.item_directions(twin) is not dirs
    np.testing.assert_array_equal(
        profile.item_directions(twin), RecommendDataset.item_directions.func(sim_dataset)
    )
    import pickle

    from models.recommend.dataset import _DERIVED

    # kept on the dataset (cached properties), not in a module-level cache
    assert {"item_directions", "batch_memo"} <= set(vars(sim_dataset)) & _DERIVED
    fresh = replace(sim_dataset)
    assert not set(vars(fresh)) & _DERIVED
    assert len(pickle.dumps(sim_dataset)) == len(pickle.dumps(fresh))


def test_the_reranker_scores_at_the_request_instant(
    model: RerankRecommender, sim_dataset: RecommendDataset
) -> None:
    """A bundle whose cut-off is later (or earlier) than the request ranks what is open at the
    request: the same data labelled with another cut-off gives the same scores at the same
    instant, and the re-ranker (not the cold-start fallback) has an opinion."""
    pids = list(sim_dataset.participant_ids[::97][:12])
    rows = sim_dataset.rows(pids)
    at = dt.datetime(2024, 10, 15)
    acts = sim_dataset.catalog.open_at(at)
    later = replace(sim_dataset, as_of=dt.datetime(2025, 9, 1))
    assert np.isnan(model.score(later, rows, acts)).all()  # nothing open at that cut-off
    here = model.score_at(sim_dataset, rows, acts, at)
    there = model.score_at(later, rows, acts, at)
    assert not np.isnan(there).all()
    np.testing.assert_array_equal(here, there)
    a = model.recommend(pids[:3], k=10, as_of=at, dataset=sim_dataset, reasons=False)
    b = model.recommend(pids[:3], k=10, as_of=at, dataset=later, reasons=False)
    pd.testing.assert_frame_equal(a, b)
