"""Applier for consent scopes: narrower consents (``ConsentScope``) given or withdrawn alone.

Unlike the general consent, withdrawing a scope erases nothing: it only ends that use (being
found by partner universities). Changes are appended to ``consent_scope_changes``; the latest
per participant and scope is in force. Re-sending a change, or sending one older than the change
in force, changes nothing.
"""

from __future__ import annotations

import pandas as pd
from sqlalchemy import select

from footprint import tables
from footprint.bulk import insert_frame, read_in
from footprint.columns import Columns as C
from footprint.ingest.context import BatchContext

CANON = "_canonical"


def current_scopes(conn: object, participant_ids: list[str]) -> pd.DataFrame:
    """The change in force per participant and scope for ``participant_ids``: columns
    ``participant_id, scope, consent_status, changed_at``."""
    t = tables.consent_scope_changes
    rows = read_in(
        conn,  # type: ignore[arg-type]
        lambda chunk: select(
            t.c.seq, t.c[C.PARTICIPANT_ID], t.c[C.SCOPE], t.c[C.CONSENT_STATUS], t.c[C.CHANGED_AT]
        ).where(t.c[C.PARTICIPANT_ID].in_(chunk)),
        participant_ids,
        [C.CHANGED_AT],
    )
    cols = [C.PARTICIPANT_ID, C.SCOPE, C.CONSENT_STATUS, C.CHANGED_AT]
    if rows.empty:
        return pd.DataFrame(columns=cols)
    rows = rows.sort_values([C.CHANGED_AT, "seq"], kind="stable")
    return rows.drop_duplicates([C.PARTICIPANT_ID, C.SCOPE], keep="last")[cols]


def apply_consent_scopes(ctx: BatchContext, rows: pd.DataFrame) -> None:
    # rows of erased participants were refused before this (run.SUBJECT_COLUMNS)
    rows = rows.assign(**{CANON: ctx.resolve(rows[C.PARTICIPANT_ID])})
    known = ctx.known_ids(tables.participants, C.PARTICIPANT_ID, among=rows[CANON])
    unknown = ~rows[CANON].isin(known)
    ctx.reject(
        rows.index[unknown],
        C.PARTICIPANT_ID,
        "unknown_participant",
        "no such participant; ingest the participant or its identity map first",
    )
    rows = rows.loc[~unknown]
    # the latest change per participant and scope within the file wins
    rows = rows.sort_values(C.CHANGED_AT, kind="stable").drop_duplicates(
        [CANON, C.SCOPE], keep="last"
    )
    if rows.empty:
        return
    current = current_scopes(ctx.conn, sorted(set(rows[CANON])))
    cur = rows[[CANON, C.SCOPE]].merge(
        current.rename(
            columns={C.CONSENT_STATUS: "_status", C.CHANGED_AT: "_changed", C.PARTICIPANT_ID: CANON}
        ),
        on=[CANON, C.SCOPE],
        how="left",
    )
    changed_at = rows[C.CHANGED_AT].to_numpy("datetime64[us]")
    stored_at = pd.to_datetime(cur["_changed"]).to_numpy("datetime64[us]")
    has = cur["_status"].notna().to_numpy()
    same = (
        has
        & (cur["_status"].to_numpy() == rows[C.CONSENT_STATUS].to_numpy())
        & (stored_at == changed_at)
    )
    stale = has & (changed_at < stored_at)
    new = rows.loc[~(same | stale)]
    insert_frame(
        ctx.conn,
        tables.consent_scope_changes,
        pd.DataFrame(
            {
                C.PARTICIPANT_ID: new[CANON].to_numpy(),
                C.SCOPE: new[C.SCOPE].to_numpy(),
                C.CONSENT_STATUS: new[C.CONSENT_STATUS].to_numpy(),
                C.CHANGED_AT: new[C.CHANGED_AT].to_numpy(),
                C.RECORDED_AT: ctx.now,
            }
        ),
    )
    ctx.counts.added += len(new)
    ctx.counts.unchanged += int((same | stale).sum())
