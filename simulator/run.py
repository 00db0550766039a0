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
from footprint.directions import direction_codes, directions
from footprint.enums import Entity
from footprint.progress import Bar, progress_bar
from simulator import clock, export, messy
from simulator.catalog import Activities, Catalog
from simulator.config import SimulationConfig
from simulator.kinds import Source
from simulator.population import draw_population
from simulator.season import World, run_season
from simulator.write import TableSink, TruthWriter, all_strings

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


def _rng(config: SimulationConfig, stream: int, chunk: int = 0) -> np.random.Generator:
    # the first chunk draws from the streams an unchunked world uses, so a world of one chunk is
    # the world it always was
    key = [stream, config.seed] if chunk == 0 else [stream, config.seed, chunk]
    return np.random.default_rng(key)


@dataclass
class _Running:
    """What the chunks of one world share while they are simulated one after another."""

    config: SimulationConfig
    codes: tuple[str, ...]
    out_dir: Path
    catalog: Catalog
    sinks: dict[tuple[Source, Entity], TableSink] = field(default_factory=dict)
    truth: TruthWriter | None = None
    report: messy.MessReport = field(default_factory=messy.MessReport)
    next_team: int = 1
    next_record: dict[Source, int] = field(default_factory=dict)
    next_alias: int = 0
    # per season: the olympiad's editions (final capacities summed over chunks), then every
    # chunk's own editions in chunk order
    olympiads: list[Activities] = field(default_factory=list)
    own_editions: list[list[Activities]] = field(default_factory=list)
    participants: int = 0

    def write(self, key: tuple[Source, Entity], table: pa.Table) -> None:
        if key not in self.sinks:
            src, entity = key
            stem = self.out_dir / SOURCES_DIR / src.value / entity.value
            self.sinks[key] = TableSink(stem, self.config.format)
        self.sinks[key].write(table)


def simulate(config: SimulationConfig, out_dir: Path, progress: bool = True) -> SimulationSummary:
    """Simulate the movement's seasons and write a world to ``out_dir``.

    Writes the sources' export files (``sources/<source>/<entity>.<ext>`` in the ingestion format
    of docs/data-model.md), the ground truth (``truth/competence.parquet``, never to be read by
    model inputs) and ``manifest.json`` (config, rows and sha256 per file, mess counts). The same
    config gives byte-identical files.

    A world of more than ``config.chunk_size`` participants is simulated in chunks, one after
    another, each appended to the same files and then dropped, so peak memory follows the chunk
    size; the catalogue's series and each season's olympiad are shared by all chunks.

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
    sizes = config.chunk_sizes()
    first_config = config.model_copy(update={"participants": sizes[0]})
    run = _Running(config, codes, out_dir, Catalog(first_config, _rng(config, _CATALOG)))
    with progress_bar(len(sizes) * (config.seasons + 2), "simulate", show=progress) as bar:
        for k, n in enumerate(sizes):
            _simulate_chunk(run, k, n, len(sizes), bar)
        bar.note("writing the catalogue")
        _write_catalogue(run)
    assert run.truth is not None
    run.truth.close()
    for sink in run.sinks.values():
        sink.close()
    truth_path = run.truth.path
    rows = {sink.path.relative_to(out_dir).as_posix(): sink.rows for sink in run.sinks.values()}
    rows[truth_path.relative_to(out_dir).as_posix()] = run.truth.rows
    rows = dict(sorted(rows.items()))
    (out_dir / TRUTH_DIR / "README.md").write_text(TRUTH_README, encoding="utf-8")
    report = run.report
    _write_manifest(config, out_dir, rows, report)
    summary = SimulationSummary(
        out_dir=out_dir, rows=rows, messy=report.totals, messy_by_file=report.by_file
    )
    log.info(
        "simulated",
        participants=run.participants,
        chunks=len(sizes),
        activities=sum(len(a) for a in run.olympiads)
        + sum(len(a) for season in run.own_editions for a in season),
        achievements=summary.achievements,
        out_dir=str(out_dir),
    )
    return summary


def _simulate_chunk(run: _Running, k: int, n: int, n_chunks: int, bar: Bar) -> None:
    """Simulate chunk ``k`` (``n`` participants) through every season and append its rows."""
    config, codes = run.config, run.codes
    chunk_config = config.model_copy(update={"participants": n})
    pop = draw_population(
        chunk_config,
        len(codes),
        _rng(config, _POPULATION, k),
        id_offset=run.participants,
        id_total=config.participants,
    )
    run.catalog.edition_suffix = f"-c{k + 1}" if k else ""
    world = World(chunk_config, pop, run.catalog)
    world.next_team = run.next_team
    bar.advance()
    ids = pa.array(pop.ids, pa.string())
    truth_path = run.out_dir / TRUTH_DIR / TRUTH_FILE

    def sink(t: np.datetime64, idx: np.ndarray, theta: np.ndarray) -> None:
        table = export.truth_table(ids, codes, t, idx, theta)
        if run.truth is None:
            run.truth = TruthWriter(truth_path, table.schema)
        run.truth.write(table)

    where = f"chunk {k + 1}/{n_chunks}, " if n_chunks > 1 else ""
    for s in range(config.seasons):
        year = config.first_season + s
        bar.note(f"{where}season {year}")
        run_season(world, year, _rng(config, _SEASON + s, k), sink)
        bar.advance()
    bar.note(f"{where}writing")
    _keep_editions(run, world)
    _write_sources(run, world, k)
    run.next_team = world.next_team
    run.participants += n
    bar.advance()


def _keep_editions(run: _Running, world: World) -> None:
    """Keep a chunk's editions for the catalogue file: its own, and its final capacities."""
    n_olymp = 3 * len(run.codes)
    for s, season in enumerate(world.activities):
        olymp = season.take(np.arange(n_olymp))
        own = season.take(np.arange(n_olymp, len(season)))
        if s == len(run.olympiads):
            run.olympiads.append(olymp)
            run.own_editions.append([])
        else:
            total = run.olympiads[s]
            set_ = total.capacity >= 0
            total.capacity[set_] += olymp.capacity[set_]
        run.own_editions[s].append(own)


def _write_catalogue(run: _Running) -> None:
    parts = [
        part for s, olymp in enumerate(run.olympiads) for part in (olymp, *run.own_editions[s])
    ]
    acts = Activities.concat(parts)
    tables = {
        # shared by every chunk: written once
        (Source.PLATFORM, Entity.DIRECTIONS): export.directions_table(
            tuple(d for d in directions() if d.code in run.codes)
        ),
        (Source.PLATFORM, Entity.ACTIVITIES): export.activities_table(acts, run.codes),
        (Source.PLATFORM, Entity.ACTIVITY_EDGES): export.edges_table(run.catalog.edges),
    }
    for key, table in tables.items():
        run.write(key, all_strings(table) if run.config.messy else table)


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


def _write_sources(run: _Running, world: World, k: int) -> None:
    """Append a chunk's participants, consents and achievements to the source files."""
    cfg, pop, codes = run.config, world.pop, run.codes
    acts = world.acts()
    export_at = clock.export_instant(cfg.first_season, cfg.seasons)
    records = world.records.stacked()
    tables: dict[tuple[Source, Entity], pa.Table] = {
        (Source.PLATFORM, Entity.PARTICIPANTS): export.participants_table(pop, codes),
    }
    achievements = export.achievements_tables(
        records, acts, pop, export_at, _rng(cfg, _RECORDS, k), first=run.next_record
    )
    for src, table in achievements.items():
        tables[(src, Entity.ACHIEVEMENTS)] = table
        run.next_record[src] = run.next_record.get(src, 1) + table.num_rows
    active = np.zeros(pop.size, bool)
    active[records.pid] = True
    del records
    tables[(Source.PLATFORM, Entity.CONSENT_SCOPES)] = export.consent_scopes_table(
        pop, cfg.university_consent_share, active, export_at, _rng(cfg, _SCOPES, k)
    )
    if cfg.messy:
        tables = _make_messy(run, tables, acts, world, export_at, k)
    for key, table in sorted(tables.items()):
        run.write(key, table)


def _make_messy(
    run: _Running,
    tables: dict[tuple[Source, Entity], pa.Table],
    acts: Activities,
    world: World,
    export_at: np.datetime64,
    k: int,
) -> dict[tuple[Source, Entity], pa.Table]:
    cfg, pop, rates, report = run.config, world.pop, run.config.messy_rates, run.report
    rng = _rng(cfg, _MESSY, k)
    out = {key: all_strings(t) for key, t in tables.items()}
    events = out[(Source.EVENTS, Entity.ACHIEVEMENTS)]
    first = run.next_record.get(Source.PLATFORM, 1)
    platform = messy.duplicate_events(events, rates.duplicate_across_sources, rng, first)
    run.next_record[Source.PLATFORM] = first + platform.num_rows
    report.count(
        f"{Source.PLATFORM.value}/{Entity.ACHIEVEMENTS.value}",
        messy.Mess.DUPLICATE_ACROSS_SOURCES,
        platform.num_rows,
    )
    out[(Source.PLATFORM, Entity.ACHIEVEMENTS)] = platform
    events, identities, n_alias = messy.alias_events(
        events, pop, rates.alias_participants, rng, offset=run.next_alias
    )
    run.next_alias += pop.size
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
