"""The event endpoints: PagerDuty Events API v2 (drop-in) and the Alertmanager webhook.

:class:`IngestEndpoints` holds both: :meth:`~IngestEndpoints.process` answers an Events v2
body (the :mod:`~ownit.adapters.http.fast_ingest` middleware serves those two paths), and
:meth:`~IngestEndpoints.alertmanager` answers a webhook request. :func:`router` declares the
routes.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import orjson
from fastapi import APIRouter, Request
from starlette.responses import Response

from ownit.adapters.http.metrics import Metrics
from ownit.adapters.http.problems import Problem, problem_response
from ownit.adapters.ingest.alertmanager import parse_alertmanager
from ownit.adapters.ingest.errors import InvalidEvent
from ownit.adapters.ingest.pagerduty_v2 import parse_alert_event, parse_change_event
from ownit.app.ingest import GroupCommitter, ItemResult, with_dedup_key
from ownit.app.rate_limits import MemoryRateLimits, UnknownKeys
from ownit.domain.events import Event
from ownit.domain.ratelimit import RateLimiter, key_shaped

log = logging.getLogger("ownit.http.events")

MAX_BODY = 512 * 1024
# An Alertmanager group is one request however many alerts it holds (decision 0054): its
# body may be larger (OWNIT_ALERTMANAGER_MAX_BODY), read only for a key that works, and its
# alerts are committed CHUNK at a time.
ALERTMANAGER_MAX_BODY = 8 * 1024 * 1024
CHUNK = 1000
# The paths that read at most MAX_BODY themselves and answer 413 in their own format.
OWN_BODY_LIMIT = ("/v2/enqueue", "/v2/change/enqueue", "/integrations/alertmanager")
_JSON = "application/json"


class BodyTooLarge(Exception):
    pass


async def read_body(request: Request, limit: int = MAX_BODY) -> bytes:
    """The request body, refusing more than ``limit`` bytes before reading them all."""
    length = request.headers.get("content-length")
    if length is not None and length.isdigit():
        if int(length) > limit:
            raise BodyTooLarge
        return await request.body()
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise BodyTooLarge
    return bytes(body)


def _json(status: int, body: object, headers: dict[str, str] | None = None) -> Response:
    return Response(orjson.dumps(body), status_code=status, media_type=_JSON, headers=headers)


_INVALID = {"status": "invalid event", "message": "Event object is invalid"}
_CHANGE_OK = orjson.dumps({"status": "success", "message": "Change event processed"})
_TOO_LARGE = {
    "status": "invalid event",
    "message": "Request entity too large",
    "errors": [f"The request body is larger than {MAX_BODY // 1024} KB"],
}
_THROTTLED = {
    "status": "throttle exceeded",
    "message": "Requests for this routing key are arriving too quickly. Please retry later.",
}
_STRANGER = {
    "status": "throttle exceeded",
    "message": "Too many events with unknown routing keys from this client. Retry later.",
}
_UNAVAILABLE = {
    "status": "unavailable",
    "message": "The event could not be stored; nothing was accepted. Please retry.",
}


@dataclass
class IngestEndpoints:
    committer: GroupCommitter
    limiter: RateLimiter
    metrics: Metrics
    monotonic: Callable[[], float] = time.monotonic
    # Tries with keys nobody has, per client address (OWNIT_UNKNOWN_KEY_RATE_LIMIT), counted
    # in the database by a server (decision 0055), so on the wall clock.
    unknown_keys: UnknownKeys = field(default_factory=lambda: UnknownKeys(MemoryRateLimits(), 0))
    now: Callable[[], datetime] = lambda: datetime.now(UTC)
    alertmanager_max_body: int = ALERTMANAGER_MAX_BODY

    # Each label set's counter, looked up once (the registry's lookup takes a lock).
    _counters: dict[tuple[str, str, str], Any] = field(default_factory=dict, init=False)
    _latencies: dict[str, Any] = field(default_factory=dict, init=False)

    def _count(self, fmt: str, result: str, reason: str, n: int = 1) -> None:
        labels = (fmt, result, reason)
        counter = self._counters.get(labels)
        if counter is None:
            counter = self._counters[labels] = self.metrics.events.labels(*labels)
        counter.inc(n)

    def _took(self, fmt: str, started: float) -> None:
        latency = self._latencies.get(fmt)
        if latency is None:
            latency = self._latencies[fmt] = self.metrics.ingest_latency.labels(fmt)
        latency.observe(time.perf_counter() - started)

    async def _commit(self, fmt: str, events: Sequence[Event]) -> ItemResult | None:
        try:
            return await self.committer.submit(events)
        except Exception:
            log.exception("could not store %s event(s)", fmt)
            self._count(fmt, "rejected", "server_error", len(events))
            return None

    async def _refused(self, client: str, count: int = 1) -> None:
        limit, now = self.unknown_keys, self.now()
        if limit.per_minute > 0 and not limit.out(client, now):
            await asyncio.to_thread(limit.refused, client, now, count)

    async def _stranger(self, client: str, key: str) -> str | None:
        """``"unknown_key"`` for a key of the wrong shape (nobody can have it: answered as an
        unknown key, without a lookup), ``"unknown_key_limited"`` when ``client`` has used up
        its tries with unknown keys and ``key`` was not accepted lately, else ``None``. A key
        accepted lately costs no database work."""
        if not key_shaped(key):
            await self._refused(client)
            return "unknown_key"
        limit = self.unknown_keys
        if limit.known(key):
            return None
        if not await asyncio.to_thread(limit.may_try, client, key, self.now()):
            return "unknown_key_limited"
        return None

    async def _answered(self, client: str, key: str, accepted: bool, count: int = 1) -> None:
        if accepted:
            self.unknown_keys.accepted(key)
        else:
            await self._refused(client, count)

    async def process(
        self, body: bytes | None, *, change: bool = False, client: str = ""
    ) -> tuple[int, bytes, dict[str, str] | None]:
        """The Events API v2 answer for one body (``None``: it was too large) from ``client``
        (its address)."""
        started = time.perf_counter()
        fmt = "change-v2" if change else "events-v2"
        if body is None:
            self._count(fmt, "rejected", "too_large")
            return 413, orjson.dumps(_TOO_LARGE), None
        try:
            event = parse_change_event(body) if change else parse_alert_event(body)
        except InvalidEvent as exc:
            reason = "malformed" if exc.status == "Unrecognized object" else "invalid"
            self._count(fmt, "rejected", reason)
            invalid = {"status": exc.status, "message": exc.message, "errors": list(exc.errors)}
            return 400, orjson.dumps(invalid), None
        unknown = f"'routing_key' is invalid: no integration has the key {event.routing_key!r}"
        stranger = await self._stranger(client, event.routing_key)
        if stranger is not None:
            self._count(fmt, "rejected", stranger)
            if stranger == "unknown_key_limited":
                return 429, orjson.dumps(_STRANGER), {"Retry-After": "60"}
            return 400, orjson.dumps({**_INVALID, "errors": [unknown]}), None
        if not self.limiter.allow(event.routing_key, self.monotonic()):
            self._count(fmt, "rejected", "rate_limited")
            return 429, orjson.dumps(_THROTTLED), {"Retry-After": "1"}
        event = with_dedup_key(event)
        result = await self._commit(fmt, (event,))
        if result is None:
            return 503, orjson.dumps(_UNAVAILABLE), {"Retry-After": "1"}
        await self._answered(client, event.routing_key, result.accepted)
        if not result.accepted:
            self._count(fmt, "rejected", "unknown_key")
            return 400, orjson.dumps({**_INVALID, "errors": [unknown]}), None
        self._count(fmt, "accepted", result.outcomes[0] if result.outcomes else "accepted")
        self._took(fmt, started)
        if change:
            return 202, _CHANGE_OK, None
        answer = {"status": "success", "message": "Event processed", "dedup_key": event.dedup_key}
        return 202, orjson.dumps(answer), None

    async def alertmanager(self, request: Request, key: str | None) -> Response:
        started = time.perf_counter()
        fmt = "alertmanager"
        if key is None:
            auth = request.headers.get("authorization", "")
            scheme, _, credentials = auth.partition(" ")
            if scheme.lower() == "bearer" and credentials.strip():
                key = credentials.strip()
        if not key:
            self._count(fmt, "rejected", "unauthenticated")
            return problem_response(
                Problem(
                    401,
                    "Integration key missing",
                    "send the integration key as a bearer token or in the path "
                    "(/integrations/alertmanager/{key})",
                    headers={"WWW-Authenticate": "Bearer"},
                )
            )
        client = request.client.host if request.client else ""
        stranger = await self._stranger(client, key)
        if stranger == "unknown_key":
            self._count(fmt, "rejected", stranger)
            return _unknown_key()
        if stranger == "unknown_key_limited":
            self._count(fmt, "rejected", stranger)
            return problem_response(
                Problem(
                    429,
                    "Too many unknown keys",
                    "too many requests with unknown integration keys from this client",
                    headers={"Retry-After": "60"},
                )
            )
        if not await asyncio.to_thread(self.unknown_keys.works, key):
            # Nobody has this key: answered before a byte of a body that may be megabytes.
            await self._refused(client)
            self._count(fmt, "rejected", "unknown_key")
            return _unknown_key()
        limit = self.alertmanager_max_body
        try:
            body = await read_body(request, limit)
        except BodyTooLarge:
            self._count(fmt, "rejected", "too_large")
            return problem_response(
                Problem(
                    413,
                    "Payload too large",
                    f"the body is larger than {limit // 1024} KB (OWNIT_ALERTMANAGER_MAX_BODY); "
                    "set max_alerts in Alertmanager's webhook_config",
                )
            )
        try:
            events = parse_alertmanager(body, routing_key=key)
        except InvalidEvent as exc:
            reason = "malformed" if exc.status == "Unrecognized object" else "invalid"
            self._count(fmt, "rejected", reason)
            return problem_response(
                Problem(
                    400,
                    "Invalid Alertmanager payload",
                    "; ".join(exc.errors),
                    errors=[{"field": _field_of(e), "detail": e} for e in exc.errors],
                )
            )
        del body
        # A group is admitted while the key's bucket holds a token and pays for all its alerts
        # (into debt): one larger than a minute's allowance is never refused forever.
        if events and not self.limiter.borrow(key, self.monotonic(), len(events)):
            # Alertmanager drops a request answered 4xx; 503 makes it retry, so nothing is lost.
            self._count(fmt, "rejected", "rate_limited", len(events))
            wait = self.limiter.wait(key, self.monotonic())
            return problem_response(
                Problem(
                    503,
                    "Rate limited",
                    "too many events for this key; retry later",
                    headers={"Retry-After": str(max(5, math.ceil(wait)))},
                )
            )
        if not events:
            return _json(200, {"status": "success", "alerts": 0, "outcomes": []})
        outcomes: list[str] = []
        for start in range(0, len(events), CHUNK):
            # One transaction per chunk: a big group holds no lock for long and lets other
            # requests in between. When a chunk fails, the ones before it stay; Alertmanager
            # resends the whole group and finds them as repeats (nothing lost or doubled).
            result = await self._commit(fmt, events[start : start + CHUNK])
            if result is None:
                return problem_response(
                    Problem(
                        503, "Unavailable", _UNAVAILABLE["message"], headers={"Retry-After": "1"}
                    )
                )
            await self._answered(client, key, result.accepted)
            if not result.accepted:
                self._count(fmt, "rejected", "unknown_key", len(events) - start)
                return _unknown_key()
            outcomes += result.outcomes
            for outcome in result.outcomes:
                self._count(fmt, "accepted", outcome)
        self._took(fmt, started)
        return _json(200, {"status": "success", "alerts": len(events), "outcomes": outcomes})


def _unknown_key() -> Response:
    return problem_response(Problem(401, "Unknown integration key", "no integration has this key"))


def _field_of(error: str) -> str:
    start = error.find("'")
    end = error.find("'", start + 1)
    return error[start + 1 : end] if 0 <= start < end else "body"


_EVENT_SCHEMA = {
    "type": "object",
    "required": ["routing_key", "event_action"],
    "properties": {
        "routing_key": {"type": "string", "minLength": 32, "maxLength": 32},
        "event_action": {"type": "string", "enum": ["trigger", "acknowledge", "resolve"]},
        "dedup_key": {"type": "string", "maxLength": 255},
        "payload": {
            "type": "object",
            "properties": {
                "summary": {"type": "string", "maxLength": 1024},
                "source": {"type": "string"},
                "severity": {"type": "string", "enum": ["critical", "error", "warning", "info"]},
                "timestamp": {"type": "string", "format": "date-time"},
                "component": {"type": "string"},
                "group": {"type": "string"},
                "class": {"type": "string"},
                "custom_details": {"type": "object"},
            },
        },
        "links": {"type": "array", "items": {"type": "object"}},
        "images": {"type": "array", "items": {"type": "object"}},
        "client": {"type": "string"},
        "client_url": {"type": "string"},
    },
}


# Never runs: FastIngest (fast_ingest.py) answers every POST to the Events v2 paths before
# the framework routes it, with IngestEndpoints.process. The routes exist only so that the
# OpenAPI description lists the two endpoints; reaching this means the middleware is missing.
# (No docstring: FastAPI would publish it as the endpoints' description.)
async def _served_by_fast_ingest(request: Request) -> Response:
    raise RuntimeError(f"POST {request.url.path} is answered by FastIngest, not by a route")


def router(endpoints: IngestEndpoints) -> APIRouter:
    """The event endpoints' routes. The two Events v2 routes are declared for the OpenAPI
    description only (the :class:`~ownit.adapters.http.fast_ingest.FastIngest` middleware
    answers them); the Alertmanager routes are the Alertmanager endpoints."""
    api = APIRouter(tags=["events"])
    body = {"requestBody": {"required": True, "content": {_JSON: {"schema": _EVENT_SCHEMA}}}}
    api.add_api_route(
        "/v2/enqueue",
        _served_by_fast_ingest,
        methods=["POST"],
        name="enqueue",
        status_code=202,
        summary="Send an alert event (PagerDuty Events API v2)",
        openapi_extra=body,
    )
    api.add_api_route(
        "/v2/change/enqueue",
        _served_by_fast_ingest,
        methods=["POST"],
        name="change_enqueue",
        status_code=202,
        summary="Send a change event (PagerDuty Events API v2)",
    )

    @api.post(
        "/integrations/alertmanager",
        summary="Alertmanager webhook (v4); integration key as bearer token",
    )
    async def alertmanager(request: Request) -> Response:
        return await endpoints.alertmanager(request, None)

    @api.post(
        "/integrations/alertmanager/{key}",
        summary="Alertmanager webhook (v4); integration key in the path",
    )
    async def alertmanager_keyed(request: Request, key: str) -> Response:
        return await endpoints.alertmanager(request, key)

    return api
