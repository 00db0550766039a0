"""Training pipeline commands: ``talent train --config``, ``talent promote``, ``talent tune``.

``talent train --config FILE`` is a callback on the shared ``train`` group, so ``talent train
competence`` and ``talent train recommend`` keep working as subcommands.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from cli.groups import register as register_groups
from cli.groups import train_app
from cli.output import JsonOpt, emit_json, fail
from core.errors import TalentError

if TYPE_CHECKING:
    from training.config import PipelineConfig
    from training.registry import PromotionResult

console = Console(width=max(Console().width, 120))
EXPORT_SUBDIR = Path("models") / "competence"
RECOMMEND_EXPORT_SUBDIR = Path("models") / "recommend"

PipelineConfigOpt = Annotated[
    Path,
    typer.Option(
        "--config", help="Pipeline config TOML (see training/configs/)", dir_okay=False, exists=True
    ),
]


def _fail(exc: Exception) -> typer.Exit:
    console.print(f"[bold red]error:[/] {exc}")
    return typer.Exit(code=2)


@train_app.callback(invoke_without_command=True)
def train_pipeline(
    ctx: typer.Context,
    config: Annotated[
        Path | None,
        typer.Option(
            "--config",
            help="Run the whole pipeline from this config TOML (one MLflow parent run)",
            dir_okay=False,
        ),
    ] = None,
    register: Annotated[
        bool, typer.Option(help="Register the bundles as model versions (alias challenger)")
    ] = True,
    json_out: JsonOpt = False,
) -> None:
    """Train models on snapshots (logged to MLflow). With --config: the whole pipeline."""
    if ctx.invoked_subcommand is not None:
        if config is not None:
            raise typer.BadParameter(
                "--config runs the whole pipeline; give it without a "
                "subcommand (`talent train --config FILE`)"
            )
        return
    if config is None:
        console.print(ctx.get_help())
        raise typer.Exit(code=0)
    from training.config import load_pipeline_config
    from training.pipeline import run_pipeline

    try:
        # the pipeline draws its own bar, a step per stage
        result = run_pipeline(load_pipeline_config(config), register=register)
    except TalentError as exc:
        raise fail(exc, as_json=json_out) from exc
    if json_out:
        emit_json(result)
        return
    table = Table(title=f"Pipeline run {result.run_id} on snapshot {result.snapshot_id[:16]}")
    table.add_column("metric")
    table.add_column("value", justify="right")
    for key in sorted(result.metrics):
        if key.startswith("competence.all.spearman_") or (
            key.startswith("recommend.") and key.endswith("ndcg@10")
        ):
            table.add_row(key, f"{result.metrics[key]:.4f}")
    console.print(table)
    for kind, path in result.bundles.items():
        console.print(f"{kind} bundle: {path}")
    for name, version in result.versions.items():
        console.print(f"registered {name} version {version} (alias challenger)")
    console.print(
        f"{result.seconds:.1f} s, of which MLflow logging and registry "
        f"{result.tracking_seconds:.1f} s"
    )


def _export_folder(
    name: str, cfg: PipelineConfig, competence_dir: Path | None, recommend_dir: Path | None
) -> Path | None:
    """The folder serving watches for a registered model (None: a model serving does not load)."""
    from core.settings import FootprintSettings

    promotion = cfg.promotion
    if name == promotion.competence_model:
        return (
            competence_dir or promotion.export_dir or FootprintSettings().data_dir / EXPORT_SUBDIR
        )
    if name == promotion.recommend_model:
        return (
            recommend_dir
            or promotion.recommend_export_dir
            or FootprintSettings().data_dir / RECOMMEND_EXPORT_SUBDIR
        )
    return None


def _print_result(result: PromotionResult) -> None:
    name = result.model
    for label in result.refused:
        console.print(
            f"[red]refused:[/] {label} lost to a baseline on its own snapshot; the "
            "baseline that won, registered by the same run, is gated instead"
        )
    if result.baselines:
        base = Table(
            title=f"{name} v{result.challenger} ({result.candidate or 'model'}) vs "
            "the best baseline on the same snapshot"
        )
        for col in ("metric", "challenger", "best baseline", "value", "margin", "passes"):
            base.add_column(col)
        for b in result.baselines:
            base.add_row(
                b.metric,
                "-" if b.challenger is None else f"{b.challenger:.4f}",
                b.winner or "none evaluated",
                "-" if b.baseline is None else f"{b.baseline:.4f}",
                f"{b.margin:g}",
                "[green]yes[/]" if b.passed else "[red]no[/]",
            )
        console.print(base)
        for b in result.baselines:
            if not b.passed and b.winner:
                console.print(f"[red]baseline {b.winner} won[/] on {b.metric}")
    table = Table(
        title=f"{name}: champion v{result.champion or '-'} vs challenger v{result.challenger}"
    )
    for col in ("metric", "champion", "challenger", "better", "passes"):
        table.add_column(col)
    for row in result.rows:
        table.add_row(
            row.metric,
            "-" if row.champion is None else f"{row.champion:.4f}",
            "-" if row.challenger is None else f"{row.challenger:.4f}",
            "higher" if row.higher_is_better else "lower",
            "[green]yes[/]" if row.passed else "[red]no[/]",
        )
    console.print(table)
    if result.reevaluation_run:
        console.print(
            f"champion v{result.champion} re-evaluated on the challenger's snapshot "
            f"(its config re-run from scratch, not registered): run "
            f"{result.reevaluation_run}"
        )
    if not result.same_snapshot:
        console.print(
            "[yellow]champion and challenger were evaluated on different snapshots; "
            "promote without --no-reevaluate to re-run the champion's config on the "
            "challenger's snapshot[/]"
        )
    if result.promoted:
        how = " (forced)" if result.forced else ""
        what = f" ({result.candidate})" if result.candidate else ""
        console.print(f"[green]promoted{how}:[/] {name} v{result.challenger}{what} is the champion")
        if result.exported:
            console.print(f"exported for serving: {result.exported}")
    elif result.champion == result.challenger:
        console.print(f"{name} v{result.challenger} is already the champion")
    else:
        console.print(f"[red]not promoted:[/] {name} v{result.champion} stays the champion")


def promote_command(
    config: PipelineConfigOpt,
    model: Annotated[
        str | None,
        typer.Option(
            help="Only this registered model (default: every model the config's gated metrics name)"
        ),
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Promote even when the gate fails (logged and tagged)")
    ] = False,
    reevaluate: Annotated[
        bool,
        typer.Option(
            "--reevaluate/--no-reevaluate",
            help="When champion and challenger were evaluated on different snapshots, re-run the "
            "champion's logged config on the challenger's snapshot (a full pipeline run, not "
            "registered) and gate on that; --no-reevaluate refuses instead",
        ),
    ] = True,
    export_dir: Annotated[
        Path | None,
        typer.Option(
            help="Folder serving watches for the competence model (default: config, else "
            "models/competence under TALENT_DATA_DIR)",
            file_okay=False,
        ),
    ] = None,
    recommend_export_dir: Annotated[
        Path | None,
        typer.Option(
            help="Folder serving watches for the recommender (default: config, else "
            "models/recommend under TALENT_DATA_DIR)",
            file_okay=False,
        ),
    ] = None,
    json_out: JsonOpt = False,
) -> None:
    """Move each gated model's `champion` alias to its `challenger` if it beats the best baseline
    on its own snapshot by the configured margin and is at least as good as the champion on
    every gated metric on the same snapshot; export it for serving. A recommender challenger
    that loses to a baseline its run registered is refused and that baseline is gated instead
    (promotion.baseline_fallback). Prints the comparisons and which baseline won; exits 1 when
    a gate refused and nothing was promoted in its place, 2 on an error."""
    from training.config import load_pipeline_config
    from training.reevaluate import Reevaluator
    from training.registry import gated_models, promote

    try:
        cfg = load_pipeline_config(config)
    except TalentError as exc:
        raise fail(exc, as_json=json_out) from exc
    names = gated_models(cfg.promotion.gated)
    if model is not None:
        if model not in names:
            raise fail(
                TalentError(
                    f"no gated metric of {config} names {model}; gated models: "
                    f"{', '.join(names) or 'none'}"
                ),
                as_json=json_out,
            )
        names = (model,)
    reevaluator = Reevaluator() if reevaluate else None
    refused, failed = [], []
    outcomes: dict[str, object] = {}
    for name in names:
        try:
            result = promote(
                name,
                cfg.promotion.gated,
                force=force,
                export_dir=_export_folder(name, cfg, export_dir, recommend_export_dir),
                reevaluate=reevaluator,
                baseline_fallback=cfg.promotion.baseline_fallback,
            )
        except TalentError as exc:
            typer.secho(f"error: {name}: {exc}", err=True, fg=typer.colors.RED)
            outcomes[name] = {"error": {"code": "error", "detail": str(exc)}}
            failed.append(name)
            continue
        outcomes[name] = result
        if not json_out:
            _print_result(result)
        if not result.promoted and result.champion != result.challenger:
            refused.append(name)
    if json_out:
        emit_json(outcomes)
    if failed:
        raise typer.Exit(code=2)
    if refused:
        raise typer.Exit(code=1)


def tune_command(
    config: PipelineConfigOpt,
    trials: Annotated[
        int,
        typer.Option(
            min=1, help="Finished trials wanted in the study (a resumed study counts earlier ones)"
        ),
    ] = 20,
    storage_dir: Annotated[
        Path | None,
        typer.Option(
            help="Folder of optuna.db (the study storage; default: mlruns/ under TALENT_DATA_DIR)",
            file_okay=False,
        ),
    ] = None,
    output: Annotated[
        Path | None,
        typer.Option(
            help="Best config TOML (default: <storage-dir>/<study>-best.toml)", dir_okay=False
        ),
    ] = None,
    json_out: JsonOpt = False,
) -> None:
    """Tune the competence model or the re-ranker ([tuning] target / metric) with Optuna (seeded
    TPE, median pruning on boosting rounds); resumes a killed study; writes the best parameters
    as a config for `talent train --config`."""
    from footprint.progress import progress_bar
    from training.config import load_pipeline_config
    from training.tuning import tune

    try:
        with progress_bar(trials, "talent tune") as bar:

            def finished(study: Any, _: Any) -> None:
                # a resumed study starts part-way: the bar counts every finished trial
                bar.reached(sum(t.state.name in ("COMPLETE", "PRUNED") for t in study.trials))

            result = tune(load_pipeline_config(config), trials, storage_dir, output, [finished])
    except TalentError as exc:
        raise fail(exc, as_json=json_out) from exc
    if json_out:
        emit_json(result)
        return
    console.print(
        f"study {result.study_name} in {result.storage}: {result.finished} finished "
        f"({result.pruned} pruned); best {result.best_value:.4f}"
    )
    for key, value in sorted(result.best_params.items()):
        console.print(f"  {key} = {value}")
    console.print(
        f"best config: {result.config_path}  (talent train --config {result.config_path})"
    )


def register(app: typer.Typer) -> None:
    """Attach ``promote`` and ``tune`` (``train --config`` rides on the shared group)."""
    register_groups(app)
    app.command("promote")(promote_command)
    app.command("tune")(tune_command)
