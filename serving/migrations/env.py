"""Alembic environment of the service's own tables (separate history and version table).

Autogenerate is limited to the service's tables, so a new revision here never proposes to drop
the footprint's tables that share the database.
"""

from footprint.migrations import run_environment
from serving.tables import VERSION_TABLE, metadata

run_environment(metadata, version_table=VERSION_TABLE)
