"""Bulk writes in batches: COPY text on PostgreSQL, executemany on SQLite, refusals named."""

from __future__ import annotations

import pandas as pd
import pytest
from sqlalchemy import Boolean, Column, DateTime, Float, Integer, MetaData, String, Table, Text

from core.errors import StoreError
from footprint import bulk
from footprint.store import Store

SCRATCH = Table(
    "bulk_scratch",
    MetaData(),
    Column("id", Integer, primary_key=True),
    Column("name", String(12), nullable=False),
    Column("note", Text),
    Column("score", Float),
    Column("n", Integer),
    Column("flag", Boolean),
    Column("at", DateTime),
)

TRICKY = pd.DataFrame(
    {
        "id": [3, 1, 2, 4, 5],
        "name": ["tab\there", "line\nbreak", "back\\slash", "", "ёжик «ок»"],
        "note": [None, "\\N", "cr\rlf\r\n", "a\tb\\n", "x" * 300],
        "score": [0.1 + 0.2, None, 1e20, -0.0, 1e-7],
        "n": pd.array([None, 7, -2_000_000_000, 0, 1], dtype="Int64"),
        "flag": pd.array([True, None, False, True, False], dtype="boolean"),
        "at": pd.to_datetime(
            ["2024-02-29 23:59:59.123456", None, "1999-01-01", "2030-06-01 12:00", "2024-01-01"],
            format="ISO8601",
        ),
    }
)


@pytest.fixture
def scratch(store: Store, monkeypatch: pytest.MonkeyPatch) -> Store:
    SCRATCH.create(store.engine)
    monkeypatch.setattr(bulk, "CHUNK", 2)  # several batches from a handful of rows
    return store


def _stored(store: Store) -> pd.DataFrame:
    with store.engine.connect() as conn:
        got = bulk.read_frame(conn, SCRATCH.select().order_by(SCRATCH.c.id), parse_dates=["at"])
    return got.set_index("id")


def test_every_value_comes_back_as_written_in_batches(scratch: Store) -> None:
    with scratch.transaction() as conn:
        assert bulk.insert_frame(conn, SCRATCH, TRICKY) == len(TRICKY)
    got = _stored(scratch)
    want = TRICKY.set_index("id").sort_index()
    assert got["name"].tolist() == want["name"].tolist()  # "" stays "", not NULL
    assert got["note"].tolist() == [None if v is None else v for v in want["note"]]
    scores = got["score"].tolist()
    assert pd.isna(scores[0])
    assert scores[1:] == [1e20, 0.1 + 0.2, -0.0, 1e-7]  # full precision through the text format
    assert [None if pd.isna(v) else int(v) for v in got["n"]] == [7, -2_000_000_000, None, 0, 1]
    assert [None if pd.isna(v) else bool(v) for v in got["flag"]] == [
        None,
        False,
        True,
        True,
        False,
    ]
    assert got["at"].tolist()[1] == pd.Timestamp("1999-01-01")
    assert got["at"].tolist()[2] == pd.Timestamp("2024-02-29 23:59:59.123456")
    assert pd.isna(got["at"].tolist()[0])


def test_a_refused_row_in_a_later_batch_is_named_and_nothing_is_kept(scratch: Store) -> None:
    with scratch.transaction() as conn:
        bulk.insert_frame(conn, SCRATCH, pd.DataFrame({"id": [100], "name": ["kept"]}))
    bad = pd.DataFrame(
        {"id": [1, 2, 3, 4, 5], "name": ["a", "b", "c", None, "e"]},
        index=pd.RangeIndex(7, 12, name="row_number"),
    )
    with pytest.raises(StoreError) as caught, scratch.transaction() as conn:
        bulk.insert_frame(conn, SCRATCH, bad)
    message = str(caught.value)
    assert "row 10 of the file" in message
    assert "bulk_scratch, field name" in message
    assert _stored(scratch)["name"].tolist() == ["kept"]
