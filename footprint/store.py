"""The system of record: SQLAlchemy on SQLite (default) or PostgreSQL, migrated by Alembic."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, Engine, create_engine, event, func, select
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from core.errors import StoreError
from core.settings import FootprintSettings
from footprint import tables


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA foreign_keys=ON")
    # erased rows are overwritten with zeros, not left readable in free pages (152-FZ)
    cur.execute("PRAGMA secure_delete=ON")
    cur.execute("PRAGMA busy_timeout=30000")
    # bulk ingestion touches several large indexes; a 1 GiB page cache keeps them in memory
    cur.execute("PRAGMA cache_size=-1048576")
    cur.execute("PRAGMA temp_store=MEMORY")
    cur.close()


def _sqlite_begin(conn: Connection) -> None:
    # pysqlite's own transaction handling would defer BEGIN; emit it ourselves so a whole batch,
    # reads included, runs in one transaction.
    conn.exec_driver_sql("BEGIN IMMEDIATE")


@dataclass(frozen=True)
class Store:
    """A handle on the store. Create with :func:`open_store`."""

    engine: Engine

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        """One transaction: committed when the block ends, rolled back on any exception."""
        with self.engine.begin() as conn:
            yield conn

    def migrate(self) -> None:
        """Bring the schema to the newest Alembic revision (idempotent)."""
        cfg = Config()
        cfg.set_main_option("script_location", str(resources.files("footprint") / "migrations"))
        with self.engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")

    def counts(self) -> dict[str, int]:
        """Row count of every table, for summaries and tests."""
        with self.engine.connect() as conn:
            return {
                name: int(conn.execute(select(func.count()).select_from(table)).scalar_one())
                for name, table in tables.metadata.tables.items()
            }

    def dispose(self) -> None:
        self.engine.dispose()


def open_store(url: str | None = None, migrate: bool = True) -> Store:
    """Open (and by default migrate) the store at ``url``, or at the settings' URL.

    Raises
    ------
    StoreError
        When the database cannot be reached or migrated; the message names the URL without its
        password.
    """
    url = url or FootprintSettings().resolved_database_url()
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database:
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, future=True)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)

        @event.listens_for(engine, "connect")
        def _no_autobegin(dbapi_conn: Any, _record: Any) -> None:
            dbapi_conn.isolation_level = None

    store = Store(engine)
    if migrate:
        try:
            store.migrate()
        except SQLAlchemyError as exc:
            safe = parsed.render_as_string(hide_password=True)
            raise StoreError(f"cannot open or migrate the store at {safe}: {exc}") from exc
    return store
