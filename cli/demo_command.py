"""``talent demo``: the main job on embedded defaults (simulate, ingest, snapshot, rate, train,
promote).

Training is the weekly pipeline (``training/configs/default.toml`` on the demo's snapshot, every
candidate registered) followed by ``talent promote``'s gate: the demo serves whichever model won
against the best baseline on the same snapshot, re-ranker or baseline, and the model card beside
the served bundle says why."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from cli.footprint_commands import console, fail, print_summaries
from cli.rating_commands import print_top, write_rating
from core.errors import TalentError
from core.settings import FootprintSettings
from footprint.calendar import season_name, season_start_year
from footprint.ingest.run import ingest_path
from footprint.quarantine import quarantine_reasons
from footprint.snapshot import create_snapshot, load_manifest, load_snapshot
from footprint.store import open_store
from models.rating.engine import rate
from models.rating.rules import load_rules

if TYPE_CHECKING:
    from training.config import PipelineConfig

# Ingestion order of the simulator's sources: the platform's catalogue and participants first.
SOURCES = ("platform", "olympiad", "courses", "events")
# The folders `talent promote` exports champions to under the data folder (latest.txt, bundle,
# .sha256, .card.md): scripts/demo serves TALENT_{COMPETENCE,RECOMMEND}_BUNDLE=<them>.
COMPETENCE_DIR = "models/competence"
RECOMMEND_DIR = "models/recommend"
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
    from simulator import SimulationConfig, simulate

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
        path = create_snapshot(store, as_of, settings.snapshot_dir, progress=True)
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
        train_and_promote(path, settings.data_dir)
    console.print(
        f"store: {store.engine.url.render_as_string(hide_password=True)}; "
        f"ground truth (never a model input): {world / 'truth'}"
    )


def demo_pipeline_config(snapshot: Path) -> PipelineConfig:
    """The weekly pipeline's config (``training/configs/default.toml``) on the demo's snapshot,
    with the demo's shorter competence label window."""
    import tomllib

    import training
    from training.config import parse_pipeline_config

    path = Path(training.__file__).parent / "configs" / "default.toml"
    data = tomllib.loads(path.read_text("utf-8"))
    data["snapshot"] = {"path": str(snapshot)}
    data.setdefault("competence", {})["window_days"] = DEMO_WINDOW_DAYS
    return parse_pipeline_config(data, f"{path} (demo)")


def train_and_promote(snapshot: Path, data_dir: Path) -> None:
    """Train every candidate, then gate each registered model and export the winner for serving.

    A recommender re-ranker that loses to a baseline is refused and the baseline served in its
    place. The competence model has no baseline bundle to serve instead: when the gate refuses
    it and no earlier champion exists, the demo promotes it with ``force`` (tagged, logged and
    said on the terminal) so that the competence pages work; a champion from an earlier demo
    stays served otherwise."""
    from cli.pipeline_commands import _print_result
    from training.pipeline import run_pipeline
    from training.registry import gated_models, promote

    cfg = demo_pipeline_config(snapshot)
    console.rule("5. train: competence and every recommender on temporal splits (MLflow run)")
    try:
        result = run_pipeline(cfg, register=True)
    except TalentError as exc:
        raise fail(exc) from exc
    for name, version in result.versions.items():
        console.print(f"registered {name} version {version} (alias challenger)")
    console.rule("6. promotion gate: each challenger against the best baseline on its snapshot")
    folders = {
        cfg.promotion.competence_model: data_dir / COMPETENCE_DIR,
        cfg.promotion.recommend_model: data_dir / RECOMMEND_DIR,
    }
    for name in gated_models(cfg.promotion.gated):
        try:
            decision = promote(
                name,
                cfg.promotion.gated,
                export_dir=folders.get(name),
                reevaluate=None,
                baseline_fallback=cfg.promotion.baseline_fallback,
            )
            _print_result(decision)
            if (
                not decision.promoted
                and decision.champion is None
                and name == cfg.promotion.competence_model
            ):
                console.print(
                    f"[yellow]{name} has no champion and no baseline bundle to serve "
                    "instead: promoted with --force so the demo's competence pages "
                    "work (tagged forced in the registry)[/]"
                )
                _print_result(
                    promote(
                        name,
                        cfg.promotion.gated,
                        force=True,
                        export_dir=folders.get(name),
                        reevaluate=None,
                    )
                )
        except TalentError as exc:
            raise fail(exc) from exc
    for name, folder in folders.items():
        latest = folder / "latest.txt"
        if latest.exists():
            console.print(
                f"{name} served from {folder} (latest.txt names "
                f"{latest.read_text('utf-8').strip()})"
            )


def register(app: typer.Typer) -> None:
    app.command()(demo)
