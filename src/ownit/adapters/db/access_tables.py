"""Who may reach ownit, and ownit's own secrets: API tokens, calendar feed tokens, web
logins and their sessions, secrets ownit makes for itself. Imported by
:mod:`ownit.adapters.db.tables`, which offers them with the others.
"""

from __future__ import annotations

from sqlalchemy import Column, ForeignKey, Index, Integer, String, Table

from ownit.adapters.db.table_types import TS, metadata

api_tokens = Table(
    "api_tokens",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(100), nullable=False),
    Column("role", String(20), nullable=False),  # admin | responder | viewer
    Column("token_hash", String(64), nullable=False, unique=True),
    # A token made by a signed-in user acts as that user (their team roles apply).
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=True),
    Column("created_at", TS, nullable=False),
    Column("last_used_at", TS, nullable=True),
    Column("revoked_at", TS, nullable=True),
    Column("expires_at", TS, nullable=True),  # none: never (0010)
    Column("scopes", String(200), nullable=True),  # comma-separated; none: all (0010)
)

calendar_tokens = Table(
    "calendar_tokens",
    metadata,
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("created_at", TS, nullable=False),
)

# Secrets ownit makes for itself (e.g. the key that signs one-click action links), shared by
# every process on the database.
app_secrets = Table(
    "app_secrets",
    metadata,
    Column("name", String(100), primary_key=True),
    Column("value", String(200), nullable=False),
    Column("created_at", TS, nullable=False),
)

# People who log in to the web UI: a catalog user with a password and an organisation role.
user_credentials = Table(
    "user_credentials",
    metadata,
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("password_hash", String(300), nullable=True),  # null: invited, not yet set
    Column("org_role", String(20), nullable=False, server_default="member"),  # admin | member
    Column("invite_hash", String(64), nullable=True, unique=True),
    Column("invite_expires_at", TS, nullable=True),
    Column("created_at", TS, nullable=False),
    Column("updated_at", TS, nullable=False),
)

web_sessions = Table(
    "web_sessions",
    metadata,
    Column("id_hash", String(64), primary_key=True),  # SHA-256 of the cookie's session id
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("csrf_token", String(64), nullable=False),
    Column("created_at", TS, nullable=False),
    Column("last_seen_at", TS, nullable=False),
    Column("expires_at", TS, nullable=False),
    Index("ix_web_sessions_user_id", "user_id"),
)
