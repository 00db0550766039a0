"""The in-memory world is the world ``talent simulate`` writes."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from footprint.columns import Columns as C
from simulator import SimulationConfig, simulate
from training.simworld import simulate_world


def test_same_world_as_the_files(tmp_path: Path) -> None:
    config = SimulationConfig(participants=600, seasons=2, seed=2)
    simulate(config, tmp_path, progress=False)
    world = simulate_world(config)
    acts = pd.read_parquet(tmp_path / "sources" / "platform" / "activities.parquet")
    assert sorted(acts[C.ACTIVITY_ID]) == sorted(world.snapshot.activities[C.ACTIVITY_ID])
    files = [pd.read_parquet(p) for p in (tmp_path / "sources").glob("*/achievements.parquet")]
    ach = pd.concat(files)
    snap = world.snapshot.achievements
    assert sorted(ach[C.SOURCE_RECORD_ID]) == sorted(snap[C.ACHIEVEMENT_ID])
    merged = ach.set_index(C.SOURCE_RECORD_ID)[C.RESULT].astype(str).sort_index()
    mine = snap.set_index(C.ACHIEVEMENT_ID)[C.RESULT].astype(str).sort_index()
    assert (merged.to_numpy() == mine.to_numpy()).all()
    assert len(world.truth) == 8  # four checkpoints a season
