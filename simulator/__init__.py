"""Seeded simulator of the NTI Kruzhok movement's seasons: the project's standard data.

``simulate(config, out_dir)`` writes a world's source exports in the ingestion format, its ground
truth (kept apart from the sources) and a manifest. See DESIGN.md, "The simulator".
"""

from simulator.config import MessyRates, SimulationConfig, scaled_size_range, size_scale
from simulator.run import SimulationSummary, simulate

__all__ = [
    "MessyRates",
    "SimulationConfig",
    "SimulationSummary",
    "scaled_size_range",
    "simulate",
    "size_scale",
]
