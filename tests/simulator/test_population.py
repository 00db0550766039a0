"""Participants and their behaviour: grades, registration, cold start, drop-outs, activity counts,
abilities (correlation, growth with practice) and interests that drive choices."""

from __future__ import annotations

import numpy as np
import pandas as pd

from footprint.columns import Columns as C
from footprint.directions import direction_codes

from .conftest import CLEAN


def _season(ts: pd.Series) -> np.ndarray:
    return np.where(ts.dt.month >= 6, ts.dt.year, ts.dt.year - 1)


def _per_participant_season(clean: dict) -> pd.Series:
    ach = clean["achievements"]
    return ach.groupby([ach[C.PARTICIPANT_ID], _season(ach[C.ACHIEVED_AT])]).size()


def test_grades_and_registration(clean: dict) -> None:
    p = clean["participants"]
    assert len(p) == CLEAN.participants and p[C.PARTICIPANT_ID].is_unique
    assert p[C.GRADE].between(5, 11).all()
    assert (p[C.GRADE_YEAR] == _season(p[C.REGISTERED_AT])).all()
    assert p[C.REGISTERED_AT].max() < pd.Timestamp(CLEAN.first_season + CLEAN.seasons, 6, 1)
    for year in range(CLEAN.first_season, CLEAN.first_season + CLEAN.seasons):
        new = p.loc[p[C.GRADE_YEAR] == year, C.REGISTERED_AT]
        assert len(new) > 0.05 * len(p), "new participants every season"
        assert new.dt.month.nunique() >= 8, "registrations spread over the season"
    verified = p[C.ACCOUNT_VERIFIED_AT].notna().mean()
    assert 0.75 < verified < 0.95
    assert (
        p[C.ACCOUNT_VERIFIED_AT].dropna()
        >= p.loc[p[C.ACCOUNT_VERIFIED_AT].notna(), C.REGISTERED_AT]
    ).all()


def test_grade_at_each_achievement_is_eligible_and_at_school(clean: dict) -> None:
    ach = clean["achievements"].merge(clean["participants"], on=C.PARTICIPANT_ID)
    ach = ach.merge(clean["activities"], on=C.ACTIVITY_ID)
    grade = ach[C.GRADE] + _season(ach[C.START_AT]) - ach[C.GRADE_YEAR]
    assert grade.between(ach[C.GRADE_MIN], ach[C.GRADE_MAX]).all()
    assert (grade <= 11).all()
    assert (ach[C.REGISTERED_AT] <= ach[C.REGISTRATION_DEADLINE]).all()


def test_cold_start_and_drop_outs(clean: dict) -> None:
    p = clean["participants"]
    active = set(clean["achievements"][C.PARTICIPANT_ID])
    assert 0.05 < 1 - len(active) / len(p) < 0.4, "some register and never take part"
    per = _per_participant_season(clean).unstack(fill_value=0)
    first, last = CLEAN.first_season, CLEAN.first_season + CLEAN.seasons - 1
    grade_last = (
        p.set_index(C.PARTICIPANT_ID)[C.GRADE] + last - p.set_index(C.PARTICIPANT_ID)[C.GRADE_YEAR]
    )
    still_at_school = grade_last.reindex(per.index) <= 11
    early = per[(per[first] > 0) & still_at_school]
    stopped = (early[last] == 0).mean()
    assert 0.15 < stopped < 0.8, "some participants stop taking part"


def test_activity_counts_are_heavy_tailed(clean: dict) -> None:
    counts = _per_participant_season(clean)
    assert counts.median() <= 3
    assert ((counts >= 1) & (counts <= 3)).mean() > 0.5, "most take 1-3 activities a season"
    assert 0.001 < (counts >= 15).mean() < 0.05, "a few take 15 or more"
    assert counts.max() >= 20
    assert counts.mean() > counts.median()


def test_abilities_correlate_about_point_four(truth: pd.DataFrame) -> None:
    for _, snap in truth.groupby(C.AS_OF):
        wide = snap.pivot(index=C.PARTICIPANT_ID, columns=C.DIRECTION, values=C.TRUE_ABILITY)
        corr = wide.corr().to_numpy()
        off = corr[~np.eye(len(corr), dtype=bool)]
        assert 0.3 < off.mean() < 0.5
        assert off.min() > 0.2


def test_truth_percentiles_cover_registered_participants_at_school(
    truth: pd.DataFrame, clean: dict
) -> None:
    p = clean["participants"].set_index(C.PARTICIPANT_ID)
    checkpoints = sorted(truth[C.AS_OF].unique())
    assert len(checkpoints) == 4 * CLEAN.seasons
    assert {(t.month, t.day) for t in pd.to_datetime(checkpoints)} == {
        (9, 1),
        (12, 1),
        (3, 1),
        (6, 1),
    }
    assert set(truth[C.DIRECTION]) == set(direction_codes())
    for as_of, snap in truth.groupby(C.AS_OF):
        ids = snap[C.PARTICIPANT_ID].unique()
        registered = p.index[p[C.REGISTERED_AT] <= as_of]
        season = as_of.year if as_of.month >= 6 else as_of.year - 1
        at_school = p.loc[registered, C.GRADE] + season - p.loc[registered, C.GRADE_YEAR] <= 11
        assert set(ids) == set(registered[at_school.to_numpy()])
        for _, one in snap.groupby(C.DIRECTION):
            comp = one[C.TRUE_COMPETENCE]
            assert comp.between(0, 100).all()
            assert abs(comp.mean() - 50) < 0.5
            order = one[C.TRUE_ABILITY].rank(method="first")
            assert (order.sort_values().index == comp.sort_values().index).all()


def test_ability_grows_with_practice(truth: pd.DataFrame, clean: dict) -> None:
    """Between the first and the last checkpoint, busy participants gain more than idle ones of
    the same grade (everyone gains the same grade effect)."""
    first, last = truth[C.AS_OF].min(), truth[C.AS_OF].max()
    a = truth[truth[C.AS_OF] == first].pivot(
        index=C.PARTICIPANT_ID, columns=C.DIRECTION, values=C.TRUE_ABILITY
    )
    b = truth[truth[C.AS_OF] == last].pivot(
        index=C.PARTICIPANT_ID, columns=C.DIRECTION, values=C.TRUE_ABILITY
    )
    gain = (b - a).dropna().mean(axis=1)
    n = clean["achievements"].groupby(C.PARTICIPANT_ID).size().reindex(gain.index, fill_value=0)
    idle, busy = gain[n == 0], gain[n >= 15]
    assert len(idle) > 50 and len(busy) > 50
    assert busy.mean() - idle.mean() > 0.2
    assert np.corrcoef(n, gain)[0, 1] > 0.2


def test_interests_drive_the_directions_chosen(clean: dict) -> None:
    p = clean["participants"].set_index(C.PARTICIPANT_ID)
    ach = clean["achievements"].merge(
        clean["activities"][[C.ACTIVITY_ID, C.DIRECTIONS]], on=C.ACTIVITY_ID
    )
    primary = (
        ach[C.DIRECTIONS]
        .str.split(";")
        .map(lambda pairs: max(pairs, key=lambda s: float(s.split(":")[1])).split(":")[0])
    )
    declared = p.loc[ach[C.PARTICIPANT_ID], C.DECLARED_INTERESTS].to_numpy()
    single = pd.notna(declared) & ~pd.Series(declared).str.contains(";", na=True).to_numpy()
    match = (primary.to_numpy()[single] == declared[single]).mean()
    assert match > 0.55, "a single declared interest is the direction of most picks"
