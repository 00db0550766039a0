"""A simulated world held in memory: its snapshot and (for replay evaluation only) its truth.

``talent simulate`` + ``talent ingest`` + ``talent snapshot`` is the real path from the simulator
to a :class:`~footprint.frames.Snapshot`; tests and the trajectory evaluation need the same world
without a store, and the evaluation also needs what the files never show: every participant's
true ability and every edition's true difficulty, to replay what would happen if a participant
followed a plan. :func:`simulate_world` runs the simulator's own seasons with the same random
streams as :func:`simulator.simulate` (a test checks the catalogue and records match the
files it writes) and turns the export tables into snapshot frames directly (a clean, non-messy
world needs no deduplication or identity resolution).

Nothing here may feed a model's input except :attr:`SimWorld.snapshot`; the truth is for scoring.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa

from core.errors import ConfigError
from footprint.calendar import season_start_year
from footprint.columns import Columns as C
from footprint.directions import direction_codes
from footprint.frames import Snapshot
from simulator import SimulationConfig, clock, export
from simulator.catalog import Activities, Catalog
from simulator.population import draw_population
from simulator.season import RecordArrays, World, run_season

# the random streams of simulator.run (population, catalogue, records, seasons)
_POPULATION, _CATALOG, _RECORDS, _SEASON = 1, 2, 3, 100


def _rng(config: SimulationConfig, stream: int) -> np.random.Generator:
    return np.random.default_rng([stream, config.seed])


@dataclass(frozen=True)
class SimWorld:
    """A simulated world: the snapshot models may read, and the simulator state they may not.

    Attributes
    ----------
    config
        The simulation config (seed included).
    snapshot
        Everything the sources exported, as a snapshot as of the export instant (15 June after
        the last season).
    world
        The simulator's state at the end: population (true ability, interests), practice gains,
        catalogue and records. For replay evaluation only.
    acts
        The simulator's activity arrays (true difficulty, discrimination, task offsets), row ``a``
        being activity ``acts.activity_id[a]``.
    records
        Every record as simulator indices (participant, activity, team, result, score, rank).
    """

    config: SimulationConfig
    snapshot: Snapshot
    world: World
    acts: Activities
    records: RecordArrays
    truth: dict[np.datetime64, tuple[np.ndarray, np.ndarray]]
    """Checkpoint -> (participant indices, true abilities participants x directions)."""

    def snapshot_at(self, as_of: dt.datetime) -> Snapshot:
        """The snapshot as of an earlier instant (what a store snapshot at ``as_of`` would hold)."""
        from features.cutoff import snapshot_at

        return snapshot_at(self.snapshot, as_of)


def _frames(
    world: World,
    acts: Activities,
    records: RecordArrays,
    config: SimulationConfig,
    codes: tuple[str, ...],
    as_of: dt.datetime,
) -> dict[str, pd.DataFrame]:
    export_at = clock.export_instant(config.first_season, config.seasons)
    parts = export.participants_table(world.pop, codes).to_pandas()
    start = season_start_year(as_of.date())
    parts[C.GRADE] = parts[C.GRADE].astype("int64") + start - parts[C.GRADE_YEAR].astype("int64")
    parts[C.GRADE_YEAR] = start
    verified = pd.to_datetime(parts[C.ACCOUNT_VERIFIED_AT])
    parts[C.ACCOUNT_VERIFIED] = verified.notna() & (verified <= as_of)
    table = export.activities_table(acts, codes).to_pandas()
    weights = acts.weights
    rows, cols = np.nonzero(np.round(weights * 10) > 0)
    ad = pd.DataFrame(
        {
            C.ACTIVITY_ID: acts.activity_id[rows].astype(object),
            C.DIRECTION: np.asarray(codes, dtype=object)[cols],
            C.WEIGHT: np.round(weights[rows, cols] * 10) / 10,
        }
    )
    edges = export.edges_table(world.catalog.edges).to_pandas()
    tables = export.achievements_tables(records, acts, world.pop, export_at, _rng(config, _RECORDS))
    ach = pa.concat_tables(list(tables.values())).to_pandas()
    ach = ach.rename(columns={C.SOURCE_RECORD_ID: C.ACHIEVEMENT_ID})
    ach[C.N_SOURCES] = 1
    return {
        "participants": parts,
        "activities": table,
        "activity_directions": ad,
        "activity_edges": edges,
        "achievements": ach,
    }


def simulate_world(config: SimulationConfig) -> SimWorld:
    """Run the simulator in memory and build the world's snapshot and truth.

    Parameters
    ----------
    config
        A clean world's config (``messy`` worlds need the real ingestion path).

    Returns
    -------
    SimWorld
        The snapshot as of the export instant, with the simulator state beside it.
    """
    if config.messy:
        raise ConfigError(
            "simulate_world builds clean worlds only; ingest a messy world with "
            "`talent ingest` and snapshot it instead"
        )
    codes = direction_codes()
    pop = draw_population(config, len(codes), _rng(config, _POPULATION))
    world = World(config, pop, Catalog(config, _rng(config, _CATALOG)))
    truth: dict[np.datetime64, tuple[np.ndarray, np.ndarray]] = {}

    def sink(t: np.datetime64, idx: np.ndarray, theta: np.ndarray) -> None:
        truth[t] = (idx, theta.astype(np.float32))

    for s in range(config.seasons):
        run_season(world, config.first_season + s, _rng(config, _SEASON + s), sink)
    acts = world.acts()
    records = world.records.stacked()
    as_of = clock.export_instant(config.first_season, config.seasons).astype(dt.datetime)
    frames = _frames(world, acts, records, config, codes, as_of)
    snapshot = Snapshot.from_frames(as_of, frames, snapshot_id=f"sim-seed{config.seed}")
    return SimWorld(
        config=config, snapshot=snapshot, world=world, acts=acts, records=records, truth=truth
    )


def truth_frame(sim: SimWorld) -> pd.DataFrame:
    """The world's truth as ``talent simulate`` writes it (``truth/competence.parquet``): one row
    per checkpoint, participant and direction with the true ability and its population
    percentile. For scoring estimates only; no model input may read it."""
    ids = pa.array(sim.world.pop.ids, pa.string())
    codes = direction_codes()
    tables = [
        export.truth_table(ids, codes, t, idx, theta)
        for t, (idx, theta) in sorted(sim.truth.items())
    ]
    if not tables:
        return pd.DataFrame(
            columns=[C.PARTICIPANT_ID, C.DIRECTION, C.AS_OF, C.TRUE_ABILITY, C.TRUE_COMPETENCE]
        )
    return pa.concat_tables(tables).to_pandas()
