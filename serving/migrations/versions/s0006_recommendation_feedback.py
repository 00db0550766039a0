"""serving: feedback on recommendations (shown, clicked, registered, dismissed)

Revision ID: s0006
Revises: s0005
Create Date: 2026-12-03 13:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "s0006"
down_revision = "s0005"
branch_labels = None
depends_on = None

TABLE = "serving_recommendation_feedback"


def upgrade() -> None:
    op.create_table(
        TABLE,
        sa.Column("seq", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("participant_id", sa.String(64), nullable=False),
        sa.Column("activity_id", sa.String(64), nullable=False),
        sa.Column("event", sa.String(16), nullable=False),
        sa.Column("occurred_at", sa.DateTime(), nullable=False),
        sa.Column("received_at", sa.DateTime(), nullable=False),
        sa.Column("model_version", sa.String(200)),
        sa.Column("rank", sa.Integer()),
        sa.Column("actor", sa.String(80), nullable=False),
    )
    op.create_index("ix_serving_recommendation_feedback_participant", TABLE, ["participant_id"])
    op.create_index("ix_serving_recommendation_feedback_occurred_at", TABLE, ["occurred_at"])


def downgrade() -> None:
    op.drop_table(TABLE)
