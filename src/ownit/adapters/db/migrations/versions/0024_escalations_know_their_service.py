"""escalations know their service: each service's oldest first page by an index

The engine's claim is fair across services: a storm on one cannot keep another service's
new incident waiting (decision 0027). It used to find "each service's oldest due first page"
with a window over every due escalation joined to its incident: a scan of a storm's whole
backlog (39–75 ms at 20,000 rows on PostgreSQL), so it ran only now and then (decision
0072), and a first page pushed out of the claim's newest rows could wait seconds for it.

An escalation now carries its incident's service (an incident never changes service), and a
partial index holds the escalations not yet started (first pages) in the claim's order
(service, due time, incident): each service's oldest due first page is one index probe per
service with one waiting, cheap enough for every claim (decision 0076).

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-07 11:45:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0024"
down_revision = "0023"
branch_labels = None
depends_on = None

_FIRST = sa.text("state IS NULL")


def upgrade() -> None:
    with op.batch_alter_table("escalations") as batch:
        batch.add_column(sa.Column("service_id", sa.Integer(), nullable=True))
    op.execute(
        "UPDATE escalations SET service_id = "
        "(SELECT incidents.service_id FROM incidents WHERE incidents.id = escalations.incident_id)"
    )
    op.create_index(
        "ix_escalations_first_pages",
        "escalations",
        ["service_id", "due_at", "incident_id"],
        sqlite_where=_FIRST,
        postgresql_where=_FIRST,
    )


def downgrade() -> None:
    op.drop_index(
        "ix_escalations_first_pages",
        table_name="escalations",
        sqlite_where=_FIRST,
        postgresql_where=_FIRST,
    )
    with op.batch_alter_table("escalations") as batch:
        batch.drop_column("service_id")
