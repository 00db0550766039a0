"""serving: latest competence estimates and the competence review queue

Revision ID: s0002
Revises: s0001
Create Date: 2026-11-29 20:20:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "s0002"
down_revision = "s0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "serving_competence_estimates",
        sa.Column("participant_id", sa.String(length=64), nullable=False),
        sa.Column("direction", sa.String(length=32), nullable=False),
        sa.Column("competence", sa.Float(), nullable=False),
        sa.Column("lower", sa.Float(), nullable=False),
        sa.Column("upper", sa.Float(), nullable=False),
        sa.Column("level", sa.String(length=20), nullable=False),
        sa.Column("model_version", sa.String(length=80), nullable=False),
        sa.Column("computed_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("participant_id", "direction"),
    )
    op.create_table(
        "serving_competence_reviews",
        sa.Column("review_id", sa.String(length=36), nullable=False),
        sa.Column("participant_id", sa.String(length=64), nullable=False),
        sa.Column("direction", sa.String(length=32), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("priority", sa.Float(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("model_version", sa.String(length=80), nullable=False),
        sa.Column("competence", sa.Float(), nullable=False),
        sa.Column("lower", sa.Float(), nullable=False),
        sa.Column("upper", sa.Float(), nullable=False),
        sa.Column("level", sa.String(length=20), nullable=False),
        sa.Column("previous_competence", sa.Float(), nullable=True),
        sa.Column("flags", sa.Text(), nullable=False),
        sa.Column("evidence", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("decided_at", sa.DateTime(), nullable=True),
        sa.Column("decided_by", sa.String(length=80), nullable=True),
        sa.Column("override_value", sa.Float(), nullable=True),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("review_id"),
    )
    op.create_index(
        "ix_serving_reviews_queue", "serving_competence_reviews", ["status", "priority"]
    )
    op.create_index(
        "ix_serving_reviews_subject", "serving_competence_reviews", ["participant_id", "direction"]
    )


def downgrade() -> None:
    op.drop_index("ix_serving_reviews_subject", table_name="serving_competence_reviews")
    op.drop_index("ix_serving_reviews_queue", table_name="serving_competence_reviews")
    op.drop_table("serving_competence_reviews")
    op.drop_table("serving_competence_estimates")
