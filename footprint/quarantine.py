"""Reading the quarantine of rejected rows."""

from __future__ import annotations

import pandas as pd
from sqlalchemy import func, select

from footprint import tables
from footprint.bulk import read_frame
from footprint.ingest.waiting import waiting_entries, waits_for
from footprint.store import Store


def list_quarantine(store: Store, source: str | None = None, limit: int = 100) -> pd.DataFrame:
    """The newest quarantined rows (one per bad field), newest batch first."""
    q = tables.quarantine
    stmt = select(
        q.c.source,
        q.c.entity,
        q.c.file_name,
        q.c.row_number,
        q.c.field,
        q.c.reason_code,
        q.c.reason,
        q.c.raw_row,
        q.c.quarantined_at,
    )
    if source is not None:
        stmt = stmt.where(q.c.source == source)
    stmt = stmt.order_by(q.c.quarantined_at.desc(), q.c.file_name, q.c.row_number).limit(limit)
    with store.engine.connect() as conn:
        return read_frame(conn, stmt)


def quarantine_reasons(store: Store) -> pd.DataFrame:
    """How many quarantined rows there are per entity, field and reason code."""
    q = tables.quarantine
    stmt = (
        select(q.c.entity, q.c.field, q.c.reason_code, func.count().label("rows"))
        .group_by(q.c.entity, q.c.field, q.c.reason_code)
        .order_by(q.c.entity, func.count().desc())
    )
    with store.engine.connect() as conn:
        return read_frame(conn, stmt)


def waiting_summary(store: Store) -> pd.DataFrame:
    """Rows waiting for a participant or activity the store lacks, counted per missing id
    (source, entity, waits_for, id, rows); they are retried when it arrives."""
    with store.engine.connect() as conn:
        return waits_for(waiting_entries(conn))
