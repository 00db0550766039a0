"""Small simulated worlds shared by the simulator's tests (written once per test session).

Sizes are a few thousand participants: at this scale event sizes follow the simulator's scaled
targets (:func:`simulator.scaled_size_range`), while rates and shares (funnel, mess,
activity counts) keep their full-scale values.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from simulator import SimulationConfig, simulate
from simulator.stats import load_frames

CLEAN = SimulationConfig(participants=5_000, seasons=4, seed=11)
MESSY = SimulationConfig(participants=5_000, seasons=2, seed=12, messy=True)


@pytest.fixture(scope="session")
def clean_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("clean") / "world"
    simulate(CLEAN, out, progress=False)
    return out


@pytest.fixture(scope="session")
def clean(clean_dir: Path) -> dict[str, pd.DataFrame]:
    """Frames of the clean world: participants, activities, activity_edges, achievements."""
    return load_frames(clean_dir)


@pytest.fixture(scope="session")
def truth(clean_dir: Path) -> pd.DataFrame:
    return pd.read_parquet(clean_dir / "truth" / "competence.parquet")


@pytest.fixture(scope="session")
def messy_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("messy") / "world"
    simulate(MESSY, out, progress=False)
    return out
