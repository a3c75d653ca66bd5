"""lookup indexes key first: the open-alert and group-head lookups lead with the key

The ingest writer looks up a batch's dedup keys (and group keys) within one service. With
the service first, PostgreSQL planned that lookup on a small table as "the service's index
range, then filter the keys", and kept that plan once it had cached it: each batch then read
every open alert of the service, so a storm of distinct alerts slowed down as it went
(decision 0072). With the key first, the keys are the index condition whatever the
statistics say. The same unique rule (one open alert per service and key) holds. The group
keys' index holds open incidents only (the lookup wants no other).

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-07 02:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None

_OPEN = sa.text("status != 'resolved'")


def _open_dedup(columns: list[str]) -> None:
    with op.batch_alter_table("alerts") as batch:
        batch.drop_index("uq_alerts_open_dedup", sqlite_where=_OPEN, postgresql_where=_OPEN)
        batch.create_index(
            "uq_alerts_open_dedup",
            columns,
            unique=True,
            sqlite_where=_OPEN,
            postgresql_where=_OPEN,
        )


def upgrade() -> None:
    _open_dedup(["dedup_key", "service_id"])
    op.drop_index("ix_incidents_service_id_group_key", table_name="incidents")
    op.create_index(
        "ix_incidents_open_group_key",
        "incidents",
        ["group_key", "service_id"],
        sqlite_where=_OPEN,
        postgresql_where=_OPEN,
    )


def downgrade() -> None:
    op.drop_index(
        "ix_incidents_open_group_key",
        table_name="incidents",
        sqlite_where=_OPEN,
        postgresql_where=_OPEN,
    )
    op.create_index("ix_incidents_service_id_group_key", "incidents", ["service_id", "group_key"])
    _open_dedup(["service_id", "dedup_key"])
