"""The NTI Olympiad funnel: stage 1 -> team stage -> final, about 1.5% of applicants in finals."""

from __future__ import annotations

import pandas as pd
import pytest

from footprint.columns import Columns as C
from footprint.enums import ActivityKind, EdgeType, Result

from .conftest import CLEAN

FUNNEL_TOLERANCE = 0.002
"""Overall share of finalists among stage-1 entrants: 1.5% +- 0.2 percentage points."""


def _chains(clean: dict[str, pd.DataFrame]) -> list[tuple[str, str, str]]:
    sel = clean["activity_edges"].query(f"{C.EDGE_TYPE} == '{EdgeType.SELECTION.value}'")
    nxt = dict(zip(sel[C.FROM_ACTIVITY_ID], sel[C.TO_ACTIVITY_ID], strict=True))
    acts = clean["activities"].set_index(C.ACTIVITY_ID)
    stage1 = acts.index[acts[C.KIND] == ActivityKind.OLYMPIAD_STAGE_INDIVIDUAL.value]
    return [(s1, nxt[s1], nxt[nxt[s1]]) for s1 in stage1]


def test_funnel_share_is_about_one_and_a_half_percent(clean: dict) -> None:
    ach = clean["achievements"]
    sizes = ach.groupby(C.ACTIVITY_ID).size()
    chains = _chains(clean)
    assert len(chains) == 3 * CLEAN.seasons
    entrants = sum(sizes[s1] for s1, _, _ in chains)
    finalists = sum(sizes[f] for _, _, f in chains)
    assert finalists / entrants == pytest.approx(CLEAN.funnel_share, abs=FUNNEL_TOLERANCE)
    for s1, _, final in chains:  # each final alone: within a team's size of its target
        assert abs(sizes[final] - CLEAN.funnel_share * sizes[s1]) <= 5


def test_stage_one_is_large_and_scales_with_the_population(clean: dict) -> None:
    """Stage 1 of a profile draws about a quarter of all participants (tens of thousands at
    250,000); the team stage about a tenth of stage 1."""
    sizes = clean["achievements"].groupby(C.ACTIVITY_ID).size()
    for s1, s2, _ in _chains(clean):
        assert 0.15 < sizes[s1] / CLEAN.participants < 0.4
        assert 0.05 < sizes[s2] / sizes[s1] < 0.15


def test_only_qualifiers_advance(clean: dict) -> None:
    ach = clean["achievements"]
    by_act = {a: g for a, g in ach.groupby(C.ACTIVITY_ID)}
    qualified = {Result.WINNER.value, Result.PRIZE_WINNER.value}
    for s1, s2, final in _chains(clean):
        q1 = set(by_act[s1].loc[by_act[s1][C.RESULT].isin(qualified), C.PARTICIPANT_ID])
        in2 = set(by_act[s2][C.PARTICIPANT_ID])
        assert in2 <= q1 and len(in2) > 0.6 * len(q1)
        # finalists come as whole teams of the team stage, the best-ranked ones
        s2_teams = by_act[s2].groupby(C.TEAM_ID)[C.RANK].first()
        f_teams = set(by_act[final][C.TEAM_ID])
        assert set(by_act[final][C.PARTICIPANT_ID]) <= in2
        assert f_teams <= set(s2_teams.index)
        assert s2_teams[list(f_teams)].max() <= s2_teams.drop(list(f_teams)).min()


def test_final_results_are_finalist_prize_winner_winner(clean: dict) -> None:
    acts = clean["activities"].set_index(C.ACTIVITY_ID)
    ach = clean["achievements"]
    kind = acts.loc[ach[C.ACTIVITY_ID], C.KIND].to_numpy()
    finals = ach[kind == ActivityKind.OLYMPIAD_FINAL.value]
    stages = ach[kind == ActivityKind.OLYMPIAD_STAGE_INDIVIDUAL.value]
    assert set(finals[C.RESULT]) == {"finalist", "prize_winner", "winner"}
    assert set(stages[C.RESULT]) == {"participant", "prize_winner", "winner"}
    share = stages[C.RESULT].value_counts(normalize=True)
    assert 0.02 < share["winner"] < 0.06 and 0.06 < share["prize_winner"] < 0.14
