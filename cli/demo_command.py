"""``talent demo``: the main job on embedded defaults (simulate, ingest, snapshot, rate)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from cli.footprint_commands import console, fail, print_summaries
from cli.rating_commands import print_top, write_rating
from footprint.calendar import season_name
from footprint.errors import TalentError
from footprint.ingest.run import ingest_path
from footprint.quarantine import quarantine_reasons
from footprint.settings import FootprintSettings
from footprint.snapshot import create_snapshot, load_manifest, load_snapshot
from footprint.store import open_store
from models.rating.engine import rate
from models.rating.rules import load_rules

# Ingestion order of the simulator's sources: the platform's catalogue and participants first.
SOURCES = ("platform", "olympiad", "courses", "events")


def demo(
    participants: Annotated[int, typer.Option(min=200)] = 2_000,
    seasons: Annotated[int, typer.Option(min=1, max=12)] = 2,
    seed: int = 7,
    messy: Annotated[bool, typer.Option(help="Add the mess of real exports")] = True,
    out: Annotated[Path | None, typer.Option(help="Where the simulated files go")] = None,
    database_url: Annotated[str | None, typer.Option(envvar="TALENT_DATABASE_URL")] = None,
) -> None:
    """Simulate a small movement, ingest it through the real path, snapshot it and rate the last
    season."""
    from footprint.simulate import SimulationConfig, simulate

    settings = FootprintSettings()
    world = out or settings.data_dir / "demo-world"
    config = SimulationConfig(
        participants=participants, seasons=seasons, seed=seed, messy=messy, format="csv"
    )
    console.rule("1. simulate")
    simulate(config, world, progress=True)
    try:
        store = open_store(database_url)
        console.rule("2. ingest")
        summaries = []
        for source in SOURCES:
            folder = world / "sources" / source
            if folder.exists():
                summaries += ingest_path(store, folder, source, progress=True)
        print_summaries(summaries)
        reasons = quarantine_reasons(store)
        if len(reasons):
            table = Table(title="Quarantined rows by reason")
            for col in ("entity", "field", "reason_code", "rows"):
                table.add_column(col)
            for row in reasons.itertuples(index=False):
                table.add_row(*(str(v) for v in (row.entity, row.field, row.reason_code, row.rows)))
            console.print(table)
        console.rule("3. snapshot")
        as_of = dt.datetime(config.first_season + seasons, 6, 1)
        path = create_snapshot(store, as_of, settings.snapshot_dir)
        manifest = load_manifest(path)
    except TalentError as exc:
        raise fail(exc) from exc
    rows = {n: m.rows for n, m in manifest.tables.items()}
    console.print(
        f"snapshot {path} as of {as_of.date()}: " + ", ".join(f"{n}={r}" for n, r in rows.items())
    )
    console.rule("4. contest rating")
    season = season_name(config.first_season + seasons - 1)
    try:
        result = rate(load_snapshot(path), season, load_rules(None, season=season))
        written = write_rating(result, settings.data_dir / "ratings" / season.replace("/", "-"))
    except TalentError as exc:
        raise fail(exc) from exc
    print_top(result, 5, console)
    console.print(f"rating of {season} with explanations: {written['parquet'].parent}")
    console.print(
        f"store: {store.engine.url.render_as_string(hide_password=True)}; "
        f"ground truth (never a model input): {world / 'truth'}"
    )


def register(app: typer.Typer) -> None:
    app.command()(demo)
