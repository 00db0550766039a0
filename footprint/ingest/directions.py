"""Applier for the ``directions`` entity: a deployment's list of directions, kept in the store.

A row adds a direction or renames one (same code, new title); nothing deletes one, since
activities, ratings and estimates keep naming it (``footprint.directions``).
"""

from __future__ import annotations

import pandas as pd
from sqlalchemy import select

from footprint import tables
from footprint.bulk import insert_frame, read_frame, update_frame
from footprint.columns import Columns as C
from footprint.hashing import row_hashes
from footprint.ingest.context import BatchContext

FIELDS = [C.CODE, C.TITLE_RU, C.AKA_RU]


def apply_directions(ctx: BatchContext, rows: pd.DataFrame) -> None:
    rows = ctx.reject_duplicates(rows, [C.CODE], C.CODE)
    stored = rows[FIELDS].astype(object).where(rows[FIELDS].notna(), None)
    stored["row_hash"] = row_hashes(stored[FIELDS])
    t = tables.directions
    existing = read_frame(ctx.conn, select(t.c[C.CODE], t.c["row_hash"]))
    old = stored[C.CODE].map(
        pd.Series(existing["row_hash"].to_numpy(), index=existing[C.CODE].to_numpy())
    )
    is_new = old.isna()
    changed = ~is_new & (old != stored["row_hash"])
    insert_frame(ctx.conn, t, stored[is_new])
    update_frame(ctx.conn, t, stored[changed], [C.CODE])
    ctx.counts.added += int(is_new.sum())
    ctx.counts.updated += int(changed.sum())
    ctx.counts.unchanged += int((~is_new & ~changed).sum())
