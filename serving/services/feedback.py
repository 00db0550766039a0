"""Feedback on recommendations: what a participant did with an activity they were recommended.

The platform reports events (:class:`FeedbackEvent`: shown, clicked, registered, dismissed) in
batches; each is one row of ``serving_recommendation_feedback`` with the model version and rank
that produced it, so a later evaluation can compare models on what participants actually did
(click-through, registrations per shown item, dismissals by rank). Only participants the store
holds are recorded: an event of an unknown or erased participant is refused (and reported by its
position in the batch), so feedback never brings an erased participant back. Erasures delete a
participant's rows (:func:`purge_participants` in the API's erasure, :func:`purge_orphans` after
one made elsewhere).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import Connection, delete, exists, insert, select

from footprint import tables as ft
from footprint.columns import Columns as C
from footprint.store import Store
from serving.tables import recommendation_feedback as fb

IN_CHUNK = 500


class FeedbackEvent(StrEnum):
    """What happened to a recommended activity, in the order a participant meets them."""

    SHOWN = "shown"
    CLICKED = "clicked"
    REGISTERED = "registered"
    DISMISSED = "dismissed"


@dataclass(frozen=True)
class Feedback:
    """One reported event (naive UTC instant)."""

    participant_id: str
    activity_id: str
    event: FeedbackEvent
    occurred_at: dt.datetime
    model_version: str | None = None
    rank: int | None = None


@dataclass(frozen=True)
class StoredFeedback:
    """A stored event with its sequence number (the cursor of :func:`list_feedback`)."""

    seq: int
    feedback: Feedback
    received_at: dt.datetime


def _present(conn: Connection, participant_ids: Sequence[str]) -> set[str]:
    p = ft.participants
    ids = sorted(set(participant_ids))
    out: set[str] = set()
    for i in range(0, len(ids), IN_CHUNK):
        chunk = ids[i : i + IN_CHUNK]
        query = select(p.c[C.PARTICIPANT_ID]).where(p.c[C.PARTICIPANT_ID].in_(chunk))
        out.update(str(v) for v in conn.execute(query).scalars())
    return out


def record_feedback(
    store: Store, events: Sequence[Feedback], *, actor: str, now: dt.datetime
) -> list[int]:
    """Store the events of participants the store holds, in one transaction; returns the
    positions (0-based) of the events refused because their participant is not in the store."""
    with store.transaction() as conn:
        known = _present(conn, [e.participant_id for e in events])
        rows = [
            {
                "participant_id": e.participant_id,
                "activity_id": e.activity_id,
                "event": e.event.value,
                "occurred_at": e.occurred_at,
                "received_at": now,
                "model_version": e.model_version,
                "rank": e.rank,
                "actor": actor[:80],
            }
            for e in events
            if e.participant_id in known
        ]
        if rows:
            conn.execute(insert(fb), rows)
    return [i for i, e in enumerate(events) if e.participant_id not in known]


def list_feedback(
    store: Store,
    *,
    after: int = 0,
    limit: int = 1000,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
) -> list[StoredFeedback]:
    """Stored events in arrival order after sequence number ``after`` (a cursor), optionally
    with ``since <= occurred_at < until``."""
    query = select(fb).where(fb.c.seq > after).order_by(fb.c.seq).limit(limit)
    if since is not None:
        query = query.where(fb.c.occurred_at >= since)
    if until is not None:
        query = query.where(fb.c.occurred_at < until)
    with store.engine.connect() as conn:
        return [
            StoredFeedback(
                seq=int(r.seq),
                feedback=Feedback(
                    participant_id=r.participant_id,
                    activity_id=r.activity_id,
                    event=FeedbackEvent(r.event),
                    occurred_at=r.occurred_at,
                    model_version=r.model_version,
                    rank=r.rank,
                ),
                received_at=r.received_at,
            )
            for r in conn.execute(query)
        ]


def purge_participants(conn: Connection, participant_ids: list[str]) -> int:
    """Delete the feedback of erased participants (inside the erasure's transaction)."""
    n = 0
    for i in range(0, len(participant_ids), IN_CHUNK):
        chunk = participant_ids[i : i + IN_CHUNK]
        n += conn.execute(delete(fb).where(fb.c.participant_id.in_(chunk))).rowcount
    return n


def purge_orphans(store: Store) -> int:
    """Delete the feedback of participants no longer in the store (erased elsewhere)."""
    p = ft.participants
    gone = ~exists().where(p.c[C.PARTICIPANT_ID] == fb.c.participant_id)
    with store.transaction() as conn:
        return int(conn.execute(delete(fb).where(gone)).rowcount)
