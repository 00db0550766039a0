"""The catalogue: sizes by kind at the simulator's scaled targets, dates, series, edges, fields."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from footprint.columns import Columns as C
from footprint.directions import direction_codes
from footprint.enums import ActivityKind, EdgeType, Format
from simulator import scaled_size_range, size_scale
from simulator.config import REFERENCE_PARTICIPANTS, REFERENCE_SIZES

from .conftest import CLEAN

TEAM_KINDS = {
    ActivityKind.OLYMPIAD_STAGE_TEAM,
    ActivityKind.OLYMPIAD_FINAL,
    ActivityKind.HACKATHON,
    ActivityKind.PROJECT_SCHOOL,
}
UNSCORED = {
    ActivityKind.HACKATHON,
    ActivityKind.PROJECT_SCHOOL,
    ActivityKind.ONLINE_COURSE,
}


def _sizes(clean: dict[str, pd.DataFrame]) -> pd.DataFrame:
    acts = clean["activities"].set_index(C.ACTIVITY_ID)
    n = clean["achievements"].groupby(C.ACTIVITY_ID).size()
    nested = clean["activity_edges"].query(f"{C.EDGE_TYPE} == '{EdgeType.NESTING.value}'")
    return acts.assign(
        entrants=n.reindex(acts.index, fill_value=0),
        nested=acts.index.isin(nested[C.TO_ACTIVITY_ID]),
    )


def test_size_targets_are_real_at_reference_scale_and_shrink_with_sqrt_n() -> None:
    for kind, (lo, hi) in REFERENCE_SIZES.items():
        assert scaled_size_range(kind, REFERENCE_PARTICIPANTS) == (lo, hi)
        assert scaled_size_range(kind, 4 * REFERENCE_PARTICIPANTS) == (lo, hi)
    assert size_scale(REFERENCE_PARTICIPANTS // 100) == pytest.approx(0.1)
    assert scaled_size_range(ActivityKind.ONLINE_COURSE, 2_500) == (20, 500)
    assert scaled_size_range(ActivityKind.HACKATHON, REFERENCE_PARTICIPANTS // 4) == (25, 150)


@pytest.mark.parametrize("kind", list(REFERENCE_SIZES))
def test_free_edition_sizes_stay_in_the_scaled_range(clean: dict, kind: ActivityKind) -> None:
    sizes = _sizes(clean)
    free = sizes[(sizes[C.KIND] == kind.value) & ~sizes["nested"]]
    lo, hi = scaled_size_range(kind, CLEAN.participants)
    assert len(free) >= 2 * CLEAN.seasons, "too few editions to say anything about sizes"
    assert free["entrants"].between(lo, hi).all(), free["entrants"].describe()
    assert lo < free["entrants"].median() < hi
    # sizes spread over the range instead of piling up at the capacity
    assert (free["entrants"] == hi).mean() < 0.5
    assert (free[C.CAPACITY] == hi).all()


def test_nested_hackathons_take_their_project_school(clean: dict) -> None:
    acts = clean["activities"].set_index(C.ACTIVITY_ID)
    edges = clean["activity_edges"]
    nesting = edges[edges[C.EDGE_TYPE] == EdgeType.NESTING.value]
    assert len(nesting) > 0
    ach = clean["achievements"]
    members = ach.groupby(C.ACTIVITY_ID)[C.PARTICIPANT_ID].apply(frozenset)
    for parent, child in nesting[[C.FROM_ACTIVITY_ID, C.TO_ACTIVITY_ID]].itertuples(index=False):
        assert acts.at[parent, C.KIND] == ActivityKind.PROJECT_SCHOOL.value
        assert acts.at[child, C.KIND] == ActivityKind.HACKATHON.value
        assert acts.at[parent, C.START_AT] <= acts.at[child, C.START_AT]
        assert acts.at[child, C.END_AT] <= acts.at[parent, C.END_AT]
        assert members[child] == members[parent]


def test_olympiad_profiles_chain_by_selection_edges(clean: dict) -> None:
    acts = clean["activities"].set_index(C.ACTIVITY_ID)
    sel = clean["activity_edges"].query(f"{C.EDGE_TYPE} == '{EdgeType.SELECTION.value}'")
    kinds = list(
        zip(
            acts.loc[sel[C.FROM_ACTIVITY_ID], C.KIND],
            acts.loc[sel[C.TO_ACTIVITY_ID], C.KIND],
            strict=True,
        )
    )
    assert set(kinds) == {
        (ActivityKind.OLYMPIAD_STAGE_INDIVIDUAL.value, ActivityKind.OLYMPIAD_STAGE_TEAM.value),
        (ActivityKind.OLYMPIAD_STAGE_TEAM.value, ActivityKind.OLYMPIAD_FINAL.value),
    }
    assert len(sel) == 2 * len(direction_codes()) * CLEAN.seasons
    for a, b in sel[[C.FROM_ACTIVITY_ID, C.TO_ACTIVITY_ID]].itertuples(index=False):
        assert acts.at[a, C.END_AT] < acts.at[b, C.START_AT]
    olymp = acts[acts[C.KIND].str.startswith("olympiad")]
    assert olymp[C.OLYMPIAD_LIST_LEVEL].between(1, 3).all()
    assert acts.loc[~acts.index.isin(olymp.index), C.OLYMPIAD_LIST_LEVEL].isna().all()
    stage1 = olymp[olymp[C.KIND] == ActivityKind.OLYMPIAD_STAGE_INDIVIDUAL.value]
    finals = olymp[olymp[C.KIND] == ActivityKind.OLYMPIAD_FINAL.value]
    assert (stage1[C.FORMAT] == Format.ONLINE.value).all()
    assert (finals[C.FORMAT] == Format.OFFLINE.value).all()
    assert finals[C.CAPACITY].notna().all()


def test_dates_fit_the_season_and_registration_comes_first(clean: dict) -> None:
    acts = clean["activities"]
    start, end = acts[C.START_AT], acts[C.END_AT]
    season = np.where(start.dt.month >= 6, start.dt.year, start.dt.year - 1)
    assert set(season) == set(range(CLEAN.first_season, CLEAN.first_season + CLEAN.seasons))
    assert (start >= pd.to_datetime([f"{y}-09-01" for y in season])).all()
    assert (end <= pd.to_datetime([f"{y + 1}-05-31" for y in season])).all()
    assert (end >= start).all()
    assert (acts[C.REGISTRATION_DEADLINE] < start).all()
    assert (acts[C.PUBLISHED_AT] < acts[C.REGISTRATION_DEADLINE]).all()
    lead = (start - acts[C.PUBLISHED_AT]).dt.days
    assert lead.min() >= 14 and lead.median() < 90


def test_series_recur_with_new_activity_ids(clean: dict) -> None:
    acts = clean["activities"]
    assert acts[C.ACTIVITY_ID].is_unique
    season = np.where(
        acts[C.START_AT].dt.month >= 6, acts[C.START_AT].dt.year, acts[C.START_AT].dt.year - 1
    )
    per_series = acts.assign(season=season).groupby(C.SERIES_ID)["season"]
    assert (per_series.nunique() == per_series.size()).all(), "one edition per series and season"
    first = set(acts.loc[season == CLEAN.first_season, C.SERIES_ID])
    second = set(acts.loc[season == CLEAN.first_season + 1, C.SERIES_ID])
    assert len(first & second) / len(first) > 0.5


def test_fields_follow_the_kind(clean: dict) -> None:
    acts = clean["activities"]
    kind = acts[C.KIND].map(ActivityKind)
    offline = acts[C.FORMAT] == Format.OFFLINE.value
    assert (acts[C.REGION].notna() == offline).all()
    assert (acts[C.IS_TEAM] | ~kind.isin(TEAM_KINDS)).all()
    assert (acts.loc[kind.isin(TEAM_KINDS), C.IS_TEAM]).all()
    assert acts.loc[kind.isin(UNSCORED), C.MAX_SCORE].isna().all()
    assert (acts.loc[~kind.isin(UNSCORED), C.MAX_SCORE] > 0).all()
    assert (acts[C.GRADE_MIN] <= acts[C.GRADE_MAX]).all()
    assert acts[C.GRADE_MIN].between(5, 11).all() and acts[C.GRADE_MAX].between(5, 11).all()
    assert set(acts[C.LEVEL]) >= {"school", "regional", "national"}
    codes = set(direction_codes())
    for value in acts[C.DIRECTIONS]:
        pairs = [p.split(":") for p in value.split(";")]
        assert {c for c, _ in pairs} <= codes
        assert math.isclose(sum(float(w) for _, w in pairs), 1.0)
        assert all(0 < float(w) <= 1 for _, w in pairs)
