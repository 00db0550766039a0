"""Entry point of the ``talent`` command. Each package's commands live in their own module.

Command modules are imported only when their command runs: ``talent --help`` and ``talent
--version`` import typer and rich, not pandas, SQLAlchemy, LightGBM or the service (figures in
docs/benchmarks.md). :data:`COMMANDS` names each top-level command's module(s) and its one-line
help for the listing; ``tests/cli/test_main.py`` keeps it equal to the modules' own.
"""

from __future__ import annotations

import importlib
import os

import click
import typer
from typer import _click as tclick  # typer carries its own click; its groups take its types
from typer.core import TyperGroup

HELP = "Talent trajectories: footprint store, ratings, competence estimates and recommendations."
_GROUP_MODULES = ("cli.competence_commands", "cli.recommend_commands", "cli.pipeline_commands")
COMMANDS: dict[str, tuple[tuple[str, ...], str]] = {
    "ingest": (
        ("cli.footprint_commands",),
        "Validate and store footprint files; bad rows go to the quarantine with their reasons.",
    ),
    "snapshot": (
        ("cli.footprint_commands",),
        "Write an immutable, content-addressed Parquet snapshot of what was known as of a date.",
    ),
    "erase": (
        ("cli.footprint_commands",),
        "Erase participants who withdrew consent, leaving tombstones and an audit entry.",
    ),
    "quarantine": (
        ("cli.footprint_commands",),
        "Show quarantined rows with the file, row, field and reason.",
    ),
    "demo": (
        ("cli.demo_command",),
        "Simulate a small movement up to today, ingest it, snapshot it, rate it and train on it.",
    ),
    "simulate": (
        ("cli.simulate_command",),
        "Simulate NTI Kruzhok seasons; write the sources' export files, the truth and a manifest.",
    ),
    "rate": (
        ("cli.rating_commands",),
        "Compute the «Талант 20.35» rating of a season; write Parquet, CSV and explanations.",
    ),
    "recommend": (
        ("cli.recommend_commands",),
        "Top-k feasible next activities for one participant, with reasons.",
    ),
    "plan": (
        ("cli.recommend_commands",),
        "A dated season trajectory toward a goal, with reasons, competence gain and rating points.",
    ),
    "serve": (
        ("cli.serve_command",),
        "Serve the API (/v1, docs at /docs) and the moderators' pages (/moderation/).",
    ),
    "token": (
        ("cli.serve_command",),
        "Make a random API token: print it once, with the entry for TALENT_API_TOKENS.",
    ),
    "signing-key": (
        ("cli.serve_command",),
        "Make a new Ed25519 key for signed portfolios: print the "
        "TALENT_PORTFOLIO_SIGNING_KEY value",
    ),
    "promote": (
        ("cli.pipeline_commands",),
        "Move each gated model's `champion` alias to its `challenger` if it is at least as good.",
    ),
    "tune": (
        ("cli.pipeline_commands",),
        "Tune the competence model or the re-ranker ([tuning] target / metric) with Optuna.",
    ),
    "spark": (
        ("cli.spark_commands",),
        "Batch jobs on Apache Spark: features, competence estimates and recommendations of every "
        "participant.",
    ),
    "train": (_GROUP_MODULES, "Train models on snapshots (logged to MLflow)."),
    "evaluate": (_GROUP_MODULES, "Evaluate models on temporal splits, with baselines."),
}
LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
TRAIN_EXTRA = ("mlflow", "optuna", "matplotlib", "implicit")


def full_app(modules: tuple[str, ...] | None = None) -> typer.Typer:
    """A Typer app with the commands of ``modules`` (all when None) registered."""
    app = typer.Typer(
        name="talent", help=HELP, add_completion=False, pretty_exceptions_enable=False
    )
    wanted = modules or tuple(dict.fromkeys(m for ms, _ in COMMANDS.values() for m in ms))
    for name in wanted:
        importlib.import_module(name).register(app)
    return app


class LazyGroup(TyperGroup):
    """Lists commands from :data:`COMMANDS`; imports a command's module(s) when it is run."""

    def list_commands(self, ctx: tclick.Context) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: tclick.Context, cmd_name: str) -> tclick.Command | None:
        if cmd_name not in COMMANDS:
            # a command a module registers but the table does not list yet still runs
            # (tests/cli/test_main.py fails until the table lists it)
            return typer.main.get_group(full_app()).get_command(ctx, cmd_name)
        modules, short = COMMANDS[cmd_name]
        if ctx.resilient_parsing or getattr(ctx, "_talent_listing", False):
            # a plain click command carries the short help for the listing; typer's own Command
            # is abstract, and the listing reads only the name and help
            return click.Command(cmd_name, short_help=short, help=short)  # type: ignore[return-value]
        try:
            group = typer.main.get_group(full_app(modules))
        except ModuleNotFoundError as exc:
            if exc.name in TRAIN_EXTRA:
                raise click.UsageError(
                    f"`talent {cmd_name}` needs the training packages ({exc.name} is missing): "
                    "uv sync --extra train (or pip install 'talent-trajectories[train]')"
                ) from exc
            raise
        return group.get_command(ctx, cmd_name)

    def format_help(self, ctx: tclick.Context, formatter: tclick.HelpFormatter) -> None:
        ctx._talent_listing = True  # type: ignore[attr-defined]
        try:
            super().format_help(ctx, formatter)
        finally:
            ctx._talent_listing = False  # type: ignore[attr-defined]


app = typer.Typer(
    name="talent",
    help=HELP,
    cls=LazyGroup,
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    # click's plain help for the listing: typer's rich help imports rich.markdown and
    # markdown_it, 0.3-0.4 s of the 0.55 s of CPU `talent --help` took (0.15-0.23 s without)
    rich_markup_mode=None,
)


def _print_version(value: bool) -> None:
    if value:
        from importlib.metadata import version

        typer.echo(f"talent {version('talent-trajectories')}")
        raise typer.Exit()


@app.callback()
def _main(
    show_version: bool = typer.Option(
        False,
        "--version",
        help="Print the version and exit.",
        is_eager=True,
        callback=_print_version,
    ),
    quiet: bool = typer.Option(
        False, "--quiet", "-q", help="Warnings and errors only, no progress bars."
    ),
    verbose: bool = typer.Option(
        False, "--verbose", "-v", help="Debug logs (TALENT_LOG_LEVEL sets the level too)."
    ),
) -> None:
    """Talent trajectories: footprint store, ratings, competence estimates and recommendations.

    Logs go to stderr at TALENT_LOG_LEVEL (INFO by default); results go to stdout."""
    from core.logs import configure
    from footprint.progress import set_enabled

    if quiet and verbose:
        raise typer.BadParameter("--quiet and --verbose exclude each other")
    level = (
        "WARNING"
        if quiet
        else "DEBUG"
        if verbose
        else os.environ.get("TALENT_LOG_LEVEL", "INFO").upper()
    )
    if level not in LEVELS:
        raise typer.BadParameter(f"TALENT_LOG_LEVEL={level!r} is not one of {', '.join(LEVELS)}")
    if quiet or verbose or "TALENT_LOG_LEVEL" in os.environ:
        os.environ["TALENT_LOG_LEVEL"] = level  # worker processes started later inherit it
        configure(level)
    set_enabled(not quiet)
