"""Command groups shared by several packages' command modules: ``talent train ...`` and
``talent evaluate ...``.

Each module adds its subcommand to :data:`train_app` / :data:`evaluate_app` (``@train_app.command
("competence")``) and calls :func:`register` from its own ``register``; the groups are attached
to the main app once, however many modules call it.
"""

from __future__ import annotations

import typer

train_app = typer.Typer(
    name="train", help="Train models on snapshots (logged to MLflow).", no_args_is_help=True
)
evaluate_app = typer.Typer(
    name="evaluate",
    help="Evaluate models on temporal splits, with baselines.",
    no_args_is_help=True,
)
GROUPS: tuple[tuple[str, typer.Typer], ...] = (("train", train_app), ("evaluate", evaluate_app))


def register(app: typer.Typer) -> None:
    """Attach the shared groups to ``app`` unless they are already attached."""
    attached = {info.name for info in app.registered_groups}
    for name, group in GROUPS:
        if name not in attached:
            app.add_typer(group, name=name)
