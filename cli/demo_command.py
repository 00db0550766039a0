"""``talent demo``: the main job on embedded defaults (simulate, ingest, snapshot, rate, train)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from cli.competence_commands import train_competence_command
from cli.footprint_commands import console, fail, print_summaries
from cli.rating_commands import print_top, write_rating
from cli.recommend_commands import train_recommend
from footprint.calendar import season_name, season_start_year
from footprint.errors import TalentError
from footprint.ingest.run import ingest_path
from footprint.quarantine import quarantine_reasons
from footprint.settings import FootprintSettings
from footprint.snapshot import create_snapshot, load_manifest, load_snapshot
from footprint.store import open_store
from models.rating.engine import rate
from models.rating.rules import load_rules
from training.bundles import publish

# Ingestion order of the simulator's sources: the platform's catalogue and participants first.
SOURCES = ("platform", "olympiad", "courses", "events")
# Where the demo's recommender bundle goes under the data folder: the folder `talent promote`
# exports the recommender champion to, so scripts/demo serves TALENT_RECOMMEND_BUNDLE=<it>.
RECOMMEND_DIR = "models/recommend"
RECOMMEND_FILE = "rerank.joblib"
# The competence label window of the demo: three short seasons leave no room for a full year.
DEMO_WINDOW_DAYS = 180


def demo(
    participants: Annotated[int, typer.Option(min=200)] = 2_000,
    seasons: Annotated[int, typer.Option(min=3, max=12)] = 3,
    seed: int = 7,
    messy: Annotated[bool, typer.Option(help="Add the mess of real exports")] = True,
    train: Annotated[
        bool, typer.Option(help="Also train the bundles that `talent serve` loads")
    ] = True,
    out: Annotated[Path | None, typer.Option(help="Where the simulated files go")] = None,
    database_url: Annotated[str | None, typer.Option(envvar="TALENT_DATABASE_URL")] = None,
) -> None:
    """Simulate a small movement up to today, ingest it through the real path, snapshot it, rate
    the last complete season and train the competence and recommender bundles."""
    from footprint.simulate import SimulationConfig, simulate

    settings = FootprintSettings()
    world = out or settings.data_dir / "demo-world"
    # the simulated seasons end with the current one, so "now" falls inside the world; records
    # dated after today exist in the files but not in today's snapshot
    now = dt.datetime.now(dt.UTC)
    as_of = dt.datetime(now.year, now.month, now.day)
    first = season_start_year(as_of.date()) - seasons + 1
    config = SimulationConfig(
        participants=participants,
        seasons=seasons,
        seed=seed,
        messy=messy,
        format="csv",
        first_season=first,
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
        path = create_snapshot(store, as_of, settings.snapshot_dir)
        manifest = load_manifest(path)
    except TalentError as exc:
        raise fail(exc) from exc
    rows = {n: m.rows for n, m in manifest.tables.items()}
    console.print(
        f"snapshot {path} as of {as_of.date()}: " + ", ".join(f"{n}={r}" for n, r in rows.items())
    )
    console.rule("4. contest rating")
    season = season_name(season_start_year(as_of.date()) - 1)  # the last complete season
    try:
        result = rate(load_snapshot(path), season, load_rules(None, season=season))
        written = write_rating(result, settings.data_dir / "ratings" / season.replace("/", "-"))
    except TalentError as exc:
        raise fail(exc) from exc
    print_top(result, 5, console)
    console.print(f"rating of {season} with explanations: {written['parquet'].parent}")
    if train:
        console.rule("5. competence model (calibration + LightGBM per direction, MLflow run)")
        train_competence_command(snapshot=path, window_days=DEMO_WINDOW_DAYS)
        console.rule("6. recommender (LightGBM re-ranker over popular, ALS, EASE, content)")
        bundle = settings.data_dir / RECOMMEND_DIR / RECOMMEND_FILE
        train_recommend(snapshot=path, out=bundle, model="rerank")
        publish(bundle)  # .sha256 sidecar and latest.txt, as a promotion exports it
        console.print(f"recommender served from {bundle.parent} (latest.txt names {bundle.name})")
    console.print(
        f"store: {store.engine.url.render_as_string(hide_password=True)}; "
        f"ground truth (never a model input): {world / 'truth'}"
    )


def register(app: typer.Typer) -> None:
    app.command()(demo)
