"""Calibration recovers known difficulties, discriminations and abilities from synthetic IRT data.

Data are drawn from the model itself (graded response, 6 categories, one kind with a = 1.5),
written as a snapshot whose score shares encode the categories, and pushed through the real path
(activity statistics -> responses -> fit). Stated tolerances: difficulty correlation >= 0.97 and
mean absolute error <= 0.15 logits; discrimination within 20%; ability correlation >= 0.85; 90%
ability intervals cover the truth 85-95% of the time.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from scipy.special import expit

from features.activity_stats import compute_activity_stats
from features.calibration import CalibrationConfig, fit_calibration
from features.responses import build_responses
from footprint.columns import Columns as C
from footprint.frames import Snapshot

N_PERSONS, N_ITEMS, PER_PERSON, K = 2000, 60, 10, 6
A_TRUE = 1.5
C_TRUE = np.array([-2.5, -1.2, 0.0, 1.2, 2.5])
AS_OF = dt.datetime(2025, 6, 1)


def synthetic(seed: int = 11):  # type: ignore[no-untyped-def]
    rng = np.random.default_rng(seed)
    grade = rng.integers(5, 12, N_PERSONS + 50)
    theta = 0.2 * (grade - 8) + rng.normal(size=len(grade))
    b = rng.normal(0, 1, N_ITEMS)
    person = np.repeat(np.arange(N_PERSONS), PER_PERSON)  # the last 50 persons have no records
    item = np.concatenate(
        [rng.choice(N_ITEMS, PER_PERSON, replace=False) for _ in range(N_PERSONS)]
    )
    p_ge = expit(A_TRUE * (theta[person] - b[item])[:, None] - C_TRUE[None, :])
    y = (rng.random(len(person))[:, None] < p_ge).sum(axis=1)  # cumulative draw
    pids = np.array([f"p{i:05d}" for i in range(len(grade))], dtype=object)
    aids = np.array([f"a{j:03d}" for j in range(N_ITEMS)], dtype=object)
    day = pd.Timestamp("2025-03-01")
    frames = {
        "participants": pd.DataFrame(
            {
                C.PARTICIPANT_ID: pids,
                C.GRADE: grade,
                C.GRADE_YEAR: 2024,
                C.REGION: "RU-MOW",
                C.SCHOOL_ID: None,
                C.REGISTERED_AT: pd.Timestamp("2024-09-01"),
                C.ACCOUNT_VERIFIED: True,
                C.DECLARED_INTERESTS: None,
            }
        ),
        "activities": pd.DataFrame(
            {
                C.ACTIVITY_ID: aids,
                C.SERIES_ID: aids,
                C.TITLE: aids,
                C.KIND: "test",
                C.LEVEL: "national",
                C.FORMAT: "online",
                C.REGION: None,
                C.START_AT: day,
                C.END_AT: day,
                C.REGISTRATION_DEADLINE: None,
                C.GRADE_MIN: 5,
                C.GRADE_MAX: 11,
                C.CAPACITY: None,
                C.MAX_SCORE: 100.0,
                C.IS_TEAM: False,
                C.OLYMPIAD_LIST_LEVEL: None,
                C.PUBLISHED_AT: pd.Timestamp("2024-06-01"),
            }
        ),
        "activity_directions": pd.DataFrame(
            {C.ACTIVITY_ID: aids, C.DIRECTION: "python", C.WEIGHT: 1.0}
        ),
        "activity_edges": pd.DataFrame(columns=[C.FROM_ACTIVITY_ID, C.TO_ACTIVITY_ID, C.EDGE_TYPE]),
        "achievements": pd.DataFrame(
            {
                C.ACHIEVEMENT_ID: [f"r{i:06d}" for i in range(len(person))],
                C.PARTICIPANT_ID: pids[person],
                C.ACTIVITY_ID: aids[item],
                C.TEAM_ID: None,
                C.RESULT: "completed",
                C.SCORE: (y + 0.5) / K * 100,
                C.RANK: None,
                C.EVIDENCE: None,
                C.STATUS: "verified",
                C.STATUS_CHANGED_AT: day,
                C.ACHIEVED_AT: day,
                C.RECORDED_AT: day,
                C.N_SOURCES: 1,
            }
        ),
    }
    return Snapshot.from_frames(AS_OF, frames), theta, b, grade, pids


@pytest.fixture(scope="module")
def fitted():  # type: ignore[no-untyped-def]
    snap, theta, b, grade, pids = synthetic()
    stats = compute_activity_stats(snap, AS_OF, directions=("python",))
    # no recency weighting: the abilities here do not change over time
    cfg = CalibrationConfig(responses={"half_life_days": 1e9, "n_categories": K})
    r = build_responses(
        snap.achievements, stats, AS_OF, cfg.responses, participant_ids=pd.Index(pids)
    )
    cal = fit_calibration(r, stats, grade.astype(float), cfg)
    stats = stats.with_difficulty(cal.item_difficulty(stats))
    est_theta, se, count = cal.abilities(r, stats, grade.astype(float))
    return cal, stats, b, theta, est_theta[:, 0], se[:, 0], count[:, 0], grade


def test_difficulties_are_recovered(fitted) -> None:  # type: ignore[no-untyped-def]
    _, stats, b, *_ = fitted
    est = stats.difficulty[:, 0]  # activities sorted by id = a000 .. a059, as generated
    assert np.corrcoef(est, b)[0, 1] >= 0.97
    assert np.mean(np.abs((est - est.mean()) - (b - b.mean()))) <= 0.15


def test_discrimination_is_recovered(fitted) -> None:  # type: ignore[no-untyped-def]
    cal = fitted[0]
    a = cal.fits[0].kinds.discrimination[8]  # "test" is the ninth kind
    assert abs(a - A_TRUE) / A_TRUE <= 0.2


def test_abilities_and_their_intervals(fitted) -> None:  # type: ignore[no-untyped-def]
    _, _, _, theta, est, se, count, _ = fitted
    has = count > 0
    assert np.corrcoef(est[has], theta[has])[0, 1] >= 0.85
    inside = np.abs(est[has] - theta[has]) <= 1.645 * se[has]
    assert 0.85 <= inside.mean() <= 0.95


def test_participants_without_records_get_the_grade_prior(fitted) -> None:  # type: ignore[no-untyped-def]
    cal, _, _, _, est, se, count, grade = fitted
    none = count == 0
    assert none.sum() == 50
    mean, sd = cal.prior(grade[none].astype(float))
    np.testing.assert_allclose(est[none], mean[:, 0])
    np.testing.assert_allclose(se[none], sd[0])
    slope = np.polyfit(np.arange(5, 12), cal.fits[0].prior_mean[5:12], 1)[0]
    assert 0.1 <= slope <= 0.3  # true: 0.2 per grade


def test_unseen_activities_fall_back_to_series_then_kind_and_level(fitted) -> None:  # type: ignore[no-untyped-def]
    cal, stats, *_ = fitted
    table = stats.table.copy()
    table.loc[0, C.ACTIVITY_ID] = "new-edition"  # same series as a000
    table.loc[1, C.ACTIVITY_ID] = "new-event"
    table.loc[1, C.SERIES_ID] = "new-series"
    from dataclasses import replace

    other = replace(stats, table=table)
    diff = cal.item_difficulty(other)[:, 0]
    assert diff[0] == pytest.approx(stats.difficulty[0, 0])
    assert diff[1] == pytest.approx(cal.fits[0].group[8, 3])  # test kind, national level


def test_directions_in_parallel_give_the_same_fit() -> None:
    """``n_jobs`` changes only how the directions are scheduled: every random draw is made before
    they are dispatched, so two processes give exactly the fit of one."""
    from tests.features.world import make_world

    world = make_world(n_participants=300, seed=3)
    snap = world.snapshot()
    cut = world.as_of - dt.timedelta(days=30)
    stats = compute_activity_stats(snap, cut)
    assert len(stats.directions) >= 2
    cfg = CalibrationConfig(n_iter=8, kind_sample=1_000)
    r = build_responses(snap.achievements, stats, cut, cfg.responses)
    grades = (
        snap.participants.set_index(C.PARTICIPANT_ID)[C.GRADE]
        .reindex(r.participant_ids)
        .to_numpy(float, na_value=np.nan)
    )
    one = fit_calibration(r, stats, grades, cfg)
    two = fit_calibration(r, stats, grades, cfg.model_copy(update={"n_jobs": 2}))
    assert [f.direction for f in two.fits] == list(stats.directions)
    for a, b in zip(one.fits, two.fits, strict=True):
        np.testing.assert_array_equal(a.difficulty, b.difficulty)
        np.testing.assert_array_equal(a.kinds.discrimination, b.kinds.discrimination)
        np.testing.assert_array_equal(a.prior_mean, b.prior_mean)
