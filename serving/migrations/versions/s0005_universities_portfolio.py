"""serving: partner universities, their views, shortlists, invitations; signed portfolio exports

Revision ID: s0005
Revises: s0004
Create Date: 2026-12-03 10:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "s0005"
down_revision = "s0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "serving_universities",
        sa.Column("code", sa.String(48), primary_key=True),
        sa.Column("name", sa.String(300), nullable=False),
        sa.Column("directions", sa.String(300), nullable=False),
        sa.Column("active", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
    )
    op.create_table(
        "serving_university_views",
        sa.Column("seq", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("university_code", sa.String(48), nullable=False),
        sa.Column("actor", sa.String(80), nullable=False),
        sa.Column("participant_id", sa.String(64), nullable=False),
        sa.Column("context", sa.String(20), nullable=False),
        sa.Column("viewed_at", sa.DateTime(), nullable=False),
        sa.Column("request_id", sa.String(36)),
    )
    op.create_index(
        "ix_serving_university_views_participant", "serving_university_views", ["participant_id"]
    )
    op.create_table(
        "serving_shortlists",
        sa.Column("shortlist_id", sa.String(36), primary_key=True),
        sa.Column("university_code", sa.String(48), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
    )
    op.create_index(
        "ix_serving_shortlists_university_code", "serving_shortlists", ["university_code"]
    )
    op.create_table(
        "serving_shortlist_entries",
        sa.Column("shortlist_id", sa.String(36), primary_key=True),
        sa.Column("participant_id", sa.String(64), primary_key=True),
        sa.Column("added_at", sa.DateTime(), nullable=False),
    )
    op.create_index(
        "ix_serving_shortlist_entries_participant", "serving_shortlist_entries", ["participant_id"]
    )
    op.create_table(
        "serving_invitations",
        sa.Column("invitation_id", sa.String(36), primary_key=True),
        sa.Column("university_code", sa.String(48), nullable=False),
        sa.Column("actor", sa.String(80), nullable=False),
        sa.Column("participant_id", sa.String(64), nullable=False),
        sa.Column("direction", sa.String(32)),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("answered_at", sa.DateTime()),
        sa.Column("answered_by", sa.String(80)),
        sa.UniqueConstraint(
            "university_code", "participant_id", name="uq_serving_invitations_pair"
        ),
    )
    op.create_index("ix_serving_invitations_participant", "serving_invitations", ["participant_id"])
    op.create_index("ix_serving_invitations_status", "serving_invitations", ["status"])
    op.create_table(
        "serving_portfolio_exports",
        sa.Column("code_sha256", sa.String(64), primary_key=True),
        sa.Column("document_sha256", sa.String(64), nullable=False, unique=True),
        sa.Column("participant_id", sa.String(64), nullable=False),
        sa.Column("key_id", sa.String(32), nullable=False),
        sa.Column("issued_at", sa.DateTime(), nullable=False),
        sa.Column("achievement_ids", sa.Text(), nullable=False),
        sa.Column("superseded_at", sa.DateTime()),
    )
    op.create_index(
        "ix_serving_portfolio_exports_participant_id",
        "serving_portfolio_exports",
        ["participant_id"],
    )


def downgrade() -> None:
    for name in (
        "serving_portfolio_exports",
        "serving_invitations",
        "serving_shortlist_entries",
        "serving_shortlists",
        "serving_university_views",
        "serving_universities",
    ):
        op.drop_table(name)
