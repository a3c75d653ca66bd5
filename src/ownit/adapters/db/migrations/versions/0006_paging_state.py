"""paging state

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-06 08:45:00

Never silent: whether ownit could page anyone for an incident (``incidents.paging``: ok,
failed or nobody, with ``paging_reason``), and one row per incident and reason that could
not page (``paging_failures``: the counter ``ownit_paging_failures_total{reason}``).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("incidents", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("paging", sa.String(length=10), server_default="ok", nullable=False)
        )
        batch_op.add_column(sa.Column("paging_reason", sa.String(length=40), nullable=True))
        batch_op.create_index("ix_incidents_paging", ["paging"], unique=False)

    op.create_table(
        "paging_failures",
        sa.Column("incident_id", sa.String(length=40), nullable=False),
        sa.Column("reason", sa.String(length=40), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incidents.id"],
            name=op.f("fk_paging_failures_incident_id_incidents"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("incident_id", "reason", name=op.f("pk_paging_failures")),
    )


def downgrade() -> None:
    op.drop_table("paging_failures")
    with op.batch_alter_table("incidents", schema=None) as batch_op:
        batch_op.drop_index("ix_incidents_paging")
        batch_op.drop_column("paging_reason")
        batch_op.drop_column("paging")
