"""Wiring: the only place that knows which concrete adapters go together.

:func:`build_app` and :func:`build_worker` make the web application and the durable worker
on an engine from :func:`open_database`; commands open :func:`database` (or
:func:`existing_database`) and get a :class:`Database`: its stores typed to the app's ports,
who is on call, and its migrations.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from functools import cached_property
from pathlib import Path

from fastapi import FastAPI
from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError, SQLAlchemyError

from ownit.adapters.db.account_store import SqlAccountStore
from ownit.adapters.db.action_link_store import SqlActionLinks
from ownit.adapters.db.analytics_store import SqlAnalyticsStore
from ownit.adapters.db.audit_log import SqlAuditLog
from ownit.adapters.db.auto_resolve_store import SqlAutoResolveStore
from ownit.adapters.db.baseline_store import SqlBaselineStore
from ownit.adapters.db.catalog_store import SqlCatalogStore
from ownit.adapters.db.catalog_view import SqlCatalogView
from ownit.adapters.db.directory import SqlDirectory
from ownit.adapters.db.engine import is_sqlite, make_engine, read_only
from ownit.adapters.db.escalation_view import SqlEscalationView
from ownit.adapters.db.event_log import SqlEventLog
from ownit.adapters.db.heartbeat_store import SqlHeartbeatStore
from ownit.adapters.db.history_store import SqlHistory
from ownit.adapters.db.incident_store import SqlIncidentStore
from ownit.adapters.db.ingest_store import SqlIngestStore
from ownit.adapters.db.login_throttle_store import SqlLoginThrottle
from ownit.adapters.db.maintenance_store import SqlMaintenanceStore
from ownit.adapters.db.migrate import current_revision, head_revision, is_current, upgrade
from ownit.adapters.db.oncall_store import SqlScheduleStore
from ownit.adapters.db.org_settings_store import SqlOrgSettings
from ownit.adapters.db.paging_store import SqlPagingStore
from ownit.adapters.db.people_store import SqlPeopleStore
from ownit.adapters.db.personal_store import SqlPersonalStore
from ownit.adapters.db.router_store import SqlRouterStore
from ownit.adapters.db.secret_box import SecretBox, parse_key, seal_stored, sealed_problem
from ownit.adapters.db.secrets import shared_secret
from ownit.adapters.db.token_store import SqlTokenStore
from ownit.adapters.db.wakeup import WorkBell, listener_for
from ownit.adapters.db.work_store import SqlWorkStore
from ownit.adapters.http.actions import ActionDeps
from ownit.adapters.http.api_analytics import AnalyticsDeps
from ownit.adapters.http.api_audit import AuditDeps
from ownit.adapters.http.api_health import HealthDeps
from ownit.adapters.http.api_maintenance import MaintenanceDeps
from ownit.adapters.http.api_oncall import OnCallDeps
from ownit.adapters.http.api_services import ServicesDeps
from ownit.adapters.http.api_v1 import ApiDeps
from ownit.adapters.http.app import AppParts, Background, create_app
from ownit.adapters.http.client_address import parse_networks
from ownit.adapters.http.metrics import Metrics
from ownit.adapters.notifiers import NotifierContext, SmtpConfig, make_http_client
from ownit.adapters.notifiers.outbound import url_warning
from ownit.adapters.notifiers.registry import NotifierRegistry
from ownit.adapters.passwords import Argon2Hasher
from ownit.adapters.web.deps import WebDeps
from ownit.app import auto_resolve, heartbeats, oncall, paging_health
from ownit.app.accounts import AccountStore, PasswordHasher, SessionPolicy
from ownit.app.analytics import AnalyticsStore
from ownit.app.audit import AuditLog
from ownit.app.baselines import BaselineStore
from ownit.app.calendar_feed import ScheduleFeedStore
from ownit.app.catalog import CatalogStore
from ownit.app.clock import Clock, SystemClock
from ownit.app.delivery import ContactLimiter
from ownit.app.dependencies import History
from ownit.app.directory import Directory
from ownit.app.escalations import ManualEscalations, OnCallLookup
from ownit.app.event_log import EventLog
from ownit.app.heartbeats import HeartbeatStore
from ownit.app.incidents import IncidentStore
from ownit.app.ingest import GroupCommitter
from ownit.app.invitations import PeopleStore
from ownit.app.maintenance import MaintenanceStore
from ownit.app.notify import Notifier
from ownit.app.org_settings import OrgSettingsStore
from ownit.app.paging import PagingWatch
from ownit.app.paging_health import Report
from ownit.app.routing import RouterBook, RouterDirectory
from ownit.app.tokens import TokenStore
from ownit.settings import Settings
from ownit.worker.links import SignedLinks
from ownit.worker.loop import Worker

ACTION_SECRET = "action-links"  # noqa: S105 - the name of a secret, not a secret
log = logging.getLogger("ownit")


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
    try:
        problem = sealed_problem(engine, secret_box(settings))
    except SQLAlchemyError:
        problem = None  # no schema yet: nothing sealed
    except BootstrapError:
        engine.dispose()
        raise
    if problem is not None:
        engine.dispose()
        raise BootstrapError(problem)
    return engine


@contextmanager
def database(settings: Settings, *, migrate: bool = True) -> Iterator[Database]:
    """The configured database for one command: opened (and migrated unless told not to) at
    the start, closed at the end."""
    engine = open_database(settings, migrate=migrate)
    try:
        yield Database(engine, box=secret_box(settings))
    finally:
        engine.dispose()


@contextmanager
def existing_database(settings: Settings) -> Iterator[Database | None]:
    """The configured database if it exists and has a schema, else ``None``; never creates
    one, never migrates it; closed at the end."""
    engine = _existing_engine(settings)
    if engine is None:
        yield None
        return
    try:
        yield Database(engine, box=secret_box(settings))
    finally:
        engine.dispose()


def _existing_engine(settings: Settings) -> Engine | None:
    """The configured database if it exists and has a schema; never creates one."""
    url = settings.database_url
    try:
        if is_sqlite(url):
            path = make_url(url).database
            if not path or path == ":memory:" or not Path(path).exists():
                return None
        engine = open_database(settings, migrate=False)
    except (BootstrapError, SQLAlchemyError):
        return None
    try:
        if current_revision(engine) is not None:
            return engine
    except SQLAlchemyError:
        pass
    engine.dispose()
    return None


def newest_revision() -> str | None:
    """The schema revision the newest migration makes."""
    return head_revision()


def secret_box(settings: Settings) -> SecretBox | None:
    """What seals webhook signing secrets at rest (``OWNIT_SECRET_KEY``; none: plain text)."""
    if not settings.secret_key:
        return None
    try:
        return SecretBox(parse_key(settings.secret_key))
    except ValueError as exc:
        raise BootstrapError(f"OWNIT_SECRET_KEY {exc}") from None


def password_hasher() -> PasswordHasher:
    """How web login passwords are hashed and checked (Argon2)."""
    return Argon2Hasher()


class Database:
    """One open database as a command uses it: its stores, typed to the app's ports (each
    made on first use), who is on call, and its schema revision."""

    def __init__(self, engine: Engine, *, box: SecretBox | None = None) -> None:
        self.engine = engine
        self.box = box

    def upgrade(self) -> None:
        """Apply every migration not yet applied."""
        upgrade(self.engine)

    def revision(self) -> str | None:
        """The schema revision of the database (``None``: no schema yet)."""
        return current_revision(self.engine)

    def seal_secrets(self) -> int:
        """Encrypt the webhook secrets still stored in plain text (``OWNIT_SECRET_KEY`` must
        be set); returns how many users' contacts changed."""
        if self.box is None:
            raise BootstrapError("set OWNIT_SECRET_KEY first (openssl rand -base64 32)")
        return seal_stored(self.engine, self.box)

    @cached_property
    def accounts(self) -> AccountStore:
        return SqlAccountStore(self.engine)

    @cached_property
    def audit(self) -> AuditLog:
        return SqlAuditLog(self.engine)

    @cached_property
    def analytics(self) -> AnalyticsStore:
        return SqlAnalyticsStore(self.engine)

    @cached_property
    def baselines(self) -> BaselineStore:
        return SqlBaselineStore(self.engine)

    @cached_property
    def catalog(self) -> CatalogStore:
        return SqlCatalogStore(self.engine, box=self.box)

    @cached_property
    def directory(self) -> Directory:
        return SqlDirectory(self.engine)

    @cached_property
    def escalations(self) -> ManualEscalations:
        return SqlWorkStore(self.engine, box=self.box)

    @cached_property
    def events(self) -> EventLog:
        return SqlEventLog(self.engine)

    @cached_property
    def heartbeats(self) -> HeartbeatStore:
        return SqlHeartbeatStore(self.engine)

    @cached_property
    def history(self) -> History:
        return SqlHistory(self.engine)

    @cached_property
    def incidents(self) -> IncidentStore:
        return SqlIncidentStore(self.engine)

    @cached_property
    def maintenance(self) -> MaintenanceStore:
        return SqlMaintenanceStore(self.engine)

    @cached_property
    def org_settings(self) -> OrgSettingsStore:
        return SqlOrgSettings(self.engine)

    @cached_property
    def people(self) -> PeopleStore:
        return SqlPeopleStore(self.engine)

    @cached_property
    def routers(self) -> RouterDirectory:
        return SqlRouterStore(self.engine)

    @cached_property
    def schedules(self) -> ScheduleFeedStore:
        return SqlScheduleStore(self.engine)

    @cached_property
    def tokens(self) -> TokenStore:
        return SqlTokenStore(self.engine)

    @cached_property
    def on_call(self) -> OnCallLookup:
        return on_call_lookup(self.engine)


def on_call_lookup(engine: Engine) -> OnCallLookup:
    """Who is on call in a schedule at an instant, read from the database (nobody for a
    schedule that does not exist)."""
    store = SqlScheduleStore(read_only(engine))

    def lookup(name: str, at: datetime) -> tuple[str, ...]:
        return oncall.on_call_names(store=store, name=name, at=at)

    return lookup


def _smtp(settings: Settings) -> SmtpConfig | None:
    if not settings.smtp_host:
        return None
    return SmtpConfig(
        host=settings.smtp_host,
        port=settings.smtp_port,
        sender=settings.smtp_from,
        security=settings.smtp_security,
        username=settings.smtp_username,
        password=settings.smtp_password,
    )


def outbound_warning(settings: Settings) -> Callable[[str], str | None]:
    """What to say when a contact URL is saved that outgoing calls would refuse."""
    allow = settings.outbound_allow
    return lambda url: url_warning(url, allow)


def notifier_context(settings: Settings, engine: Engine, clock: Clock) -> NotifierContext:
    """What every notifier is built with: an HTTP client, the clock, the signing secret of
    one-click action links, and the SMTP settings (``None`` when e-mail is not set up)."""
    secret = shared_secret(engine, ACTION_SECRET, clock.now())
    return NotifierContext(
        http=make_http_client(settings.outbound_allow),
        now=clock.now,
        action_secret=secret,
        smtp=_smtp(settings),
    )


def channel_status(settings: Settings) -> dict[str, str | None]:
    """Each notifier channel the worker would have: ``None`` when it can be built from
    ``settings``, else why not (``email needs SMTP settings…``). Nothing is sent."""
    http = make_http_client(settings.outbound_allow)
    try:
        context = NotifierContext(
            http=http, now=SystemClock().now, action_secret=b"\0" * 32, smtp=_smtp(settings)
        )
        built = NotifierRegistry.load().create_all(context)
    finally:
        http.close()
    return dict.fromkeys(built.by_channel) | dict(built.unavailable)


def paging_report(
    settings: Settings, engine: Engine, clock: Clock | None = None
) -> Callable[[], Report]:
    """``ownit doctor``'s report on ``engine``, fresh at each call."""
    clock = clock or SystemClock()
    channels = channel_status(settings)
    schedules, health = SqlScheduleStore(engine), SqlPagingStore(engine)

    def report() -> Report:
        return paging_health.check(
            schedules=schedules, health=health, channels=channels, now=clock.now()
        )

    return report


def web_notifiers(
    settings: Settings, engine: Engine, clock: Clock
) -> Callable[[], tuple[dict[str, Notifier], dict[str, str]]]:
    """The page notifiers for the web UI's test notifications, built on first use."""
    built: list[tuple[dict[str, Notifier], dict[str, str]]] = []

    def get() -> tuple[dict[str, Notifier], dict[str, str]]:
        if not built:
            context = notifier_context(settings, engine, clock)
            found = NotifierRegistry.load().create_all(context)
            built.append((found.by_channel, found.unavailable))
        return built[0]

    return get


# Escalations advanced per engine transaction, between two delivery rounds: small, so a new
# incident's first page (claimed first) is committed and delivered within one short cycle.
ENGINE_ADVANCE_BATCH = 8
ENGINE_SQLITE_ADVANCE_BATCH = 4  # on SQLite the transaction also holds the one write lock


def build_worker(
    settings: Settings,
    engine: Engine,
    *,
    clock: Clock | None = None,
    on_call: OnCallLookup | None = None,
    wakeup: bool = False,
) -> Worker:
    """The durable engine (escalations and deliveries) on ``engine``; with ``wakeup`` it
    also listens for new work (``ownit worker``: one listener per engine process)."""
    clock = clock or SystemClock()
    context = notifier_context(settings, engine, clock)
    secret = shared_secret(engine, ACTION_SECRET, clock.now())  # the same, for signed links
    registry = NotifierRegistry.load()
    notifiers = registry.create_all(context)
    for channel, why in notifiers.unavailable.items():
        log.warning("notifications by %s are off: %s", channel, why)
    work = SqlWorkStore(engine, box=secret_box(settings))
    return Worker(
        store=work,
        notifiers=notifiers.by_channel,
        links=SignedLinks(base_url=settings.base_url, secret=secret, clock=clock),
        clock=clock,
        on_call=on_call or on_call_lookup(engine),
        interval=settings.engine_interval,
        # SQLite: a short write transaction, so ingest's writer waits for at most a few.
        advance_batch=ENGINE_SQLITE_ADVANCE_BATCH
        if engine.dialect.name == "sqlite"
        else ENGINE_ADVANCE_BATCH,
        lease=settings.delivery_lease,
        limiter=ContactLimiter(settings.contact_rate_limit)
        if settings.contact_rate_limit > 0
        else ContactLimiter(limit=1_000_000_000),
        heartbeats=heartbeat_check(engine),
        paging=PagingWatch(SqlPagingStore(engine), work.locked),
        auto_resolve=auto_resolve_pass(engine),
        wakeup=listener_for(engine) if wakeup else None,
    )


def heartbeat_check(engine: Engine) -> Callable[[datetime], int]:
    """The engine's pass over heartbeats: missed ones become trigger events."""
    store = SqlHeartbeatStore(engine)
    ingest = SqlIngestStore(engine)

    def check(now: datetime) -> int:
        return heartbeats.check_missed(store=store, ingest=ingest, now=now)

    return check


def auto_resolve_pass(engine: Engine) -> Callable[[datetime], int]:
    """The engine's pass over due auto-resolve timers."""
    store = SqlAutoResolveStore(engine)

    def run(now: datetime) -> int:
        return auto_resolve.resolve_idle(store=store, now=now)

    return run


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
    incidents = SqlIncidentStore(engine)
    event_log = SqlEventLog(engine)
    metrics = Metrics(
        open_counts=incidents.open_counts,
        paging_failures=SqlPagingStore(engine).failure_counts,
    )
    committer = GroupCommitter(
        store=SqlIngestStore(
            engine,
            # Routers are read through the read-only engine: the writer holds the lock.
            routers=RouterBook(store=SqlRouterStore(read_only(engine)), clock=clock),
            bell=WorkBell(engine),
        ),
        clock=clock,
        batch_max=settings.batch_max,
        # PostgreSQL takes concurrent writers; SQLite has one writer at a time anyway.
        writers=1 if engine.dialect.name == "sqlite" else 2,
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

    tokens = SqlTokenStore(engine)
    schedules = SqlScheduleStore(engine)
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
        unknown_key_rate_limit=settings.unknown_key_rate_limit,
        metrics_token=settings.metrics_token,
        database_ok=database_ok,
        migrations_current=lambda: is_current(engine),
        prune_events=prune,
        actions=ActionDeps(
            incidents=incidents,
            clock=clock,
            secret=lambda: shared_secret(engine, ACTION_SECRET, clock.now()),
            slack_signing_secret=settings.slack_signing_secret,
            used=SqlActionLinks(engine),
            rights=SqlActionLinks(engine),
        ),
        background=work,
        audit=AuditDeps(log=SqlAuditLog(engine), tokens=tokens, clock=clock),
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
            personal=SqlPersonalStore(engine, box=secret_box(settings)),
            notifiers=web_notifiers(settings, engine, clock),
            base_url=settings.base_url,
            catalog=SqlCatalogView(engine),
            history=SqlHistory(engine),
            tokens=tokens,
            people=SqlPeopleStore(engine),
            events=event_log,
            paging_report=report,
            outbound_warning=outbound_warning(settings),
            audit=SqlAuditLog(engine),
            analytics=SqlAnalyticsStore(engine),
            baselines=SqlBaselineStore(engine),
        ),
        health=HealthDeps(report=report, tokens=tokens),
    )
    return create_app(parts)


def app_from_env() -> FastAPI:
    """For ``ownit serve --workers N``: each API process builds its app from ``OWNIT_*``
    (the parent has migrated the database; the engine runs in its own process)."""
    import gc

    settings = Settings.from_env()
    app = build_app(settings, open_database(settings, migrate=False))
    gc.collect()
    gc.freeze()
    return app
