"""Applier for achievements: idempotent by (source, source_record_id), deduplicated across sources
by the natural key (canonical participant, activity, result), with an append-only status history."""

from __future__ import annotations

import numpy as np
import pandas as pd
from sqlalchemy import select

from footprint import tables
from footprint.bulk import insert_frame, read_frame, read_in, read_sql_frame, update_frame
from footprint.columns import Columns as C
from footprint.enums import ModerationStatus
from footprint.hashing import row_hashes
from footprint.ingest.context import SMALL_BATCH, BatchContext

CANON = "_canonical"
PAYLOAD = [
    C.TEAM_ID,
    C.RESULT,
    C.SCORE,
    C.RANK,
    C.EVIDENCE,
    C.STATUS,
    C.STATUS_CHANGED_AT,
    C.ACHIEVED_AT,
    C.RECORDED_AT,
]
NATURAL_KEY = [C.PARTICIPANT_ID, C.ACTIVITY_ID, C.RESULT]
FILLABLE = [C.TEAM_ID, C.SCORE, C.RANK, C.EVIDENCE]
T_ACH, T_SRC, T_HIST = (
    tables.achievements,
    tables.achievement_sources,
    tables.achievement_status_history,
)


def _check_references(ctx: BatchContext, rows: pd.DataFrame) -> pd.DataFrame:
    known = ctx.known_ids(tables.participants, C.PARTICIPANT_ID, among=rows[CANON])
    bad = ~rows[CANON].isin(known)
    ctx.reject(
        rows.index[bad],
        C.PARTICIPANT_ID,
        "unknown_participant",
        rows.loc[bad, C.PARTICIPANT_ID].map(
            lambda p: (
                f"participant {p!r} is not in the store (for this source) yet; the row waits "
                "and is applied when the participant or an identity map entry for it arrives"
            )
        ),
    )
    rows = rows.loc[~bad]
    t_act = tables.activities.c
    act_ids = sorted(set(rows[C.ACTIVITY_ID].astype(str)))
    columns = select(t_act[C.ACTIVITY_ID], t_act[C.MAX_SCORE])
    if len(act_ids) <= SMALL_BATCH:
        acts = read_in(
            ctx.conn, lambda ids: columns.where(t_act[C.ACTIVITY_ID].in_(ids)), act_ids
        ).reindex(columns=[C.ACTIVITY_ID, C.MAX_SCORE])
    else:
        acts = read_frame(ctx.conn, columns)
    max_score = pd.Series(
        acts[C.MAX_SCORE].to_numpy(dtype=float), index=acts[C.ACTIVITY_ID].to_numpy()
    )
    bad = ~rows[C.ACTIVITY_ID].isin(max_score.index)
    ctx.reject(
        rows.index[bad],
        C.ACTIVITY_ID,
        "unknown_activity",
        rows.loc[bad, C.ACTIVITY_ID].map(
            lambda a: f"activity {a!r} is not in the catalogue yet; the row waits for it"
        ),
    )
    rows = rows.loc[~bad]
    cap = rows[C.ACTIVITY_ID].map(max_score)
    over = (rows[C.SCORE].astype("float64") > cap).fillna(False).to_numpy(dtype=bool)
    ctx.reject(
        rows.index[over],
        C.SCORE,
        "out_of_range",
        pd.Series(
            [
                f"score {s:g} exceeds the activity's max_score {m:g}"
                for s, m in zip(rows.loc[over, C.SCORE], cap[over], strict=True)
            ],
            index=rows.index[over],
            dtype=object,
        ),
    )
    return rows.loc[~over]


def _history(ctx: BatchContext, frame: pd.DataFrame) -> pd.DataFrame:
    """History rows for ``frame`` (achievement_id, status, status_changed_at) where not pending."""
    moderated = frame[frame[C.STATUS] != ModerationStatus.PENDING]
    return pd.DataFrame(
        {
            C.ACHIEVEMENT_ID: moderated[C.ACHIEVEMENT_ID].to_numpy(),
            C.STATUS: moderated[C.STATUS].to_numpy(),
            C.CHANGED_AT: moderated[C.STATUS_CHANGED_AT].fillna(ctx.now).to_numpy(),
            C.SOURCE: ctx.source,
        }
    )


def _ref_frame(ctx: BatchContext, rows: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame(
        {
            C.SOURCE: ctx.source,
            C.SOURCE_RECORD_ID: rows[C.SOURCE_RECORD_ID].to_numpy(),
            C.ACHIEVEMENT_ID: rows[C.ACHIEVEMENT_ID].to_numpy(),
            "row_hash": rows["row_hash"].to_numpy(),
        }
    )


def _update_changed(ctx: BatchContext, rows: pd.DataFrame) -> None:
    """Records this source sent before with different content: the source's new version wins."""
    if rows.empty:
        return
    current = read_in(
        ctx.conn,
        lambda ids: select(
            T_ACH.c[C.ACHIEVEMENT_ID], T_ACH.c[C.STATUS], T_ACH.c[C.RECORDED_AT]
        ).where(T_ACH.c[C.ACHIEVEMENT_ID].in_(ids)),
        list(rows[C.ACHIEVEMENT_ID]),
        parse_dates=[C.RECORDED_AT],
    )
    current = current.set_index(C.ACHIEVEMENT_ID)
    old_status = rows[C.ACHIEVEMENT_ID].map(current[C.STATUS])
    upd = rows[[C.ACHIEVEMENT_ID, CANON, C.ACTIVITY_ID, *PAYLOAD]].rename(
        columns={CANON: C.PARTICIPANT_ID}
    )
    # a new version never moves recorded_at back: a snapshot already written as of an earlier
    # instant lacked the record, and a rewritten one must lack it too (no point-in-time leak)
    old_recorded = rows[C.ACHIEVEMENT_ID].map(current[C.RECORDED_AT]).astype("datetime64[us]")
    upd[C.RECORDED_AT] = np.maximum(
        upd[C.RECORDED_AT].astype("datetime64[us]").to_numpy(), old_recorded.to_numpy()
    )
    update_frame(ctx.conn, T_ACH, upd, [C.ACHIEVEMENT_ID])
    update_frame(ctx.conn, T_SRC, _ref_frame(ctx, rows), [C.SOURCE, C.SOURCE_RECORD_ID])
    moved = rows[old_status.to_numpy() != rows[C.STATUS].to_numpy()]
    insert_frame(ctx.conn, T_HIST, _history(ctx, moved))
    ctx.counts.updated += len(rows)


def _link_existing(ctx: BatchContext, rows: pd.DataFrame, stored: pd.DataFrame) -> None:
    """New references to achievements already stored (another source sent the same result)."""
    if rows.empty:
        return
    first = rows.drop_duplicates(C.ACHIEVEMENT_ID)
    cur = stored.set_index(C.ACHIEVEMENT_ID).loc[first[C.ACHIEVEMENT_ID]]
    inc = first.set_index(C.ACHIEVEMENT_ID)
    new = cur.copy()
    for col in FILLABLE:
        new[col] = cur[col].astype(object).where(cur[col].notna(), inc[col].astype(object))
    take = (cur[C.STATUS] == ModerationStatus.PENDING) & (inc[C.STATUS] != ModerationStatus.PENDING)
    new.loc[take, C.STATUS] = inc.loc[take, C.STATUS]
    new.loc[take, C.STATUS_CHANGED_AT] = inc.loc[take, C.STATUS_CHANGED_AT]
    # the later of the two: never moves a stored record back in time (a snapshot as of an earlier
    # instant must stay as it was), and the same whichever source arrives first
    new[C.RECORDED_AT] = np.maximum(
        cur[C.RECORDED_AT].astype("datetime64[us]").to_numpy(),
        inc[C.RECORDED_AT].astype("datetime64[us]").to_numpy(),
    )
    cols = [*FILLABLE, C.STATUS, C.STATUS_CHANGED_AT, C.RECORDED_AT]
    diff = ~(new[cols].astype(object).fillna("\0") == cur[cols].astype(object).fillna("\0")).all(
        axis=1
    )
    upd = new.loc[diff, cols].reset_index()
    update_frame(ctx.conn, T_ACH, upd, [C.ACHIEVEMENT_ID])
    insert_frame(ctx.conn, T_HIST, _history(ctx, new.loc[take].reset_index()))
    insert_frame(ctx.conn, T_SRC, _ref_frame(ctx, rows))
    ctx.counts.merged += len(rows)


def _source_refs(ctx: BatchContext, record_ids: pd.Series) -> pd.DataFrame:
    """This source's stored references (``source_record_id, achievement_id, row_hash``): of
    the batch's records only when it is small, else all of them in one read."""
    keys = sorted(set(record_ids.astype(str)))
    if len(keys) <= SMALL_BATCH:
        src = T_SRC.c
        return read_in(
            ctx.conn,
            lambda ids: select(src[C.SOURCE_RECORD_ID], src[C.ACHIEVEMENT_ID], src.row_hash).where(
                src[C.SOURCE] == ctx.source, src[C.SOURCE_RECORD_ID].in_(ids)
            ),
            keys,
        ).reindex(columns=[C.SOURCE_RECORD_ID, C.ACHIEVEMENT_ID, "row_hash"])
    return read_sql_frame(
        ctx.conn,
        "SELECT source_record_id, achievement_id, row_hash FROM "
        "achievement_sources WHERE source = :source",
        {"source": ctx.source},
    )


def _stored_for(ctx: BatchContext, fresh: pd.DataFrame) -> pd.DataFrame:
    """Stored achievements that may share a natural key with ``fresh``: those of the batch's
    participants (indexed) when they are few, else those of its activities."""
    dates = [C.STATUS_CHANGED_AT, C.ACHIEVED_AT, C.RECORDED_AT]
    activity_ids = sorted(set(fresh[C.ACTIVITY_ID]))
    participant_ids = sorted(set(fresh[CANON].astype(str)))
    if len(participant_ids) <= SMALL_BATCH:
        stored = read_in(
            ctx.conn,
            lambda ids: select(T_ACH).where(T_ACH.c[C.PARTICIPANT_ID].in_(ids)),
            participant_ids,
            parse_dates=dates,
        )
        if stored.empty:
            return stored
        return stored[stored[C.ACTIVITY_ID].isin(activity_ids)].reset_index(drop=True)
    return read_in(
        ctx.conn,
        lambda ids: select(T_ACH).where(T_ACH.c[C.ACTIVITY_ID].in_(ids)),
        activity_ids,
        parse_dates=dates,
    )


def apply_achievements(ctx: BatchContext, rows: pd.DataFrame) -> None:
    rows = ctx.reject_duplicates(rows, [C.SOURCE_RECORD_ID], C.SOURCE_RECORD_ID)
    rows = rows.assign(**{CANON: ctx.resolve(rows[C.PARTICIPANT_ID])})
    rows = _check_references(ctx, rows)
    rows = rows.assign(row_hash=row_hashes(rows[[CANON, C.ACTIVITY_ID, *PAYLOAD]]))

    refs = _source_refs(ctx, rows[C.SOURCE_RECORD_ID]).set_index(C.SOURCE_RECORD_ID)
    known_id = rows[C.SOURCE_RECORD_ID].map(refs[C.ACHIEVEMENT_ID]) if len(refs) else None
    if known_id is None:
        known_id = pd.Series(None, index=rows.index, dtype=object)
    known_hash = rows[C.SOURCE_RECORD_ID].map(refs["row_hash"]) if len(refs) else known_id
    seen = known_id.notna()
    same = seen & (known_hash == rows["row_hash"])
    ctx.counts.unchanged += int(same.sum())
    _update_changed(
        ctx, rows.loc[seen & ~same].assign(**{C.ACHIEVEMENT_ID: known_id[seen & ~same]})
    )

    fresh = rows.loc[~seen].copy()
    if fresh.empty:
        return
    key = fresh[[CANON, C.ACTIVITY_ID, C.RESULT]].set_axis(NATURAL_KEY, axis=1)
    fresh[C.ACHIEVEMENT_ID] = ("a" + row_hashes(key)).to_numpy()
    stored = _stored_for(ctx, fresh)
    if not stored.empty:
        existing_id = key.merge(
            stored[[*NATURAL_KEY, C.ACHIEVEMENT_ID]], on=NATURAL_KEY, how="left"
        )[C.ACHIEVEMENT_ID].to_numpy()
        matched = pd.notna(existing_id)
        fresh.loc[matched, C.ACHIEVEMENT_ID] = existing_id[matched]
    else:
        matched = np.zeros(len(fresh), dtype=bool)
    _link_existing(ctx, fresh.loc[matched], stored)
    brand_new = fresh.loc[~matched]
    creators = ~brand_new.duplicated(C.ACHIEVEMENT_ID)
    new_ach = brand_new.loc[creators, [C.ACHIEVEMENT_ID, CANON, C.ACTIVITY_ID, *PAYLOAD]].rename(
        columns={CANON: C.PARTICIPANT_ID}
    )
    insert_frame(ctx.conn, T_ACH, new_ach, ctx.bar("achievements"))
    insert_frame(ctx.conn, T_SRC, _ref_frame(ctx, brand_new), ctx.bar("references"))
    insert_frame(ctx.conn, T_HIST, _history(ctx, new_ach), ctx.bar("status history"))
    ctx.counts.added += int(creators.sum())
    ctx.counts.merged += int((~creators).sum())
