"""Competence commands: ``talent train competence`` and ``talent evaluate competence``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import pandas as pd
import typer
from rich.console import Console
from rich.table import Table

from cli.groups import evaluate_app, train_app
from cli.groups import register as register_groups
from cli.output import JsonOpt, emit_json, fail, results_only, working
from cli.snapshots import snapshot_path
from core.errors import TalentError
from core.instants import parse_instant, utc_now
from footprint.frames import Snapshot

if TYPE_CHECKING:
    from training.competence.train import TrainConfig

console = Console(width=max(Console().width, 120))
BUNDLE_SUBDIR = Path("models") / "competence"

SnapshotOpt = Annotated[
    Path | None,
    typer.Option(
        help="Snapshot id (as `talent snapshot` prints it) or folder. Default: a snapshot of the "
        "store as of --as-of.",
        parser=snapshot_path,
        metavar="ID|DIR",
    ),
]
AsOfOpt = Annotated[
    str | None,
    typer.Option(
        help=(
            "Cut-off of the snapshot made from the store: YYYY-MM-DD or ISO timestamp (default: "
            "now)"
        )
    ),
]
DbOpt = Annotated[
    str | None,
    typer.Option(envvar="TALENT_DATABASE_URL", help="Store URL (default: SQLite in data/)"),
]
ConfigOpt = Annotated[
    Path | None, typer.Option(help="Training config TOML (TrainConfig fields)", dir_okay=False)
]
TruthOpt = Annotated[
    Path | None,
    typer.Option(
        help=(
            "Simulator truth (truth/competence.parquet) to add recovery and coverage; never an "
            "input of the model"
        ),
        dir_okay=False,
    ),
]
WindowOpt = Annotated[int | None, typer.Option(help="Label window in days (default from config)")]


def _fail(exc: Exception, as_json: bool = False) -> typer.Exit:
    return fail(exc, as_json=as_json)


def _snapshot(snapshot: Path | None, as_of: str | None, database_url: str | None) -> Snapshot:
    from core.settings import FootprintSettings
    from footprint.snapshot import create_snapshot, load_snapshot
    from footprint.store import open_store

    if snapshot is not None:
        return load_snapshot(snapshot)
    instant = utc_now(seconds=True)
    if as_of is not None:
        try:
            instant = parse_instant(as_of)
        except ValueError as exc:
            raise typer.BadParameter(str(exc)) from None
    store = open_store(database_url)
    path = create_snapshot(store, instant, FootprintSettings().snapshot_dir, progress=True)
    console.print(f"snapshot of the store as of {instant.isoformat()}: {path}")
    return load_snapshot(path)


def _truth(path: Path | None) -> pd.DataFrame | None:
    if path is None:
        return None
    if not path.is_file():
        raise TalentError(f"truth file {path} does not exist")
    return pd.read_parquet(path)


def _config(path: Path | None, window_days: int | None) -> TrainConfig:
    from training.competence.train import load_train_config

    cfg = load_train_config(path)
    return cfg.model_copy(update={"window_days": window_days}) if window_days else cfg


def _print_report(report: dict[str, float]) -> None:
    from training.competence.evaluation import BASELINES, MODEL

    table = Table(title="Spearman with the next window (rows with records there)")
    table.add_column("direction")
    table.add_column("target")
    for name in (MODEL, *BASELINES):
        table.add_column(name, justify="right")
    keys = sorted({k.split(".")[0] for k in report if ".spearman_" in k})
    for direction in keys:
        for target in ("label", "next_performance"):
            cells = [
                report.get(f"{direction}.spearman_{target}.{n}", float("nan"))
                for n in (MODEL, *BASELINES)
            ]
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
    console.print(
        ", ".join(f"{k}={v:.1f}" for k, v in sorted(report.items()) if k.startswith("seconds."))
    )


@train_app.command("competence")
def train_competence_command(
    snapshot: SnapshotOpt = None,
    as_of: AsOfOpt = None,
    database_url: DbOpt = None,
    config: ConfigOpt = None,
    out: Annotated[
        Path | None,
        typer.Option(
            help="Folder of bundles (default: models/competence under TALENT_DATA_DIR, i.e. data/)",
            file_okay=False,
        ),
    ] = None,
    truth: TruthOpt = None,
    window_days: WindowOpt = None,
    track: Annotated[bool, typer.Option(help="Log the run to MLflow")] = True,
    json_out: JsonOpt = False,
) -> None:
    """Fit calibration and LightGBM per direction on temporal cut-offs, evaluate on the last one,
    save a bundle for serving and log the run to MLflow."""
    from core.settings import FootprintSettings
    from training.competence.train import train_competence

    folder = out or FootprintSettings().data_dir / BUNDLE_SUBDIR
    try:
        with results_only(console, json_out):
            snap = _snapshot(snapshot, as_of, database_url)
            with working("talent train competence"):
                path, evaluation = train_competence(
                    snap, _config(config, window_days), folder, truth=_truth(truth), track=track
                )
    except TalentError as exc:
        raise _fail(exc, json_out) from exc
    if json_out:
        emit_json({"bundle": path, "report": evaluation.report})
        return
    _print_report(evaluation.report)
    console.print(f"bundle: {path}")


@evaluate_app.command("competence")
def evaluate_competence_command(
    snapshot: SnapshotOpt = None,
    as_of: AsOfOpt = None,
    database_url: DbOpt = None,
    config: ConfigOpt = None,
    output: Annotated[
        Path | None, typer.Option(help="Write the report as JSON here", dir_okay=False)
    ] = None,
    truth: TruthOpt = None,
    window_days: WindowOpt = None,
    scores: Annotated[
        Path | None,
        typer.Option(
            help="Evaluate on a long table of dated scores (CSV or Parquet) instead of a snapshot: "
            "each participant's last time point held out",
            dir_okay=False,
        ),
    ] = None,
    participant_col: Annotated[
        str, typer.Option(help="--scores: participant column")
    ] = "participant_id",
    direction_col: Annotated[
        str, typer.Option(help="--scores: direction (subject) column")
    ] = "direction",
    time_col: Annotated[
        str, typer.Option(help="--scores: time column (dates, or numbers such as school years)")
    ] = "time",
    score_col: Annotated[str, typer.Option(help="--scores: score column")] = "score",
    max_score_col: Annotated[
        str | None, typer.Option(help="--scores: maximum score column (scores become shares of it)")
    ] = None,
    activity_col: Annotated[
        str | None,
        typer.Option(
            help="--scores: activity column (default: one activity per direction and time point)"
        ),
    ] = None,
    json_out: JsonOpt = False,
) -> None:
    """Train on earlier cut-offs, report on the last cut-off's next window against baselines
    (rule-based rating points, number of achievements, mean percentile, ability alone).

    With --scores: hold out each participant's last time point of a table of dated scores and
    report Spearman (within each held-out time point) by number of earlier records against the
    last result, the mean of past results, the mean over other directions and the calibrated
    ability, with the coverage of the 90% predictive intervals."""
    with results_only(console, json_out):
        if scores is not None:
            report = _evaluate_scores(
                scores,
                participant_col,
                direction_col,
                time_col,
                score_col,
                max_score_col,
                activity_col,
                json_out,
            )
        else:
            from training.competence.train import evaluate_competence

            try:
                snap = _snapshot(snapshot, as_of, database_url)
                with working("talent evaluate competence"):
                    evaluation, _ = evaluate_competence(
                        snap, _config(config, window_days), _truth(truth)
                    )
            except TalentError as exc:
                raise _fail(exc, json_out) from exc
            _print_report(evaluation.report)
            report = dict(evaluation.report)
        payload = {k: (None if v != v else v) for k, v in sorted(report.items())}
        if output is not None:
            output.parent.mkdir(parents=True, exist_ok=True)
            output.write_text(json.dumps(payload, indent=1) + "\n", "utf-8")
            console.print(f"report written to {output}")
    if json_out:
        emit_json(payload)


def _evaluate_scores(
    path: Path,
    participant: str,
    direction: str,
    time: str,
    score: str,
    max_score: str | None,
    activity: str | None,
    as_json: bool = False,
) -> dict[str, float | str]:
    from training.competence.score_evaluation import BASELINES, ESTIMATE, evaluate_scores
    from training.competence.score_table import ScoreColumns, read_scores, score_table

    cols = ScoreColumns(
        participant=participant,
        direction=direction,
        time=time,
        score=score,
        max_score=max_score,
        activity=activity,
    )
    try:
        evaluation = evaluate_scores(score_table(read_scores(path), cols))
    except TalentError as exc:
        raise _fail(exc, as_json) from exc
    report = evaluation.report
    names = (ESTIMATE, *BASELINES)
    table = Table(
        title="Spearman with the held-out result (within each time point), "
        "90% predictive interval coverage"
    )
    for col in ("direction", "records", "rows", *names, "coverage"):
        table.add_column(col, justify="left" if col == "direction" else "right")
    directions = sorted({k.split(".")[0] for k in report if ".n" in k and k.endswith(".count")})
    for d in [x for x in directions if x != "all"] + ["all"]:
        for bucket in ("0", "1", "2-4", "5+", "any"):
            key = f"{d}.n{bucket}"
            if not report.get(f"{key}.count"):
                continue
            cells = [report.get(f"{key}.spearman.{n}", float("nan")) for n in names]
            table.add_row(
                d,
                bucket,
                f"{report[f'{key}.count']:.0f}",
                *(f"{float(c):.3f}" for c in cells),
                f"{float(report.get(f'{key}.coverage', float('nan'))):.3f}",
            )
    console.print(table)
    console.print(
        ", ".join(
            f"{k}={v}"
            for k, v in sorted(report.items())
            if k.startswith("settings.") and k.endswith((".kind", ".decay"))
        )
    )
    console.print(f"seconds: {float(report['seconds.total']):.1f}")
    return report


def register(app: typer.Typer) -> None:
    """Attach ``train competence`` and ``evaluate competence`` (and the shared groups)."""
    register_groups(app)
