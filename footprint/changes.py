"""The change log: what each committed change of the store touched, in commit order.

A serving process keeps the store in memory (``serving.services.live``). Reading the whole store
again after every push costs seconds on a large world, so every writer records here, in the
same transaction as the change itself, what it touched:

- ``participant``: one row per participant whose rows (the participant, their achievements and
  the achievements' statuses) changed; ``ref`` is the pseudonymous id;
- ``catalogue``: activities, their directions or edges changed (no ``ref``);
- ``erasure``: participants were erased (no ``ref``: the log never names an erased participant,
  and an erasure deletes the erased ids' earlier rows here);
- ``full``: something a reader cannot apply piecewise (rows that waited for a participant or an
  activity and were stored now); readers reload the whole store.

Readers poll ``seq`` (:func:`changes_after`); the same code serves SQLite and PostgreSQL. On
PostgreSQL, sequence numbers are handed out before commit, so a later number can become visible
before an earlier one; readers therefore keep the numbers they have not seen yet below the
highest one they have, for a short while (:class:`ChangeCursor`). Rows older than
:data:`KEEP_SECONDS` are pruned; a reader that fell that far behind reloads the store.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum

import pandas as pd
from sqlalchemy import Connection, delete, func, select

from footprint import tables
from footprint.bulk import insert_frame
from footprint.columns import Columns as C

KEEP_SECONDS = 3600
"""How long change rows are kept; a reader further behind than this reloads the whole store."""
GAP_SECONDS = 10.0
"""How long a reader waits for a missing sequence number (a transaction still committing on
PostgreSQL) before treating it as rolled back."""
_CHUNK = 500
MAX_IDS = 2_000
"""A change touching more participants than this is recorded as ``full``: a reader re-reads the
store whole rather than that many participants one filter at a time (one big ingest)."""


class ChangeKind(StrEnum):
    PARTICIPANT = "participant"
    CATALOGUE = "catalogue"
    ERASURE = "erasure"
    FULL = "full"


def record_changes(
    conn: Connection,
    now: dt.datetime,
    *,
    participants: Iterable[str] = (),
    kinds: Iterable[ChangeKind] = (),
) -> None:
    """Record, in the caller's transaction, that ``participants`` changed and that changes of
    ``kinds`` (no reference) happened (more than :data:`MAX_IDS` participants: ``full``)."""
    ids = sorted({str(p) for p in participants})
    if len(ids) > MAX_IDS:
        ids, kinds = [], [*kinds, ChangeKind.FULL]
    rows: list[dict[str, str | None]] = [
        {"kind": ChangeKind.PARTICIPANT.value, "ref": p} for p in ids
    ]
    rows += [{"kind": ChangeKind(k).value, "ref": None} for k in dict.fromkeys(kinds)]
    if not rows:
        return
    frame = pd.DataFrame(rows, columns=["kind", "ref"])
    frame[C.RECORDED_AT] = now
    insert_frame(conn, tables.live_changes, frame)
    t = tables.live_changes
    conn.execute(delete(t).where(t.c[C.RECORDED_AT] < now - dt.timedelta(seconds=KEEP_SECONDS)))


def forget_participants(conn: Connection, participant_ids: list[str]) -> None:
    """Delete the change rows naming ``participant_ids`` (an erasure keeps no id)."""
    t = tables.live_changes
    for i in range(0, len(participant_ids), _CHUNK):
        conn.execute(delete(t).where(t.c.ref.in_(participant_ids[i : i + _CHUNK])))


@dataclass(frozen=True)
class Change:
    seq: int
    kind: ChangeKind
    ref: str | None


def latest_seq(conn: Connection) -> int:
    """The highest sequence number recorded so far (0 for none)."""
    return int(
        conn.execute(select(func.coalesce(func.max(tables.live_changes.c.seq), 0))).scalar_one()
    )


@dataclass
class ChangeCursor:
    """Where a reader is in the log: every number up to ``horizon`` is applied, and ``seen``
    holds the applied numbers above it (numbers missing in between may still commit)."""

    horizon: int
    seen: set[int] = field(default_factory=set)
    gap_since: float | None = None

    def advance(self, changes: list[Change], clock: float) -> list[Change]:
        """The changes not applied yet, marking them applied and moving the horizon over every
        number without a gap (or whose gap is older than :data:`GAP_SECONDS`)."""
        new = [c for c in changes if c.seq not in self.seen and c.seq > self.horizon]
        self.seen.update(c.seq for c in new)
        while self.horizon + 1 in self.seen:
            self.horizon += 1
            self.seen.discard(self.horizon)
        if self.seen:
            if self.gap_since is None:
                self.gap_since = clock
            elif clock - self.gap_since > GAP_SECONDS:
                self.horizon = max(self.seen)
                self.seen.clear()
        if not self.seen:
            self.gap_since = None
        return new


def changes_after(conn: Connection, horizon: int) -> tuple[list[Change], bool]:
    """The change rows after ``horizon``, in order, and whether rows the reader has not seen may
    have been pruned (the oldest kept row is beyond ``horizon + 1``: reload everything)."""
    t = tables.live_changes
    rows = conn.execute(
        select(t.c.seq, t.c.kind, t.c.ref).where(t.c.seq > horizon).order_by(t.c.seq)
    ).all()
    oldest = conn.execute(select(func.min(t.c.seq))).scalar_one()
    pruned = oldest is not None and horizon > 0 and int(oldest) > horizon + 1
    return [Change(int(r.seq), ChangeKind(r.kind), r.ref) for r in rows], pruned
