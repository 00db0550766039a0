"""The store's tables (SQLAlchemy Core). Alembic migrations in ``footprint/migrations`` create them.

Bulk paths (ingestion, snapshots) go through Core and the DB-API for speed; there is no ORM layer.
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    SmallInteger,
    String,
    Table,
    Text,
)

from footprint.columns import Columns as C

metadata = MetaData()

ID = String(64)

participants = Table(
    "participants",
    metadata,
    Column(C.PARTICIPANT_ID, ID, primary_key=True),
    Column(C.GRADE, SmallInteger, nullable=False),
    Column(C.GRADE_YEAR, SmallInteger, nullable=False),
    Column(C.REGION, String(16), nullable=False),
    Column(C.SCHOOL_ID, ID),
    Column(C.REGISTERED_AT, DateTime, nullable=False),
    Column(C.ACCOUNT_VERIFIED_AT, DateTime),
    Column(C.DECLARED_INTERESTS, String(200)),
    Column(C.CONSENT_STATUS, String(16), nullable=False),
    Column(C.CONSENT_CHANGED_AT, DateTime),
    Column("row_hash", String(40), nullable=False),
)

# Append-only changes of narrower consents (``ConsentScope``): the latest change per participant
# and scope (by ``changed_at``, then ``seq``) is in force. ``seq`` only grows, so readers notice a
# change with one ``MAX``/``COUNT``. Erasure deletes a participant's rows with everything else.
consent_scope_changes = Table(
    "consent_scope_changes",
    metadata,
    Column("seq", Integer, primary_key=True, autoincrement=True),
    Column(C.PARTICIPANT_ID, ID, nullable=False),
    Column(C.SCOPE, String(32), nullable=False),
    Column(C.CONSENT_STATUS, String(16), nullable=False),
    Column(C.CHANGED_AT, DateTime, nullable=False),
    Column(C.RECORDED_AT, DateTime, nullable=False),
    Index("ix_consent_scope_changes_subject", C.PARTICIPANT_ID, C.SCOPE),
)

source_identities = Table(
    "source_identities",
    metadata,
    Column(C.SOURCE, String(64), primary_key=True),
    Column(C.SOURCE_PARTICIPANT_ID, ID, primary_key=True),
    Column(C.PARTICIPANT_ID, ID, nullable=False, index=True),
    Column("explicit", Boolean, nullable=False),
)

activities = Table(
    "activities",
    metadata,
    Column(C.ACTIVITY_ID, ID, primary_key=True),
    Column(C.SERIES_ID, ID, nullable=False, index=True),
    Column(C.TITLE, String(300), nullable=False),
    Column(C.KIND, String(40), nullable=False),
    Column(C.LEVEL, String(20), nullable=False),
    Column(C.FORMAT, String(10), nullable=False),
    Column(C.REGION, String(16)),
    Column(C.START_AT, DateTime, nullable=False),
    Column(C.END_AT, DateTime, nullable=False),
    Column(C.REGISTRATION_DEADLINE, DateTime),
    Column(C.GRADE_MIN, SmallInteger, nullable=False),
    Column(C.GRADE_MAX, SmallInteger, nullable=False),
    Column(C.CAPACITY, Integer),
    Column(C.MAX_SCORE, Float),
    Column(C.IS_TEAM, Boolean, nullable=False),
    Column(C.OLYMPIAD_LIST_LEVEL, SmallInteger),
    Column(C.PUBLISHED_AT, DateTime, nullable=False),
    Column("row_hash", String(40), nullable=False),
)

# The deployment's directions beyond (or renaming) the configured defaults
# (footprint.directions): ingested like any entity, read into every snapshot.
directions = Table(
    "directions",
    metadata,
    Column(C.CODE, String(40), primary_key=True),
    Column(C.TITLE_RU, String(200), nullable=False),
    Column(C.AKA_RU, String(200)),
    Column("row_hash", String(40), nullable=False),
)

activity_directions = Table(
    "activity_directions",
    metadata,
    Column(
        C.ACTIVITY_ID,
        ID,
        ForeignKey("activities.activity_id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column(C.DIRECTION, String(32), primary_key=True),
    Column(C.WEIGHT, Float, nullable=False),
)

activity_edges = Table(
    "activity_edges",
    metadata,
    Column(C.FROM_ACTIVITY_ID, ID, ForeignKey("activities.activity_id"), primary_key=True),
    Column(C.TO_ACTIVITY_ID, ID, ForeignKey("activities.activity_id"), primary_key=True),
    Column(C.EDGE_TYPE, String(16), primary_key=True),
)

achievements = Table(
    "achievements",
    metadata,
    Column(C.ACHIEVEMENT_ID, ID, primary_key=True),
    Column(C.PARTICIPANT_ID, ID, ForeignKey("participants.participant_id"), nullable=False),
    Column(C.ACTIVITY_ID, ID, ForeignKey("activities.activity_id"), nullable=False),
    Column(C.TEAM_ID, ID),
    Column(C.RESULT, String(20), nullable=False),
    Column(C.SCORE, Float),
    Column(C.RANK, Integer),
    Column(C.EVIDENCE, String(500)),
    Column(C.STATUS, String(16), nullable=False),
    Column(C.STATUS_CHANGED_AT, DateTime),
    Column(C.ACHIEVED_AT, DateTime, nullable=False),
    Column(C.RECORDED_AT, DateTime, nullable=False),
    Index("ix_achievements_participant", C.PARTICIPANT_ID),
    Index("ix_achievements_natural_key", C.ACTIVITY_ID, C.PARTICIPANT_ID, C.RESULT),
)

achievement_sources = Table(
    "achievement_sources",
    metadata,
    Column(C.SOURCE, String(64), primary_key=True),
    Column(C.SOURCE_RECORD_ID, ID, primary_key=True),
    Column(
        C.ACHIEVEMENT_ID, ID, ForeignKey("achievements.achievement_id"), nullable=False, index=True
    ),
    Column("row_hash", String(40), nullable=False),
)

# Append-only: every moderation status a record has had, so snapshots can see the status as of T.
achievement_status_history = Table(
    "achievement_status_history",
    metadata,
    Column("seq", Integer, primary_key=True, autoincrement=True),
    Column(
        C.ACHIEVEMENT_ID, ID, ForeignKey("achievements.achievement_id"), nullable=False, index=True
    ),
    Column(C.STATUS, String(16), nullable=False),
    Column(C.CHANGED_AT, DateTime, nullable=False),
    Column(C.SOURCE, String(64), nullable=False),
)

ingest_batches = Table(
    "ingest_batches",
    metadata,
    Column("batch_id", String(36), primary_key=True),
    Column(C.SOURCE, String(64), nullable=False),
    Column("entity", String(32), nullable=False),
    Column("file_name", String(300), nullable=False),
    Column("file_sha256", String(64), nullable=False),
    Column("rows", Integer, nullable=False),
    Column("added", Integer, nullable=False),
    Column("updated", Integer, nullable=False),
    Column("unchanged", Integer, nullable=False),
    Column("merged", Integer, nullable=False),
    Column("quarantined", Integer, nullable=False),
    Column("erased", Integer, nullable=False),
    Column("started_at", DateTime, nullable=False),
    Column("finished_at", DateTime, nullable=False),
)

# Rows that failed validation, with the raw row, the field and the reason. ``subject_hash`` lets an
# erasure find and purge the quarantined rows of a participant without storing the id in clear.
quarantine = Table(
    "quarantine",
    metadata,
    Column("quarantine_key", String(40), primary_key=True),
    Column("batch_id", String(36), nullable=False),
    Column(C.SOURCE, String(64), nullable=False),
    Column("entity", String(32), nullable=False),
    Column("file_name", String(300), nullable=False),
    Column("row_number", Integer, nullable=False),
    Column("field", String(64), nullable=False),
    Column("reason_code", String(40), nullable=False),
    Column("reason", Text, nullable=False),
    Column("raw_row", Text, nullable=False),
    Column("subject_hash", String(64), index=True),
    Column("quarantined_at", DateTime, nullable=False),
    # hash of the row's own key (achievements: source_record_id; edges: both ends and type;
    # consents: participant_id): a newer row of the same key from the same source replaces an
    # entry still waiting for a missing participant or activity
    Column("record_key", String(40), index=True),
)

erasure_tombstones = Table(
    "erasure_tombstones",
    metadata,
    Column("subject_hash", String(64), primary_key=True),
    Column("erasure_id", String(36), nullable=False),
)

# The audit of erasures: who, when, how many rows. Deliberately no participant ids.
erasure_log = Table(
    "erasure_log",
    metadata,
    Column("erasure_id", String(36), primary_key=True),
    Column("performed_at", DateTime, nullable=False),
    Column("actor", String(64), nullable=False),
    Column("reason_code", String(40), nullable=False),
    Column("subjects", Integer, nullable=False),
    Column("rows_deleted", Text, nullable=False),
)

# What each committed change touched, in commit order, so a serving process can apply it to its
# in-memory copy of the store instead of reading the store again (footprint.changes). ``ref`` is
# a pseudonymous participant id for ``participant`` rows and empty otherwise; an erasure deletes
# the erased ids' rows here too. Rows are pruned after a while (footprint.changes.KEEP_SECONDS).
live_changes = Table(
    "live_changes",
    metadata,
    Column("seq", Integer, primary_key=True, autoincrement=True),
    Column("kind", String(16), nullable=False),
    Column("ref", ID),
    Column(C.RECORDED_AT, DateTime, nullable=False, index=True),
)

# Facts about the store itself, one value per key: ``erasure_salt_fingerprint`` binds the store to
# the salt its tombstones were made with (ingesting under another salt would bring erased
# participants back).
store_meta = Table(
    "store_meta",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("value", Text, nullable=False),
)
