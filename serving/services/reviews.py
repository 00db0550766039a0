"""The competence review queue: estimates worth a look, decisions on them, overrides as labels.

Every computed estimate is recorded (:func:`record_estimates`): the latest value per participant
and direction is kept (it is the "previous" estimate next time), and an estimate with a review flag
opens a review item, or refreshes the open one. Items are ordered by how much a look is worth
(:func:`review_priority`): what a moderator can act on (a sharp jump since the previous estimate,
disagreement with the rating or with the participant's own results, unverified or single-record
evidence, a diploma boundary within reach) opens an item and adds to the priority; a wide interval
alone is shown but opens nothing. Estimates without records in the direction (cold start) open no
item: there is no evidence to look at.

A decision (approve, override with a value, send back) is checked against the item's version,
changes it in one transaction with its audit entry, and an override becomes a label for the next
training (:func:`overrides`).
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Final

import numpy as np
import pandas as pd
from sqlalchemy import Connection, Row, and_, delete, exists, func, select

from core.instants import utc_now
from footprint import tables as ft
from footprint.bulk import IN_CHUNK
from footprint.columns import Columns as C
from footprint.store import Store
from models.competence.codes import ACTIONABLE, FlagCode
from models.competence.columns import CompetenceColumns as CC
from serving.auth import Principal
from serving.errors import ConflictError, InvalidInputError, NotFoundError
from serving.services.audit import AuditEntry, append_audit, audit_entries
from serving.tables import competence_estimates, competence_reviews

SUBJECT_COMPETENCE = "competence"
NEXT_RESULT = "next_result"  # key of the predictive interval in an item's stored evidence


class ReviewStatus(StrEnum):
    OPEN = "open"
    APPROVED = "approved"
    OVERRIDDEN = "overridden"
    SENT_BACK = "sent_back"


class ReviewDecision(StrEnum):
    """``approve`` the estimate, ``override`` it with a value, or ``send_back`` to the data
    scientists (the estimate looks wrong in a way a value cannot fix)."""

    APPROVE = "approve"
    OVERRIDE = "override"
    SEND_BACK = "send_back"


DECISION_STATUS: Final[dict[ReviewDecision, ReviewStatus]] = {
    ReviewDecision.APPROVE: ReviewStatus.APPROVED,
    ReviewDecision.OVERRIDE: ReviewStatus.OVERRIDDEN,
    ReviewDecision.SEND_BACK: ReviewStatus.SENT_BACK,
}

# How much each flag adds to an item's priority, per unit of its size (0-1): the interval's width,
# the jump, the distance from the rating percentile (each /100), the unverified share.
# A wide interval adds nothing: a moderator cannot act on it (it stays among the item's flags).
PRIORITY_WEIGHTS: Final[dict[FlagCode, float]] = {
    FlagCode.LARGE_CHANGE: 1.5,
    FlagCode.RATING_DISAGREEMENT: 1.2,
    FlagCode.MOSTLY_UNVERIFIED: 1.0,
    FlagCode.FAR_FROM_RESULTS: 1.2,
    FlagCode.SINGLE_RECORD: 0.3,
    FlagCode.DIPLOMA_BOUNDARY: 1.0,
}


def _flag_size(flag: dict[str, Any]) -> float:
    code, params = flag["code"], flag.get("params", {})
    if code == FlagCode.WIDE_INTERVAL:
        return (float(params["upper"]) - float(params["lower"])) / 100
    if code == FlagCode.LARGE_CHANGE:
        return abs(float(params["change"])) / 100
    if code == FlagCode.RATING_DISAGREEMENT:
        return abs(float(params["competence"]) - float(params["rating"])) / 100
    if code == FlagCode.MOSTLY_UNVERIFIED:
        return 1.0 - float(params["share"])
    if code == FlagCode.FAR_FROM_RESULTS:
        return abs(float(params["competence"]) - float(params["results"])) / 100
    if code == FlagCode.SINGLE_RECORD:
        return 1.0
    if code == FlagCode.DIPLOMA_BOUNDARY:
        return 1.0 / (1.0 + float(params["gap"]))
    return 0.0


def review_priority(flags: list[dict[str, Any]]) -> float:
    """How much a look at an estimate with these flags is worth (0 = nothing to look at)."""
    return round(
        sum(PRIORITY_WEIGHTS.get(FlagCode(f["code"]), 0.0) * _flag_size(f) for f in flags), 6
    )


def _plain(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, dt.datetime | dt.date | pd.Timestamp):
        return value.isoformat()
    return str(value)


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=_plain)


@dataclass(frozen=True)
class Recorded:
    """What recording a batch of estimates did."""

    estimates: int
    opened: int
    refreshed: int


def record_estimates(store: Store, frame: pd.DataFrame, now: dt.datetime) -> Recorded:
    """Keep the latest estimates and open or refresh review items, in one transaction."""
    if frame.empty:
        return Recorded(0, 0, 0)
    with store.transaction() as conn:
        return record_estimates_in(conn, frame, now)


def record_estimates_in(conn: Connection, frame: pd.DataFrame, now: dt.datetime) -> Recorded:
    """:func:`record_estimates` inside the caller's transaction (a batch load records many
    chunks in one transaction)."""
    if frame.empty:
        return Recorded(0, 0, 0)
    rows = frame.to_dict("records")
    pids = sorted({str(r[C.PARTICIPANT_ID]) for r in rows})
    opened = refreshed = 0
    t, rv = competence_estimates, competence_reviews
    # An estimate computed before an erasure may reach this point after it: record only
    # participants still in the store (see :func:`_present_locked`).
    present = _present_locked(conn, pids)
    if len(present) < len(pids):
        rows = [r for r in rows if str(r[C.PARTICIPANT_ID]) in present]
        pids = sorted(present)
        if not rows:
            return Recorded(0, 0, 0)
    conn.execute(delete(t).where(t.c.participant_id.in_(pids)))
    conn.execute(
        t.insert(),
        [
            {
                "participant_id": str(r[C.PARTICIPANT_ID]),
                "direction": str(r[C.DIRECTION]),
                "competence": float(r[CC.COMPETENCE]),
                "lower": float(r[CC.LOWER]),
                "upper": float(r[CC.UPPER]),
                "level": str(r[CC.LEVEL]),
                "model_version": str(r[CC.MODEL_VERSION]),
                "computed_at": now,
            }
            for r in rows
        ],
    )
    open_items = {
        (str(o.participant_id), str(o.direction)): o
        for o in conn.execute(
            select(rv).where(rv.c.participant_id.in_(pids), rv.c.status == ReviewStatus.OPEN)
        ).all()
    }
    for r in rows:
        key = (str(r[C.PARTICIPANT_ID]), str(r[C.DIRECTION]))
        flags = [f for f in r[CC.FLAGS] if f["code"] != FlagCode.COLD_START]
        if bool(r[CC.COLD_START]) or not any(f["code"] in ACTIONABLE for f in flags):
            flags = []  # nothing a moderator can decide: no item (an open one is refreshed)
        current = open_items.get(key)
        if not flags and current is None:
            continue
        values = {
            "priority": review_priority(flags),
            "model_version": str(r[CC.MODEL_VERSION]),
            "competence": float(r[CC.COMPETENCE]),
            "lower": float(r[CC.LOWER]),
            "upper": float(r[CC.UPPER]),
            "level": str(r[CC.LEVEL]),
            "flags": _json(flags),
            "evidence": _json(
                {
                    CC.TOP_ACHIEVEMENTS: r.get(CC.TOP_ACHIEVEMENTS) or [],
                    CC.TOP_FEATURES: r.get(CC.TOP_FEATURES) or [],
                    NEXT_RESULT: _next_result(r),
                }
            ),
            "updated_at": now,
        }
        if current is None:
            conn.execute(
                rv.insert().values(
                    review_id=str(uuid.uuid4()),
                    participant_id=key[0],
                    direction=key[1],
                    status=ReviewStatus.OPEN.value,
                    version=1,
                    previous_competence=_previous_of(flags, float(r[CC.COMPETENCE])),
                    created_at=now,
                    **values,
                )
            )
            opened += 1
        elif (current.competence, current.flags, current.model_version) != (
            values["competence"],
            values["flags"],
            values["model_version"],
        ):
            conn.execute(
                rv.update()
                .where(rv.c.review_id == current.review_id)
                .values(version=current.version + 1, **values)
            )
            refreshed += 1
    return Recorded(len(rows), opened, refreshed)


def _next_result(row: Mapping[Any, Any]) -> dict[str, float] | None:
    """The estimate's predictive interval of the next year's results (None when absent)."""
    out: dict[str, float] = {}
    for k in (CC.NEXT_RESULT, CC.NEXT_LOWER, CC.NEXT_UPPER, CC.NEXT_LEVEL):
        v = row.get(k)
        if v is None or not np.isfinite(float(v)):
            return None
        out[k] = float(v)
    return out


def _present_locked(conn: Connection, participant_ids: list[str]) -> set[str]:
    """Which of ``participant_ids`` are in the store, share-locked until the transaction ends.

    The lock (``FOR SHARE`` on PostgreSQL; SQLite serialises write transactions anyway) makes a
    concurrent erasure wait for this transaction, so its rows are either refused here or already
    written when the erasure commits, and then purged (:func:`purge_orphans`): none survives.
    """
    p = ft.participants
    present: set[str] = set()
    for i in range(0, len(participant_ids), IN_CHUNK):
        chunk = participant_ids[i : i + IN_CHUNK]
        query = select(p.c[C.PARTICIPANT_ID]).where(p.c[C.PARTICIPANT_ID].in_(chunk))
        present.update(str(v) for v in conn.execute(query.with_for_update(read=True)).scalars())
    return present


def _previous_of(flags: list[dict[str, Any]], competence: float) -> float | None:
    for f in flags:
        if f["code"] == FlagCode.LARGE_CHANGE:
            return competence - float(f["params"]["change"])
    return None


def purge_participants(conn: Connection, participant_ids: list[str]) -> int:
    """Delete the stored estimates and review items of erased participants (inside the erasure's
    transaction); the audit keeps only review ids."""
    n = 0
    for table in (competence_estimates, competence_reviews):
        n += conn.execute(delete(table).where(table.c.participant_id.in_(participant_ids))).rowcount
    return n


def orphan_participants(store: Store) -> list[str]:
    """Participants with rows in the service's tables who are no longer in the store (erased by
    a file ingestion, ``talent erase`` or another process). A plain read: it does not hold the
    store's write lock while it scans."""
    p = ft.participants
    found: set[str] = set()
    with store.engine.connect() as conn:
        for table in (competence_estimates, competence_reviews):
            orphan = ~exists().where(p.c[C.PARTICIPANT_ID] == table.c.participant_id)
            query = select(table.c.participant_id).where(orphan).distinct()
            found.update(str(v) for v in conn.execute(query).scalars())
    return sorted(found)


def purge_orphans(store: Store) -> int:
    """Delete the estimates and review items of participants no longer in the store; returns
    the number of rows deleted. Cheap when there are none (one read, no write transaction)."""
    orphans = orphan_participants(store)
    if not orphans:
        return 0
    p = ft.participants
    n = 0
    with store.transaction() as conn:
        for i in range(0, len(orphans), IN_CHUNK):
            chunk = orphans[i : i + IN_CHUNK]
            for table in (competence_estimates, competence_reviews):
                # checked again inside the transaction: only rows of absent participants go
                gone = ~exists().where(p.c[C.PARTICIPANT_ID] == table.c.participant_id)
                n += conn.execute(
                    delete(table).where(table.c.participant_id.in_(chunk), gone)
                ).rowcount
    return n


@dataclass(frozen=True)
class Review:
    """A review item as stored, its flags and evidence read back from their JSON."""

    review_id: str
    participant_id: str
    direction: str
    status: ReviewStatus
    priority: float
    version: int
    model_version: str
    competence: float
    lower: float
    upper: float
    level: str
    previous_competence: float | None
    flags: list[dict[str, Any]]
    top_achievements: list[dict[str, Any]]
    top_features: list[dict[str, Any]]
    next_result: dict[str, float] | None
    created_at: dt.datetime
    updated_at: dt.datetime
    decided_at: dt.datetime | None
    decided_by: str | None
    override_value: float | None
    comment: str | None


@dataclass(frozen=True)
class ReviewWithAudit(Review):
    """A review item with its audit trail, newest first (what a moderator opens)."""

    audit: list[AuditEntry]


def _item(row: Row[Any]) -> Review:
    evidence = json.loads(row.evidence)
    return Review(
        review_id=row.review_id,
        participant_id=row.participant_id,
        direction=row.direction,
        status=ReviewStatus(row.status),
        priority=row.priority,
        version=row.version,
        model_version=row.model_version,
        competence=row.competence,
        lower=row.lower,
        upper=row.upper,
        level=row.level,
        previous_competence=row.previous_competence,
        flags=json.loads(row.flags),
        top_achievements=evidence.get(CC.TOP_ACHIEVEMENTS, []),
        top_features=evidence.get(CC.TOP_FEATURES, []),
        next_result=evidence.get(NEXT_RESULT),
        created_at=row.created_at,
        updated_at=row.updated_at,
        decided_at=row.decided_at,
        decided_by=row.decided_by,
        override_value=row.override_value,
        comment=row.comment,
    )


def _known_participant() -> Any:
    p, rv = ft.participants, competence_reviews
    return exists().where(p.c[C.PARTICIPANT_ID] == rv.c.participant_id)


@dataclass(frozen=True)
class QueueFilter:
    """Which open items a moderator wants: by direction, flag, participant and the instant the
    item was last refreshed (``updated_from`` inclusive, ``updated_to`` exclusive)."""

    direction: str | None = None
    flag: str | None = None
    participant_id: str | None = None
    updated_from: dt.datetime | None = None
    updated_to: dt.datetime | None = None


def _queue_where(filters: QueueFilter) -> Any:
    rv = competence_reviews
    where = and_(rv.c.status == ReviewStatus.OPEN.value, _known_participant())
    if filters.direction is not None:
        where = and_(where, rv.c.direction == filters.direction)
    if filters.participant_id is not None:
        where = and_(where, rv.c.participant_id == filters.participant_id)
    if filters.flag is not None:
        # flags are stored as JSON with sorted keys (:func:`_json`): '"code": "<flag>"' marks one
        where = and_(where, rv.c.flags.contains(_json({"code": filters.flag})[1:-1]))
    if filters.updated_from is not None:
        where = and_(where, rv.c.updated_at >= filters.updated_from)
    if filters.updated_to is not None:
        where = and_(where, rv.c.updated_at < filters.updated_to)
    return where


def open_queue(
    store: Store,
    *,
    offset: int,
    limit: int,
    direction: str | None = None,
    filters: QueueFilter | None = None,
) -> tuple[int, list[Review]]:
    """Open review items, the most worth a look first (then the oldest), optionally filtered."""
    rv = competence_reviews
    filters = filters or QueueFilter()
    if direction is not None:
        filters = QueueFilter(
            direction,
            filters.flag,
            filters.participant_id,
            filters.updated_from,
            filters.updated_to,
        )
    where = _queue_where(filters)
    with store.engine.connect() as conn:
        total = int(conn.execute(select(func.count()).select_from(rv).where(where)).scalar_one())
        rows = conn.execute(
            select(rv)
            .where(where)
            .order_by(rv.c.priority.desc(), rv.c.created_at, rv.c.review_id)
            .offset(offset)
            .limit(limit)
        ).all()
    return total, [_item(r) for r in rows]


def next_open(store: Store, filters: QueueFilter, skip: str | None = None) -> str | None:
    """The id of the first open item of the filtered queue (other than ``skip``), or None: what
    a moderator sees next after a decision."""
    _, items = open_queue(store, offset=0, limit=2, filters=filters)
    for item in items:
        if item.review_id != skip:
            return item.review_id
    return None


def activity_titles(store: Store, achievement_ids: list[str]) -> dict[str, str]:
    """The activity title of each achievement id (absent ids are left out)."""
    if not achievement_ids:
        return {}
    a, act = ft.achievements, ft.activities
    out: dict[str, str] = {}
    with store.engine.connect() as conn:
        for i in range(0, len(achievement_ids), IN_CHUNK):
            chunk = achievement_ids[i : i + IN_CHUNK]
            rows = conn.execute(
                select(a.c[C.ACHIEVEMENT_ID], act.c[C.TITLE])
                .join(act, act.c[C.ACTIVITY_ID] == a.c[C.ACTIVITY_ID])
                .where(a.c[C.ACHIEVEMENT_ID].in_(chunk))
            ).all()
            out.update({str(k): str(t) for k, t in rows})
    return out


def review_detail(store: Store, review_id: str) -> ReviewWithAudit:
    """One review item with its audit trail.

    Raises
    ------
    NotFoundError
        No such item (never existed, or its participant was erased).
    """
    rv = competence_reviews
    with store.engine.connect() as conn:
        row = conn.execute(
            select(rv).where(rv.c.review_id == review_id, _known_participant())
        ).one_or_none()
        if row is None:
            raise NotFoundError(f"review item {review_id!r} does not exist")
        _, audit = audit_entries(
            conn, subject_type=SUBJECT_COMPETENCE, subject_id=review_id, limit=200
        )
        item = ReviewWithAudit(**vars(_item(row)), audit=audit)
    evidence = item.top_achievements
    titles = activity_titles(
        store, [str(e["achievement_id"]) for e in evidence if "achievement_id" in e]
    )
    for e in evidence:  # readable: which event, not only a hash
        e["activity_title"] = titles.get(str(e.get("achievement_id")))
    return item


@dataclass(frozen=True)
class ReviewOutcome:
    review_id: str
    status: ReviewStatus
    version: int
    audit: AuditEntry


def decide_review(
    store: Store,
    review_id: str,
    decision: ReviewDecision,
    *,
    expected_version: int,
    value: float | None,
    comment: str,
    principal: Principal,
    request_id: str | None = None,
    now: dt.datetime | None = None,
) -> ReviewOutcome:
    """Approve, override (value and comment required) or send back (comment required) one open
    item, audited, in one transaction.

    Raises
    ------
    InvalidInputError
        A value with another decision than override, an override without a value, or an override
        or send-back without a comment.
    NotFoundError
        No such item.
    ConflictError
        The item's version is not ``expected_version`` (a newer estimate or another moderator's
        decision came first), or it is no longer open.
    """
    comment = comment.strip()
    if decision is ReviewDecision.OVERRIDE and value is None:
        raise InvalidInputError("an override needs a value between 0 and 100", ("body", "value"))
    if decision is not ReviewDecision.OVERRIDE and value is not None:
        raise InvalidInputError("only an override takes a value", ("body", "value"))
    if decision is not ReviewDecision.APPROVE and not comment:
        raise InvalidInputError(f"{decision.value} needs a comment saying why", ("body", "comment"))
    now = now or utc_now()
    rv = competence_reviews
    target = DECISION_STATUS[decision]
    with store.transaction() as conn:
        row = conn.execute(
            select(rv).where(rv.c.review_id == review_id).with_for_update()
        ).one_or_none()
        if row is None:
            raise NotFoundError(f"review item {review_id!r} does not exist")
        before = {"status": row.status, "version": row.version, "competence": row.competence}
        if row.version != expected_version or row.status != ReviewStatus.OPEN:
            raise ConflictError(
                f"review item {review_id!r} changed since version {expected_version} (now "
                f"version {row.version}, {row.status}); reload and decide again",
                before,
            )
        version = row.version + 1
        conn.execute(
            rv.update()
            .where(rv.c.review_id == review_id)
            .values(
                status=target.value,
                version=version,
                decided_at=now,
                decided_by=principal.actor,
                override_value=value,
                comment=comment,
                updated_at=now,
            )
        )
        after: dict[str, Any] = {"status": target.value, "version": version}
        if value is not None:
            after["override_value"] = value
        audit = append_audit(
            conn,
            actor=principal,
            action=f"competence.{decision.value}",
            subject_type=SUBJECT_COMPETENCE,
            subject_id=review_id,
            before=before,
            after=after,
            comment=comment,
            request_id=request_id,
            now=now,
        )
    return ReviewOutcome(review_id, target, version, audit)


OVERRIDE_COLUMNS: Final = (
    C.PARTICIPANT_ID,
    C.DIRECTION,
    CC.COMPETENCE,
    "model_competence",
    CC.MODEL_VERSION,
    "decided_at",
    "review_id",
)


def overrides(store: Store, since: dt.datetime | None = None) -> pd.DataFrame:
    """Moderators' overrides as labels for the next training: ``participant_id, direction,
    competence`` (the moderator's value), the model's value and version, when and which item."""
    rv = competence_reviews
    query = select(
        rv.c.participant_id,
        rv.c.direction,
        rv.c.override_value,
        rv.c.competence,
        rv.c.model_version,
        rv.c.decided_at,
        rv.c.review_id,
    ).where(rv.c.status == ReviewStatus.OVERRIDDEN.value, _known_participant())
    if since is not None:
        query = query.where(rv.c.decided_at >= since)
    with store.engine.connect() as conn:
        rows = conn.execute(query.order_by(rv.c.decided_at, rv.c.review_id)).all()
    return pd.DataFrame([tuple(r) for r in rows], columns=list(OVERRIDE_COLUMNS))
