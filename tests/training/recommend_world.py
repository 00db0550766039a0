"""A small simulated world for the recommender's training-side tests (import the fixture)."""

from __future__ import annotations

import pytest

from simulator import SimulationConfig
from training.simworld import SimWorld, simulate_world


@pytest.fixture(scope="session")
def small_world() -> SimWorld:
    return simulate_world(SimulationConfig(participants=1_500, seasons=3, seed=21))
