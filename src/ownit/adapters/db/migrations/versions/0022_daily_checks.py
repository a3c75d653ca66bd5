"""daily checks: the engine's durable once-a-day timers (standards raised before they bite)

Revision ID: 0022
Revises: 0020
Create Date: 2026-12-06 15:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0022"
down_revision = "0020"
branch_labels = None
depends_on = None

_TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "daily_checks",
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("due_at", _TS, nullable=False),
        sa.Column("last_run_at", _TS, nullable=True),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_daily_checks")),
    )


def downgrade() -> None:
    op.drop_table("daily_checks")
