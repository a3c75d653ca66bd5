"""hashed keys: integration, router and heartbeat keys kept as SHA-256 digests

Compare-only keys were kept as written: whoever read the database could send events with
them (finding 11 of the security review). This revision keeps each key's first four
characters as ``key_hint`` and replaces the key by its SHA-256 (64 hexadecimal
characters), in ``integrations``, ``routers`` and ``heartbeats`` and in the
``routing_key`` of kept events (decision 0035). The keys cannot be put back: the
downgrade drops the hints and leaves the digests.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06 12:00:00
"""

from __future__ import annotations

import hashlib
import re

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

_DIGEST = re.compile(r"[0-9a-f]{64}")
_KEYED = ("integrations", "routers", "heartbeats")


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def upgrade() -> None:
    for name in _KEYED:
        op.add_column(name, sa.Column("key_hint", sa.String(length=8), nullable=True))
    conn = op.get_bind()
    for name in _KEYED:
        table = sa.table(name, sa.column("id", sa.Integer), sa.column("key"), sa.column("key_hint"))
        rows = conn.execute(sa.select(table.c.id, table.c.key)).all()
        for row_id, key in rows:
            if _DIGEST.fullmatch(key):
                continue
            conn.execute(
                sa.update(table)
                .where(table.c.id == row_id)
                .values(key=_digest(key), key_hint=key[:4])
            )
    events = sa.table("events", sa.column("routing_key"))
    keys = conn.execute(sa.select(events.c.routing_key).distinct()).scalars().all()
    for key in keys:
        if not _DIGEST.fullmatch(key):
            conn.execute(
                sa.update(events)
                .where(events.c.routing_key == key)
                .values(routing_key=_digest(key))
            )


def downgrade() -> None:
    """The keys are gone for good (only their digests are kept): drop the hints."""
    for name in _KEYED:
        op.drop_column(name, "key_hint")
