"""Recommender commands: ``talent evaluate recommend``, ``talent train recommend``,
``talent recommend`` and ``talent plan``."""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import json
from collections.abc import Callable, Container
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar, cast

import typer
from rich.console import Console
from rich.table import Table

from cli.groups import evaluate_app, train_app
from cli.groups import register as register_groups
from cli.output import JsonOpt, emit_json, fail, working
from cli.snapshots import snapshot_path
from core.errors import TalentError, UnknownIdError
from core.instants import utc_now
from footprint.frames import Snapshot

if TYPE_CHECKING:
    import pandas as pd

    from training.simworld import SimWorld

console = Console(width=max(Console().width, 120))
Command = TypeVar("Command", bound=Callable[..., Any])

SnapshotOpt = Annotated[
    Path | None,
    typer.Option(
        help="Snapshot id (as `talent snapshot` prints it) or folder.",
        parser=snapshot_path,
        metavar="ID|DIR",
    ),
]
AsOfOpt = Annotated[
    str | None, typer.Option(help="Request instant YYYY-MM-DD (default: the snapshot's cut-off)")
]


def _fail(exc: Exception, as_json: bool = False) -> typer.Exit:
    return fail(exc, as_json=as_json)


def _date(value: str | None, name: str) -> dt.datetime | None:
    if value is None:
        return None
    try:
        return dt.datetime.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(f"{name} {value!r} is not an ISO date (YYYY-MM-DD)") from None


def _print_table(title: str, table: dict[str, dict[str, float]]) -> None:
    out = Table(title=title)
    metrics = list(dict.fromkeys(m for row in table.values() for m in row))
    out.add_column("model")
    for m in metrics:
        out.add_column(m, justify="right")
    for model, row in table.items():
        out.add_row(
            model,
            *(
                "-"
                if m not in row
                else f"{row[m]:.4f}"
                if isinstance(row[m], float)
                else str(row[m])
                for m in metrics
            ),
        )
    console.print(out)


def _read_log(path: Path) -> pd.DataFrame:
    import pandas as pd

    suffix = path.suffix.lower()
    if suffix == ".parquet":
        return pd.read_parquet(path)
    if suffix in (".jsonl", ".json"):
        return pd.read_json(path, lines=suffix == ".jsonl")
    if suffix in (".csv", ".tsv", ".txt"):
        return pd.read_csv(path, sep="\t" if suffix == ".tsv" else ",")
    raise TalentError(f"{path}: unknown format {suffix!r}; use .csv, .tsv, .jsonl or .parquet")


def _run_open_while_working(name: str) -> Callable[[Command], Command]:
    """Run the command inside an open MLflow run (when its ``mlflow`` option is on), so the run
    is ``RUNNING`` while the models fit and ``FAILED`` if the command fails; what the command
    logs at the end goes to that run."""

    def wrap(command: Command) -> Command:
        @functools.wraps(command)
        def run(*args: Any, **kwargs: Any) -> Any:
            if not kwargs.get("mlflow", False):
                return command(*args, **kwargs)
            from training.tracking import competence_run

            with competence_run("recommend", name):
                return command(*args, **kwargs)

        return cast(Command, run)

    return wrap


@evaluate_app.command("recommend")
@_run_open_while_working("evaluate recommend")
def evaluate_recommend(
    snapshot: SnapshotOpt = None,
    world: Annotated[
        Path | None,
        typer.Option(
            help="Simulator output folder (with manifest.json): re-simulated in memory for the "
            "split and the trajectory replay",
            file_okay=False,
        ),
    ] = None,
    interactions: Annotated[
        Path | None,
        typer.Option(
            help="Any interaction log (.csv/.tsv/.jsonl/.parquet) instead of the footprint",
            dir_okay=False,
        ),
    ] = None,
    user_col: Annotated[str | None, typer.Option(help="User column of --interactions")] = None,
    item_col: Annotated[str | None, typer.Option(help="Item column of --interactions")] = None,
    time_col: Annotated[
        str | None,
        typer.Option(
            help="Time column: each user's last 20% by time is the test set (else a seeded random "
            "20%)"
        ),
    ] = None,
    weight_col: Annotated[str | None, typer.Option(help="Weight column (default 1)")] = None,
    cutoff: Annotated[
        list[str] | None,
        typer.Option(
            help="Evaluation cut-off YYYY-MM-DD (repeatable; default 1 Oct/Dec/Feb/Apr of the last "
            "full season)"
        ),
    ] = None,
    max_queries: Annotated[int, typer.Option(help="Participants sampled per cut-off")] = 20_000,
    trajectories: Annotated[
        int,
        typer.Option(
            help="Participants whose plans are audited and replayed (needs --world; 0 = skip)"
        ),
    ] = 0,
    output: Annotated[
        Path | None, typer.Option(help="Write the table as JSON here", dir_okay=False)
    ] = None,
    mlflow: Annotated[bool, typer.Option(help="Log the run to MLflow")] = True,
    database_url: Annotated[
        str | None,
        typer.Option(
            envvar="TALENT_DATABASE_URL",
            help="Store to snapshot (now) when neither --snapshot nor --world is given",
        ),
    ] = None,
    seed: int = 0,
    select: Annotated[
        bool,
        typer.Option(
            "--select/--no-select",
            help="--interactions: choose each model's settings on a validation split cut from the "
            "training part (the test split is scored once, after); --no-select keeps the "
            "fixed defaults",
        ),
    ] = True,
    set_: Annotated[
        list[str] | None,
        typer.Option(
            "--set",
            help="--interactions: an explicit setting, not searched (repeatable), e.g. "
            "ease.lambda=300, recency.half_life=10, als.factors=64, "
            "als.regularization=0.1, als.iterations=15, als.alpha=2",
        ),
    ] = None,
    json_out: JsonOpt = False,
) -> None:
    """Every recommender and baseline in one table: Recall@10, NDCG@10, MAP@10, coverage,
    novelty (and trajectory metrics with --world --trajectories N). With --interactions each
    model's settings are chosen on validation first (the chosen settings and validation scores
    are printed beside the test scores)."""
    console.quiet = json_out  # only the JSON document on stdout; errors go to stderr
    from training.recommend.evaluate import (
        LogSplitConfig,
        SimSplitConfig,
        evaluate_interactions,
        evaluate_simulator,
        log_report,
    )

    trajectories_table: dict[str, float] | None = None
    try:
        if interactions is not None:
            if not user_col or not item_col:
                raise typer.BadParameter("--interactions needs --user-col and --item-col")
            from training.recommend.evaluate import LogColumns
            from training.recommend.select import (
                evaluate_interactions_selected,
                parse_overrides,
                with_overrides,
            )

            frame = _read_log(interactions)
            fixed = parse_overrides(set_ or [])
            if select:
                report = evaluate_interactions_selected(
                    frame,
                    LogColumns(user_col, item_col, time_col, weight_col),
                    LogSplitConfig(seed=seed),
                    fixed=fixed,
                )
                title = (
                    f"{interactions.name}: per-user temporal split, settings chosen on validation"
                )
            else:
                report = evaluate_interactions(
                    frame,
                    user_col,
                    item_col,
                    time_col,
                    weight_col,
                    with_overrides(LogSplitConfig(seed=seed), fixed),
                )
                title = f"{interactions.name}: per-user temporal split, fixed settings"
            result: dict[str, object] = {
                "table": report.table,
                "info": report.info,
                "params": report.params,
            }
        else:
            sim: SimWorld | None = None
            if world is not None:
                from simulator import SimulationConfig
                from training.simworld import simulate_world

                manifest = json.loads((world / "manifest.json").read_text("utf-8"))
                config = SimulationConfig.model_validate(manifest["config"])
                sim = simulate_world(config.model_copy(update={"messy": False}))
            if snapshot is not None:
                from footprint.snapshot import load_snapshot

                snap = load_snapshot(snapshot)
            elif sim is not None:
                snap = sim.snapshot
            else:
                snap = _store_snapshot(database_url)
            cutoffs = tuple(c for c in (_date(v, "--cutoff") for v in cutoff or []) if c)
            cfg = SimSplitConfig(cutoffs=cutoffs or None, max_queries=max_queries, seed=seed)
            with working("talent evaluate recommend"):
                report = evaluate_simulator(snap, cfg)
            title = f"snapshot {snap.snapshot_id[:16]}: temporal split at {report.info['cutoffs']}"
            result = {"table": report.table, "info": report.info}
            if trajectories and sim is not None:
                from training.simworld.trajectory import (
                    TrajectoryEvalConfig,
                    evaluate_trajectories,
                )

                traj = evaluate_trajectories(
                    sim, TrajectoryEvalConfig(participants=trajectories, seed=seed)
                )
                trajectories_table = traj.table
                result["trajectories"] = traj.table
                report.info["trajectories"] = traj.table
    except (TalentError, ValueError) as exc:
        raise _fail(exc, json_out) from exc
    _print_table(title, report.table)
    for name, chosen in report.info.get("selection", {}).items():
        console.print(
            f"{name}: chosen on validation " + ", ".join(f"{k}={v:.4g}" for k, v in chosen.items())
        )
    if trajectories_table is not None:
        console.print({k: round(v, 4) for k, v in trajectories_table.items()})
    if output is not None:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(json.dumps(result, indent=1, ensure_ascii=False, default=str), "utf-8")
        console.print(f"written to {output}")
    run = log_report(report, run_name=title[:100]) if mlflow else None
    if run:
        console.print(f"MLflow run {run}")
    if json_out:
        emit_json(result | {"title": title, "mlflow_run": run})


def _store_snapshot(database_url: str | None) -> Snapshot:
    """A snapshot of the store as of now (the footprint the platform holds)."""
    from core.settings import FootprintSettings
    from footprint.snapshot import create_snapshot, load_snapshot
    from footprint.store import open_store

    now = utc_now(seconds=True)
    path = create_snapshot(
        open_store(database_url), now, FootprintSettings().snapshot_dir, progress=True
    )
    console.print(f"snapshot of the store as of {now.isoformat()}: {path}")
    return load_snapshot(path)


def _live_snapshot(database_url: str | None) -> Snapshot:
    """The store as it is now, read into memory (nothing written)."""
    from footprint.snapshot import read_frames
    from footprint.store import open_store

    now = utc_now(seconds=True)
    return Snapshot.from_frames(
        now, read_frames(open_store(database_url), now), snapshot_id=f"store@{now.isoformat()}"
    )


@train_app.command("recommend")
def train_recommend(
    snapshot: Annotated[
        Path, typer.Option(help="Snapshot id or folder", parser=snapshot_path, metavar="ID|DIR")
    ],
    out: Annotated[Path, typer.Option(help="Where to write the model (joblib)", dir_okay=False)],
    model: Annotated[
        str,
        typer.Option(
            help="A registered model (rerank, content, ease, als, "
            "popular, popular_direction, coldstart)"
        ),
    ] = "rerank",
    as_of: AsOfOpt = None,
    mlflow: Annotated[
        bool, typer.Option(help="Log the run (config, provenance, model file) to MLflow")
    ] = True,
    json_out: JsonOpt = False,
) -> None:
    """Fit one recommender on a snapshot and save it (the re-ranker learns from decision points
    10, 12 and 14 months before the cut-off)."""
    console.quiet = json_out  # only the JSON document on stdout; errors go to stderr
    from footprint.snapshot import load_snapshot
    from training.recommend.evaluate import fit_recommender
    from training.tracking import competence_run

    # the run is open while the model fits, so a crash leaves it FAILED
    tracked = competence_run("recommend", f"train {model}") if mlflow else contextlib.nullcontext()
    run = None
    with tracked:
        try:
            snap = load_snapshot(snapshot)
            cut = _date(as_of, "--as-of") or snap.as_of
            with working(f"fitting {model}"):
                trained = fit_recommender(snap, cut, model)
            fitted, data = trained.model, trained.dataset
            path = fitted.save(out)
            from training.bundles import record_checksum, sign

            sign(path, record_checksum(path))  # servable as is: serving refuses unsigned files
        except (TalentError, ValueError) as exc:
            raise _fail(exc, json_out) from exc
        console.print(f"{model} fitted on {snap.snapshot_id[:16]} as of {cut.date()}: {path}")
        if mlflow:
            from training.recommend.evaluate import log_training_run

            run = log_training_run(fitted, path, snap.snapshot_id, cut, data.n_participants)
            console.print(f"MLflow run {run}")
    if json_out:
        emit_json(
            {
                "model": fitted.label,
                "path": path,
                "snapshot_id": snap.snapshot_id,
                "as_of": cut,
                "mlflow_run": run,
            }
        )


def _require_participant(known: Container[str], participant_id: str) -> None:
    """Refuse an id the footprint does not hold (never ingested, or erased): the API answers
    404 for it, and a cold-start list for a typo would look like an answer."""
    if participant_id not in known:
        raise UnknownIdError(f"no participant {participant_id} in the footprint", (participant_id,))


def recommend(
    participant_id: Annotated[str, typer.Argument(help="Participant id")],
    snapshot: SnapshotOpt = None,
    model_file: Annotated[
        Path | None,
        typer.Option(
            help="A model saved by `talent train recommend` (parameters only: it scores the "
            "--snapshot given, else the footprint store as it is now)",
            dir_okay=False,
        ),
    ] = None,
    model: Annotated[
        str, typer.Option(help="Model fitted on the spot without --model-file")
    ] = "content",
    k: Annotated[int, typer.Option(min=1, max=100)] = 10,
    as_of: AsOfOpt = None,
    as_json: JsonOpt = False,
    database_url: Annotated[str | None, typer.Option(envvar="TALENT_DATABASE_URL")] = None,
) -> None:
    """Top-k feasible next activities for one participant, with reasons.

    A participant the footprint does not hold exits 3 (``not_found``, as the API's 404)."""
    console.quiet = False
    from models.recommend.base import Recommender
    from models.recommend.dataset import dataset_from_snapshot
    from training.recommend.evaluate import fit_recommender

    try:
        data = None
        fitted: Recommender
        if model_file is not None:
            fitted = Recommender.load(model_file)
            if snapshot is not None:
                from footprint.snapshot import load_snapshot

                snap = load_snapshot(snapshot)
            else:
                snap = _live_snapshot(database_url)
            when = _date(as_of, "--as-of") or snap.as_of
            if when < snap.as_of:
                from features.cutoff import snapshot_at

                snap = snapshot_at(snap, when)
            data = dataset_from_snapshot(snap, when, ability=fitted.ability_model or False)
        elif snapshot is not None:
            from footprint.snapshot import load_snapshot

            snap = load_snapshot(snapshot)
            with working(f"fitting {model}"):
                trained = fit_recommender(snap, _date(as_of, "--as-of") or snap.as_of, model)
            fitted, data = trained.model, trained.dataset
        else:
            raise typer.BadParameter("give --snapshot or --model-file")
        _require_participant(data.participant_ids, participant_id)
        recs = fitted.recommend([participant_id], k=k, as_of=_date(as_of, "--as-of"), dataset=data)
    except (TalentError, ValueError) as exc:
        raise fail(exc, as_json=as_json) from exc
    if as_json:
        emit_json(
            {
                "participant_id": participant_id,
                "model": fitted.label,
                "as_of": _date(as_of, "--as-of") or data.as_of,
                "items": recs.to_dict(orient="records"),
            }
        )
        return
    table = Table(title=f"{fitted.name}: recommendations for {participant_id}")
    for col in ("rank", "activity_id", "score", "conditional", "reason_text_ru"):
        table.add_column(col, overflow="fold")
    for r in recs.itertuples(index=False):
        table.add_row(
            str(r.rank),
            str(r.activity_id),
            f"{r.score:.3f}",
            "yes" if r.conditional else "",
            str(r.reason_text_ru),
        )
    console.print(table)


def plan_command(
    participant_id: Annotated[str, typer.Argument(help="Participant id")],
    goal: Annotated[
        str,
        typer.Option(
            help="DIRECTION:LEVEL, e.g. python:advanced, robotics:prize_winner, engineering:70"
        ),
    ],
    snapshot: Annotated[
        Path, typer.Option(help="Snapshot id or folder", parser=snapshot_path, metavar="ID|DIR")
    ],
    as_of: AsOfOpt = None,
    horizon: Annotated[str | None, typer.Option(help="Last day (default: 31 May)")] = None,
    monthly_cap: Annotated[int, typer.Option(min=1, max=10)] = 2,
    online_only: bool = False,
    region: Annotated[
        list[str] | None, typer.Option(help="Allowed regions for offline steps")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """A dated season trajectory toward a goal, with reasons, competence gain and rating
    points. A participant the snapshot does not hold exits 3 (``not_found``)."""
    console.quiet = False
    from footprint.calendar import season_name, season_start_year
    from footprint.snapshot import load_snapshot
    from models.rating.engine import rate
    from models.rating.rules import load_rules
    from models.recommend.dataset import dataset_from_snapshot
    from models.recommend.planner import Goal, PlanConstraints, Planner, plan

    try:
        target = Goal.parse(goal)
        snap = load_snapshot(snapshot)
        cut = _date(as_of, "--as-of") or snap.as_of
        from features.cutoff import snapshot_at

        past = snapshot_at(snap, cut) if cut < snap.as_of else snap
        data = dataset_from_snapshot(past, cut, ability=True)
        _require_participant(data.participant_ids, participant_id)
        year = season_start_year(cut.date())
        current = rate(past, season_name(year), load_rules(None, season=season_name(year)))
        reference = rate(
            past, season_name(year - 1), load_rules(None, season=season_name(year - 1))
        )
        result = plan(
            participant_id,
            target,
            _date(horizon, "--horizon"),
            PlanConstraints(
                monthly_cap=monthly_cap,
                online_only=online_only,
                regions=tuple(region) if region else None,
            ),
            Planner(data, current, reference),
        )
    except (TalentError, ValueError) as exc:
        raise fail(exc, as_json=as_json) from exc
    if as_json:
        emit_json(result)
        return
    table = Table(title=result.summary_ru)
    for col in ("start", "activity", "points", "gain", "reasons"):
        table.add_column(col, overflow="fold")
    for s in result.steps:
        table.add_row(
            str(s.start_at.date()),
            f"{s.title}{' (прогноз)' if s.projected else ''}",
            f"{s.expected_rating_points:.1f}",
            f"{s.expected_competence_gain:.1f}",
            s.reasons_ru,
        )
    console.print(table)


def register(app: typer.Typer) -> None:
    """Add ``recommend`` and ``plan`` to the app and the evaluate/train subcommands."""
    register_groups(app)
    app.command("recommend")(recommend)
    app.command("plan")(plan_command)
