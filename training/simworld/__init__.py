"""The training world builder: a simulated world in memory, and replays of plans in it.

The one room of ``training`` that imports the simulator (an import-linter contract holds it):
:mod:`training.simworld.world` runs the simulator's seasons into a snapshot beside the
simulator's truth, :mod:`training.simworld.trajectory` replays recommended season plans with the
simulator's own result model. The rest of ``training`` reaches a simulated world through the
names below (the pipeline config's ``snapshot.simulate`` is a :class:`SimulationConfig`).
"""

from training.simworld.world import SimulationConfig, SimWorld, simulate_world, truth_frame

__all__ = ["SimWorld", "SimulationConfig", "simulate_world", "truth_frame"]
