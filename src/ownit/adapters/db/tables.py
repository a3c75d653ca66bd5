"""SQLAlchemy Core tables: the schema every migration builds towards."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    ColumnElement,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    false,
    literal_column,
    text,
)

from ownit.adapters.db.table_types import TS as TS
from ownit.adapters.db.table_types import BigId as BigId
from ownit.adapters.db.table_types import UTCDateTime as UTCDateTime
from ownit.adapters.db.table_types import metadata as metadata

organisations = Table(
    "organisations",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(200), nullable=False),
    Column("incident_seq", Integer, nullable=False, server_default=text("0")),
    # Who responds to incidents: anyone who may respond, or only the owner team (0010).
    Column("responding", String(10), nullable=False, server_default="anyone"),
)

users = Table(
    "users",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(100), nullable=False, unique=True),
    Column("display_name", String(200), nullable=False, server_default=""),
    Column("email", String(320), nullable=True),
    Column("timezone", String(64), nullable=False, server_default="UTC"),
    Column("spec", JSON, nullable=False),  # the catalog document's spec, normalised
    Column("source", String(200), nullable=True),  # which `apply --source` created it
    Column("created_at", TS, nullable=False),
    Column("updated_at", TS, nullable=False),
)

teams = Table(
    "teams",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(100), nullable=False, unique=True),
    Column("display_name", String(200), nullable=False, server_default=""),
    Column("spec", JSON, nullable=False),
    Column("source", String(200), nullable=True),
    Column("created_at", TS, nullable=False),
    Column("updated_at", TS, nullable=False),
    Column("description", Text, nullable=False, server_default=""),  # metadata.description
)

team_members = Table(
    "team_members",
    metadata,
    Column("team_id", Integer, ForeignKey("teams.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("role", String(20), nullable=False, server_default="responder"),
)

escalation_policies = Table(
    "escalation_policies",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(100), nullable=False, unique=True),
    Column("team_id", Integer, ForeignKey("teams.id", ondelete="SET NULL"), nullable=True),
    Column("spec", JSON, nullable=False),
    Column("source", String(200), nullable=True),
    Column("created_at", TS, nullable=False),
    Column("updated_at", TS, nullable=False),
)

services = Table(
    "services",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(100), nullable=False, unique=True),
    Column("description", Text, nullable=False, server_default=""),
    Column("owner_team_id", Integer, ForeignKey("teams.id", ondelete="SET NULL"), nullable=True),
    Column(
        "escalation_policy_id",
        Integer,
        ForeignKey("escalation_policies.id", ondelete="SET NULL"),
        nullable=True,
    ),
    Column("tier", Integer, nullable=True),
    Column("urgency", String(20), nullable=False, server_default="severity"),
    Column("spec", JSON, nullable=False),
    Column("source", String(200), nullable=True),
    Column("created_at", TS, nullable=False),
    Column("updated_at", TS, nullable=False),
)

integrations = Table(
    "integrations",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("service_id", Integer, ForeignKey("services.id", ondelete="CASCADE"), nullable=True),
    Column("name", String(100), nullable=False),
    Column("type", String(40), nullable=False),  # events-v2 | alertmanager
    Column("key", String(64), nullable=False, unique=True),  # SHA-256 of the key (0012)
    Column("key_hint", String(8), nullable=True),  # its first characters, to tell keys apart
    Column("created_at", TS, nullable=False),
    UniqueConstraint("service_id", "name"),
)

OPEN_INCIDENT = "status != 'resolved'"
"""An open incident, as the partial indexes on open incidents say it. A query must say it
the same way, :func:`open_incident`, for the database to use them: SQLite cannot tell that
``status IN (?, ?)`` with bound values means the same, and walks the index on status (or
every incident of a service, resolved ones too) instead (decision 0078)."""
_UNPAGED = "paging != 'ok'"  # the partial index on paging state (migration 0025)
_TIMED = "auto_resolve_at IS NOT NULL"  # the partial index on auto-resolve timers (0025)

incidents = Table(
    "incidents",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("org_id", Integer, ForeignKey("organisations.id"), nullable=False),
    Column("number", Integer, nullable=False),
    Column("title", Text, nullable=False),
    Column("status", String(20), nullable=False),
    Column("urgency", String(10), nullable=False),
    Column("severity", String(10), nullable=False),
    Column("service_id", Integer, ForeignKey("services.id", ondelete="CASCADE"), nullable=False),
    Column("component", String(100), nullable=True),
    Column("dedup_key", String(255), nullable=False),
    Column("alert_count", Integer, nullable=False, server_default=text("1")),
    Column("created_at", TS, nullable=False),
    Column("updated_at", TS, nullable=False),
    Column("acknowledged_at", TS, nullable=True),
    Column("acknowledged_by", String(200), nullable=True),
    Column("resolved_at", TS, nullable=True),
    Column("resolved_by", String(200), nullable=True),
    # Content-based grouping: the values of the service's ``grouping.by`` labels (JSON text).
    Column("group_key", String(255), nullable=True),
    # Never silent: ok | failed | nobody, and why (``ownit.domain.paging``).
    Column("paging", String(10), nullable=False, server_default="ok"),
    Column("paging_reason", String(40), nullable=True),
    # The service's ``autoResolve`` timer (migration 0007): when the worker next looks at
    # this incident for having had no new event that long (null: no timer).
    Column("auto_resolve_at", TS, nullable=True),
    # A practice incident (a drill or a game day's step, migration 0016): analytics leaves
    # it out unless asked.
    Column("drill", Boolean, nullable=False, server_default=false()),
    UniqueConstraint("org_id", "number"),
    Index("ix_incidents_status_created_at", "status", "created_at"),
    Index("ix_incidents_service_id_created_at", "service_id", "created_at"),
    Index("ix_incidents_created_at", "created_at"),
    # Open incidents by group key (decision 0072): the ingest writer's group-head lookup.
    Index(
        "ix_incidents_open_group_key",
        "group_key",
        "service_id",
        sqlite_where=text(OPEN_INCIDENT),
        postgresql_where=text(OPEN_INCIDENT),
    ),
    # Partial (migration 0025): a new incident is paged "ok" and mostly has no timer, and
    # adds no entry to either. The engine looks only for due timers; nothing searches by
    # paging state today, and a search would be for the unpaged.
    Index(
        "ix_incidents_paging",
        "paging",
        sqlite_where=text(_UNPAGED),
        postgresql_where=text(_UNPAGED),
    ),
    Index(
        "ix_incidents_auto_resolve_at",
        "auto_resolve_at",
        sqlite_where=text(_TIMED),
        postgresql_where=text(_TIMED),
    ),
    # Each service's open incidents, oldest first (decision 0078): the nearest open
    # incidents up- and downstream of an incident, and a first page's likely causes.
    Index(
        "ix_incidents_open_service",
        "service_id",
        "number",
        sqlite_where=text(OPEN_INCIDENT),
        postgresql_where=text(OPEN_INCIDENT),
    ),
)

# One row per incident and reason it could not be paged: ``ownit_paging_failures_total``.
paging_failures = Table(
    "paging_failures",
    metadata,
    Column(
        "incident_id",
        String(40),
        ForeignKey("incidents.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("reason", String(40), primary_key=True),
    Column("at", TS, nullable=False),
)

alerts = Table(
    "alerts",
    metadata,
    Column("id", String(40), primary_key=True),
    # A key to the incident on SQLite only (:data:`KEPT_BY_THE_CATALOG`).
    Column(
        "incident_id", String(40), ForeignKey("incidents.id", ondelete="CASCADE"), nullable=False
    ),
    Column("service_id", Integer, ForeignKey("services.id", ondelete="CASCADE"), nullable=False),
    Column("integration_id", Integer, nullable=True),
    Column("dedup_key", String(255), nullable=False),
    Column("status", String(20), nullable=False),
    Column("severity", String(10), nullable=False),
    Column("summary", Text, nullable=False),
    Column("source", Text, nullable=False, server_default=""),
    Column("details", JSON, nullable=True),  # the triggering event's payload, as received
    Column("labels", JSON, nullable=True),  # the labels routing and grouping look at
    Column("repeat_count", Integer, nullable=False, server_default=text("0")),
    Column("created_at", TS, nullable=False),
    Column("last_event_at", TS, nullable=False),
    Column("acknowledged_at", TS, nullable=True),
    Column("resolved_at", TS, nullable=True),
    Index("ix_alerts_incident_id", "incident_id"),
    # One open alert per (service, dedup key), enforced by the database itself. The key
    # leads: ingest looks up a batch's keys within a service, and with the service first
    # PostgreSQL could plan that as a walk of all the service's open alerts (decision 0072).
    Index(
        "uq_alerts_open_dedup",
        "dedup_key",
        "service_id",
        unique=True,
        sqlite_where=text("status != 'resolved'"),
        postgresql_where=text("status != 'resolved'"),
    ),
)

log_entries = Table(
    "log_entries",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    # A key to the incident on SQLite only (:data:`KEPT_BY_THE_CATALOG`).
    Column(
        "incident_id", String(40), ForeignKey("incidents.id", ondelete="CASCADE"), nullable=False
    ),
    Column("at", TS, nullable=False),
    Column("kind", String(40), nullable=False),
    Column("actor", String(200), nullable=False),
    Column("message", Text, nullable=False, server_default=""),
    Column("data", JSON, nullable=True),
    Index("ix_log_entries_incident_id_at", "incident_id", "at"),
)

events = Table(
    "events",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("received_at", TS, nullable=False),
    Column("format", String(40), nullable=False),
    Column("routing_key", String(64), nullable=False),
    Column("integration_id", Integer, nullable=True),
    Column("service_id", Integer, nullable=True),
    Column("action", String(20), nullable=False),
    Column("dedup_key", String(255), nullable=True),
    Column("outcome", String(100), nullable=False),
    Column("incident_id", String(40), nullable=True),
    Column("raw", JSON, nullable=True),
    Column("route", JSON, nullable=True),  # a router's decision path, when one routed it
    Index("ix_events_received_at", "received_at"),
    Index("ix_events_service_id_received_at", "service_id", "received_at"),
    Index("ix_events_incident_id", "incident_id"),
)

change_events = Table(
    "change_events",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("service_id", Integer, ForeignKey("services.id", ondelete="CASCADE"), nullable=False),
    Column("received_at", TS, nullable=False),
    Column("timestamp", TS, nullable=True),
    Column("summary", Text, nullable=False),
    Column("source", Text, nullable=False, server_default=""),
    Column("details", JSON, nullable=True),
    Column("links", JSON, nullable=True),
    Index("ix_change_events_service_id_received_at", "service_id", "received_at"),
)

# --- On call (migration 0002) -------------------------------------------------------------

schedules = Table(
    "schedules",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(100), nullable=False, unique=True),
    Column("team_id", Integer, ForeignKey("teams.id", ondelete="SET NULL"), nullable=True),
    Column("timezone", String(64), nullable=False),
    Column("spec", JSON, nullable=False),  # layers and catalog overrides, normalised
    Column("source", String(200), nullable=True),
    Column("created_at", TS, nullable=False),
    Column("updated_at", TS, nullable=False),
)

schedule_overrides = Table(
    "schedule_overrides",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("schedule_id", Integer, ForeignKey("schedules.id", ondelete="CASCADE"), nullable=False),
    Column("user_name", String(100), nullable=False),
    Column("start", TS, nullable=False),
    Column("end", TS, nullable=False),
    Column("created_by", String(200), nullable=False),
    Column("created_at", TS, nullable=False),
    Index("ix_schedule_overrides_schedule_id_end", "schedule_id", "end"),
)

# One row per incident that escalates: the policy frozen when it opened, the escalation
# state, and when the engine must look at it next (a timer is a row, never a sleep).
escalations = Table(
    "escalations",
    metadata,
    # A key to the incident on SQLite only (:data:`KEPT_BY_THE_CATALOG`).
    Column(
        "incident_id",
        String(40),
        ForeignKey("incidents.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("policy", JSON, nullable=True),  # snapshot; null: the service has no policy
    Column("state", JSON, nullable=True),  # null until the engine starts it
    Column("due_at", TS, nullable=True),  # null: nothing more to do
    Column("updated_at", TS, nullable=False),
    # The incident's service (it never changes): the claim finds each service's oldest due
    # first page by the index below, one probe per service (decision 0076).
    Column("service_id", Integer, nullable=True),
    Index("ix_escalations_due_at", "due_at"),
    Index(
        "ix_escalations_first_pages",
        "service_id",
        "due_at",
        "incident_id",  # the claim's order within a service: read from the index, no sort
        sqlite_where=text("state IS NULL"),
        postgresql_where=text("state IS NULL"),
    ),
)

# On PostgreSQL an incident's alerts, timeline entries and escalation keep no foreign key
# to it (migration 0026, decision 0082): ingest writes all three with every new incident,
# and PostgreSQL checked each against the incident the same batch had just inserted. Where
# incidents go (a service removed from the catalog), the catalog deletes them itself
# (``CatalogWriter``). SQLite keeps the keys declared here.
KEPT_BY_THE_CATALOG = (alerts, log_entries, escalations)

# The outbox: every notification to send, with its idempotency key.
notifications = Table(
    "notifications",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column(
        "incident_id", String(40), ForeignKey("incidents.id", ondelete="CASCADE"), nullable=True
    ),
    Column("user_name", String(100), nullable=False),
    Column("contact", String(100), nullable=False),
    Column("channel", String(20), nullable=False),
    Column("event_type", String(40), nullable=False),
    Column("idempotency_key", String(300), nullable=False, unique=True),
    Column("status", String(20), nullable=False),  # pending|sending|sent|failed|cancelled
    Column("due_at", TS, nullable=False),
    Column("claimed_until", TS, nullable=True),
    Column("attempts", Integer, nullable=False, server_default=text("0")),
    Column("last_error", Text, nullable=True),
    Column("created_at", TS, nullable=False),
    Column("sent_at", TS, nullable=True),
    Column("data", JSON, nullable=True),
    Index("ix_notifications_status_due_at", "status", "due_at"),
    Index("ix_notifications_incident_id", "incident_id"),
)


# --- Ownership and accounts (migration 0004) ---------------------------------------------

routers = Table(
    "routers",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(100), nullable=False, unique=True),
    Column("key", String(64), nullable=False, unique=True),  # SHA-256 of the key (0012)
    Column("key_hint", String(8), nullable=True),  # its first characters, to tell keys apart
    Column("spec", JSON, nullable=False),  # the route tree, normalised
    Column("source", String(200), nullable=True),
    Column("created_at", TS, nullable=False),
    Column("updated_at", TS, nullable=False),
)

# --- Grouping, maintenance and heartbeats (migration 0005) -------------------------------

maintenance_windows = Table(
    "maintenance_windows",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(100), nullable=False, unique=True),
    Column("description", Text, nullable=False, server_default=""),
    Column("start_at", TS, nullable=False),
    Column("end_at", TS, nullable=False),
    Column("source", String(200), nullable=True),  # the catalog file, or null (API/CLI)
    Column("created_by", String(200), nullable=False, server_default=""),
    Column("created_at", TS, nullable=False),
    Column("updated_at", TS, nullable=False),
    Index("ix_maintenance_windows_end_at", "end_at"),
)

maintenance_window_services = Table(
    "maintenance_window_services",
    metadata,
    Column(
        "window_id",
        Integer,
        ForeignKey("maintenance_windows.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("service_id", Integer, ForeignKey("services.id", ondelete="CASCADE"), primary_key=True),
    Index("ix_maintenance_window_services_service_id", "service_id"),
)

heartbeats = Table(
    "heartbeats",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(100), nullable=False, unique=True),
    Column("service_id", Integer, ForeignKey("services.id", ondelete="CASCADE"), nullable=False),
    Column("interval_seconds", Integer, nullable=False),
    Column("grace_seconds", Integer, nullable=False),
    Column("key", String(64), nullable=False, unique=True),  # SHA-256 of the key (0012)
    Column("key_hint", String(8), nullable=True),  # its first characters, to tell keys apart
    Column("spec", JSON, nullable=False),
    Column("state", String(10), nullable=False, server_default="waiting"),  # waiting|up|down
    Column("last_ping_at", TS, nullable=True),
    Column("due_at", TS, nullable=False),  # when silence becomes a missed heartbeat
    Column("source", String(200), nullable=True),
    Column("created_at", TS, nullable=False),
    Column("updated_at", TS, nullable=False),
    Index("ix_heartbeats_due_at", "due_at"),
)

# Analytics reads delivered notifications by when they were sent (interruptions).
Index("ix_notifications_sent_at", notifications.c.sent_at)
# The analytics' interruptions and heat map: delivered messages in a window, from the index
# alone (migration 0020, decision 0063).
Index(
    "ix_notifications_status_sent_at",
    notifications.c.status,
    notifications.c.sent_at,
    notifications.c.user_name,
    notifications.c.contact,
)

# Tables that live in modules of their own (access, checks, drills, figures, postmortems,
# records, standards); offered here with the others.
from ownit.adapters.db.access_tables import api_tokens as api_tokens  # noqa: E402
from ownit.adapters.db.access_tables import app_secrets as app_secrets  # noqa: E402
from ownit.adapters.db.access_tables import calendar_tokens as calendar_tokens  # noqa: E402
from ownit.adapters.db.access_tables import user_credentials as user_credentials  # noqa: E402
from ownit.adapters.db.access_tables import web_sessions as web_sessions  # noqa: E402
from ownit.adapters.db.check_tables import daily_checks as daily_checks  # noqa: E402
from ownit.adapters.db.drill_tables import drill_runs as drill_runs  # noqa: E402
from ownit.adapters.db.drill_tables import drills as drills  # noqa: E402
from ownit.adapters.db.drill_tables import gameday_runs as gameday_runs  # noqa: E402
from ownit.adapters.db.drill_tables import gamedays as gamedays  # noqa: E402
from ownit.adapters.db.figure_tables import incident_figures as incident_figures  # noqa: E402
from ownit.adapters.db.postmortem_tables import postmortem_actions as postmortem_actions  # noqa: E402
from ownit.adapters.db.postmortem_tables import postmortem_reminders as postmortem_reminders  # noqa: E402
from ownit.adapters.db.postmortem_tables import postmortems as postmortems  # noqa: E402
from ownit.adapters.db.record_tables import analytics_baseline_groups as analytics_baseline_groups  # noqa: E402
from ownit.adapters.db.record_tables import analytics_baselines as analytics_baselines  # noqa: E402
from ownit.adapters.db.record_tables import audit_log as audit_log  # noqa: E402
from ownit.adapters.db.record_tables import incident_responses as incident_responses  # noqa: E402
from ownit.adapters.db.record_tables import login_attempts as login_attempts  # noqa: E402
from ownit.adapters.db.record_tables import rate_limits as rate_limits  # noqa: E402
from ownit.adapters.db.record_tables import used_action_links as used_action_links  # noqa: E402
from ownit.adapters.db.standard_tables import scorecards as scorecards  # noqa: E402
from ownit.adapters.db.standard_tables import standards as standards  # noqa: E402


def open_incident() -> ColumnElement[bool]:
    """The condition of the partial indexes on open incidents (:data:`OPEN_INCIDENT`), with
    the column named by its table (safe in a join) and the value written out, not bound."""
    return incidents.c.status != literal_column("'resolved'")
