"""Appliers for participants, the identity map and consent changes."""

from __future__ import annotations

import pandas as pd
from sqlalchemy import select

from footprint import tables
from footprint.bulk import insert_frame, read_frame, update_frame
from footprint.columns import Columns as C
from footprint.consent import erase_participants
from footprint.enums import ConsentStatus
from footprint.hashing import row_hashes
from footprint.identity import merge_participant
from footprint.ingest.context import BatchContext

CANON = "_canonical"
STORED = [
    c.name for c in tables.participants.columns if c.name not in (C.PARTICIPANT_ID, "row_hash")
]


def _erase(ctx: BatchContext, ids: list[str]) -> None:
    if ids:
        erase_participants(
            ctx.conn,
            ids,
            actor=f"source:{ctx.source}",
            reason_code="consent_withdrawn",
            salt=ctx.salt,
            now=ctx.now,
        )
        ctx.counts.erased += len(ids)


def _record_identities(ctx: BatchContext, refs: pd.Series, canon: pd.Series) -> None:
    """Remember that this source knows each participant under its id (implicit map entries)."""
    t = tables.source_identities
    have = read_frame(
        ctx.conn, select(t.c[C.SOURCE_PARTICIPANT_ID]).where(t.c[C.SOURCE] == ctx.source)
    )
    known = set(have[C.SOURCE_PARTICIPANT_ID]) if not have.empty else set()
    new = pd.DataFrame(
        {C.SOURCE_PARTICIPANT_ID: refs.to_numpy(), C.PARTICIPANT_ID: canon.to_numpy()}
    )
    new = new[~new[C.SOURCE_PARTICIPANT_ID].isin(known)].drop_duplicates(C.SOURCE_PARTICIPANT_ID)
    new[C.SOURCE] = ctx.source
    new["explicit"] = False
    insert_frame(ctx.conn, t, new)


def apply_participants(ctx: BatchContext, rows: pd.DataFrame) -> None:
    rows = rows.assign(**{CANON: ctx.resolve(rows[C.PARTICIPANT_ID])})
    rows = ctx.reject_duplicates(rows, [CANON], C.PARTICIPANT_ID)
    withdrawn = rows[C.CONSENT_STATUS] == ConsentStatus.WITHDRAWN
    keep = rows.loc[~withdrawn]
    stored = keep[STORED].copy()
    stored.insert(0, C.PARTICIPANT_ID, keep[CANON].to_numpy())
    stored["row_hash"] = row_hashes(stored[[C.PARTICIPANT_ID, *STORED]])
    existing = read_frame(
        ctx.conn, select(tables.participants.c[C.PARTICIPANT_ID], tables.participants.c["row_hash"])
    )
    old_hash = stored[C.PARTICIPANT_ID].map(
        pd.Series(existing["row_hash"].to_numpy(), index=existing[C.PARTICIPANT_ID].to_numpy())
    )
    is_new = old_hash.isna()
    changed = ~is_new & (old_hash != stored["row_hash"])
    insert_frame(ctx.conn, tables.participants, stored[is_new], ctx.bar("participants"))
    update_frame(ctx.conn, tables.participants, stored[changed], [C.PARTICIPANT_ID])
    ctx.counts.added += int(is_new.sum())
    ctx.counts.updated += int(changed.sum())
    ctx.counts.unchanged += int((~is_new & ~changed).sum())
    _record_identities(ctx, keep[C.PARTICIPANT_ID], keep[CANON])
    # unknown ids are erased too: the tombstone keeps their later rows out
    _erase(ctx, sorted(set(rows.loc[withdrawn, CANON])))


def apply_consents(ctx: BatchContext, rows: pd.DataFrame) -> None:
    rows = rows.assign(**{CANON: ctx.resolve(rows[C.PARTICIPANT_ID])})
    # the latest change per participant wins
    rows = rows.sort_values(C.CHANGED_AT, kind="stable").drop_duplicates(CANON, keep="last")
    withdrawn = rows[C.CONSENT_STATUS] == ConsentStatus.WITHDRAWN
    # unknown ids are erased too: the tombstone keeps out their rows that arrive later
    _erase(ctx, sorted(rows.loc[withdrawn, CANON]))
    rows = rows.loc[~withdrawn]
    known = ctx.known_ids(tables.participants, C.PARTICIPANT_ID, among=rows[CANON])
    unknown = ~rows[CANON].isin(known)
    ctx.reject(
        rows.index[unknown],
        C.PARTICIPANT_ID,
        "unknown_participant",
        "no such participant yet; the change is applied when the participant arrives",
    )
    given = rows.loc[~unknown]
    t = tables.participants
    current = read_frame(
        ctx.conn,
        select(t.c[C.PARTICIPANT_ID], t.c[C.CONSENT_STATUS], t.c[C.CONSENT_CHANGED_AT]),
        [C.CONSENT_CHANGED_AT],
    )
    cur = given[[CANON]].merge(current, left_on=CANON, right_on=C.PARTICIPANT_ID, how="left")
    same = (cur[C.CONSENT_STATUS].to_numpy() == ConsentStatus.GIVEN) & (
        cur[C.CONSENT_CHANGED_AT].to_numpy() == given[C.CHANGED_AT].to_numpy()
    )
    # an older change arriving late (a retried row) does not undo a newer one
    same |= (cur[C.CONSENT_CHANGED_AT] > given[C.CHANGED_AT].to_numpy()).fillna(False).to_numpy()
    upd = pd.DataFrame(
        {
            C.PARTICIPANT_ID: given[CANON].to_numpy(),
            C.CONSENT_STATUS: ConsentStatus.GIVEN.value,
            C.CONSENT_CHANGED_AT: given[C.CHANGED_AT].to_numpy(),
        }
    )[~same]
    update_frame(ctx.conn, t, upd, [C.PARTICIPANT_ID])
    ctx.counts.updated += len(upd)
    ctx.counts.unchanged += int(same.sum())


def apply_identities(ctx: BatchContext, rows: pd.DataFrame) -> None:
    """Store explicit map entries; merge an alias that already exists as a separate participant."""
    t = tables.source_identities
    rows = ctx.reject_duplicates(rows, [C.SOURCE, C.SOURCE_PARTICIPANT_ID], C.SOURCE_PARTICIPANT_ID)
    existing = read_frame(
        ctx.conn,
        select(t.c[C.SOURCE], t.c[C.SOURCE_PARTICIPANT_ID], t.c[C.PARTICIPANT_ID], t.c["explicit"]),
    )
    cur = (
        rows.reset_index()
        .merge(
            existing, on=[C.SOURCE, C.SOURCE_PARTICIPANT_ID], how="left", suffixes=("", "_stored")
        )
        .set_index("row_number")
    )
    stored_pid = cur[f"{C.PARTICIPANT_ID}_stored"]
    explicit = cur["explicit"].fillna(False).astype(bool)
    conflict = stored_pid.notna() & explicit & (stored_pid != cur[C.PARTICIPANT_ID])
    ctx.reject(
        cur.index[conflict],
        C.PARTICIPANT_ID,
        "identity_conflict",
        stored_pid[conflict].map(
            lambda p: (
                f"this source id is already mapped to participant {p}; splitting "
                "identities is not automatic, fix the map at the source"
            )
        ),
    )
    unchanged = stored_pid.notna() & explicit & ~conflict
    ctx.counts.unchanged += int(unchanged.sum())
    todo = cur.loc[~conflict & ~unchanged]
    implicit = todo[f"{C.PARTICIPANT_ID}_stored"].notna()
    if implicit.any():
        upd = todo.loc[implicit, [C.SOURCE, C.SOURCE_PARTICIPANT_ID, C.PARTICIPANT_ID]].copy()
        upd["explicit"] = True
        update_frame(ctx.conn, t, upd, [C.SOURCE, C.SOURCE_PARTICIPANT_ID])
    new = todo.loc[~implicit, [C.SOURCE, C.SOURCE_PARTICIPANT_ID, C.PARTICIPANT_ID]].copy()
    new["explicit"] = True
    insert_frame(ctx.conn, t, new)
    ctx.counts.added += len(todo)
    known = ctx.known_ids(
        tables.participants, C.PARTICIPANT_ID, among=todo[C.SOURCE_PARTICIPANT_ID]
    )
    to_merge = todo[
        todo[C.SOURCE_PARTICIPANT_ID].isin(known)
        & (todo[C.SOURCE_PARTICIPANT_ID] != todo[C.PARTICIPANT_ID])
    ]
    for alias, target in to_merge[[C.SOURCE_PARTICIPANT_ID, C.PARTICIPANT_ID]].itertuples(
        index=False
    ):
        merge_participant(ctx.conn, alias, target)
        ctx.counts.merged += 1
