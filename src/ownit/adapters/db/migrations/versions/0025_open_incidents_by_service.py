"""open incidents by service: the nearest few up- and downstream in one index probe each

An incident's page lists the open incidents on the services it depends on and on those that
depend on it, nearest first, with a count of the rest (decision 0078); a first page names the
oldest open incidents upstream as likely causes; a service page counts the open incidents of
the service and its neighbours. The first read every open incident of the organisation
through the index on status (2,000 rows at 10,000 incidents, 20 % open); the others read
every incident of the services, resolved ones too. A partial index holds only the open
incidents, by service and number: each service's open incidents, oldest first, are one
probe.

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-07 17:20:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0025"
down_revision = "0024"
branch_labels = None
depends_on = None

# As ``tables.OPEN_INCIDENT`` says it (a migration keeps its own copy: it must not change).
_OPEN = sa.text("status != 'resolved'")


def upgrade() -> None:
    op.create_index(
        "ix_incidents_open_service",
        "incidents",
        ["service_id", "number"],
        sqlite_where=_OPEN,
        postgresql_where=_OPEN,
    )


def downgrade() -> None:
    op.drop_index(
        "ix_incidents_open_service",
        table_name="incidents",
        sqlite_where=_OPEN,
        postgresql_where=_OPEN,
    )
