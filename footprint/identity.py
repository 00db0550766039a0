"""Identity resolution: merge a participant known under an alias id into its canonical id."""

from __future__ import annotations

from sqlalchemy import Connection, delete, insert, select, update

from footprint import tables
from footprint.bulk import read_frame
from footprint.columns import Columns as C


def merge_participant(conn: Connection, alias: str, target: str) -> int:
    """Move everything stored under participant ``alias`` to ``target`` and drop ``alias``.

    Achievements that the target already has (same activity and result) are collapsed: the alias's
    source references and status history move onto the target's record. If ``target`` has no
    participant row yet, the alias's row is copied to it. Returns the number of achievements moved
    or collapsed.
    """
    t_p, t_a = tables.participants, tables.achievements
    alias_row = conn.execute(select(t_p).where(t_p.c[C.PARTICIPANT_ID] == alias)).mappings().first()
    if alias_row is None:
        return 0
    has_target = conn.execute(
        select(t_p.c[C.PARTICIPANT_ID]).where(t_p.c[C.PARTICIPANT_ID] == target)
    ).first()
    if has_target is None:
        conn.execute(insert(t_p).values({**alias_row, C.PARTICIPANT_ID: target}))
    key = [C.ACTIVITY_ID, C.RESULT]
    mine = read_frame(
        conn,
        select(t_a.c[C.ACHIEVEMENT_ID], *[t_a.c[k] for k in key]).where(
            t_a.c[C.PARTICIPANT_ID] == alias
        ),
    )
    theirs = read_frame(
        conn,
        select(t_a.c[C.ACHIEVEMENT_ID], *[t_a.c[k] for k in key]).where(
            t_a.c[C.PARTICIPANT_ID] == target
        ),
    )
    pairs = mine.merge(theirs, on=key, suffixes=("", "_target"))
    for ach_id, target_id in pairs[[C.ACHIEVEMENT_ID, f"{C.ACHIEVEMENT_ID}_target"]].itertuples(
        index=False
    ):
        for table in (tables.achievement_sources, tables.achievement_status_history):
            conn.execute(
                update(table)
                .where(table.c[C.ACHIEVEMENT_ID] == ach_id)
                .values({C.ACHIEVEMENT_ID: target_id})
            )
        conn.execute(delete(t_a).where(t_a.c[C.ACHIEVEMENT_ID] == ach_id))
    conn.execute(
        update(t_a).where(t_a.c[C.PARTICIPANT_ID] == alias).values({C.PARTICIPANT_ID: target})
    )
    t_i, t_s = tables.source_identities, tables.consent_scope_changes
    conn.execute(
        update(t_s).where(t_s.c[C.PARTICIPANT_ID] == alias).values({C.PARTICIPANT_ID: target})
    )
    conn.execute(
        update(t_i).where(t_i.c[C.PARTICIPANT_ID] == alias).values({C.PARTICIPANT_ID: target})
    )
    conn.execute(delete(t_p).where(t_p.c[C.PARTICIPANT_ID] == alias))
    return len(mine)
