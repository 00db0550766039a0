"""The shared feasibility filter, rule by rule, on the hand-made world."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from footprint.columns import Columns as C
from footprint.frames import Snapshot
from models.recommend.dataset import RecommendDataset, dataset_from_snapshot
from models.recommend.feasibility import FeasibilityRules, feasible
from tests.models.recommend.conftest import TINY_AS_OF, _record, tiny_snapshot


def _ok(
    data: RecommendDataset,
    pid: str,
    aid: str,
    rules: FeasibilityRules | None = None,
    as_of: dt.datetime = TINY_AS_OF,
) -> tuple[bool, bool]:
    row = data.rows([pid])
    act = data.catalog.activity_ids.get_indexer([aid])
    f = feasible(data, row, act, as_of, rules)
    return bool(f.feasible[0, 0]), bool(f.conditional[0, 0])


def test_open_window(tiny: RecommendDataset) -> None:
    assert _ok(tiny, "py00", "a-py-b-2025") == (True, False)
    assert _ok(tiny, "py00", "a-started-2025")[0] is False  # deadline passed, started
    assert _ok(tiny, "py00", "a-py-b-2024")[0] is False  # the past edition
    open_ids = set(tiny.catalog.activity_ids[tiny.catalog.open_at(TINY_AS_OF)])
    assert "a-started-2025" not in open_ids and "a-py-b-2025" in open_ids


def test_grade(tiny: RecommendDataset) -> None:
    assert _ok(tiny, "py00", "a-senior-2025")[0] is False  # grade 8, event for 9-11
    assert _ok(tiny, "nobody", "a-senior-2025")[0] is True  # unknown grade passes


def test_region_for_offline_events(tiny: RecommendDataset) -> None:
    assert _ok(tiny, "py00", "a-spb-2025")[0] is False  # regional, offline in another region
    assert _ok(tiny, "py00", "a-py-b-2025", FeasibilityRules(online_only=True))[0] is True
    rules = FeasibilityRules(regions=("RU-SPE",), travel_levels=())
    assert _ok(tiny, "py00", "a-spb-2025", rules)[0] is True


def test_selection_stage_conditional_then_qualified_then_failed() -> None:
    snap = tiny_snapshot()
    data = dataset_from_snapshot(snap, TINY_AS_OF)
    # before stage 1: the final is open, conditional on qualifying
    assert _ok(data, "py00", "a-final-2025") == (True, True)
    assert (
        _ok(data, "py00", "a-final-2025", FeasibilityRules(include_conditional=False))[0] is False
    )
    later = dt.datetime(2026, 1, 20)
    results = {"py00": "winner", "py01": "participant"}
    extra = pd.DataFrame(
        [
            _record(900 + i, pid, "a-s1-2025", res, "2025-11-13")
            for i, (pid, res) in enumerate(results.items())
        ]
    )
    frames = {
        n: getattr(snap, n)
        for n in ("participants", "activities", "activity_directions", "activity_edges")
    }
    frames["achievements"] = pd.concat([snap.achievements, extra], ignore_index=True)
    data2 = dataset_from_snapshot(Snapshot.from_frames(later, frames), later)
    assert _ok(data2, "py00", "a-final-2025", as_of=later) == (True, False)  # qualified
    assert _ok(data2, "py01", "a-final-2025", as_of=later)[0] is False  # did not qualify
    assert _ok(data2, "py02", "a-final-2025", as_of=later)[0] is False  # never entered


def test_already_taken() -> None:
    snap = tiny_snapshot()
    extra = pd.DataFrame([_record(990, "py00", "a-py-b-2025", "participant", "2025-09-01")])
    frames = {
        n: getattr(snap, n)
        for n in ("participants", "activities", "activity_directions", "activity_edges")
    }
    frames["achievements"] = pd.concat([snap.achievements, extra], ignore_index=True)
    data = dataset_from_snapshot(Snapshot.from_frames(TINY_AS_OF, frames), TINY_AS_OF)
    assert _ok(data, "py00", "a-py-b-2025")[0] is False
    assert _ok(data, "py01", "a-py-b-2025")[0] is True


def test_vectorised_matches_one_by_one(sim_dataset: RecommendDataset) -> None:
    data = sim_dataset
    rows = np.arange(0, data.n_participants, 97)
    acts = data.catalog.open_at(data.as_of)
    batch = feasible(data, rows, acts, data.as_of)
    for i, r in enumerate(rows[:10]):
        one = feasible(data, np.array([r]), acts, data.as_of)
        assert (one.feasible[0] == batch.feasible[i]).all()
        assert (one.conditional[0] == batch.conditional[i]).all()
    assert C.ACTIVITY_ID  # names come from the columns module
