"""The contest rules are exact: fixed precision, one season definition on Moscow time, what a
record without a score earns, who shapes an activity's score percentile, and what the what-if
tells a member of a tied group (issue 16, items 12-16)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from footprint.calendar import contest_date, season_of_instant, season_window
from footprint.columns import Columns as C
from models.rating.columns import RatingColumns as RC
from models.rating.engine import RatingResult, rate
from models.rating.ranking import rank_directions, reference_units, score_units, slots
from models.rating.rules import RatingRules, default_rules
from models.rating.whatif import what_if

from .conftest import SEASON, World

# Three credits whose double sum depends on the order: (2.31 + 0.8) + 12.6 != (12.6 + 0.8) + 2.31
SPLIT_BY_ORDER = (
    ("m", "competition", "municipal", "prize_winner", 0.3),  # 20 x 0.55 x 0.7 x 0.3 = 2.31
    ("s", "hackathon", "school", "winner", 0.1),  # 20 x 0.4 x 0.1 = 0.8
    ("r", "competition", "regional", "winner", 0.9),  # 20 x 0.7 x 0.9 = 12.6
)
EQUAL = ("q1", "q2", "q3", "q4")


def straddling_world(world: World) -> World:
    """20 rated: one clear winner, four equal participants at places 2-5 across the prize band's
    end (1 winner + 3 prize slots: the band ends at position 4), fifteen far behind."""
    for aid, kind, level, _, weight in SPLIT_BY_ORDER:
        world.activity(aid, kind=kind, level=level, directions={"python": weight})
    for i, pid in enumerate(EQUAL):
        # the ids sort the three records in opposite orders for half of the four
        order = SPLIT_BY_ORDER if i % 2 == 0 else SPLIT_BY_ORDER[::-1]
        for j, (aid, _, _, result, _) in enumerate(order):
            world.achievement(pid, aid, result, ach_id=f"{pid}-{j}")
    world.activity("fin", kind="olympiad_final", level="national")
    world.achievement("top", "fin", "winner")
    world.activity("low", kind="hackathon", level="school")
    for i in range(15):
        world.achievement(f"z{i:02d}", "low", "participant")
    return world


def by_pid(result: RatingResult, direction: str = "python") -> pd.DataFrame:
    t = result.table
    return t[t[C.DIRECTION] == direction].set_index(C.PARTICIPANT_ID)


# --- item 12: fixed precision; a tied group shares a place and crosses a boundary together ----


def test_four_equal_participants_share_a_place_and_a_diploma(
    world: World, rules: RatingRules
) -> None:
    t = by_pid(rate(straddling_world(world).snapshot(), SEASON, rules))
    four = t.loc[list(EQUAL)]
    assert (four[RC.RAW_POINTS] == 15.71).all()
    assert four[RC.SCORE].nunique() == 1 and four[RC.PLACE].tolist() == [2, 2, 2, 2]
    # the group straddles the band's end (positions 2-5, band ends at 4): none of them gets it,
    # together; the quota is never exceeded
    assert four[RC.DIPLOMA].tolist() == ["none"] * 4
    assert t.loc["top", RC.DIPLOMA] == "winner"
    assert t.loc["z00", RC.PLACE] == 6


def test_r_ref_and_s_are_exact_in_ten_thousandths() -> None:
    r = np.array([10_000, 20_000, 30_000], dtype=np.int64)
    # h = 2 x 0.99 = 1.98: 20000 + 0.98 x 10000 = 29800 exactly
    assert reference_units(r, 99.0) == 29_800
    # S = 100 x R / R_ref, rounded once: 10000 / 29800 -> 33.5570469.. -> 33.5570
    assert score_units(r, 29_800).tolist() == [335_570, 671_141, 1_000_000]
    # an exact half goes to the even neighbour: 10^6 x (1, 3, 5) / (2 x 10^6) = 0.5, 1.5, 2.5
    assert score_units(np.array([1, 3, 5], dtype=np.int64), 2_000_000).tolist() == [0, 2, 2]


def test_quotas_round_down_exactly() -> None:
    # winners need 20 rated, prize-winners 7 (shares 5% and 15%)
    assert [slots(n, 0.05) for n in (19, 20, 39, 40)] == [0, 1, 1, 2]
    assert [slots(n, 0.15) for n in (6, 7, 13, 14, 20)] == [0, 1, 1, 2, 3]


def test_prize_band_after_one_winner_when_the_floor_empties_a_winner_slot(
    rules: RatingRules,
) -> None:
    # R_ref is pulled up by the top participant; the second has S < 60 and so no winner diploma
    raw = [200.0, 100.0] + [100.0 - i for i in range(1, 39)]
    n = len(raw)
    tot = pd.DataFrame(
        {
            RC.PID: np.arange(n),
            RC.DIR: np.zeros(n, dtype=np.int64),
            RC.RAW_POINTS: raw,
            RC.RAW_UNITS: np.rint(np.array(raw) * 10_000).astype(np.int64),
            RC.N_COUNTED: np.ones(n, dtype=np.int64),
            RC.TIE_RESULTS: np.zeros(n, dtype=np.int64),
            RC.DECIDING_AT: np.zeros(n, dtype=np.int64),
        }
    )
    _, thr = rank_directions(tot, rules)
    # h = 39 x 0.99 = 38.61 -> R_ref = 100 + 0.61 x 100 = 161: S(100) = 62.1, S(99) = 61.5,
    # S(97) = 60.2, S(96) = 59.6. Two winner slots: positions 1 and 2 (S >= 60) are winners.
    assert int(thr[RC.N_WINNERS].iloc[0]) == 2
    raw2 = [300.0] + [100.0 - i for i in range(39)]
    tot2 = tot.assign(
        **{
            RC.RAW_POINTS: raw2,
            RC.RAW_UNITS: np.rint(np.array(raw2) * 10_000).astype(np.int64),
        }
    )
    table2, thr2 = rank_directions(tot2, rules)
    # R_ref = 100 + 0.61 x 200 = 222: only the first has S >= 60. One winner; the prize band
    # is positions 2-7 (6 slots after the actual winner), so position 8 has none.
    assert int(thr2[RC.N_WINNERS].iloc[0]) == 1
    ordered = table2.sort_values(RC.PLACE)[RC.DIPLOMA].tolist()
    assert ordered[:8] == ["winner"] + ["prize_winner"] * 6 + ["none"]


# the property: permuting the order of one participant's records never changes anything
CREDITS = [
    ("competition", "municipal", "prize_winner", 0.3),
    ("hackathon", "school", "winner", 0.1),
    ("competition", "regional", "winner", 0.9),
    ("competition", "national", "finalist", 0.7),
    ("project_contest", "regional", "participant", 0.3),
    ("hackathon", "municipal", "prize_winner", 0.9),
    ("competition", "school", "winner", 0.7),
]


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(st.integers(0, len(CREDITS) - 1), min_size=2, max_size=7, unique=True),
    st.lists(st.permutations(range(7)), min_size=2, max_size=5),
    st.lists(st.integers(0, len(CREDITS) - 1), min_size=0, max_size=20),
)
def test_record_order_never_changes_points_places_or_diplomas(
    picks: list[int], orders: list[list[int]], others: list[int]
) -> None:
    world = World()
    for i, (kind, level, _, weight) in enumerate(CREDITS):
        world.activity(f"a{i}", kind=kind, level=level, directions={"python": weight})
    clones = []
    for c, order in enumerate(orders):
        pid = f"clone{c}"
        clones.append(pid)
        ranked_picks = [
            p for _, p in sorted(zip([order.index(k) for k in picks], picks, strict=True))
        ]
        for j, pick in enumerate(ranked_picks):
            world.achievement(pid, f"a{pick}", CREDITS[pick][2], ach_id=f"{pid}-{j}")
    for k, pick in enumerate(others):
        world.achievement(f"o{k:02d}", f"a{pick}", CREDITS[pick][2])
    rules = default_rules()
    rules = rules.model_copy(
        update={"diplomas": rules.diplomas.model_copy(update={"winner_share": 0.2})}
    )
    t = by_pid(rate(world.snapshot(), SEASON, rules))
    same = t.loc[clones, [RC.RAW_POINTS, RC.SCORE, RC.PLACE, RC.DIPLOMA]]
    assert len(same.drop_duplicates()) == 1, same


# --- item 13: one season definition, on Moscow time; summer records shape nothing -------------


def test_season_window_is_moscow_midnights() -> None:
    assert season_window(2025) == (dt.datetime(2025, 8, 31, 21), dt.datetime(2026, 5, 31, 21))
    assert contest_date(dt.datetime(2026, 5, 31, 21, 30)) == dt.date(2026, 6, 1)
    assert season_of_instant(dt.datetime(2025, 8, 31, 21, 0)) == "2025/26"
    assert season_of_instant(dt.datetime(2025, 8, 31, 20, 59)) is None
    assert season_of_instant(dt.datetime(2026, 5, 31, 20, 59)) == "2025/26"
    assert season_of_instant(dt.datetime(2026, 5, 31, 21, 0)) is None
    assert season_of_instant(dt.datetime(2026, 1, 1)) == "2025/26"


def test_season_edges_follow_moscow_time(world: World, rules: RatingRules) -> None:
    world.activity("a", kind="competition")
    world.activity("b", kind="competition")
    world.activity("c", kind="competition")
    # 00:30 on 1 September in Moscow: in the season; 00:30 on 1 June in Moscow: not
    world.achievement("p", "a", at="2025-08-31T21:30:00", ach_id="first_night")
    world.achievement("p", "b", at="2026-05-31T21:30:00", ach_id="june_first_night")
    world.achievement("p", "c", at="2025-08-31T20:30:00", ach_id="august_last_night")
    result = rate(world.snapshot(), SEASON, rules)
    exp = {c.achievement_id: c for c in result.explain("p", "python").contributions}
    assert exp["first_night"].counted
    assert exp["august_last_night"].reason.code == "out_of_season"  # type: ignore[union-attr]
    assert "june_first_night" not in exp  # the next summer is not this season's
    assert by_pid(result).loc["p", RC.RAW_POINTS] == 20.0


def test_summer_records_do_not_enter_the_score_percentile(world: World, rules: RatingRules) -> None:
    world.activity("k", kind="competition")
    world.achievement("p", "k", "winner", score=10, ach_id="season")
    world.achievement("s", "k", "winner", score=90, at="2025-07-15", ach_id="summer")
    result = rate(world.snapshot(), SEASON, rules)
    (c,) = result.explain("p", "python").contributions
    # alone among the eligible records: p = 1, quality 1 (the summer 90 would have made it 0.5)
    assert c.factors.quality == 1.0 and c.points == 20.0


# --- item 14: no score, rejected records, unverified accounts ---------------------------------


def test_a_record_without_a_score_never_earns_more_than_a_scored_one(
    world: World, rules: RatingRules
) -> None:
    world.activity("k", kind="competition")
    world.achievement("a", "k", "winner", score=10, ach_id="low")
    world.achievement("b", "k", "winner", score=20, ach_id="high")
    world.achievement("c", "k", "winner", score=None, ach_id="lost")
    result = rate(world.snapshot(), SEASON, rules)
    points = {
        c.achievement_id: c.points
        for pid in ("a", "b", "c")
        for c in result.explain(pid, "python").contributions
    }
    # the lost score takes p = missing_score = 0: quality 0.5, the least a scored record earns
    assert points["lost"] == 10.0
    assert points["lost"] <= min(points["low"], points["high"])
    assert points == {"low": 10.0, "high": 20.0, "lost": 10.0}


def test_an_activity_without_scores_keeps_full_quality(world: World, rules: RatingRules) -> None:
    world.activity("h", kind="hackathon")
    world.achievement("a", "h", "winner")
    world.achievement("b", "h", "participant")
    result = rate(world.snapshot(), SEASON, rules)
    (c,) = result.explain("a", "python").contributions
    assert c.factors.quality == 1.0 and c.points == 20.0


def test_unverified_accounts_shape_the_percentile_only_in_the_provisional_view(
    world: World, rules: RatingRules
) -> None:
    world.activity("k", kind="competition")
    world.achievement("p", "k", "winner", score=10, ach_id="mine")
    world.participant("u", verified=False)
    world.achievement("u", "k", "winner", score=50, ach_id="theirs")
    world.achievement("w", "k", "winner", score=60, status="pending", ach_id="pending")
    snap = world.snapshot()
    (official,) = rate(snap, SEASON, rules).explain("p", "python").contributions
    (provisional,) = (
        rate(snap, SEASON, rules, provisional=True).explain("p", "python").contributions
    )
    assert official.factors.quality == 1.0  # nobody eligible beside p
    assert provisional.factors.quality == 0.5  # below both of the others


# --- item 15: what a member of a tied group that crossed a boundary needs ---------------------


def test_what_if_for_a_member_of_a_straddling_group(world: World, rules: RatingRules) -> None:
    result = rate(straddling_world(world).snapshot(), SEASON, rules)
    w = what_if(result, "q1", "python")
    gap = w.to_prize_winner
    assert w.diploma == "none" and w.place == 2
    assert gap.code == "tied_group" and gap.reachable
    # one ten-thousandth more than the rest of the group puts q1 alone at place 2
    assert gap.points_needed == 0.0001 and gap.threshold_raw_points == 15.7101
    assert "0.0 " not in gap.text_ru and "ещё с 3 участниками" in gap.text_ru
    assert "опередить остальных участников группы" in gap.text_ru
    # the winner's S is 100 with R = 40 > R_ref: passing it takes 40.0001
    assert w.to_winner.code == "needs_points" and w.to_winner.threshold_raw_points == 40.0001


def test_the_gap_is_exactly_enough(world: World, rules: RatingRules) -> None:
    """Raise one participant's R to the gap's threshold (others fixed, R_ref kept): they get
    the diploma; one ten-thousandth less and they do not."""
    result = rate(straddling_world(world).snapshot(), SEASON, rules)
    pid_code = result.participant_code("q3")
    ranked = result.ranked
    threshold = what_if(result, "q3", "python").to_prize_winner.threshold_raw_points
    assert threshold is not None
    for units, expected in ((round(threshold * 10_000), "prize_winner"), (157_100, "none")):
        columns = [RC.PID, RC.DIR, RC.RAW_POINTS, RC.RAW_UNITS, RC.N_COUNTED, RC.TIE_RESULTS]
        tot = ranked[[*columns, RC.DECIDING_AT]].copy()
        tot.loc[tot[RC.PID] == pid_code, RC.RAW_UNITS] = units
        table, _ = rank_directions(tot.sort_values([RC.PID, RC.DIR]), rules)
        mine = table[table[RC.PID] == pid_code]
        assert mine[RC.DIPLOMA].iloc[0] == expected, units


def test_the_latest_season_is_read_on_moscow_time() -> None:
    from footprint.calendar import latest_season_at

    assert latest_season_at(dt.datetime(2026, 5, 31, 20, 59)) == "2025/26"
    assert latest_season_at(dt.datetime(2026, 7, 1)) == "2025/26"  # summer: the one just ended
    assert latest_season_at(dt.datetime(2026, 8, 31, 21, 0)) == "2026/27"  # 1 September, Moscow
    assert latest_season_at(dt.datetime(2026, 8, 31, 20, 59)) == "2025/26"
