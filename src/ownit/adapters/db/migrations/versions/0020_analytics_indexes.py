"""analytics indexes: covering indexes for the reports' windows (decision 0063)

Revision ID: 0020
Revises: 0018
Create Date: 2026-12-06 15:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0020"
down_revision = "0018"
branch_labels = None
depends_on = None

_FIGURES = (
    "created_at",
    "incident_id",
    "alert_count",
    "resolved_at",
    "acknowledged_at",
    "merged_into",
    "tta",
    "ttr",
    "escalated",
    "auto_resolved",
    "noise",
    "alert_key",
)
_RESPONSES = (
    "incident_id",
    "user_name",
    "first_paged_at",
    "highest_level",
    "acknowledged_at",
    "acknowledged_via",
)


def upgrade() -> None:
    with op.batch_alter_table("incident_figures") as batch:
        batch.add_column(sa.Column("created_at", sa.DateTime(timezone=True), nullable=True))
    op.execute(
        "UPDATE incident_figures SET created_at = (SELECT incidents.created_at FROM incidents "
        "WHERE incidents.id = incident_figures.incident_id)"
    )
    # Every incident without figures yet (or with stale ones) gets them now, by the rules the
    # reads use (before, migration 0013 did this; a row left out is computed in memory by a
    # report and stored by the worker: decision 0062).
    from ownit.adapters.db.analytics_figures import backfill_stale

    backfill_stale(op.get_bind())
    op.create_index("ix_incident_figures_created_at", "incident_figures", list(_FIGURES))
    op.create_index("ix_incident_responses_covering", "incident_responses", list(_RESPONSES))
    op.create_index(
        "ix_notifications_status_sent_at",
        "notifications",
        ["status", "sent_at", "user_name", "contact"],
    )


def downgrade() -> None:
    op.drop_index("ix_notifications_status_sent_at", table_name="notifications")
    op.drop_index("ix_incident_responses_covering", table_name="incident_responses")
    op.drop_index("ix_incident_figures_created_at", table_name="incident_figures")
    with op.batch_alter_table("incident_figures") as batch:
        batch.drop_column("created_at")
