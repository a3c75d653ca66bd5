"""analytics records: who was paged when, who acknowledged how; baselines

Revision ID: 0011
Revises: 0005
Create Date: 2026-12-06 08:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "incident_responses",
        sa.Column("incident_id", sa.String(length=40), nullable=False),
        sa.Column("user_name", sa.String(length=200), nullable=False),
        sa.Column("first_paged_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("highest_level", sa.Integer(), nullable=True),
        sa.Column("acknowledged_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("acknowledged_via", sa.String(length=20), nullable=True),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incidents.id"],
            name=op.f("fk_incident_responses_incident_id_incidents"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("incident_id", "user_name", name=op.f("pk_incident_responses")),
    )
    op.create_table(
        "analytics_baselines",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("since", sa.DateTime(timezone=True), nullable=False),
        sa.Column("until", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=200), server_default="", nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("chosen_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_analytics_baselines")),
        sa.UniqueConstraint("name", name=op.f("uq_analytics_baselines_name")),
    )
    op.create_table(
        "analytics_baseline_groups",
        sa.Column("baseline_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("tta_p50", sa.Float(), nullable=True),
        sa.Column("tta_p90", sa.Float(), nullable=True),
        sa.Column("ttr_p50", sa.Float(), nullable=True),
        sa.Column("ttr_p90", sa.Float(), nullable=True),
        sa.Column("noise_ratio", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(
            ["baseline_id"],
            ["analytics_baselines.id"],
            name=op.f("fk_analytics_baseline_groups_baseline_id_analytics_baselines"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "baseline_id", "kind", "key", name=op.f("pk_analytics_baseline_groups")
        ),
    )
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.create_index("ix_notifications_sent_at", ["sent_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.drop_index("ix_notifications_sent_at")
    op.drop_table("analytics_baseline_groups")
    op.drop_table("analytics_baselines")
    op.drop_table("incident_responses")
