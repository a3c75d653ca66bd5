"""auto resolve

Revision ID: 0007
Revises: 0005
Create Date: 2026-12-06 08:50:00.000000

The service's ``autoResolve`` timer: when an open incident is next looked at for being idle.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("incidents", schema=None) as batch_op:
        batch_op.add_column(sa.Column("auto_resolve_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index("ix_incidents_auto_resolve_at", ["auto_resolve_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("incidents", schema=None) as batch_op:
        batch_op.drop_index("ix_incidents_auto_resolve_at")
        batch_op.drop_column("auto_resolve_at")
