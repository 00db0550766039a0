"""Entry point of the ``talent`` command. Each package's commands live in their own module."""

from __future__ import annotations

import typer

from cli import (
    competence_commands,
    demo_command,
    footprint_commands,
    pipeline_commands,
    rating_commands,
    recommend_commands,
    serve_command,
    simulate_command,
)

app = typer.Typer(
    name="talent",
    help="Talent trajectories: footprint store, ratings, competence estimates and recommendations.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
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
) -> None:
    """Talent trajectories: footprint store, ratings, competence estimates and recommendations."""


footprint_commands.register(app)
demo_command.register(app)
simulate_command.register(app)
rating_commands.register(app)
competence_commands.register(app)
recommend_commands.register(app)
serve_command.register(app)
pipeline_commands.register(app)
