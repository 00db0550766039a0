"""Rows waiting for a reference: achievements, edges and consent changes that name a participant or
an activity the store does not hold yet.

Sources arrive in any order, so such a row is not wrong in itself: it is quarantined with reason
``unknown_participant`` or ``unknown_activity`` and retried automatically, in the same transaction,
whenever a batch adds or changes participants, identities or activities. A newer row of the same
record (same source, entity and key) replaces a waiting one. ``talent quarantine --waiting`` shows
what waits for what.
"""

from __future__ import annotations

import json

import pandas as pd
from sqlalchemy import Connection, delete, select

from footprint import tables
from footprint.bulk import IN_CHUNK, read_frame
from footprint.columns import Columns as C
from footprint.enums import Entity
from footprint.hashing import row_hashes

# reason codes of rows that wait for a reference, and the field naming what they wait for
WAITING_REASONS: dict[str, str] = {
    "unknown_participant": "participant",
    "unknown_activity": "activity",
}
# the columns that identify one record of an entity at its source
RECORD_KEYS: dict[Entity, tuple[str, ...]] = {
    Entity.ACHIEVEMENTS: (C.SOURCE_RECORD_ID,),
    Entity.ACTIVITY_EDGES: (C.FROM_ACTIVITY_ID, C.TO_ACTIVITY_ID, C.EDGE_TYPE),
    Entity.CONSENTS: (C.PARTICIPANT_ID,),
}
# a batch of these entities can supply a missing reference
SUPPLIERS = frozenset({Entity.IDENTITIES, Entity.PARTICIPANTS, Entity.ACTIVITIES})


def record_keys(entity: Entity, rows: pd.DataFrame) -> pd.Series:
    """Hash of each raw row's record key (None for entities without one)."""
    keys = RECORD_KEYS.get(entity)
    if keys is None or rows.empty:
        return pd.Series(None, index=rows.index, dtype=object)
    text = pd.DataFrame(
        {k: rows[k].map(lambda v: "" if v is None or v != v else str(v).strip()) for k in keys},
        index=rows.index,
    )
    return row_hashes(text)


def drop_superseded(conn: Connection, source: str, entity: Entity, keys: pd.Series) -> int:
    """Delete waiting entries of ``source`` and ``entity`` whose record a newer batch re-sent."""
    present = sorted(set(keys.dropna()))
    q = tables.quarantine
    n = 0
    for i in range(0, len(present), IN_CHUNK):
        n += (
            conn.execute(
                delete(q).where(
                    q.c[C.SOURCE] == source,
                    q.c.entity == entity.value,
                    q.c.reason_code.in_(list(WAITING_REASONS)),
                    q.c.record_key.in_(present[i : i + IN_CHUNK]),
                )
            ).rowcount
            or 0
        )
    return n


def waiting_entries(conn: Connection) -> pd.DataFrame:
    """Every waiting quarantine entry, oldest first."""
    q = tables.quarantine
    stmt = (
        select(q)
        .where(q.c.reason_code.in_(list(WAITING_REASONS)))
        .order_by(q.c.quarantined_at, q.c.file_name, q.c.row_number, q.c.field)
    )
    return read_frame(conn, stmt, ["quarantined_at"])


def waits_for(entries: pd.DataFrame) -> pd.DataFrame:
    """Waiting rows counted by what they wait for: source, entity, participant or activity, id."""
    if entries.empty:
        return pd.DataFrame(columns=[C.SOURCE, "entity", "waits_for", "id", "rows"])
    ids = [
        json.loads(raw).get(fld)
        for raw, fld in zip(entries["raw_row"], entries["field"], strict=True)
    ]
    frame = pd.DataFrame(
        {
            C.SOURCE: entries[C.SOURCE].to_numpy(),
            "entity": entries["entity"].to_numpy(),
            "waits_for": entries["reason_code"].map(WAITING_REASONS).to_numpy(),
            "id": [str(i) for i in ids],
        }
    )
    return (
        frame.groupby([C.SOURCE, "entity", "waits_for", "id"], sort=True)
        .size()
        .rename("rows")
        .reset_index()
        .sort_values(["rows", C.SOURCE, "id"], ascending=[False, True, True], kind="stable")
        .reset_index(drop=True)
    )
