"""serving: append-only audit log of moderation decisions

Revision ID: s0001
Revises:
Create Date: 2026-11-29 20:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "s0001"
down_revision = None
branch_labels = ("serving",)
depends_on = None

_SQLITE_GUARDS = (
    "CREATE TRIGGER serving_audit_log_no_update BEFORE UPDATE ON serving_audit_log "
    "BEGIN SELECT RAISE(ABORT, 'serving_audit_log is append-only'); END",
    "CREATE TRIGGER serving_audit_log_no_delete BEFORE DELETE ON serving_audit_log "
    "BEGIN SELECT RAISE(ABORT, 'serving_audit_log is append-only'); END",
)
_PG_GUARDS = (
    "CREATE FUNCTION serving_audit_log_append_only() RETURNS trigger AS $$ "
    "BEGIN RAISE EXCEPTION 'serving_audit_log is append-only'; END; $$ LANGUAGE plpgsql",
    "CREATE TRIGGER serving_audit_log_append_only BEFORE UPDATE OR DELETE ON serving_audit_log "
    "FOR EACH ROW EXECUTE FUNCTION serving_audit_log_append_only()",
)


def upgrade() -> None:
    op.create_table(
        "serving_audit_log",
        sa.Column("seq", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("audit_id", sa.String(length=36), nullable=False),
        sa.Column("occurred_at", sa.DateTime(), nullable=False),
        sa.Column("actor", sa.String(length=80), nullable=False),
        sa.Column("actor_role", sa.String(length=20), nullable=False),
        sa.Column("action", sa.String(length=40), nullable=False),
        sa.Column("subject_type", sa.String(length=20), nullable=False),
        sa.Column("subject_id", sa.String(length=64), nullable=False),
        sa.Column("before", sa.Text(), nullable=False),
        sa.Column("after", sa.Text(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("request_id", sa.String(length=36), nullable=True),
        sa.PrimaryKeyConstraint("seq"),
        sa.UniqueConstraint("audit_id"),
    )
    op.create_index("ix_serving_audit_subject", "serving_audit_log", ["subject_type", "subject_id"])
    dialect = op.get_bind().dialect.name
    guards = {"sqlite": _SQLITE_GUARDS, "postgresql": _PG_GUARDS}.get(dialect, ())
    for statement in guards:
        op.execute(statement)


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS serving_audit_log_append_only ON serving_audit_log")
        op.execute("DROP FUNCTION IF EXISTS serving_audit_log_append_only()")
    op.drop_index("ix_serving_audit_subject", table_name="serving_audit_log")
    op.drop_table("serving_audit_log")
