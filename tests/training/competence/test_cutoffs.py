"""Cut-offs: history before, a full window after, training windows end before evaluation."""

from __future__ import annotations

import datetime as dt

import pytest

from core.errors import TalentError
from tests.features.tiny import tiny_snapshot
from tests.features.world import make_world
from training.competence.cutoffs import auto_cutoffs
from training.competence.train import TrainConfig, plan_cutoffs


def test_auto_cutoffs_and_plan() -> None:
    snap = make_world(n_participants=200, seasons=(2022, 2023, 2024, 2025)).snapshot()
    cuts = auto_cutoffs(snap, 365)
    assert cuts[0] == dt.datetime(2023, 9, 1)
    assert all(c + dt.timedelta(days=365) <= snap.as_of for c in cuts)
    train, last = plan_cutoffs(snap, TrainConfig())
    assert last == cuts[-1]
    assert train and all(c + dt.timedelta(days=365) <= last for c in train)


def test_a_short_snapshot_is_refused_with_advice() -> None:
    with pytest.raises(TalentError, match="too short"):
        plan_cutoffs(tiny_snapshot(), TrainConfig())
