"""The ASGI application: event endpoints, REST API, health and metrics."""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import logging
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Protocol

import orjson
from fastapi import FastAPI, Request
from starlette.responses import Response

from ownit.adapters.http import (
    actions,
    api_analytics,
    api_audit,
    api_catalog,
    api_docs,
    api_drills,
    api_event_log,
    api_gamedays,
    api_health,
    api_incidents,
    api_maintenance,
    api_oncall,
    api_pages,
    api_postmortems,
    api_services,
    api_settings,
    api_standards,
    api_test_events,
    api_v1,
    events,
    openapi_problems,
    problems,
)
from ownit.adapters.http.auth import AdminRoutes, write_gate
from ownit.adapters.http.client_address import AuditScopeMiddleware, Network
from ownit.adapters.http.fast_ingest import EventsFirst
from ownit.adapters.http.metrics import Metrics
from ownit.adapters.http.problems import Problem, problem_response
from ownit.adapters.http.request_guards import ApiAuthGate, BodyLimit
from ownit.adapters.web import routes as web
from ownit.app.clock import Clock
from ownit.app.ingest import GroupCommitter
from ownit.app.rate_limits import KeyBook, MemoryRateLimits, RateLimitStore, UnknownKeys
from ownit.domain.ratelimit import RateLimiter

log = logging.getLogger("ownit.http")


class Background(Protocol):
    def start(self) -> None: ...

    def stop(self, timeout: float = 10.0) -> None: ...


@dataclass
class AppParts:
    """Everything the web app needs, built by ``ownit.bootstrap``."""

    api: api_v1.ApiDeps
    committer: GroupCommitter
    metrics: Metrics
    clock: Clock
    events_rate_limit: int
    database_ok: Callable[[], bool]
    migrations_current: Callable[[], bool]
    actions: actions.ActionDeps | None = None
    background: Background | None = None  # the engine, when it runs in this process
    prune_events: Callable[[], int] | None = None
    housekeeping_every: timedelta = timedelta(minutes=1)
    version: str = "0.1.0"
    oncall: api_oncall.OnCallDeps | None = None
    web: web.WebDeps | None = None  # the web UI (server-rendered pages)
    services: api_services.ServicesDeps | None = None
    maintenance: api_maintenance.MaintenanceDeps | None = None
    health: api_health.HealthDeps | None = None  # GET /api/v1/health/paging
    max_body: int = 1024 * 1024  # bytes of request body on any endpoint (OWNIT_MAX_BODY)
    alertmanager_max_body: int = events.ALERTMANAGER_MAX_BODY  # one group (decision 0054)
    unknown_key_rate_limit: int = 60  # tries with unknown keys per client per minute; 0: off
    # Where those tries are counted: the database in a server (shared by its processes).
    rate_limits: RateLimitStore = field(default_factory=MemoryRateLimits)
    key_book: KeyBook | None = None  # whether a key works, for clients out of tries
    audit: api_audit.AuditDeps | None = None
    trusted_proxies: tuple[Network, ...] = ()  # whose X-Forwarded-For is believed
    analytics: api_analytics.AnalyticsDeps | None = None
    standards: api_standards.StandardsDeps | None = None
    drills: api_drills.DrillsDeps | None = None
    gamedays: api_gamedays.GameDaysDeps | None = None
    metrics_token: str | None = None  # when set, /metrics needs it (OWNIT_METRICS_TOKEN)
    pages: api_pages.PagesDeps | None = None  # GET /api/v1/pages (decision 0049)
    postmortems: api_postmortems.PostmortemDeps | None = None
    test_events: api_test_events.TestEventDeps | None = None  # decision 0060
    settings: api_settings.SettingsDeps | None = None  # GET/PUT /api/v1/settings (admins)


async def _housekeeping(parts: AppParts) -> None:
    while True:
        await asyncio.sleep(parts.housekeeping_every.total_seconds())
        if parts.prune_events is not None:
            try:
                deleted = await asyncio.to_thread(parts.prune_events)
                if deleted:
                    log.info("event retention: deleted %d raw event(s)", deleted)
            except Exception:
                log.exception("event retention failed; will try again")


def _bearer_is(request: Request, token: str) -> bool:
    scheme, _, sent = request.headers.get("authorization", "").partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(sent.strip().encode(), token.encode())


def create_app(parts: AppParts) -> FastAPI:
    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await parts.committer.start()
        keeper = asyncio.create_task(_housekeeping(parts), name="ownit-housekeeping")
        if parts.background is not None:
            parts.background.start()
        try:
            yield
        finally:
            if parts.background is not None:
                await asyncio.to_thread(parts.background.stop)
            keeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await keeper
            await parts.committer.stop()

    app = EventsFirst(
        title="ownit",
        version=parts.version,
        description=(
            "Full-service ownership: events in, incidents out. The event endpoints speak "
            "PagerDuty Events API v2 and the Alertmanager webhook; `/api/v1` needs an API "
            "token (`Authorization: Bearer …`, made with `ownit token create`)."
        ),
        lifespan=lifespan,
        docs_url=None,  # served by api_docs from local files, not from a CDN
        redoc_url=None,
    )
    api_docs.install(app)
    problems.install(app)
    endpoints = events.IngestEndpoints(
        committer=parts.committer,
        limiter=RateLimiter(parts.events_rate_limit),
        metrics=parts.metrics,
        unknown_keys=UnknownKeys(
            parts.rate_limits, parts.unknown_key_rate_limit, keys=parts.key_book
        ),
        now=parts.clock.now,
        alertmanager_max_body=parts.alertmanager_max_body,
    )
    app.include_router(events.router(endpoints))
    # The Events v2 endpoints themselves, answered before the framework runs at all (the
    # router above only declares them for the OpenAPI description): the hot path stays lean.
    # They are authenticated by their keys and change nothing a person did (no audit scope),
    # read their own bodies with their own limit, and are no /api/v1 route or page.
    app.events_first(endpoints)
    app.add_middleware(AuditScopeMiddleware, trusted_proxies=parts.trusted_proxies)
    # In front of everything (the last added runs first): the size limit, then the API token
    # before an /api/v1 body is read (an admin's for admin-only routes, read from the routes).
    app.add_middleware(
        ApiAuthGate,
        check=write_gate(parts.api.tokens, parts.api.clock),
        admin_only=AdminRoutes(lambda: app.routes),
    )
    app.add_middleware(BodyLimit, limit=parts.max_body, own_limit=events.OWN_BODY_LIMIT)
    app.include_router(api_incidents.router(parts.api))
    app.include_router(api_catalog.router(parts.api))
    app.include_router(api_event_log.router(parts.api))
    if parts.oncall is not None:
        app.include_router(api_oncall.router(parts.oncall))
    if parts.services is not None:
        app.include_router(api_services.router(parts.services))
    if parts.maintenance is not None:
        app.include_router(api_maintenance.router(parts.maintenance))
    if parts.health is not None:
        app.include_router(api_health.router(parts.health))
    if parts.audit is not None:
        app.include_router(api_audit.router(parts.audit))
    if parts.settings is not None:
        app.include_router(api_settings.router(parts.settings))
    if parts.analytics is not None:
        app.include_router(api_analytics.router(parts.analytics))
    if parts.pages is not None:
        app.include_router(api_pages.router(parts.pages))
    if parts.postmortems is not None:
        app.include_router(api_postmortems.router(parts.postmortems))
    if parts.standards is not None:
        app.include_router(api_standards.router(parts.standards))
    if parts.drills is not None:
        app.include_router(api_drills.router(parts.drills))
    if parts.gamedays is not None:
        app.include_router(api_gamedays.router(parts.gamedays))
    if parts.test_events is not None:
        app.include_router(api_test_events.router(parts.test_events))
    if parts.actions is not None:
        app.include_router(actions.router(parts.actions))
    if parts.web is not None:
        web.install(app, parts.web)

    @app.get("/healthz", tags=["operations"], summary="The process is up")
    async def healthz() -> Response:
        return Response(orjson.dumps({"status": "ok"}), media_type="application/json")

    @app.get("/readyz", tags=["operations"], summary="Database reachable, migrations current")
    def readyz() -> Response:
        checks = {"database": parts.database_ok()}
        checks["migrations"] = checks["database"] and parts.migrations_current()
        ready = all(checks.values())
        return Response(
            orjson.dumps({"status": "ok" if ready else "unavailable", "checks": checks}),
            status_code=200 if ready else 503,
            media_type="application/json",
        )

    @app.get("/metrics", tags=["operations"], summary="Prometheus metrics")
    def metrics(request: Request) -> Response:
        if parts.metrics_token and not _bearer_is(request, parts.metrics_token):
            return problem_response(
                Problem(
                    401,
                    "Unauthorized",
                    "send the metrics token as 'Authorization: Bearer <token>' "
                    "(OWNIT_METRICS_TOKEN)",
                    slug="unauthorized",
                    headers={"WWW-Authenticate": "Bearer"},
                ),
                request.url.path,
            )
        return Response(parts.metrics.render(), media_type="text/plain; version=0.0.4")

    openapi_problems.document(app)
    return app
