"""Shared fixtures: a seeded rng and a fresh store on SQLite and, when configured, PostgreSQL."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import create_engine, text

from footprint.store import Store, open_store

PG_ENV = "TALENT_TEST_POSTGRES_URL"


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(20261129)


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
    _fresh_postgres(url)
    return url


@pytest.fixture
def store(store_url: str) -> Iterator[Store]:
    s = open_store(store_url)
    yield s
    s.dispose()
