"""on PostgreSQL, an incident's alerts, timeline entries and escalation keep no foreign key

Every distinct alert ingest takes writes an incident with its alert, timeline entry and
escalation in one batch, and PostgreSQL checked each of the three against the incident the
same batch had just inserted: a query and a row lock per row, on the hot path. The catalog
deletes them itself where a service (and so its incidents) goes (decision 0082). SQLite
keeps the keys: one writer at a time, and its checks cost little.

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-07 23:55:00
"""

from __future__ import annotations

from alembic import op

revision = "0026"
down_revision = "0025"
branch_labels = None
depends_on = None

_KEYS = (
    ("alerts", "fk_alerts_incident_id_incidents"),
    ("log_entries", "fk_log_entries_incident_id_incidents"),
    ("escalations", "fk_escalations_incident_id_incidents"),
)


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table, name in _KEYS:
        op.drop_constraint(name, table, type_="foreignkey")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table, name in _KEYS:
        # Whatever outlived its incident would refuse the key: it goes, as the key would
        # have taken it.
        op.execute(
            f"DELETE FROM {table} WHERE NOT EXISTS "
            f"(SELECT 1 FROM incidents WHERE incidents.id = {table}.incident_id)"
        )
        op.create_foreign_key(name, table, "incidents", ["incident_id"], ["id"], ondelete="CASCADE")
