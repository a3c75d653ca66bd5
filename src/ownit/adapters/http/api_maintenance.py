"""Maintenance windows over HTTP (list, schedule, end or cancel: :class:`MaintenanceApi`) and
heartbeats (list, ping: :class:`HeartbeatApi`).

No ``from __future__ import annotations`` here: FastAPI reads the route signatures, whose
dependencies are local ``Annotated`` aliases.
"""

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from ownit.adapters.http.api_v1 import RowId, ok
from ownit.adapters.http.auth import requires
from ownit.adapters.http.problems import Problem, field_error
from ownit.app import heartbeats as hb
from ownit.app import maintenance as uc
from ownit.app.clock import Clock
from ownit.app.ingest import GroupCommitter
from ownit.app.tokens import Principal, Role, TokenStore
from ownit.domain.durations import parse_duration
from ownit.domain.instants import parse_instant
from ownit.domain.key_digests import masked


@dataclass
class MaintenanceDeps:
    store: uc.MaintenanceStore
    tokens: TokenStore
    clock: Clock
    heartbeats: hb.HeartbeatStore | None = None
    committer: GroupCommitter | None = None  # where a ping's resolve event goes


def _iso(value: datetime) -> str:
    return value.astimezone(UTC).isoformat()


def window_json(window: uc.Window, now: datetime) -> dict[str, Any]:
    return {
        "id": window.id,
        "name": window.name,
        "description": window.description,
        "services": list(window.services),
        "start": _iso(window.start_at),
        "end": _iso(window.end_at),
        "state": window.state(now),
        "source": window.source,
        "created_by": window.created_by,
    }


def _time(field: str, value: Any) -> datetime | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise field_error(field, "must be an RFC 3339 date-time with an offset")
    try:
        return parse_instant(value)
    except ValueError as exc:
        raise field_error(field, str(exc)) from None


def _text(body: dict[str, Any], field: str) -> str | None:
    value = body.get(field)
    if value is not None and not isinstance(value, str):
        raise field_error(field, "must be a string")
    return value


@dataclass
class MaintenanceApi:
    """The maintenance-window endpoints; the caller's principal comes checked (``router``)."""

    deps: MaintenanceDeps

    def list_windows(self, include: str | None = None) -> Response:
        deps = self.deps
        now = deps.clock.now()
        found = uc.list_windows(store=deps.store, now=now, include_past=include == "past")
        return ok({"maintenance_windows": [window_json(w, now) for w in found]})

    def start(self, who: Principal, body: dict[str, Any]) -> Response:
        deps = self.deps
        now = deps.clock.now()
        services = body.get("services")
        if isinstance(services, str):
            services = [services]
        if not isinstance(services, list) or not all(isinstance(s, str) for s in services):
            raise field_error("services", "a list of service names")
        duration_text = _text(body, "duration")
        duration = None
        if duration_text is not None:
            try:
                duration = parse_duration(duration_text)
            except ValueError as exc:
                raise field_error("duration", str(exc)) from None
        try:
            window = uc.start_window(
                store=deps.store,
                who=who.permissions,
                actor=who.actor,
                now=now,
                services=services,
                start=_time("start", body.get("start")),
                end=_time("end", body.get("end")),
                duration=duration,
                name=_text(body, "name"),
                description=_text(body, "description") or "",
            )
        except uc.InvalidWindow as exc:
            raise field_error(exc.field, exc.detail) from None
        return ok({"maintenance_window": window_json(window, now)}, status=201)

    def cancel(self, who: Principal, window_id: int) -> Response:
        deps = self.deps
        now = deps.clock.now()
        try:
            done = uc.cancel_window(
                store=deps.store, who=who.permissions, now=now, window_id=window_id
            )
        except uc.InvalidWindow as exc:
            raise Problem(409, "Conflict", str(exc), slug="conflict") from None
        return ok({"id": window_id, "result": done})


def heartbeat_json(beat: hb.Heartbeat, *, key: bool) -> dict[str, Any]:
    return {
        "name": beat.name,
        "service": beat.service,
        "state": beat.state,
        "interval_seconds": beat.interval_seconds,
        "grace_seconds": beat.grace_seconds,
        "last_ping_at": _iso(beat.last_ping_at) if beat.last_ping_at else None,
        "due_at": _iso(beat.due_at),
        "ping_url": f"/api/v1/heartbeats/{beat.name}/ping",
        **({"key": masked(beat.key_hint)} if key else {}),  # kept hashed: 0035
    }


_NO_KEY = Problem(
    401,
    "Unauthorized",
    "send the heartbeat's key: Authorization: Bearer <key>, or ?key=<key>",
    slug="unauthorized",
    headers={"WWW-Authenticate": "Bearer"},
)
_WRONG_KEY = Problem(
    401,
    "Unauthorized",
    "no heartbeat has this name and key",
    slug="unauthorized",
    headers={"WWW-Authenticate": "Bearer"},
)


@dataclass
class HeartbeatApi:
    """The heartbeat endpoints: the list (a checked principal) and the ping (the beat's key)."""

    deps: MaintenanceDeps

    def __post_init__(self) -> None:
        if self.deps.heartbeats is None:  # pragma: no cover - router() only builds it when wired
            raise RuntimeError("the heartbeat endpoints need deps.heartbeats")
        self._store = self.deps.heartbeats

    def list_heartbeats(self, who: Principal) -> Response:
        admin = who.permissions.is_admin
        return ok({"heartbeats": [heartbeat_json(b, key=admin) for b in self._store.all()]})

    async def ping(self, request: Request, name: str, key: str | None = None) -> Response:
        given = key
        header = request.headers.get("authorization", "")
        if header.lower().startswith("bearer "):
            given = header[7:].strip()
        if not given:
            raise _NO_KEY
        now = self.deps.clock.now()
        done = await run_in_threadpool(self._store.ping, name, given, now)
        if done is None:
            raise _WRONG_KEY
        events = hb.ping_events(done, now)
        if events and self.deps.committer is not None:
            await self.deps.committer.submit(events)
        return ok({"heartbeat": heartbeat_json(done.heartbeat, key=False)})


def router(deps: MaintenanceDeps) -> APIRouter:
    api = APIRouter(prefix="/api/v1", tags=["maintenance"])
    windows = MaintenanceApi(deps)
    viewer = Annotated[Principal, Depends(requires(deps.tokens, Role.VIEWER, deps.clock))]
    responder = Annotated[Principal, Depends(requires(deps.tokens, Role.RESPONDER, deps.clock))]

    @api.get("/maintenance-windows", summary="Current and future maintenance windows")
    def list_windows(_: viewer, include: str | None = None) -> Response:
        return windows.list_windows(include)

    @api.post(
        "/maintenance-windows",
        summary="Put services in maintenance: their triggers are kept but page nobody",
        status_code=201,
    )
    def start(who: responder, body: Annotated[dict[str, Any], Body()]) -> Response:
        return windows.start(who, body)

    @api.delete(
        "/maintenance-windows/{window_id}",
        summary="End a running window now, or cancel a future one",
    )
    def cancel(who: responder, window_id: RowId) -> Response:
        return windows.cancel(who, window_id)

    if deps.heartbeats is None:
        return api
    heartbeats = HeartbeatApi(deps)

    @api.get("/heartbeats", tags=["heartbeats"], summary="Heartbeats and their state")
    def list_heartbeats(who: viewer) -> Response:
        return heartbeats.list_heartbeats(who)

    async def ping(request: Request, name: str, key: str | None = None) -> Response:
        return await heartbeats.ping(request, name, key)

    # POST for scripts; GET and HEAD for `curl URL` in a crontab and for uptime checkers.
    for method in ("POST", "GET", "HEAD"):
        api.add_api_route(
            "/heartbeats/{name}/ping",
            ping,
            methods=[method],
            tags=["heartbeats"],
            summary="A ping: the job ran. Authenticated by the heartbeat's own key",
            operation_id=f"heartbeat_ping_{method.lower()}",
            include_in_schema=method != "HEAD",
        )
    return api
