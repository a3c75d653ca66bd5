"""audit log (append-only: a trigger refuses UPDATE and DELETE), login attempts, used
action links, API token expiry and scopes, the organisation's responding setting

Revision ID: 0010
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0008"
branch_labels = None
depends_on = None

_BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

_PG_FUNCTION = """
CREATE FUNCTION ownit_audit_log_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only';
END;
$$ LANGUAGE plpgsql
"""
_PG_TRIGGER = """
CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
FOR EACH ROW EXECUTE FUNCTION ownit_audit_log_append_only()
"""
_SQLITE_TRIGGERS = [
    f"""
CREATE TRIGGER audit_log_no_{what.lower()} BEFORE {what} ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END
"""
    for what in ("UPDATE", "DELETE")
]


def upgrade() -> None:
    op.create_table(
        "audit_log",
        sa.Column("id", _BigId, autoincrement=True, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("address", sa.String(length=64), nullable=True),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("action", sa.String(length=40), nullable=False),
        sa.Column("before", sa.JSON(), nullable=True),
        sa.Column("after", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
    )
    op.create_index("ix_audit_log_at", "audit_log", ["at"])
    op.create_index("ix_audit_log_actor_id", "audit_log", ["actor", "id"])
    op.create_index("ix_audit_log_kind_id", "audit_log", ["kind", "id"])
    op.create_table(
        "login_attempts",
        sa.Column("key", sa.String(length=120), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("blocked_until", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_login_attempts")),
    )
    op.create_index("ix_login_attempts_last_at", "login_attempts", ["last_at"])
    op.create_table(
        "used_action_links",
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("digest", name=op.f("pk_used_action_links")),
    )
    op.create_index("ix_used_action_links_used_at", "used_action_links", ["used_at"])
    with op.batch_alter_table("organisations") as batch:
        batch.add_column(
            sa.Column("responding", sa.String(length=10), server_default="anyone", nullable=False)
        )
    with op.batch_alter_table("api_tokens") as batch:
        batch.add_column(sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("scopes", sa.String(length=200), nullable=True))
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_PG_FUNCTION)
        op.execute(_PG_TRIGGER)
    else:
        for statement in _SQLITE_TRIGGERS:
            op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_log_append_only ON audit_log")
        op.execute("DROP FUNCTION IF EXISTS ownit_audit_log_append_only()")
    op.drop_table("audit_log")
    op.drop_table("login_attempts")
    op.drop_table("used_action_links")
    with op.batch_alter_table("organisations") as batch:
        batch.drop_column("responding")
    with op.batch_alter_table("api_tokens") as batch:
        batch.drop_column("scopes")
        batch.drop_column("expires_at")
