"""The footprint's Alembic migrations, and the environment both migration histories run in.

The footprint's tables and the service's (``serving/migrations``, its own history and version
table) share one database; each ``env.py`` calls :func:`run_environment` with its own metadata.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection, MetaData, engine_from_config, pool


def run_environment(metadata: MetaData, version_table: str = "alembic_version") -> None:
    """Run the migrations of ``metadata`` on the connection the caller hands in (the store's,
    in ``config.attributes["connection"]``), or on the configured URL.

    Autogenerate looks only at ``metadata``'s tables: the other history's tables in the same
    database are never proposed for dropping.
    """

    def ours(obj: object, name: str | None, type_: str, reflected: bool, compare: object) -> bool:
        return type_ != "table" or name in metadata.tables

    def run(connection: Connection) -> None:
        context.configure(
            connection=connection,
            target_metadata=metadata,
            version_table=version_table,
            include_object=ours,
            render_as_batch=connection.dialect.name == "sqlite",
        )
        with context.begin_transaction():
            context.run_migrations()

    config = context.config
    connection = config.attributes.get("connection")
    if connection is not None:
        run(connection)
        return
    engine = engine_from_config(
        config.get_section(config.config_ini_section, {}),
        prefix="sqlalchemy.",
        poolclass=pool.NullPool,
    )
    with engine.connect() as conn:
        run(conn)
