"""serving: admin jobs and model reloads shared by every worker

Revision ID: s0007
Revises: s0006
Create Date: 2026-12-03 13:45:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "s0007"
down_revision = "s0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "serving_admin_jobs",
        sa.Column("job", sa.String(length=40), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("participants", sa.Integer(), nullable=False),
        sa.Column("done", sa.Integer(), nullable=False),
        sa.Column("opened", sa.Integer(), nullable=False),
        sa.Column("refreshed", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.DateTime(), nullable=True),
        sa.Column("finished_at", sa.DateTime(), nullable=True),
        sa.Column("heartbeat_at", sa.DateTime(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("model_version", sa.String(length=120), nullable=True),
        sa.Column("worker", sa.String(length=80), nullable=True),
        sa.PrimaryKeyConstraint("job"),
    )
    op.create_table(
        "serving_model_reloads",
        sa.Column("seq", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("requested_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("seq"),
    )


def downgrade() -> None:
    op.drop_table("serving_model_reloads")
    op.drop_table("serving_admin_jobs")
