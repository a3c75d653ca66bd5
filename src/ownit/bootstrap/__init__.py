"""Wiring: the only place that knows which concrete adapters go together.

:func:`build_app` and :func:`build_worker` make the web application and the durable worker
on an engine from :func:`open_database`; commands open :func:`database` (or
:func:`existing_database`) and get a :class:`Database`: its stores typed to the app's ports,
who is on call, and its migrations.
"""

from __future__ import annotations

from ownit.bootstrap.app import app_from_env, build_app
from ownit.bootstrap.database import (
    ACTION_SECRET,
    BootstrapError,
    Database,
    database,
    existing_database,
    newest_revision,
    on_call_lookup,
    open_database,
    password_hasher,
    secret_box,
)
from ownit.bootstrap.worker import (
    ENGINE_ADVANCE_BATCH,
    ENGINE_SQLITE_ADVANCE_BATCH,
    auto_resolve_pass,
    build_worker,
    channel_status,
    heartbeat_check,
    notifier_context,
    outbound_warning,
    paging_report,
    web_notifiers,
)

__all__ = [
    "ACTION_SECRET",
    "ENGINE_ADVANCE_BATCH",
    "ENGINE_SQLITE_ADVANCE_BATCH",
    "BootstrapError",
    "Database",
    "app_from_env",
    "auto_resolve_pass",
    "build_app",
    "build_worker",
    "channel_status",
    "database",
    "existing_database",
    "heartbeat_check",
    "newest_revision",
    "notifier_context",
    "on_call_lookup",
    "open_database",
    "outbound_warning",
    "paging_report",
    "password_hasher",
    "secret_box",
    "web_notifiers",
]
