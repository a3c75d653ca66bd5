"""Tables of records kept beside the incidents: the audit log, sign-in attempts, used
action links (migration 0010) and what analytics reads (migration 0011).

Imported by :mod:`ownit.adapters.db.tables`, which offers them with the others.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
)

from ownit.adapters.db.table_types import TS, BigId, metadata

# --- Audit log (migration 0010) --------------------------------------------------------------

# Append-only: no code path updates or deletes a row, and a trigger refuses both (0010).
audit_log = Table(
    "audit_log",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("at", TS, nullable=False),
    Column("actor", String(200), nullable=False),  # a user, token/NAME, cli/OSUSER, system
    Column("address", String(64), nullable=True),  # the client's IP, when over HTTP
    Column("kind", String(40), nullable=False),  # what changed: token, incident, catalog…
    Column("name", String(200), nullable=False),  # which one
    Column("action", String(40), nullable=False),  # created, revoked, acknowledged…
    Column("before", JSON, nullable=True),
    Column("after", JSON, nullable=True),
    Index("ix_audit_log_at", "at"),
    Index("ix_audit_log_actor_id", "actor", "id"),
    Index("ix_audit_log_kind_id", "kind", "id"),
)

# Login attempts per email (hashed) and per client address, shared by every process (0010).
login_attempts = Table(
    "login_attempts",
    metadata,
    Column("key", String(120), primary_key=True),  # email:SHA256… | client:ADDRESS
    Column("attempts", Integer, nullable=False),
    Column("last_at", TS, nullable=True),
    Column("blocked_until", TS, nullable=True),
    Index("ix_login_attempts_last_at", "last_at"),
)

# Rate-limit buckets shared by every process: unknown-key tries per client, test
# notifications per person (0017, decision 0055). A row untouched for a minute is deleted.
rate_limits = Table(
    "rate_limits",
    metadata,
    Column("name", String(200), primary_key=True),  # unknown-key:ADDRESS | test-notification:USER
    Column("tokens", Float, nullable=False),
    Column("at", TS, nullable=False),
    Index("ix_rate_limits_at", "at"),
)

# One-click action links already used: each works once (0010). Pruned after they expire.
used_action_links = Table(
    "used_action_links",
    metadata,
    Column("digest", String(64), primary_key=True),  # SHA-256 of the token
    Column("used_at", TS, nullable=False),
    Index("ix_used_action_links_used_at", "used_at"),
)

# --- Analytics records (migration 0011) --------------------------------------------------

# One row per incident and person: when they were first paged for it (and the highest
# escalation level that paged them), and their first acknowledgement and how they gave it
# (web, api, cli, link, slack). Written from migration 0011 on; analytics reads it.
RESPONSES_INDEXED = (
    "incident_id",
    "user_name",
    "first_paged_at",
    "highest_level",
    "acknowledged_at",
    "acknowledged_via",
)
incident_responses = Table(
    "incident_responses",
    metadata,
    Column(
        "incident_id",
        String(40),
        ForeignKey("incidents.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("user_name", String(200), primary_key=True),
    Column("first_paged_at", TS, nullable=True),
    Column("highest_level", Integer, nullable=True),
    Column("acknowledged_at", TS, nullable=True),
    Column("acknowledged_via", String(20), nullable=True),
    # Every column, so that the responder report reads the index alone (migration 0020).
    Index("ix_incident_responses_covering", *RESPONSES_INDEXED),
)

# A baseline: one window's figures per service and per team, kept to compare later weeks
# with. The newest is current unless one was chosen (the latest ``chosen_at``).
analytics_baselines = Table(
    "analytics_baselines",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(100), nullable=False, unique=True),
    Column("since", TS, nullable=False),
    Column("until", TS, nullable=False),
    Column("created_by", String(200), nullable=False, server_default=""),
    Column("created_at", TS, nullable=False),
    Column("chosen_at", TS, nullable=True),
)

analytics_baseline_groups = Table(
    "analytics_baseline_groups",
    metadata,
    Column(
        "baseline_id",
        Integer,
        ForeignKey("analytics_baselines.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("kind", String(10), primary_key=True),  # service | team
    Column("key", String(200), primary_key=True),
    Column("count", Integer, nullable=False),
    Column("tta_p50", Float, nullable=True),
    Column("tta_p90", Float, nullable=True),
    Column("ttr_p50", Float, nullable=True),
    Column("ttr_p90", Float, nullable=True),
    Column("noise_ratio", Float, nullable=False),
)
