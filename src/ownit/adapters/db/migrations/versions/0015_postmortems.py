"""postmortems: one per incident, their action items and the reminders sent about them

Revision ID: 0015
Revises: 0011
Create Date: 2026-12-06 11:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "postmortems",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.String(length=40), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("owner", sa.String(length=100), nullable=True),
        sa.Column("due", sa.Date(), nullable=False),
        sa.Column("sections", sa.JSON(), nullable=False),
        sa.Column("marks", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incidents.id"],
            name=op.f("fk_postmortems_incident_id_incidents"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_postmortems")),
        sa.UniqueConstraint("incident_id", name=op.f("uq_postmortems_incident_id")),
    )
    op.create_index("ix_postmortems_status_due", "postmortems", ["status", "due"], unique=False)
    op.create_table(
        "postmortem_actions",
        sa.Column("postmortem_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("owner", sa.String(length=100), nullable=False),
        sa.Column("due", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("link", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["postmortem_id"],
            ["postmortems.id"],
            name=op.f("fk_postmortem_actions_postmortem_id_postmortems"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("postmortem_id", "number", name=op.f("pk_postmortem_actions")),
    )
    op.create_index(
        "ix_postmortem_actions_status_due", "postmortem_actions", ["status", "due"], unique=False
    )
    op.create_table(
        "postmortem_reminders",
        sa.Column("postmortem_id", sa.Integer(), nullable=False),
        sa.Column("item", sa.Integer(), nullable=False),
        sa.Column("due", sa.Date(), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["postmortem_id"],
            ["postmortems.id"],
            name=op.f("fk_postmortem_reminders_postmortem_id_postmortems"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "postmortem_id", "item", "due", name=op.f("pk_postmortem_reminders")
        ),
    )


def downgrade() -> None:
    op.drop_table("postmortem_reminders")
    op.drop_index("ix_postmortem_actions_status_due", table_name="postmortem_actions")
    op.drop_table("postmortem_actions")
    op.drop_index("ix_postmortems_status_due", table_name="postmortems")
    op.drop_table("postmortems")
