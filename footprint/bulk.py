"""Fast bulk reads and writes of frames through the DB-API, inside the caller's transaction.

SQLAlchemy Core is used for everything small; millions of rows go through ``executemany`` on SQLite
and ``COPY`` on PostgreSQL, which are one to two orders of magnitude faster than row-wise ORM work.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Boolean, Column, Connection, DateTime, Float, Integer, Table, bindparam, text
from sqlalchemy.sql import Select

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


def insert_frame(
    conn: Connection, table: Table, frame: pd.DataFrame, label: str | None = None
) -> int:
    """Insert every row of ``frame`` into ``table`` (columns absent from the frame get NULL);
    with ``label``, show a progress bar."""
    if frame.empty:
        return 0
    # rows in primary-key order append to the B-tree instead of splitting pages at random
    pk = [c.name for c in table.primary_key.columns if c.name in frame.columns]
    if pk and len(frame) > 1:
        frame = frame.sort_values(pk, kind="stable")
    # autoincrement integer keys absent from the frame are left to the database
    keep = [
        i
        for i, c in enumerate(table.columns)
        if c.name in frame.columns or not (c.primary_key and isinstance(c.type, Integer))
    ]
    all_values = _column_values(conn, table.columns, frame)
    names = [table.columns[i].name for i in keep]
    values = [all_values[i] for i in keep]
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
            chunk = [v[start : start + CHUNK] for v in values]
            if conn.dialect.name == "postgresql":
                with cursor.copy(f"COPY {table.name} ({', '.join(names)}) FROM STDIN") as copy:
                    for row in _rows(chunk):
                        copy.write_row(row)
            else:
                marks = ", ".join("?" for _ in names)
                cursor.executemany(
                    f"INSERT INTO {table.name} ({', '.join(names)}) VALUES ({marks})",
                    list(_rows(chunk)),
                )
            bar.advance(len(chunk[0]))
    return len(frame)


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
