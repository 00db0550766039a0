"""Appliers for the activity catalogue and its edges."""

from __future__ import annotations

import pandas as pd
from sqlalchemy import delete, select

from footprint import tables
from footprint.bulk import IN_CHUNK, insert_frame, read_frame, update_frame
from footprint.columns import Columns as C
from footprint.hashing import row_hashes
from footprint.ingest.context import BatchContext

STORED = [c.name for c in tables.activities.columns if c.name not in (C.ACTIVITY_ID, "row_hash")]


def apply_activities(ctx: BatchContext, rows: pd.DataFrame) -> None:
    long: pd.DataFrame = rows.attrs["directions_long"]
    rows = ctx.reject_duplicates(rows, [C.ACTIVITY_ID], C.ACTIVITY_ID)
    stored = rows[[C.ACTIVITY_ID, *STORED]].copy()
    # the hash covers the directions too, so a re-weighted activity counts as updated
    stored["row_hash"] = row_hashes(rows[[C.ACTIVITY_ID, *STORED, C.DIRECTIONS]])
    existing = read_frame(
        ctx.conn, select(tables.activities.c[C.ACTIVITY_ID], tables.activities.c["row_hash"])
    )
    old = stored[C.ACTIVITY_ID].map(
        pd.Series(existing["row_hash"].to_numpy(), index=existing[C.ACTIVITY_ID].to_numpy())
    )
    is_new = old.isna()
    changed = ~is_new & (old != stored["row_hash"])
    insert_frame(ctx.conn, tables.activities, stored[is_new], ctx.bar("activities"))
    update_frame(ctx.conn, tables.activities, stored[changed], [C.ACTIVITY_ID])
    touched = rows.index[is_new | changed]
    changed_ids = list(stored.loc[changed, C.ACTIVITY_ID])
    t_dir = tables.activity_directions
    for i in range(0, len(changed_ids), IN_CHUNK):
        ctx.conn.execute(
            delete(t_dir).where(t_dir.c[C.ACTIVITY_ID].in_(changed_ids[i : i + IN_CHUNK]))
        )
    dirs = long[long["row_number"].isin(touched)].copy()
    dirs[C.ACTIVITY_ID] = dirs["row_number"].map(rows[C.ACTIVITY_ID])
    insert_frame(ctx.conn, t_dir, dirs[[C.ACTIVITY_ID, C.DIRECTION, C.WEIGHT]])
    ctx.counts.added += int(is_new.sum())
    ctx.counts.updated += int(changed.sum())
    ctx.counts.unchanged += int((~is_new & ~changed).sum())


def apply_edges(ctx: BatchContext, rows: pd.DataFrame) -> None:
    keys = [C.FROM_ACTIVITY_ID, C.TO_ACTIVITY_ID, C.EDGE_TYPE]
    rows = ctx.reject_duplicates(rows, keys, C.TO_ACTIVITY_ID)
    known = ctx.known_ids(tables.activities, C.ACTIVITY_ID)
    for col in (C.FROM_ACTIVITY_ID, C.TO_ACTIVITY_ID):
        bad = ~rows[col].isin(known)
        ctx.reject(
            rows.index[bad],
            col,
            "unknown_activity",
            rows.loc[bad, col].map(
                lambda a: f"activity {a!r} is not in the catalogue yet; the row waits for it"
            ),
        )
        rows = rows.loc[~bad]
    existing = read_frame(ctx.conn, select(*[tables.activity_edges.c[k] for k in keys]))
    marker = rows[keys].merge(existing.assign(_have=True), on=keys, how="left")["_have"]
    have = marker.fillna(False).astype(bool).to_numpy()
    insert_frame(ctx.conn, tables.activity_edges, rows.loc[~have, keys])
    ctx.counts.added += int((~have).sum())
    ctx.counts.unchanged += int(have.sum())
