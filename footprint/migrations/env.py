"""Alembic environment of the footprint's tables: runs migrations on the connection the store
hands in (or on the URL)."""

from footprint.migrations import run_environment
from footprint.tables import metadata

run_environment(metadata)
