"""The service's own tables (SQLAlchemy Core), kept apart from the footprint's.

They live in the same database as the footprint but in their own ``MetaData`` and their own
Alembic history (``serving/migrations``, version table ``serving_alembic_version``), so the
footprint's schema and migrations are never touched. None of them has a foreign key into the
footprint: an erasure deletes footprint rows freely, and what is left here names no participant.
"""

from __future__ import annotations

from sqlalchemy import Column, DateTime, Index, Integer, MetaData, String, Table, Text

metadata = MetaData()

VERSION_TABLE = "serving_alembic_version"

# Append-only (database triggers refuse UPDATE and DELETE): every moderation decision with who,
# when, the state before and after (JSON) and why. ``subject_id`` is an achievement id or, for
# competence reviews, a review item id; never a participant id.
audit_log = Table(
    "serving_audit_log",
    metadata,
    Column("seq", Integer, primary_key=True, autoincrement=True),
    Column("audit_id", String(36), nullable=False, unique=True),
    Column("occurred_at", DateTime, nullable=False),
    Column("actor", String(80), nullable=False),
    Column("actor_role", String(20), nullable=False),
    Column("action", String(40), nullable=False),
    Column("subject_type", String(20), nullable=False),
    Column("subject_id", String(64), nullable=False),
    Column("before", Text, nullable=False),
    Column("after", Text, nullable=False),
    Column("comment", Text, nullable=False),
    Column("request_id", String(36)),
    Index("ix_serving_audit_subject", "subject_type", "subject_id"),
)
