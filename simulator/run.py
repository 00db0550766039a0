"""The public entry point: simulate a world and write its source files, truth and manifest."""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa

from core.errors import ConfigError
from core.hashing import file_sha256
from core.logs import get_logger
from footprint.directions import direction_codes
from footprint.enums import Entity
from footprint.progress import progress_bar
from simulator import clock, export, messy
from simulator.catalog import Activities, Catalog
from simulator.config import SimulationConfig
from simulator.kinds import Source
from simulator.population import draw_population
from simulator.season import World, run_season
from simulator.write import TruthWriter, all_strings, write_table

log = get_logger(__name__)

MANIFEST = "manifest.json"
SOURCES_DIR = "sources"
TRUTH_DIR = "truth"
TRUTH_FILE = "competence.parquet"
TRUTH_README = """# Ground truth of a simulated world

`competence.parquet` holds every simulated participant's true latent ability (logits) and true
competence (0-100, the percentile of that ability among participants registered by the checkpoint
and still at school, per direction) at four checkpoints a season (1 Sep, 1 Dec, 1 Mar, 1 Jun). It
exists only to score estimates against the truth: no model input, feature pipeline, training set
or service may read it; everything a model sees comes from `../sources/` through ingestion.
"""

# independent random streams, so changing one part of the simulator leaves the others' draws alone
_POPULATION, _CATALOG, _RECORDS, _MESSY, _SCOPES, _SEASON = 1, 2, 3, 4, 5, 100


@dataclass(frozen=True)
class SimulationSummary:
    """What :func:`simulate` wrote: rows per file (relative to ``out_dir``) and mess counts."""

    out_dir: Path
    rows: dict[str, int]
    messy: dict[str, int] = field(default_factory=dict)
    messy_by_file: dict[str, dict[str, int]] = field(default_factory=dict)

    @property
    def achievements(self) -> int:
        """Achievement rows across all sources (platform duplicates included)."""
        return sum(n for path, n in self.rows.items() if Path(path).stem == Entity.ACHIEVEMENTS)


def _rng(config: SimulationConfig, stream: int) -> np.random.Generator:
    return np.random.default_rng([stream, config.seed])


def simulate(config: SimulationConfig, out_dir: Path, progress: bool = True) -> SimulationSummary:
    """Simulate the movement's seasons and write a world to ``out_dir``.

    Writes the sources' export files (``sources/<source>/<entity>.<ext>`` in the ingestion format
    of docs/data-model.md), the ground truth (``truth/competence.parquet``, never to be read by
    model inputs) and ``manifest.json`` (config, rows and sha256 per file, mess counts). The same
    config gives byte-identical files.

    Parameters
    ----------
    config
        The world to simulate, including its seed, output format and messiness.
    out_dir
        Output folder; must be empty, missing, or a previous simulator output (which is replaced).
    progress
        Show a progress bar on stderr.

    Returns
    -------
    SimulationSummary
        Rows per written file and the number of injected rows of each kind of mess.
    """
    out_dir = Path(out_dir)
    _prepare(out_dir)
    codes = direction_codes()
    steps = config.seasons + 2
    with progress_bar(steps, "simulate", show=progress) as bar:
        pop = draw_population(config, len(codes), _rng(config, _POPULATION))
        world = World(config, pop, Catalog(config, _rng(config, _CATALOG)))
        bar.advance()
        truth_path = out_dir / TRUTH_DIR / TRUTH_FILE
        ids = pa.array(pop.ids, pa.string())
        writer: TruthWriter | None = None

        def sink(t: np.datetime64, idx: np.ndarray, theta: np.ndarray) -> None:
            nonlocal writer
            table = export.truth_table(ids, codes, t, idx, theta)
            if writer is None:
                writer = TruthWriter(truth_path, table.schema)
            writer.write(table)

        for s in range(config.seasons):
            year = config.first_season + s
            bar.note(f"season {year}")
            run_season(world, year, _rng(config, _SEASON + s), sink)
            bar.advance()
        assert writer is not None
        writer.close()
        bar.note("writing")
        rows, report = _write_sources(world, codes, out_dir)
        rows[truth_path.relative_to(out_dir).as_posix()] = writer.rows
        (out_dir / TRUTH_DIR / "README.md").write_text(TRUTH_README, encoding="utf-8")
        bar.advance()
    _write_manifest(config, out_dir, rows, report)
    summary = SimulationSummary(
        out_dir=out_dir, rows=rows, messy=report.totals, messy_by_file=report.by_file
    )
    log.info(
        "simulated",
        participants=pop.size,
        activities=world.n_acts,
        achievements=summary.achievements,
        out_dir=str(out_dir),
    )
    return summary


def _prepare(out_dir: Path) -> None:
    if out_dir.exists() and any(out_dir.iterdir()):
        if not (out_dir / MANIFEST).exists():
            raise ConfigError(
                f"output directory {out_dir} is not empty and holds no simulator manifest; "
                "choose an empty or new directory"
            )
        for name in (SOURCES_DIR, TRUTH_DIR):
            shutil.rmtree(out_dir / name, ignore_errors=True)
        (out_dir / MANIFEST).unlink()
    out_dir.mkdir(parents=True, exist_ok=True)


def _write_sources(
    world: World, codes: tuple[str, ...], out_dir: Path
) -> tuple[dict[str, int], messy.MessReport]:
    cfg, pop = world.config, world.pop
    acts = world.acts()
    export_at = clock.export_instant(cfg.first_season, cfg.seasons)
    records = world.records.stacked()
    tables: dict[tuple[Source, Entity], pa.Table] = {
        (Source.PLATFORM, Entity.PARTICIPANTS): export.participants_table(pop, codes),
        (Source.PLATFORM, Entity.ACTIVITIES): export.activities_table(acts, codes),
        (Source.PLATFORM, Entity.ACTIVITY_EDGES): export.edges_table(world.catalog.edges),
    }
    achievements = export.achievements_tables(records, acts, pop, export_at, _rng(cfg, _RECORDS))
    for src, table in achievements.items():
        tables[(src, Entity.ACHIEVEMENTS)] = table
    active = np.zeros(pop.size, bool)
    active[records.pid] = True
    tables[(Source.PLATFORM, Entity.CONSENT_SCOPES)] = export.consent_scopes_table(
        pop, cfg.university_consent_share, active, export_at, _rng(cfg, _SCOPES)
    )
    report = messy.MessReport()
    if cfg.messy:
        tables = _make_messy(tables, acts, world, export_at, report)
    rows: dict[str, int] = {}
    for (src, entity), table in sorted(tables.items()):
        path = write_table(table, out_dir / SOURCES_DIR / src.value / entity.value, cfg.format)
        rows[path.relative_to(out_dir).as_posix()] = table.num_rows
    return rows, report


def _make_messy(
    tables: dict[tuple[Source, Entity], pa.Table],
    acts: Activities,
    world: World,
    export_at: np.datetime64,
    report: messy.MessReport,
) -> dict[tuple[Source, Entity], pa.Table]:
    cfg, pop, rates = world.config, world.pop, world.config.messy_rates
    rng = _rng(cfg, _MESSY)
    out = {key: all_strings(t) for key, t in tables.items()}
    events = out[(Source.EVENTS, Entity.ACHIEVEMENTS)]
    platform = messy.duplicate_events(events, rates.duplicate_across_sources, rng)
    report.count(
        f"{Source.PLATFORM.value}/{Entity.ACHIEVEMENTS.value}",
        messy.Mess.DUPLICATE_ACROSS_SOURCES,
        platform.num_rows,
    )
    out[(Source.PLATFORM, Entity.ACHIEVEMENTS)] = platform
    events, identities, n_alias = messy.alias_events(events, pop, rates.alias_participants, rng)
    out[(Source.EVENTS, Entity.ACHIEVEMENTS)] = events
    out[(Source.PLATFORM, Entity.IDENTITIES)] = identities
    report.count(f"{Source.EVENTS.value}/{Entity.ACHIEVEMENTS.value}", messy.Mess.ALIAS_ID, n_alias)
    consents = messy.consents(pop, rates.consent_withdrawal, export_at, rng)
    out[(Source.PLATFORM, Entity.CONSENTS)] = consents
    report.count(
        f"{Source.PLATFORM.value}/{Entity.CONSENTS.value}",
        messy.Mess.CONSENT_WITHDRAWAL,
        consents.num_rows,
    )
    key = (Source.PLATFORM, Entity.PARTICIPANTS)
    out[key] = messy.mess_participants(
        out[key], rates.malformed, rng, report, f"{key[0].value}/{key[1].value}"
    )
    activity_ids = pa.array(acts.activity_id, pa.string())
    for src in (Source.OLYMPIAD, Source.COURSES, Source.EVENTS, Source.PLATFORM):
        key = (src, Entity.ACHIEVEMENTS)
        out[key] = messy.mess_achievements(
            out[key],
            activity_ids,
            acts.max_score,
            rates,
            rng,
            report,
            f"{src.value}/{Entity.ACHIEVEMENTS.value}",
        )
    return out


def _write_manifest(
    config: SimulationConfig, out_dir: Path, rows: dict[str, int], report: messy.MessReport
) -> None:
    files = {
        rel: {"rows": n, "sha256": file_sha256(out_dir / rel)} for rel, n in sorted(rows.items())
    }
    manifest = {
        "config": config.model_dump(mode="json"),
        "files": files,
        "messy": {"totals": report.totals, "by_file": report.by_file},
    }
    text = json.dumps(manifest, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    (out_dir / MANIFEST).write_text(text, encoding="utf-8")
