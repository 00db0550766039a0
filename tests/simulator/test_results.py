"""Results: consistent with ranks, scores and ability; teams; moderation and dates; references."""

from __future__ import annotations

import numpy as np
import pandas as pd

from footprint.columns import Columns as C
from footprint.enums import ActivityKind, ModerationStatus, Result
from simulator import clock
from simulator.kinds import PASS_FRACTION

from .conftest import CLEAN

DIPLOMA_ORDER = {
    Result.WINNER.value: 0,
    Result.PRIZE_WINNER.value: 1,
    Result.PARTICIPANT.value: 2,
    Result.FINALIST.value: 2,
}


def _with_activity(clean: dict) -> pd.DataFrame:
    return clean["achievements"].merge(clean["activities"], on=C.ACTIVITY_ID, how="left")


def test_every_achievement_refers_to_an_existing_participant_and_activity(clean: dict) -> None:
    ach = clean["achievements"]
    assert ach[C.PARTICIPANT_ID].isin(clean["participants"][C.PARTICIPANT_ID]).all()
    assert ach[C.ACTIVITY_ID].isin(clean["activities"][C.ACTIVITY_ID]).all()
    assert not ach.duplicated([C.PARTICIPANT_ID, C.ACTIVITY_ID]).any()
    for _, rows in ach.groupby(C.SOURCE):
        assert rows[C.SOURCE_RECORD_ID].is_unique
    assert set(ach[C.RESULT]) <= {r.value for r in Result}
    assert set(ach[C.STATUS]) == {s.value for s in ModerationStatus}


def test_scores_and_ranks_agree_with_results(clean: dict) -> None:
    ach = _with_activity(clean)
    scored = ach[ach[C.MAX_SCORE].notna()]
    assert scored[C.SCORE].notna().all()
    assert (scored[C.SCORE] >= 0).all() and (scored[C.SCORE] <= scored[C.MAX_SCORE]).all()
    assert ach.loc[ach[C.MAX_SCORE].isna(), C.SCORE].isna().all()
    ranked = ach[ach[C.RANK].notna()]
    assert (ranked[C.RANK] >= 1).all()
    n_checked = 0
    for _, g in ranked.groupby(C.ACTIVITY_ID):
        g = g.sort_values(C.SCORE, ascending=False)
        assert g[C.RANK].iloc[0] == 1
        assert g[C.RANK].is_monotonic_increasing, "a higher score never has a worse rank"
        order = g[C.RESULT].map(DIPLOMA_ORDER)
        assert order.is_monotonic_increasing, "winners outrank prize-winners outrank the rest"
        n_checked += 1
    assert n_checked > 50
    tests = ach[ach[C.KIND] == ActivityKind.TEST.value]
    passed = tests[C.SCORE] >= PASS_FRACTION * tests[C.MAX_SCORE] - 1e-9
    assert ((tests[C.RESULT] == Result.COMPLETED.value) == passed).all()
    courses = ach[ach[C.KIND] == ActivityKind.ONLINE_COURSE.value]
    assert set(courses[C.RESULT]) == {Result.COMPLETED.value, Result.NOT_COMPLETED.value}
    assert 0.3 < (courses[C.RESULT] == Result.COMPLETED.value).mean() < 0.95


def test_teams_share_one_result(clean: dict) -> None:
    ach = _with_activity(clean)
    team_rows = ach[ach[C.IS_TEAM]]
    assert team_rows[C.TEAM_ID].notna().all()
    assert ach.loc[~ach[C.IS_TEAM], C.TEAM_ID].isna().all()
    teams = team_rows.groupby(C.TEAM_ID)
    assert (teams[C.ACTIVITY_ID].nunique() <= 2).all()  # stage-2 teams go on to the final
    per_act = team_rows.groupby([C.ACTIVITY_ID, C.TEAM_ID])
    assert (per_act[C.RESULT].nunique() == 1).all()
    assert (per_act[C.SCORE].nunique(dropna=False) == 1).all()
    size = per_act.size()
    assert size.max() <= 5
    assert (size >= 2).mean() > 0.97, "teams of 2-5 (a drop-out can leave a finalist alone)"


def test_results_follow_ability(clean: dict, truth: pd.DataFrame) -> None:
    """Stage-1 scores rank participants close to their true ability in the profile's direction
    at the start of the season (partial-credit model plus day-to-day form), not perfectly."""
    ach = _with_activity(clean)
    s1 = ach[ach[C.KIND] == ActivityKind.OLYMPIAD_STAGE_INDIVIDUAL.value]
    s1 = s1.assign(
        **{C.DIRECTION: s1[C.DIRECTIONS].str.split(":").str[0], "year": s1[C.START_AT].dt.year}
    )
    sept = truth[truth[C.AS_OF].dt.month == 9]
    sept = sept.assign(year=sept[C.AS_OF].dt.year)
    m = s1.merge(sept, on=[C.PARTICIPANT_ID, C.DIRECTION, "year"])
    assert len(m) > 0.8 * len(s1), "all but September-October registrants have a truth row"
    rho = m[[C.TRUE_ABILITY, C.SCORE]].corr(method="spearman").iloc[0, 1]
    assert 0.7 < rho < 0.97


def test_moderation_and_dates(clean: dict) -> None:
    ach = _with_activity(clean)
    assert (ach[C.ACHIEVED_AT] == ach[C.END_AT]).all()
    lag = (ach[C.RECORDED_AT] - ach[C.ACHIEVED_AT]).dt.total_seconds() / 86_400
    assert lag.between(1, 10).all()
    pending = ach[C.STATUS] == ModerationStatus.PENDING.value
    assert (ach[C.STATUS_CHANGED_AT].isna() == pending).all()
    settled = ach[~pending]
    assert (settled[C.STATUS_CHANGED_AT] > settled[C.RECORDED_AT]).all()
    share = ach[C.STATUS].value_counts(normalize=True)
    assert share[ModerationStatus.VERIFIED.value] > 0.9
    assert 0.005 < share[ModerationStatus.REJECTED.value] < 0.05
    assert 0.005 < share[ModerationStatus.PENDING.value] < 0.1
    export = pd.Timestamp(clock.export_instant(CLEAN.first_season, CLEAN.seasons))
    assert (
        ach[C.STATUS_CHANGED_AT].max() <= export < ach[C.RECORDED_AT].max() + pd.Timedelta(days=30)
    )
    recent = ach[C.RECORDED_AT] > export - pd.Timedelta(days=45)
    assert recent.sum() > 100
    assert pending[recent].mean() > 3 * pending[~recent].mean(), "recent records wait longer"
    assert 0.5 < ach[C.EVIDENCE].notna().mean() < 0.9


def test_truth_stays_out_of_the_sources(clean_dir) -> None:
    assert (clean_dir / "truth" / "competence.parquet").exists()
    readme = (clean_dir / "truth" / "README.md").read_text(encoding="utf-8")
    assert "no model input" in readme
    files = [p for p in (clean_dir / "sources").rglob("*") if p.is_file()]
    assert files
    truth_columns = {C.TRUE_ABILITY, C.TRUE_COMPETENCE, C.AS_OF}
    for path in files:
        assert "truth" not in path.name and "competence" not in path.name
        columns = set(pd.read_parquet(path).columns)
        assert not columns & truth_columns, path
    assert np.isin(
        [p.parent.name for p in files], ["platform", "olympiad", "courses", "events"]
    ).all()
