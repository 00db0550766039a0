"""consent scopes (being found by partner universities)

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-03 10:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "consent_scope_changes",
        sa.Column("seq", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("participant_id", sa.String(length=64), nullable=False),
        sa.Column("scope", sa.String(length=32), nullable=False),
        sa.Column("consent_status", sa.String(length=16), nullable=False),
        sa.Column("changed_at", sa.DateTime(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("seq"),
    )
    op.create_index(
        "ix_consent_scope_changes_subject",
        "consent_scope_changes",
        ["participant_id", "scope"],
    )


def downgrade() -> None:
    op.drop_index("ix_consent_scope_changes_subject", table_name="consent_scope_changes")
    op.drop_table("consent_scope_changes")
