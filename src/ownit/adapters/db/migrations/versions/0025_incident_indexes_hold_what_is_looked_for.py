"""incident indexes hold what is looked for: open incidents by service; unpaged; timers

An incident's page lists the open incidents on the services it depends on and on those that
depend on it, nearest first, with a count of the rest (decision 0078); a first page names the
oldest open incidents upstream as likely causes; a service page counts the open incidents of
the service and its neighbours. The first read every open incident of the organisation
through the index on status (2,000 rows at 10,000 incidents, 20 % open); the others read
every incident of the services, resolved ones too. A partial index holds only the open
incidents, by service and number: each service's open incidents, oldest first, are one
probe.

That is one more index entry for every new incident, on the ingest writer's path. Two
indexes that held every incident become partial, so that a new incident costs no more
entries than before: the one on ``paging`` keeps the incidents nobody could page (a new
incident is ``ok``), the one on ``auto_resolve_at`` those with a timer (the engine looks
only for timers that are due).

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

# As ``tables`` says them (a migration keeps its own copies: they must not change).
_OPEN = sa.text("status != 'resolved'")
_UNPAGED = sa.text("paging != 'ok'")
_TIMED = sa.text("auto_resolve_at IS NOT NULL")
# The indexes that held every incident and now hold only what is looked for.
_NARROWED = (
    ("ix_incidents_paging", "paging", _UNPAGED),
    ("ix_incidents_auto_resolve_at", "auto_resolve_at", _TIMED),
)


def upgrade() -> None:
    op.create_index(
        "ix_incidents_open_service",
        "incidents",
        ["service_id", "number"],
        sqlite_where=_OPEN,
        postgresql_where=_OPEN,
    )
    for name, column, where in _NARROWED:
        op.drop_index(name, table_name="incidents")
        op.create_index(name, "incidents", [column], sqlite_where=where, postgresql_where=where)


def downgrade() -> None:
    for name, column, where in _NARROWED:
        op.drop_index(name, table_name="incidents", sqlite_where=where, postgresql_where=where)
        op.create_index(name, "incidents", [column])
    op.drop_index(
        "ix_incidents_open_service",
        table_name="incidents",
        sqlite_where=_OPEN,
        postgresql_where=_OPEN,
    )
