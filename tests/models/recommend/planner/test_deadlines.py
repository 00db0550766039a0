"""An activity without a registration deadline is open until it starts: the rule itself, the
same rule as the recommenders' open catalogue, and plans and audits on a world without any
deadline (what some real exports look like)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from features.cutoff import as_micros
from footprint.columns import Columns as C
from footprint.frames import Snapshot
from models.recommend.ability import fit_ability_model
from models.recommend.dataset import RecommendDataset, dataset_from_snapshot
from models.recommend.feasibility import Violation
from models.recommend.planner import Goal, PlanConstraints, Planner, audit, plan
from models.recommend.planner.deadlines import registration_open
from models.recommend.planner.projection import plan_catalog
from tests.models.recommend.conftest import TINY_AS_OF, tiny_snapshot

T = np.datetime64("2025-10-01T00:00", "us")
NAT = np.datetime64("NaT", "us")


def _d(text: str) -> np.datetime64:
    return np.datetime64(text, "us")


def test_the_rule_on_known_cases() -> None:
    deadline = np.array([NAT, NAT, _d("2025-09-30"), _d("2025-10-01"), _d("2025-10-05"), NAT])
    start = np.array(
        [
            _d("2025-10-02"),
            _d("2025-10-01"),
            _d("2025-10-10"),
            _d("2025-10-10"),
            _d("2025-10-10"),
            NAT,
        ]
    )
    # no deadline, starts tomorrow: open; no deadline, starts now: closed; deadline passed:
    # closed; deadline now: open; deadline ahead: open; no dates at all: closed
    assert registration_open(deadline, start, T).tolist() == [True, False, False, True, True, False]


def _without_deadlines() -> Snapshot:
    snap = tiny_snapshot()
    frames = {
        name: getattr(snap, name)
        for name in (
            "participants",
            "activities",
            "activity_directions",
            "activity_edges",
            "achievements",
        )
    }
    frames["activities"] = frames["activities"].assign(**{C.REGISTRATION_DEADLINE: pd.NaT})
    return Snapshot.from_frames(TINY_AS_OF, frames, snapshot_id="tiny-no-deadlines")


@pytest.fixture(scope="module")
def no_deadlines() -> RecommendDataset:
    snap = _without_deadlines()
    # two calibration rounds: the abilities only need to exist for planning (about 0.5 s)
    model = fit_ability_model(snap, TINY_AS_OF, n_iter=2)
    data = dataset_from_snapshot(snap, TINY_AS_OF, ability=model)
    assert np.isnat(data.catalog.deadline).all()
    return data


@pytest.mark.parametrize("when", [TINY_AS_OF, dt.datetime(2025, 10, 31, 12)])
def test_the_recommenders_open_catalogue_follows_the_same_rule(
    tiny: RecommendDataset, no_deadlines: RecommendDataset, when: dt.datetime
) -> None:
    for data in (tiny, no_deadlines):
        cat = data.catalog
        t = as_micros(when)
        published = np.isnat(cat.published) | (cat.published <= t)
        expected = registration_open(cat.deadline, cat.start, t) & published & ~cat.nested
        assert cat.open_at(when).tolist() == np.flatnonzero(expected).tolist()
    # without deadlines, everything not yet started is open (a-started-2025 began 20 Sep)
    ids = set(no_deadlines.catalog.activity_ids[no_deadlines.catalog.open_at(TINY_AS_OF)])
    assert "a-started-2025" not in ids and {"a-py-b-2025", "a-s1-2025"} <= ids


def test_plans_on_a_world_without_deadlines(no_deadlines: RecommendDataset) -> None:
    planner = Planner(no_deadlines)
    cons = PlanConstraints(project=False)
    p = plan("py00", Goal.parse("python:advanced"), constraints=cons, planner=planner)
    assert p.steps
    assert all(s.registration_deadline is None for s in p.steps)
    assert all(s.start_at > TINY_AS_OF for s in p.steps)
    assert audit(p, planner, cons) == []
    # the same steps, audited at an instant after the first one started: it is no longer open
    first = p.steps[0]
    late = p.model_copy(update={"as_of": first.start_at})
    assert (first.activity_id, Violation.NOT_OPEN.value) in audit(late, planner, cons)


def test_a_planned_step_is_never_one_that_already_started(no_deadlines: RecommendDataset) -> None:
    planner = Planner(no_deadlines)
    cons = PlanConstraints(project=False)
    # the stage-1 olympiad starts on 15 Oct 2025: planned before, not on or after its start
    before = plan(
        "py01", Goal.parse("python:advanced"), None, cons, planner, dt.datetime(2025, 10, 14)
    )
    after = plan(
        "py01", Goal.parse("python:advanced"), None, cons, planner, dt.datetime(2025, 10, 15)
    )
    assert "a-s1-2025" in {s.activity_id for s in before.steps}
    assert "a-s1-2025" not in {s.activity_id for s in after.steps}
    assert audit(before, planner, cons) == []


def test_projected_editions_of_a_series_without_deadlines_have_none(
    no_deadlines: RecommendDataset,
) -> None:
    as_of = dt.datetime(2026, 9, 1)
    pc = plan_catalog(no_deadlines, as_of, dt.datetime(2027, 5, 31))
    assert pc.projected.any()
    assert np.isnat(pc.deadline[pc.projected]).all()
    assert (pc.start[pc.projected] > as_micros(as_of)).all()


def test_a_final_fed_by_a_stage_under_way_is_not_planned(no_deadlines: RecommendDataset) -> None:
    """Regression: on 15 Oct stage 1 is under way, so the final is open only on a result the
    planner cannot know; it was planned without its feeding stage and failed the audit."""
    planner = Planner(no_deadlines)
    cons = PlanConstraints(project=False)
    p = plan("py01", Goal.parse("python:advanced"), None, cons, planner, dt.datetime(2025, 10, 15))
    assert "a-final-2025" not in {s.activity_id for s in p.steps}
    assert audit(p, planner, cons) == []
