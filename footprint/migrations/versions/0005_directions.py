"""directions as store data (a deployment adds a direction by ingesting it)

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03 16:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "directions",
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("title_ru", sa.String(length=200), nullable=False),
        sa.Column("aka_ru", sa.String(length=200), nullable=True),
        sa.Column("row_hash", sa.String(length=40), nullable=False),
        sa.PrimaryKeyConstraint("code"),
    )


def downgrade() -> None:
    op.drop_table("directions")
