"""The web application: every handler's dependencies, wired to the SQL stores."""

from __future__ import annotations

from datetime import datetime

from fastapi import FastAPI
from sqlalchemy import Engine, text

from ownit.adapters.db.account_store import SqlAccountStore
from ownit.adapters.db.action_link_store import SqlActionLinks
from ownit.adapters.db.analytics_store import SqlAnalyticsStore
from ownit.adapters.db.audit_log import SqlAuditLog
from ownit.adapters.db.baseline_store import SqlBaselineStore
from ownit.adapters.db.catalog_store import SqlCatalogStore
from ownit.adapters.db.catalog_view import SqlCatalogView
from ownit.adapters.db.directory import SqlDirectory
from ownit.adapters.db.drill_store import SqlDrillStore
from ownit.adapters.db.engine import ingest_writer, read_only, write_ahead_log
from ownit.adapters.db.escalation_view import SqlEscalationView
from ownit.adapters.db.event_log import SqlEventLog
from ownit.adapters.db.gameday_store import SqlGameDayStore
from ownit.adapters.db.heartbeat_store import SqlHeartbeatStore
from ownit.adapters.db.history_store import SqlHistory
from ownit.adapters.db.incident_store import SqlIncidentStore
from ownit.adapters.db.ingest_store import SqlIngestStore
from ownit.adapters.db.login_throttle_store import SqlLoginThrottle
from ownit.adapters.db.maintenance_store import SqlMaintenanceStore
from ownit.adapters.db.migrate import is_current
from ownit.adapters.db.oncall_store import SqlScheduleStore
from ownit.adapters.db.org_settings_store import SqlOrgSettings
from ownit.adapters.db.page_store import SqlPageStore
from ownit.adapters.db.paging_store import SqlPagingStore
from ownit.adapters.db.people_store import SqlPeopleStore
from ownit.adapters.db.personal_store import SqlPersonalStore
from ownit.adapters.db.postmortem_store import SqlPostmortemStore
from ownit.adapters.db.rate_limit_store import SqlKeyBook, SqlRateLimits
from ownit.adapters.db.router_store import SqlRouterStore
from ownit.adapters.db.secrets import shared_secret
from ownit.adapters.db.test_event_targets import SqlTestEventTargets
from ownit.adapters.db.token_store import SqlTokenStore
from ownit.adapters.db.wakeup import WorkBell
from ownit.adapters.db.work_store import SqlWorkStore
from ownit.adapters.http.actions import ActionDeps
from ownit.adapters.http.api_analytics import AnalyticsDeps
from ownit.adapters.http.api_audit import AuditDeps
from ownit.adapters.http.api_drills import DrillsDeps
from ownit.adapters.http.api_gamedays import GameDaysDeps
from ownit.adapters.http.api_health import HealthDeps
from ownit.adapters.http.api_maintenance import MaintenanceDeps
from ownit.adapters.http.api_oncall import OnCallDeps
from ownit.adapters.http.api_pages import PagesDeps
from ownit.adapters.http.api_postmortems import PostmortemDeps
from ownit.adapters.http.api_services import ServicesDeps
from ownit.adapters.http.api_settings import SettingsDeps
from ownit.adapters.http.api_standards import StandardsDeps
from ownit.adapters.http.api_test_events import TestEventDeps
from ownit.adapters.http.api_v1 import ApiDeps
from ownit.adapters.http.app import AppParts, Background, create_app
from ownit.adapters.http.client_address import parse_networks
from ownit.adapters.http.metrics import Metrics
from ownit.adapters.web.deps import WebDeps
from ownit.app.accounts import SessionPolicy
from ownit.app.clock import Clock, SystemClock
from ownit.app.escalations import OnCallLookup
from ownit.app.ingest import GroupCommitter
from ownit.app.routing import RouterBook
from ownit.app.standards import Sources as StandardsSources
from ownit.app.standards_records import LearningRecords
from ownit.bootstrap.database import (
    ACTION_SECRET,
    on_call_lookup,
    open_database,
    password_hasher,
    secret_box,
)
from ownit.bootstrap.gc_tuning import tune_gc
from ownit.bootstrap.logs import configure_logging
from ownit.bootstrap.worker import outbound_warning, paging_report, web_notifiers
from ownit.settings import Settings


def build_app(
    settings: Settings,
    engine: Engine,
    *,
    clock: Clock | None = None,
    work: Background | None = None,
    on_call: OnCallLookup | None = None,
) -> FastAPI:
    """The web application on ``engine`` (already migrated); runs ``work`` while it serves
    (an engine in this process, or the supervisor of the engine's child process)."""
    clock = clock or SystemClock()
    box = secret_box(settings)  # seals the action-link key (0037) and webhook secrets
    incidents = SqlIncidentStore(engine)
    event_log = SqlEventLog(engine)
    metrics = Metrics(
        open_counts=incidents.open_counts,
        paging_failures=SqlPagingStore(engine).failure_counts,
    )
    committer = GroupCommitter(
        store=SqlIngestStore(
            # On SQLite the writer is first in line for the write lock, commits and goes on;
            # each batch is answered once its commit is on disk (decision 0068).
            ingest_writer(engine),
            # Routers are read through the read-only engine: the writer holds the lock.
            routers=RouterBook(store=SqlRouterStore(read_only(engine)), clock=clock),
            bell=WorkBell(engine),
        ),
        clock=clock,
        batch_max=settings.batch_max,
        # PostgreSQL takes concurrent writers; SQLite has one writer at a time anyway.
        writers=1 if engine.dialect.name == "sqlite" else 2,
        on_batch=metrics.observe_batch,
        durability=write_ahead_log(engine),
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

    tokens = SqlTokenStore(engine)
    schedules = SqlScheduleStore(engine)
    # One of each store, shared by the API, the web pages and the standards they feed.
    postmortems = SqlPostmortemStore(engine)
    drills = SqlDrillStore(engine, bell=WorkBell(engine))
    # What only reads (the standards, the service page) reads through the read-only engine:
    # on SQLite its transactions do not queue for the write lock behind ingest, the engine
    # and each other. One catalog store: the page and its badge share its kept snapshot.
    reader = read_only(engine)
    catalog = SqlCatalogStore(engine, box=secret_box(settings))
    standards = StandardsSources(
        catalog,
        SqlScheduleStore(reader),
        SqlAnalyticsStore(engine),
        LearningRecords(SqlPostmortemStore(reader), SqlDrillStore(reader), clock),
    )
    directory = SqlDirectory(engine)
    report = paging_report(settings, engine, clock)
    parts = AppParts(
        api=ApiDeps(
            incidents=incidents,
            directory=directory,
            events=event_log,
            tokens=tokens,
            clock=clock,
            escalations=SqlWorkStore(engine),
            on_call=on_call or on_call_lookup(engine),
        ),
        committer=committer,
        metrics=metrics,
        clock=clock,
        events_rate_limit=settings.events_rate_limit,
        max_body=settings.max_body,
        alertmanager_max_body=settings.alertmanager_max_body,
        unknown_key_rate_limit=settings.unknown_key_rate_limit,
        rate_limits=SqlRateLimits(engine),
        key_book=SqlKeyBook(engine),
        metrics_token=settings.metrics_token,
        database_ok=database_ok,
        migrations_current=lambda: is_current(engine),
        prune_events=prune,
        actions=ActionDeps(
            incidents=incidents,
            clock=clock,
            secret=lambda: shared_secret(engine, ACTION_SECRET, clock.now(), box),
            slack_signing_secret=settings.slack_signing_secret,
            used=SqlActionLinks(engine),
            rights=SqlActionLinks(engine),
        ),
        background=work,
        audit=AuditDeps(log=SqlAuditLog(engine), tokens=tokens, clock=clock),
        settings=SettingsDeps(store=SqlOrgSettings(engine), tokens=tokens, clock=clock),
        trusted_proxies=parse_networks(",".join(settings.trusted_proxies)),
        oncall=OnCallDeps(
            schedules=schedules,
            calendars=schedules,
            tokens=tokens,
            clock=clock,
            base_url=settings.base_url,
        ),
        services=ServicesDeps(
            directory=directory,
            incidents=incidents,
            tokens=tokens,
            history=SqlHistory(engine),
            clock=clock,
            schedules=schedules,
        ),
        maintenance=MaintenanceDeps(
            store=SqlMaintenanceStore(engine),
            tokens=tokens,
            clock=clock,
            heartbeats=SqlHeartbeatStore(engine),
            committer=committer,
        ),
        analytics=AnalyticsDeps(
            store=SqlAnalyticsStore(engine),
            schedules=schedules,
            tokens=tokens,
            clock=clock,
            baselines=SqlBaselineStore(engine),
        ),
        standards=StandardsDeps(sources=standards, tokens=tokens, clock=clock),
        web=WebDeps(
            accounts=SqlAccountStore(engine),
            hasher=password_hasher(),
            incidents=incidents,
            directory=directory,
            schedules=schedules,
            clock=clock,
            throttle=SqlLoginThrottle(engine),
            secure_cookies=settings.base_url.startswith("https://"),
            policy=SessionPolicy(idle=settings.session_idle, absolute=settings.session_max),
            escalations=SqlWorkStore(engine),
            escalation_view=SqlEscalationView(engine),
            on_call=on_call or on_call_lookup(engine),
            personal=SqlPersonalStore(engine, box=box),
            notifiers=web_notifiers(settings, engine, clock),
            base_url=settings.base_url,
            catalog=SqlCatalogView(reader, catalog),
            history=SqlHistory(reader),
            incident_reads=SqlIncidentStore(reader),
            schedule_reads=SqlScheduleStore(reader),
            tokens=tokens,
            people=SqlPeopleStore(engine),
            events=event_log,
            paging_report=report,
            outbound_warning=outbound_warning(settings),
            audit=SqlAuditLog(engine),
            org_settings=SqlOrgSettings(engine),
            rate_limits=SqlRateLimits(engine),
            analytics=SqlAnalyticsStore(engine),
            baselines=SqlBaselineStore(reader),  # the web only compares with them
            postmortems=postmortems,
            standards=standards,
            drills=drills,
        ),
        health=HealthDeps(report=report, tokens=tokens),
        pages=PagesDeps(store=SqlPageStore(engine), tokens=tokens, clock=clock),
        postmortems=PostmortemDeps(store=postmortems, tokens=tokens, clock=clock),
        gamedays=GameDaysDeps(
            store=SqlGameDayStore(engine),
            drills=drills,
            tokens=tokens,
            clock=clock,
        ),
        drills=DrillsDeps(
            store=drills,
            incidents=incidents,
            tokens=tokens,
            clock=clock,
        ),
        test_events=TestEventDeps(
            drills=drills,
            targets=SqlTestEventTargets(engine),
            incidents=incidents,
            tokens=tokens,
            clock=clock,
            rate_limits=SqlRateLimits(engine),
        ),
    )
    return create_app(parts)


def app_from_env() -> FastAPI:
    """For ``ownit serve --workers N``: each API process builds its app from ``OWNIT_*``
    (the parent has migrated the database; the engine runs in its own process)."""
    settings = Settings.from_env()
    # A spawned process: its logs need the same format as the parent's (text or JSON).
    configure_logging(settings)
    app = build_app(settings, open_database(settings, migrate=False))
    tune_gc()  # as the single process does (decision 0066)
    return app
