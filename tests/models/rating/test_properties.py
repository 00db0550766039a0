"""Properties of the rating on random small footprints (hypothesis)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from footprint.columns import Columns as C
from footprint.frames import Snapshot
from models.rating.codes import COUNTED
from models.rating.columns import RatingColumns as RC
from models.rating.engine import RatingResult, rate
from models.rating.points import KINDS
from models.rating.rules import RatingRules, default_rules

from .conftest import SEASON, World

RULES = default_rules()
PARTICIPANTS = [f"p{i}" for i in range(6)]
# (id, kind, level, directions, max_score, is_team)
CATALOGUE = [
    ("s1", "olympiad_stage_individual", "national", {"python": 1.0}, 100.0, False),
    ("s1b", "olympiad_stage_individual", "regional", {"python": 1.0}, None, False),
    ("s2", "olympiad_stage_team", "national", {"python": 0.7, "robotics": 0.3}, 50.0, True),
    ("fin", "olympiad_final", "national", {"python": 0.7, "robotics": 0.3}, None, False),
    ("h1", "hackathon", "regional", {"robotics": 1.0}, 100.0, True),
    ("h2", "hackathon", "national", {"robotics": 0.5, "engineering": 0.5}, None, True),
    ("h3", "hackathon", "municipal", {"robotics": 1.0}, None, False),
    ("h4", "hackathon", "school", {"robotics": 1.0}, None, False),
    ("h5", "hackathon", "international", {"robotics": 1.0}, 10.0, False),
    ("c1", "online_course", "national", {"python": 1.0}, 100.0, False),
    ("c2", "online_course", "regional", {"python": 1.0}, 100.0, False),
    ("c3", "online_course", "national", {"python": 0.5, "engineering": 0.5}, None, False),
    ("c4", "online_course", "national", {"python": 1.0}, 20.0, False),
    ("t1", "test", "national", {"python": 1.0}, 10.0, False),
    ("t2", "test", "regional", {"python": 1.0}, None, False),
    ("t3", "test", "school", {"python": 1.0}, 100.0, False),
    ("t4", "test", "national", {"python": 1.0}, 100.0, False),
    ("k1", "competition", "national", {"python": 1.0}, 100.0, False),
    ("k2", "project_contest", "regional", {"python": 1.0}, None, False),
    ("k3", "project_school", "national", {"python": 1.0}, None, False),
    ("k4", "competition", "international", {"python": 1.0}, None, False),
    ("k5", "competition", "municipal", {"python": 1.0}, 100.0, False),
]
EDGES = [("s1", "s2"), ("s1b", "s2"), ("s2", "fin")]
RESULTS = ["winner", "prize_winner", "finalist", "participant", "completed", "not_completed"]
STATUSES = ["verified", "verified", "verified", "pending", "rejected"]
DATES = ["2025-08-15", "2025-09-01", "2025-10-20", "2025-12-01", "2026-03-03", "2026-05-31"]

achievement = st.tuples(
    st.sampled_from(PARTICIPANTS),
    st.integers(0, len(CATALOGUE) - 1),
    st.sampled_from(RESULTS),
    st.one_of(st.none(), st.integers(0, 10).map(float)),
    st.sampled_from(STATUSES),
    st.sampled_from(DATES),
)
footprints = st.tuples(
    st.lists(achievement, min_size=1, max_size=45),
    st.lists(st.booleans(), min_size=len(PARTICIPANTS), max_size=len(PARTICIPANTS)),
)

SETTINGS = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)


def build(rows: list[tuple], verified: list[bool]) -> World:
    world = World()
    for pid, ok in zip(PARTICIPANTS, verified, strict=True):
        world.participant(pid, verified=ok)
    for aid, kind, level, dirs, max_score, team in CATALOGUE:
        world.activity(
            aid, kind=kind, level=level, directions=dirs, max_score=max_score, is_team=team
        )
    for src, dst in EDGES:
        world.edge(src, dst)
    for i, (pid, act, result, score, status, at) in enumerate(rows):
        aid, _, _, _, max_score, _ = CATALOGUE[act]
        if score is not None and max_score is not None:
            score = min(score, max_score)
        world.achievement(pid, aid, result, score=score, status=status, at=at, ach_id=f"a{i:03d}")
    return world


def raw_points(result: RatingResult) -> dict[tuple[str, str], float]:
    t = result.table
    return dict(
        zip(zip(t[C.PARTICIPANT_ID], t[C.DIRECTION], strict=True), t[RC.RAW_POINTS], strict=True)
    )


def owner_points(result: RatingResult, pid: str) -> dict[str, float]:
    return {d: p for (who, d), p in raw_points(result).items() if who == pid}


@SETTINGS
@given(footprints, achievement, st.booleans())
def test_adding_a_verified_achievement_never_lowers_raw_points(
    fp: tuple[list[tuple], list[bool]], extra: tuple, provisional: bool
) -> None:
    rows, verified = fp
    pid = extra[0]
    before = owner_points(
        rate(build(rows, verified).snapshot(), SEASON, RULES, provisional=provisional), pid
    )
    added = (*extra[:4], "verified", extra[5])
    after = owner_points(
        rate(build([*rows, added], verified).snapshot(), SEASON, RULES, provisional=provisional),
        pid,
    )
    for direction, points in before.items():
        assert after.get(direction, 0.0) >= points - 1e-9


@SETTINGS
@given(footprints, st.integers(0, 44), st.booleans())
def test_rejecting_an_achievement_never_raises_raw_points(
    fp: tuple[list[tuple], list[bool]], which: int, provisional: bool
) -> None:
    rows, verified = fp
    i = which % len(rows)
    pid = rows[i][0]
    before = owner_points(
        rate(build(rows, verified).snapshot(), SEASON, RULES, provisional=provisional), pid
    )
    rejected = [*rows[:i], (*rows[i][:4], "rejected", rows[i][5]), *rows[i + 1 :]]
    after = owner_points(
        rate(build(rejected, verified).snapshot(), SEASON, RULES, provisional=provisional), pid
    )
    for direction, points in after.items():
        assert points <= before.get(direction, 0.0) + 1e-9


def check_invariants(result: RatingResult, rules: RatingRules) -> None:
    c = result.contributions
    counted = c[c[RC.REASON] == COUNTED]
    per_pair = counted.groupby([RC.PID, RC.DIR]).size()
    assert (per_pair <= rules.selection.best_n).all()
    for kind, cap in rules.caps.items():
        of_kind = counted[counted[RC.KIND_CODE] == KINDS.index(kind)]
        assert (of_kind.groupby([RC.PID, RC.DIR]).size() <= cap).all()
    # one counted row per participant, direction and chain / activity
    chained = counted[counted[RC.CHAIN] >= 0]
    assert not chained.duplicated([RC.PID, RC.DIR, RC.CHAIN]).any()
    assert not counted.duplicated([RC.PID, RC.DIR, RC.ACT]).any()
    # raw points are the exact sums of the counted credits (ten-thousandths)
    sums = counted.groupby([RC.PID, RC.DIR])[RC.CREDIT].sum()
    ranked = result.ranked.set_index([RC.PID, RC.DIR])
    assert (sums.reindex(ranked.index).to_numpy() == ranked[RC.RAW_UNITS].to_numpy()).all()
    assert (ranked[RC.RAW_POINTS].to_numpy() == ranked[RC.RAW_UNITS].to_numpy() / 10_000).all()
    d = rules.diplomas
    for direction, part in result.table.groupby(C.DIRECTION):
        n = len(part)
        winners = part[part[RC.DIPLOMA] == "winner"]
        prize = part[part[RC.DIPLOMA] == "prize_winner"]
        assert len(winners) <= math.floor(n * d.winner_share + 1e-9), direction
        assert len(prize) <= math.floor(n * d.prize_winner_share + 1e-9), direction
        assert (winners[RC.SCORE] >= d.winner_min_score).all()
        assert (prize[RC.SCORE] >= d.prize_winner_min_score).all()
        assert (part[RC.SCORE] <= 100).all() and (part[RC.SCORE] > 0).all()
        # places never decrease down the table and diplomas go to the best places
        assert part[RC.PLACE].is_monotonic_increasing
        if len(prize) and len(winners):
            assert winners[RC.PLACE].max() < prize[RC.PLACE].min()


@SETTINGS
@given(footprints, st.booleans())
def test_caps_best_n_and_quotas_always_hold(
    fp: tuple[list[tuple], list[bool]], provisional: bool
) -> None:
    rows, verified = fp
    check_invariants(
        rate(build(rows, verified).snapshot(), SEASON, RULES, provisional=provisional), RULES
    )


@SETTINGS
@given(st.lists(st.floats(0.5, 200, allow_nan=False), min_size=1, max_size=300), st.integers(0, 3))
def test_quotas_hold_for_any_distribution(points: list[float], ties: int) -> None:
    from models.rating.ranking import rank_directions

    n = len(points)
    tot = pd.DataFrame(
        {
            RC.PID: np.arange(n),
            RC.DIR: np.zeros(n, dtype=np.int64),
            RC.RAW_UNITS: np.rint(np.asarray(points) * 10_000).astype(np.int64),
            RC.RAW_POINTS: points,
            RC.N_COUNTED: np.ones(n, dtype=np.int64),
            RC.TIE_RESULTS: np.arange(n) % (ties + 1),
            RC.DECIDING_AT: np.zeros(n, dtype=np.int64),
        }
    )
    table, thr = rank_directions(tot, RULES)
    assert thr[RC.N_WINNERS].iloc[0] <= math.floor(n * 0.05 + 1e-9)
    assert thr[RC.N_PRIZE_WINNERS].iloc[0] <= math.floor(n * 0.15 + 1e-9)
    assert (table[RC.SCORE].diff().dropna() <= 0).all()


def shuffled(snapshot: Snapshot, seed: int) -> Snapshot:
    rng = np.random.default_rng(seed)
    frames = {
        name: getattr(snapshot, name).sample(frac=1.0, random_state=rng).reset_index(drop=True)
        for name in (
            "participants",
            "activities",
            "activity_directions",
            "activity_edges",
            "achievements",
        )
    }
    return Snapshot.from_frames(snapshot.as_of, frames, snapshot_id=snapshot.snapshot_id)


@SETTINGS
@given(footprints, st.integers(0, 2**31), st.booleans())
def test_result_does_not_depend_on_row_order(
    fp: tuple[list[tuple], list[bool]], seed: int, provisional: bool
) -> None:
    rows, verified = fp
    snap = build(rows, verified).snapshot()
    a = rate(snap, SEASON, RULES, provisional=provisional)
    b = rate(shuffled(snap, seed), SEASON, RULES, provisional=provisional)
    pd.testing.assert_frame_equal(a.table, b.table)
    assert list(a.explanation_dicts()) == list(b.explanation_dicts())
