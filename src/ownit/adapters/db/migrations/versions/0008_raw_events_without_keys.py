"""raw events without keys

Raw events kept before this revision still hold the ``routing_key`` that opens incidents
(readable by anyone who may read raw events), and events refused for an unknown key were
kept with their whole body. This revision removes the key from every kept body and deletes
the refused events (finding 2 and 6 of the security review; no schema change).

Revision ID: 0008
Revises: 0005
Create Date: 2026-12-06 09:00:00
"""

from __future__ import annotations

from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("DELETE FROM events WHERE outcome = 'rejected: unknown routing key'")
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "UPDATE events SET raw = (raw::jsonb - 'routing_key')::json "
            "WHERE json_typeof(raw) = 'object' AND raw::jsonb ? 'routing_key'"
        )
    else:
        op.execute(
            "UPDATE events SET raw = json_remove(raw, '$.routing_key') "
            "WHERE json_type(raw) = 'object' AND json_type(raw, '$.routing_key') IS NOT NULL"
        )


def downgrade() -> None:
    """The keys and the refused events are gone for good: nothing to put back."""
