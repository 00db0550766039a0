"""serving: moderators' sessions revoked by a logout

Revision ID: s0004
Revises: s0003
Create Date: 2026-12-03 10:45:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "s0004"
down_revision = "s0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "serving_revoked_sessions",
        sa.Column("session_sha256", sa.String(length=64), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("session_sha256"),
    )


def downgrade() -> None:
    op.drop_table("serving_revoked_sessions")
