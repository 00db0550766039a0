"""store_meta (the erasure salt's fingerprint) and quarantine.record_key (rows waiting for a
reference are replaced by a newer version of the same record)

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-03 10:45:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "store_meta",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )
    with op.batch_alter_table("quarantine", schema=None) as batch_op:
        batch_op.add_column(sa.Column("record_key", sa.String(length=40), nullable=True))
        batch_op.create_index(batch_op.f("ix_quarantine_record_key"), ["record_key"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("quarantine", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_quarantine_record_key"))
        batch_op.drop_column("record_key")
    op.drop_table("store_meta")
