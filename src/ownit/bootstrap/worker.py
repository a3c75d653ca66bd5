"""The durable worker and what it is built with: notifiers, who is on call, its timers."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import Engine

from ownit.adapters.db.analytics_figures import SqlFigureCatchUp
from ownit.adapters.db.auto_resolve_store import SqlAutoResolveStore
from ownit.adapters.db.catalog_store import SqlCatalogStore
from ownit.adapters.db.drill_store import SqlDrillStore
from ownit.adapters.db.engine import behind_ingest
from ownit.adapters.db.gameday_store import SqlGameDayStore
from ownit.adapters.db.heartbeat_store import SqlHeartbeatStore
from ownit.adapters.db.incident_store import SqlIncidentStore
from ownit.adapters.db.ingest_store import SqlIngestStore
from ownit.adapters.db.oncall_store import SqlScheduleStore
from ownit.adapters.db.paging_store import SqlPagingStore
from ownit.adapters.db.postmortem_reminder_store import SqlReminderStore
from ownit.adapters.db.raise_early_store import SqlRaiseEarlyStore
from ownit.adapters.db.secrets import shared_secret
from ownit.adapters.db.wakeup import WorkBell, listener_for
from ownit.adapters.db.work_store import SqlWorkStore
from ownit.adapters.notifiers import NotifierContext, SmtpConfig, make_http_client
from ownit.adapters.notifiers.outbound import url_warning
from ownit.adapters.notifiers.registry import NotifierRegistry
from ownit.app import (
    auto_resolve,
    drills,
    gamedays,
    heartbeats,
    paging_health,
    postmortem_reminders,
    raise_early,
)
from ownit.app.clock import Clock, SystemClock, at_most_every
from ownit.app.delivery import ContactLimiter
from ownit.app.escalations import OnCallLookup
from ownit.app.notify import Notifier
from ownit.app.paging import PagingWatch
from ownit.app.paging_health import Report
from ownit.app.postmortem_reminders import every_minute
from ownit.app.standards import catalog_world
from ownit.bootstrap.database import ACTION_SECRET, on_call_lookup, secret_box
from ownit.domain.standards import History, World
from ownit.settings import Settings
from ownit.worker.links import SignedLinks
from ownit.worker.loop import Worker

log = logging.getLogger("ownit")


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
    secret = shared_secret(engine, ACTION_SECRET, clock.now(), secret_box(settings))
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
# How often the engine stores the analytics figures of incidents changed without them (a
# report computes them in memory meanwhile: decision 0062).
FIGURES_EVERY = timedelta(seconds=10)


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
    engine = behind_ingest(engine)  # on SQLite: a waiting ingest writer goes first (0068)
    clock = clock or SystemClock()
    context = notifier_context(settings, engine, clock)
    # the same, for signed links
    secret = shared_secret(engine, ACTION_SECRET, clock.now(), secret_box(settings))
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
        busy_share=settings.engine_busy_share,
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
        postmortem_reminders=postmortem_reminder_pass(engine),
        wakeup=listener_for(engine) if wakeup else None,
        drills=drill_pass(engine),
        standards=raise_early_pass(settings, engine),
        figures=at_most_every(FIGURES_EVERY, SqlFigureCatchUp(engine)),
    )


def drill_pass(engine: Engine) -> Callable[[datetime], int]:
    """The engine's pass over drills and game days: game-day steps due, scheduled runs,
    completion, auto-resolve."""
    store = SqlDrillStore(engine, bell=WorkBell(engine))
    incidents = SqlIncidentStore(engine)

    days = SqlGameDayStore(engine)

    def run(now: datetime) -> int:
        steps = gamedays.engine_pass(store=days, drills=store, now=now)
        return steps + drills.engine_pass(store=store, incidents=incidents, now=now)

    return run


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


def postmortem_reminder_pass(engine: Engine) -> Callable[[datetime], int]:
    """The engine's pass over due postmortems and action items, once a minute."""
    store = SqlReminderStore(engine)
    return every_minute(lambda now: postmortem_reminders.remind_due(store=store, now=now))


def raise_early_pass(settings: Settings, engine: Engine) -> Callable[[datetime], int]:
    """The standards' daily check (its timer looked at once a minute): on-call gaps and
    unreachable responders become incidents to the team's managers (decision 0056)."""
    store = SqlRaiseEarlyStore(engine, bell=WorkBell(engine))
    catalog = SqlCatalogStore(engine, box=secret_box(settings))
    schedules = SqlScheduleStore(engine)

    def world(now: datetime) -> World:
        return catalog_world(catalog, schedules, now, History())

    return every_minute(lambda now: raise_early.daily(store=store, world=world, now=now))
