"""The service's own tables (SQLAlchemy Core), kept apart from the footprint's.

They live in the same database as the footprint but in their own ``MetaData`` and their own
Alembic history (``serving/migrations``, version table ``serving_alembic_version``), so the
footprint's schema and migrations are never touched. None of them has a foreign key into the
footprint: an erasure deletes footprint rows freely, and what is left here names no participant.
"""

from __future__ import annotations

from sqlalchemy import (
    Column,
    DateTime,
    Float,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

metadata = MetaData()

VERSION_TABLE = "serving_alembic_version"

# Append-only (database triggers refuse UPDATE and DELETE): every moderation decision with who,
# when, the state before and after (JSON) and why. ``subject_id`` is a random key: for
# achievements the subject key of ``serving_achievement_subjects``, for competence reviews the
# review item id; never a participant id nor an achievement id (which the footprint derives
# from the participant id with a public hash).
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

# The random subject key (UUID4) under which the audit files decisions about an achievement,
# and the achievement it stands for. Deleted when the achievement is erased (with its
# participant): the audit entries then stay, linked to nobody.
achievement_subjects = Table(
    "serving_achievement_subjects",
    metadata,
    Column("subject_key", String(36), primary_key=True),
    Column("achievement_id", String(64), nullable=False),
    Column("created_at", DateTime, nullable=False),
    UniqueConstraint("achievement_id", name="uq_serving_achievement_subjects_achievement"),
)

# The latest competence estimate per participant and direction: the "previous" estimate against
# which a large change is flagged. Keyed by participant: erasures delete these rows.
competence_estimates = Table(
    "serving_competence_estimates",
    metadata,
    Column("participant_id", String(64), primary_key=True),
    Column("direction", String(32), primary_key=True),
    Column("competence", Float, nullable=False),
    Column("lower", Float, nullable=False),
    Column("upper", Float, nullable=False),
    Column("level", String(20), nullable=False),
    Column("model_version", String(80), nullable=False),
    Column("computed_at", DateTime, nullable=False),
)

# Competence estimates worth a moderator's look, with the decision taken on each. ``version``
# grows with every change (a newer estimate, a decision), which is what decisions are checked
# against. Keyed by participant: erasures delete these rows (the audit keeps only review ids).
competence_reviews = Table(
    "serving_competence_reviews",
    metadata,
    Column("review_id", String(36), primary_key=True),
    Column("participant_id", String(64), nullable=False),
    Column("direction", String(32), nullable=False),
    Column("status", String(16), nullable=False),
    Column("priority", Float, nullable=False),
    Column("version", Integer, nullable=False),
    Column("model_version", String(80), nullable=False),
    Column("competence", Float, nullable=False),
    Column("lower", Float, nullable=False),
    Column("upper", Float, nullable=False),
    Column("level", String(20), nullable=False),
    Column("previous_competence", Float),
    Column("flags", Text, nullable=False),
    Column("evidence", Text, nullable=False),
    Column("created_at", DateTime, nullable=False),
    Column("updated_at", DateTime, nullable=False),
    Column("decided_at", DateTime),
    Column("decided_by", String(80)),
    Column("override_value", Float),
    Column("comment", Text),
    Index("ix_serving_reviews_queue", "status", "priority"),
    Index("ix_serving_reviews_subject", "participant_id", "direction"),
)

# Moderators' sessions ended by a logout before their cookie expired: the SHA-256 of the cookie
# (never the cookie) and when it would have expired. The cookie is otherwise stateless, so
# without this a logged-out cookie kept working until its expiry; rows past their expiry are
# deleted at the next logout.
revoked_sessions = Table(
    "serving_revoked_sessions",
    metadata,
    Column("session_sha256", String(64), primary_key=True),
    Column("expires_at", DateTime, nullable=False),
)

# Partner universities (data, managed by an admin). A university token's name is its ``code``.
# ``directions`` is a ``;``-joined list of direction codes it is interested in.
universities = Table(
    "serving_universities",
    metadata,
    Column("code", String(48), primary_key=True),
    Column("name", String(300), nullable=False),
    Column("directions", String(300), nullable=False),
    Column("active", Integer, nullable=False),
    Column("created_at", DateTime, nullable=False),
    Column("updated_at", DateTime, nullable=False),
)

# Append-only: every time a university was shown a participant (a search result, a shortlist, an
# invitation). Keyed by participant so the participant can ask who viewed them; erasures delete
# these rows with the participant.
university_views = Table(
    "serving_university_views",
    metadata,
    Column("seq", Integer, primary_key=True, autoincrement=True),
    Column("university_code", String(48), nullable=False),
    Column("actor", String(80), nullable=False),
    Column("participant_id", String(64), nullable=False),
    Column("context", String(20), nullable=False),
    Column("viewed_at", DateTime, nullable=False),
    Column("request_id", String(36)),
    Index("ix_serving_university_views_participant", "participant_id"),
)

# Saved shortlists of a university, and the participants on them.
shortlists = Table(
    "serving_shortlists",
    metadata,
    Column("shortlist_id", String(36), primary_key=True),
    Column("university_code", String(48), nullable=False, index=True),
    Column("title", String(200), nullable=False),
    Column("created_at", DateTime, nullable=False),
)

shortlist_entries = Table(
    "serving_shortlist_entries",
    metadata,
    Column("shortlist_id", String(36), primary_key=True),
    Column("participant_id", String(64), primary_key=True),
    Column("added_at", DateTime, nullable=False),
    Index("ix_serving_shortlist_entries_participant", "participant_id"),
)

# An invitation: the university's intent to contact a participant. The platform delivers it and
# reports the answer; the university learns only an acceptance.
invitations = Table(
    "serving_invitations",
    metadata,
    Column("invitation_id", String(36), primary_key=True),
    Column("university_code", String(48), nullable=False),
    Column("actor", String(80), nullable=False),
    Column("participant_id", String(64), nullable=False),
    Column("direction", String(32)),
    Column("status", String(16), nullable=False),
    Column("created_at", DateTime, nullable=False),
    Column("answered_at", DateTime),
    Column("answered_by", String(80)),
    UniqueConstraint("university_code", "participant_id", name="uq_serving_invitations_pair"),
    Index("ix_serving_invitations_participant", "participant_id"),
    Index("ix_serving_invitations_status", "status"),
)

# Signed portfolio exports: what the verify endpoint knows of a document. ``code_sha256`` is the
# SHA-256 of the verification code (the code itself is not stored); ``achievement_ids`` (JSON) are
# the verified items the document showed, checked again at every verification; a rejected one
# supersedes the document. Keyed by participant: erasures delete these rows (their codes then
# answer "unknown").
portfolio_exports = Table(
    "serving_portfolio_exports",
    metadata,
    Column("code_sha256", String(64), primary_key=True),
    Column("document_sha256", String(64), nullable=False, unique=True),
    Column("participant_id", String(64), nullable=False, index=True),
    Column("key_id", String(32), nullable=False),
    Column("issued_at", DateTime, nullable=False),
    Column("achievement_ids", Text, nullable=False),
    Column("superseded_at", DateTime),
)

# What participants did with the recommendations they were shown (the platform reports it): one
# row per event, kept for later evaluation of the recommenders (click-through, registrations,
# dismissals by model version and rank). Keyed by participant: erasures delete these rows.
recommendation_feedback = Table(
    "serving_recommendation_feedback",
    metadata,
    Column("seq", Integer, primary_key=True, autoincrement=True),
    Column("participant_id", String(64), nullable=False),
    Column("activity_id", String(64), nullable=False),
    Column("event", String(16), nullable=False),
    Column("occurred_at", DateTime, nullable=False),
    Column("received_at", DateTime, nullable=False),
    Column("model_version", String(200)),
    Column("rank", Integer),
    Column("actor", String(80), nullable=False),
    Index("ix_serving_recommendation_feedback_participant", "participant_id"),
    Index("ix_serving_recommendation_feedback_occurred_at", "occurred_at"),
)

# Admin jobs shared by every worker (one row per job kind): the state and progress of the latest
# run, which worker runs it and when it last reported (a run whose worker stopped reporting is
# stale and may be started again). Every worker answers the status from here.
admin_jobs = Table(
    "serving_admin_jobs",
    metadata,
    Column("job", String(40), primary_key=True),
    Column("state", String(16), nullable=False),
    Column("participants", Integer, nullable=False),
    Column("done", Integer, nullable=False),
    Column("opened", Integer, nullable=False),
    Column("refreshed", Integer, nullable=False),
    Column("started_at", DateTime),
    Column("finished_at", DateTime),
    Column("heartbeat_at", DateTime),
    Column("error", Text),
    Column("model_version", String(120)),
    Column("worker", String(80)),
)

# Model reloads asked of the service (an admin call): every worker follows each row once, so a
# reload or a promotion switches every worker, not only the one that took the call.
model_reloads = Table(
    "serving_model_reloads",
    metadata,
    Column("seq", Integer, primary_key=True, autoincrement=True),
    Column("kind", String(40), nullable=False),
    Column("requested_at", DateTime, nullable=False),
)
