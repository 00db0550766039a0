"""Competence commands: ``talent train competence`` and ``talent evaluate competence``."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Annotated

import pandas as pd
import typer
from rich.console import Console
from rich.table import Table

from cli.groups import evaluate_app, train_app
from cli.groups import register as register_groups
from footprint.errors import TalentError
from footprint.frames import Snapshot

console = Console(width=max(Console().width, 120))
BUNDLE_SUBDIR = Path("models") / "competence"

SnapshotOpt = Annotated[Path | None, typer.Option(
    help="Snapshot folder (from `talent snapshot`). Default: a snapshot of the store as of "
         "--as-of.", file_okay=False)]
AsOfOpt = Annotated[str | None, typer.Option(
    help="Cut-off of the snapshot made from the store: YYYY-MM-DD or ISO timestamp (default: now)")]
DbOpt = Annotated[str | None, typer.Option(envvar="TALENT_DATABASE_URL",
                                           help="Store URL (default: SQLite in data/)")]
ConfigOpt = Annotated[Path | None, typer.Option(help="Training config TOML (TrainConfig fields)",
                                                dir_okay=False)]
TruthOpt = Annotated[Path | None, typer.Option(
    help="Simulator truth (truth/competence.parquet) to add recovery and coverage; never an input "
         "of the model", dir_okay=False)]
WindowOpt = Annotated[int | None, typer.Option(help="Label window in days (default from config)")]


def _fail(exc: Exception) -> typer.Exit:
    console.print(f"[bold red]error:[/] {exc}")
    return typer.Exit(code=2)


def _snapshot(snapshot: Path | None, as_of: str | None, database_url: str | None) -> Snapshot:
    from footprint.settings import FootprintSettings
    from footprint.snapshot import create_snapshot, load_snapshot
    from footprint.store import open_store

    if snapshot is not None:
        return load_snapshot(snapshot)
    instant = dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)
    if as_of is not None:
        try:
            instant = dt.datetime.fromisoformat(as_of)
        except ValueError:
            raise typer.BadParameter(f"{as_of!r} is not an ISO date or timestamp") from None
        if instant.tzinfo is not None:
            instant = instant.astimezone(dt.UTC).replace(tzinfo=None)
    store = open_store(database_url)
    path = create_snapshot(store, instant, FootprintSettings().snapshot_dir)
    console.print(f"snapshot of the store as of {instant.isoformat()}: {path}")
    return load_snapshot(path)


def _truth(path: Path | None) -> pd.DataFrame | None:
    if path is None:
        return None
    if not path.is_file():
        raise TalentError(f"truth file {path} does not exist")
    return pd.read_parquet(path)


def _config(path: Path | None, window_days: int | None):  # type: ignore[no-untyped-def]
    from training.competence import load_train_config

    cfg = load_train_config(path)
    return cfg.model_copy(update={"window_days": window_days}) if window_days else cfg


def _print_report(report: dict[str, float]) -> None:
    from training.evaluation import BASELINES, MODEL

    table = Table(title="Spearman with the next window (rows with records there)")
    table.add_column("direction")
    table.add_column("target")
    for name in (MODEL, *BASELINES):
        table.add_column(name, justify="right")
    keys = sorted({k.split(".")[0] for k in report if ".spearman_" in k})
    for direction in keys:
        for target in ("label", "next_performance"):
            cells = [report.get(f"{direction}.spearman_{target}.{n}", float("nan"))
                     for n in (MODEL, *BASELINES)]
            table.add_row(direction, target, *(f"{c:.3f}" for c in cells))
    console.print(table)
    truthy = {k: v for k, v in report.items() if ".recovery_" in k or ".coverage" in k}
    if truthy:
        t2 = Table(title="Against the simulator's truth (all directions)")
        t2.add_column("metric")
        t2.add_column("value", justify="right")
        for k in sorted(k for k in truthy if k.startswith("all.")):
            t2.add_row(k, f"{truthy[k]:.3f}")
        console.print(t2)
    console.print(", ".join(f"{k}={v:.1f}" for k, v in sorted(report.items())
                            if k.startswith("seconds.")))


@train_app.command("competence")
def train_competence_command(
    snapshot: SnapshotOpt = None,
    as_of: AsOfOpt = None,
    database_url: DbOpt = None,
    config: ConfigOpt = None,
    out: Annotated[Path | None, typer.Option(
        help="Folder of bundles (default: models/competence under TALENT_DATA_DIR, i.e. data/)",
        file_okay=False)] = None,
    truth: TruthOpt = None,
    window_days: WindowOpt = None,
    track: Annotated[bool, typer.Option(help="Log the run to MLflow")] = True,
) -> None:
    """Fit calibration and LightGBM per direction on temporal cut-offs, evaluate on the last one,
    save a bundle for serving and log the run to MLflow."""
    from footprint.settings import FootprintSettings
    from training.competence import train_competence

    folder = out or FootprintSettings().data_dir / BUNDLE_SUBDIR
    try:
        snap = _snapshot(snapshot, as_of, database_url)
        path, evaluation = train_competence(snap, _config(config, window_days), folder,
                                            truth=_truth(truth), track=track)
    except TalentError as exc:
        raise _fail(exc) from exc
    _print_report(evaluation.report)
    console.print(f"bundle: {path}")


@evaluate_app.command("competence")
def evaluate_competence_command(
    snapshot: SnapshotOpt = None,
    as_of: AsOfOpt = None,
    database_url: DbOpt = None,
    config: ConfigOpt = None,
    output: Annotated[Path | None, typer.Option(help="Write the report as JSON here",
                                                dir_okay=False)] = None,
    truth: TruthOpt = None,
    window_days: WindowOpt = None,
) -> None:
    """Train on earlier cut-offs, report on the last cut-off's next window against baselines
    (rule-based rating points, number of achievements, mean percentile, ability alone)."""
    from training.competence import evaluate_competence

    try:
        snap = _snapshot(snapshot, as_of, database_url)
        evaluation, _ = evaluate_competence(snap, _config(config, window_days), _truth(truth))
    except TalentError as exc:
        raise _fail(exc) from exc
    _print_report(evaluation.report)
    if output is not None:
        output.parent.mkdir(parents=True, exist_ok=True)
        payload = {k: (None if v != v else v) for k, v in sorted(evaluation.report.items())}
        output.write_text(json.dumps(payload, indent=1) + "\n", "utf-8")
        console.print(f"report written to {output}")


def register(app: typer.Typer) -> None:
    """Attach ``train competence`` and ``evaluate competence`` (and the shared groups)."""
    register_groups(app)
