"""Shared fixtures: a seeded rng and a fresh store on SQLite and, when configured, PostgreSQL; and a
check that every collected test reported an outcome (tests run in parallel processes, see
scripts/test)."""

from __future__ import annotations

import functools
import os
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import create_engine, make_url, text

from footprint.store import Store, open_store

PG_ENV = "TALENT_TEST_POSTGRES_URL"


class EveryTestReported:
    """Fails a green run in which fewer tests reported an outcome than were collected.

    Under pytest-xdist the controller schedules tests by node id, so two items sharing one id run
    once: pytest 9.2 gave all 45 schemathesis operations of tests/serving/test_schema.py the same
    id and a parallel run silently dropped 44 of them (hence ``pytest<9.2`` in pyproject.toml). A
    crashed worker or a test that ends its process could lose tests the same way; this makes any
    such loss a failure naming the missing ids.
    """

    def __init__(self) -> None:
        self.collected: list[str] = []
        self.reported: set[str] = set()

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        self.collected = [item.nodeid for item in session.items]

    @pytest.hookimpl(optionalhook=True)
    def pytest_xdist_node_collection_finished(self, node: object, ids: list[str]) -> None:
        self.collected = list(ids)  # the controller collects nothing; each worker sends its ids

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if report.when == "call" or (report.when == "setup" and not report.passed):
            self.reported.add(report.nodeid)

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        if exitstatus != pytest.ExitCode.OK or session.config.option.collectonly:
            return
        if len(self.reported) == len(self.collected):
            return
        missing = sorted(set(self.collected) - self.reported)
        twice = len(self.collected) - len(set(self.collected))
        lines = [
            f"{len(self.collected)} tests collected but {len(self.reported)} reported an outcome",
            f"{twice} collected ids are duplicates (each of them runs once under pytest-xdist)",
            *[f"  no outcome: {nodeid}" for nodeid in missing[:20]],
        ]
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        if reporter is not None:
            reporter.section("tests without an outcome", sep="=", red=True)
            for line in lines:
                reporter.line(line, red=True)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """In a pytest-xdist worker, files holding a ``slow`` test go first (order kept otherwise).

    Whole files are handed out in collection order (scripts/test), so a minutes-long file
    handed out last (tests/test_readme.py takes 3 to 4 minutes) would leave the other process
    idle at the end; every worker sorts the same way, so they still collect the same list.
    """
    if not hasattr(config, "workerinput"):
        return
    slow_files = {item.nodeid.split("::")[0] for item in items if item.get_closest_marker("slow")}
    items.sort(key=lambda item: item.nodeid.split("::")[0] not in slow_files)


def pytest_configure(config: pytest.Config) -> None:
    if not hasattr(config, "workerinput"):  # on the controller (or a serial run), not in a worker
        config.pluginmanager.register(EveryTestReported(), "every-test-reported")


@pytest.fixture(autouse=True)
def _environment_restored() -> Iterator[None]:
    """Each test ends with the process environment it started with. Code under test writes to it
    on purpose (``talent -q`` exports TALENT_LOG_LEVEL for the workers it starts, MLflow's
    ``set_tracking_uri`` exports MLFLOW_TRACKING_URI); left behind, a ``-q`` from one test made a
    later test's worker pool log at WARNING, so the pool's ``pool_ready`` line never came and that
    test waited for ever."""
    before = dict(os.environ)
    yield
    if os.environ != before:
        os.environ.clear()
        os.environ.update(before)


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(20261129)


@functools.cache
def _worker_database(url: str) -> str:
    """The test database of this pytest-xdist worker (created once), or ``url`` without xdist.

    Every PostgreSQL test wipes the ``public`` schema first; two workers sharing one database
    would wipe each other's tables, so each worker gets its own database on the same server.
    """
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if not worker:
        return url
    base = make_url(url)
    name = f"{base.database}_{worker}"
    engine = create_engine(base, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        found = conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name})
        if found.first() is None:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return base.set(database=name).render_as_string(hide_password=False)


def _fresh_postgres(url: str) -> None:
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


def _backends() -> list[object]:
    pg = pytest.param("postgresql", marks=pytest.mark.postgres)
    return ["sqlite", pg]


@pytest.fixture(params=_backends())
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A URL of an empty store: SQLite in tmp_path, or the test PostgreSQL database wiped clean."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'talent.db'}"
    url = os.environ.get(PG_ENV)
    if not url:
        if os.environ.get("CI"):
            pytest.fail(f"{PG_ENV} is not set; CI must run the store tests on PostgreSQL")
        pytest.skip(f"{PG_ENV} not set (run scripts/test to start a local PostgreSQL)")
    url = _worker_database(url)
    _fresh_postgres(url)
    return url


@pytest.fixture
def store(store_url: str) -> Iterator[Store]:
    s = open_store(store_url)
    yield s
    s.dispose()
