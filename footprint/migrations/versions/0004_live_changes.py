"""live changes (what each committed change touched, for serving processes)

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-03 13:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "live_changes",
        sa.Column("seq", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("ref", sa.String(length=64), nullable=True),
        sa.Column("recorded_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("seq"),
    )
    op.create_index("ix_live_changes_recorded_at", "live_changes", ["recorded_at"])


def downgrade() -> None:
    op.drop_index("ix_live_changes_recorded_at", table_name="live_changes")
    op.drop_table("live_changes")
