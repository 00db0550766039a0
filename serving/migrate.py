"""Bring the service's own tables to the newest revision of ``serving/migrations``.

Runs at start-up after the footprint store itself was migrated (``open_store``). Idempotent.
"""

from __future__ import annotations

from importlib import resources

from alembic import command
from alembic.config import Config

from footprint.store import Store


def upgrade(store: Store) -> None:
    """Apply the service's migrations on ``store``'s database in one transaction."""
    cfg = Config()
    cfg.set_main_option("script_location", str(resources.files("serving") / "migrations"))
    with store.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")
