"""incident figures: each incident's analytics figures, stored once known

Revision ID: 0013
Revises: 0011
Create Date: 2026-12-06 11:50:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "incident_figures",
        sa.Column("incident_id", sa.String(length=40), nullable=False),
        sa.Column("alert_key", sa.String(length=255), nullable=False),
        sa.Column("merged_into", sa.String(length=40), nullable=True),
        sa.Column("tta", sa.Float(), nullable=True),
        sa.Column("ttr", sa.Float(), nullable=True),
        sa.Column("escalated", sa.Boolean(), nullable=False),
        sa.Column("auto_resolved", sa.Boolean(), nullable=False),
        sa.Column("noise", sa.Boolean(), nullable=False),
        sa.Column("alert_count", sa.Integer(), nullable=False),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("acknowledged_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incidents.id"],
            name=op.f("fk_incident_figures_incident_id_incidents"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("incident_id", name=op.f("pk_incident_figures")),
    )
    # The figures of the incidents already there are computed by migration 0020 (the table
    # has its final columns then), by the same rules the reads use.


def downgrade() -> None:
    op.drop_table("incident_figures")
