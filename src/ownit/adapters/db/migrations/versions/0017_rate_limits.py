"""rate limits: buckets shared by every process (unknown-key tries, test notifications)

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-06 15:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "rate_limits",
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("tokens", sa.Float(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_rate_limits")),
    )
    op.create_index("ix_rate_limits_at", "rate_limits", ["at"])


def downgrade() -> None:
    op.drop_index("ix_rate_limits_at", table_name="rate_limits")
    op.drop_table("rate_limits")
