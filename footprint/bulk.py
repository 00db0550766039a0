"""Fast bulk reads and writes of frames through the DB-API, inside the caller's transaction.

SQLAlchemy Core is used for everything small; millions of rows go through ``executemany`` on SQLite
and ``COPY`` on PostgreSQL, which are one to two orders of magnitude faster than row-wise ORM work.
Both go in batches of :data:`CHUNK` rows whose Python values are built one batch at a time, so a
write's memory follows the batch, not the frame. On PostgreSQL a batch is spelled in ``COPY``'s
text format by vectorised Arrow kernels and sent as one buffer instead of one ``write_row`` call a
row: for 300,000 achievement rows (bench/bulk_write.py) the client's CPU fell from 2.9 s to 0.9 s
and its peak from 415 to 331 MiB; the wall time (23 s to 19 s on the loaded machine) is mostly the
server's. A refused row is named (its row of the file when the frame carries file row numbers,
and its column) and the caller's transaction is left to roll back.
"""

from __future__ import annotations

import contextlib
import re
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

import numpy as np
import pandas as pd
import psycopg
import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy import (
    Boolean,
    Column,
    Connection,
    DateTime,
    Float,
    Integer,
    String,
    Table,
    bindparam,
    text,
)
from sqlalchemy.sql import Select

from core.errors import StoreError
from footprint.progress import progress_bar

CHUNK = 100_000
SQLITE_TS = "%Y-%m-%d %H:%M:%S.%f"
IN_CHUNK = 900  # below SQLite's bound-parameter limit


def _column_values(
    conn: Connection, columns: Iterable[Column[Any]], frame: pd.DataFrame
) -> list[np.ndarray]:
    """Python values per column, typed for the DB-API of ``conn``'s dialect (None for missing)."""
    sqlite = conn.dialect.name == "sqlite"
    out = []
    for col in columns:
        if col.name not in frame.columns:
            out.append(np.full(len(frame), None, dtype=object))
            continue
        s = frame[col.name]
        missing = s.isna().to_numpy()
        if isinstance(col.type, DateTime):
            ts = pd.to_datetime(s)
            vals = (ts.dt.strftime(SQLITE_TS) if sqlite else ts.dt.to_pydatetime()).to_numpy(
                dtype=object
            )
        elif isinstance(col.type, Boolean):
            vals = s.astype(object).to_numpy()
            vals = np.array(
                [
                    None if m else (int(v) if sqlite else bool(v))
                    for v, m in zip(vals, missing, strict=True)
                ],
                dtype=object,
            )
        elif isinstance(col.type, Integer):
            vals = s.astype("Int64").astype(object).to_numpy()
        elif isinstance(col.type, Float):
            vals = s.astype("Float64").astype(object).to_numpy()
        else:
            vals = s.astype(object).to_numpy()
        vals = vals.astype(object)
        vals[missing] = None
        out.append(vals)
    return out


def _rows(columns: list[np.ndarray]) -> Iterator[tuple[Any, ...]]:
    return zip(*columns, strict=True)


def _copy_field(col: Column[Any], s: pd.Series | None, n: int) -> pa.Array:
    """One column of a batch in COPY text format: escaped text, ``\\N`` for missing."""
    if s is None:
        return pa.array(np.full(n, "\\N", dtype=object), pa.string())
    if isinstance(col.type, DateTime):
        ts = pd.to_datetime(s, format="mixed")
        if getattr(ts.dt, "tz", None) is not None:
            # as the DB-API paths do: the wall time is kept (the store's instants are UTC)
            ts = ts.dt.tz_localize(None)
        arr = pa.array(ts.astype("datetime64[us]"), from_pandas=True)
    elif isinstance(col.type, Boolean):
        arr = pa.array(s.astype("boolean"), from_pandas=True)
    elif isinstance(col.type, Integer):
        arr = pa.array(s.astype("Int64"), from_pandas=True)
    elif isinstance(col.type, Float):
        arr = pa.array(s.astype("Float64"), from_pandas=True)
    else:
        values = s.astype(object).where(s.notna(), None)
        try:
            arr = pa.array(values, pa.string())
        except (pa.ArrowInvalid, pa.ArrowTypeError):
            arr = pa.array([None if v is None else str(v) for v in values], pa.string())
        for raw, escaped in (("\\", "\\\\"), ("\n", "\\n"), ("\r", "\\r"), ("\t", "\\t")):
            arr = pc.replace_substring(arr, raw, escaped)
    return pc.fill_null(pc.cast(arr, pa.string()), "\\N")


def _copy_text(columns: Sequence[Column[Any]], frame: pd.DataFrame) -> bytes:
    """The rows of ``frame`` as one COPY text-format buffer (tab-separated, one line a row)."""
    parts = [
        _copy_field(c, frame[c.name] if c.name in frame.columns else None, len(frame))
        for c in columns
    ]
    lines = pc.binary_join_element_wise(*parts, "\t")
    lines = pc.binary_join_element_wise(lines, "\n", "")
    arr = lines.combine_chunks() if isinstance(lines, pa.ChunkedArray) else lines
    offsets = np.frombuffer(arr.buffers()[1], dtype=np.int32)[
        arr.offset : arr.offset + len(arr) + 1
    ]
    data = arr.buffers()[2]
    return b"" if data is None else data.to_pybytes()[offsets[0] : offsets[-1]]


_COPY_CONTEXT = re.compile(r"line (\d+)(?:, column (\w+))?")


def _refused(
    table: Table, frame: pd.DataFrame, pos: int | None, column: str | None, reason: str
) -> StoreError:
    """A store error naming the refused row (the file's row number when ``frame`` carries them)
    and column, without the row's values (they may name a participant)."""
    row = "a row"
    if pos is not None:
        row = (
            f"row {frame.index[pos]} of the file"
            if frame.index.name == "row_number"
            else f"row {pos + 1} of the batch"
        )
    where = f"the store refused {row} written to {table.name}"
    if column:
        where += f", field {column}"
    return StoreError(f"{where}: {reason}")


def _copy_refused(table: Table, frame: pd.DataFrame, start: int, exc: psycopg.Error) -> StoreError:
    found = _COPY_CONTEXT.search(exc.diag.context or "")
    pos = start + int(found.group(1)) - 1 if found else None
    column = (found.group(2) if found else None) or exc.diag.column_name
    # the error class, not the server's message: that message may quote the refused value
    return _refused(table, frame, pos, column, type(exc).__name__)


def _sqlite_refused(
    cursor: Any,
    sql: str,
    rows: list[tuple[Any, ...]],
    table: Table,
    frame: pd.DataFrame,
    start: int,
) -> StoreError:
    """After ``executemany`` failed (and its batch was rolled back to the savepoint), find the
    first refused row by inserting the batch's rows one by one."""
    for i, row in enumerate(rows):
        try:
            cursor.execute(sql, row)
        except sqlite3.Error as exc:
            named = re.search(rf"{table.name}\.(\w+)", str(exc))
            reason = str(exc).split(":")[0]  # "NOT NULL constraint failed", no value
            return _refused(table, frame, start + i, named.group(1) if named else None, reason)
    return _refused(table, frame, None, None, "the batch failed as a whole")


def insert_frame(
    conn: Connection, table: Table, frame: pd.DataFrame, label: str | None = None
) -> int:
    """Insert every row of ``frame`` into ``table`` (columns absent from the frame get NULL);
    with ``label``, show a progress bar.

    Raises
    ------
    StoreError
        The database refused a row (a constraint, a value too long); the message names the row
        and column where the database says which. The caller's transaction must roll back.
    """
    if frame.empty:
        return 0
    # rows in primary-key order append to the B-tree instead of splitting pages at random
    pk = [c.name for c in table.primary_key.columns if c.name in frame.columns]
    if pk and len(frame) > 1:
        frame = frame.sort_values(pk, kind="stable")
    # autoincrement integer keys absent from the frame are left to the database
    columns = [
        c
        for c in table.columns
        if c.name in frame.columns or not (c.primary_key and isinstance(c.type, Integer))
    ]
    names = ", ".join(c.name for c in columns)
    postgres = conn.dialect.name == "postgresql"
    as_text = all(isinstance(c.type, (DateTime, Boolean, Integer, Float, String)) for c in columns)
    raw = conn.connection.dbapi_connection
    assert raw is not None
    cursor = raw.cursor()
    with (
        progress_bar(
            len(frame), label or "", show=label is not None and len(frame) >= CHUNK, transient=True
        ) as bar,
        contextlib.closing(cursor),
    ):
        for start in range(0, len(frame), CHUNK):
            batch = frame.iloc[start : start + CHUNK]
            try:
                if postgres:
                    with cursor.copy(f"COPY {table.name} ({names}) FROM STDIN") as copy:
                        if as_text:
                            copy.write(_copy_text(columns, batch))
                        else:
                            for row in _rows(_column_values(conn, columns, batch)):
                                copy.write_row(row)
                else:
                    _sqlite_batch(cursor, table, names, columns, conn, frame, batch, start)
            except psycopg.Error as exc:
                raise _copy_refused(table, frame, start, exc) from exc
            bar.advance(len(batch))
    return len(frame)


def _sqlite_batch(
    cursor: Any,
    table: Table,
    names: str,
    columns: list[Column[Any]],
    conn: Connection,
    frame: pd.DataFrame,
    batch: pd.DataFrame,
    start: int,
) -> None:
    marks = ", ".join("?" for _ in columns)
    sql = f"INSERT INTO {table.name} ({names}) VALUES ({marks})"
    rows = list(_rows(_column_values(conn, columns, batch)))
    cursor.execute("SAVEPOINT bulk_batch")
    try:
        cursor.executemany(sql, rows)
    except sqlite3.Error as exc:
        cursor.execute("ROLLBACK TO bulk_batch")
        raise _sqlite_refused(cursor, sql, rows, table, frame, start) from exc
    cursor.execute("RELEASE bulk_batch")


def update_frame(conn: Connection, table: Table, frame: pd.DataFrame, keys: Sequence[str]) -> int:
    """Update the rows of ``table`` matched by ``keys`` with the frame's other columns."""
    if frame.empty:
        return 0
    set_cols = [c for c in frame.columns if c not in keys]
    stmt = table.update()
    for k in keys:
        stmt = stmt.where(table.c[k] == bindparam(f"k_{k}"))
    stmt = stmt.values({c: bindparam(f"v_{c}") for c in set_cols})
    values = _column_values(conn, [table.c[c] for c in frame.columns], frame)
    names = [(f"k_{c}" if c in keys else f"v_{c}") for c in frame.columns]
    params = [dict(zip(names, row, strict=True)) for row in _rows(values)]
    if conn.dialect.name == "sqlite":
        # the DB-API values are already SQLite-typed; bypass SQLAlchemy's own processing
        raw = conn.connection.dbapi_connection
        assert raw is not None
        compiled = stmt.compile(dialect=conn.dialect)
        order = compiled.positiontup or []
        cursor = raw.cursor()
        try:
            cursor.executemany(str(compiled), [tuple(p[n] for n in order) for p in params])
        finally:
            cursor.close()
    else:
        conn.execute(stmt, params)
    return len(frame)


def read_frame(
    conn: Connection, stmt: Select[Any], parse_dates: Iterable[str] = ()
) -> pd.DataFrame:
    """Run ``stmt`` and return its rows as a frame (timestamps in ``parse_dates`` parsed)."""
    result = conn.execute(stmt)
    frame = pd.DataFrame(result.fetchall(), columns=list(result.keys()))
    for col in parse_dates:
        frame[col] = pd.to_datetime(frame[col], format="mixed").astype("datetime64[us]")
    return frame


def read_in(
    conn: Connection, stmt_for: Any, values: Sequence[Any], parse_dates: Iterable[str] = ()
) -> pd.DataFrame:
    """``read_frame`` over ``stmt_for(chunk)`` for chunks of ``values`` (large IN lists)."""
    parts = [
        read_frame(conn, stmt_for(list(values[i : i + IN_CHUNK])), parse_dates)
        for i in range(0, len(values), IN_CHUNK)
    ]
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()


def read_sql_frame(
    conn: Connection, sql: str, params: dict[str, Any], parse_dates: Iterable[str] = ()
) -> pd.DataFrame:
    """Run raw ``sql`` (named ``:param`` placeholders) through the DB-API in chunks.

    Skips SQLAlchemy's per-value result processing, which dominates reading millions of rows;
    timestamps are parsed afterwards, vectorised.
    """
    stmt = text(sql).bindparams(**params)
    compiled = stmt.compile(dialect=conn.dialect, compile_kwargs={"render_postcompile": True})
    raw_params = compiled.construct_params()
    if conn.dialect.name == "sqlite":
        raw_params = {
            k: (v.strftime(SQLITE_TS) if hasattr(v, "strftime") else v)
            for k, v in raw_params.items()
        }
        order = compiled.positiontup or []
        args: Any = tuple(raw_params[n] for n in order)
    else:
        args = raw_params
    dbapi = conn.connection.dbapi_connection
    assert dbapi is not None
    cursor = dbapi.cursor()
    parts = []
    try:
        cursor.execute(str(compiled), args)
        names = [d[0] for d in cursor.description]
        while rows := cursor.fetchmany(CHUNK):
            part = pd.DataFrame.from_records(rows, columns=names, coerce_float=True)
            for col in parse_dates:
                part[col] = pd.to_datetime(part[col], format="mixed").astype("datetime64[us]")
            parts.append(part)
    finally:
        cursor.close()
    if not parts:
        return pd.DataFrame(columns=names)
    return pd.concat(parts, ignore_index=True)
