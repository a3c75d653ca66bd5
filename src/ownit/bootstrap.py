"""Wiring: the only place that knows which concrete adapters go together."""

from __future__ import annotations

from datetime import datetime

from fastapi import FastAPI
from sqlalchemy import Engine, text
from sqlalchemy.exc import OperationalError

from ownit.adapters.db.directory import SqlDirectory
from ownit.adapters.db.engine import make_engine
from ownit.adapters.db.event_log import SqlEventLog
from ownit.adapters.db.incident_store import SqlIncidentStore
from ownit.adapters.db.ingest_store import SqlIngestStore
from ownit.adapters.db.migrate import is_current, upgrade
from ownit.adapters.db.token_store import SqlTokenStore
from ownit.adapters.http.api_v1 import ApiDeps
from ownit.adapters.http.app import AppParts, create_app
from ownit.adapters.http.metrics import Metrics
from ownit.app.ingest import GroupCommitter
from ownit.app.ports import Clock, SystemClock
from ownit.settings import Settings


class BootstrapError(Exception):
    """ownit cannot start: the message says why, in a line."""

    exit_code = 1


def open_database(settings: Settings, *, migrate: bool = True) -> Engine:
    """An engine on the configured database, migrated to the newest schema unless told not to."""
    engine = make_engine(settings.database_url)
    try:
        if migrate:
            upgrade(engine)
        else:
            with engine.connect():
                pass
    except OperationalError as exc:
        engine.dispose()
        raise BootstrapError(
            f"cannot open the database {settings.database_url!r}: {exc.orig}"
        ) from None
    return engine


def build_app(settings: Settings, engine: Engine, *, clock: Clock | None = None) -> FastAPI:
    """The web application on ``engine`` (already migrated)."""
    clock = clock or SystemClock()
    incidents = SqlIncidentStore(engine)
    event_log = SqlEventLog(engine)
    metrics = Metrics(open_counts=incidents.open_counts)
    committer = GroupCommitter(
        store=SqlIngestStore(engine),
        clock=clock,
        batch_max=settings.batch_max,
        on_batch=metrics.observe_batch,
    )

    def database_ok() -> bool:
        try:
            with engine.connect() as conn:
                conn.execute(text("SELECT 1"))
        except Exception:
            return False
        return True

    def prune() -> int:
        now: datetime = clock.now()
        return event_log.prune(
            older_than=now - settings.event_retention, keep_at_most=settings.event_retention_max
        )

    parts = AppParts(
        api=ApiDeps(
            incidents=incidents,
            directory=SqlDirectory(engine),
            events=event_log,
            tokens=SqlTokenStore(engine),
            clock=clock,
        ),
        committer=committer,
        metrics=metrics,
        clock=clock,
        events_rate_limit=settings.events_rate_limit,
        database_ok=database_ok,
        migrations_current=lambda: is_current(engine),
        prune_events=prune,
    )
    return create_app(parts)
