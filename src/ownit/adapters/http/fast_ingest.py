"""The Events API v2 endpoints, served by a raw ASGI middleware in front of the framework.

``POST /v2/enqueue`` and ``POST /v2/change/enqueue`` are the hot path. :class:`FastIngest`
is their only implementation: it reads the body (refusing more than ``MAX_BODY``), asks
:meth:`~ownit.adapters.http.events.IngestEndpoints.process` for the answer and sends it,
without the framework's middleware and routing on the way: :class:`EventsFirst` puts it in
front of everything, the framework's own middleware included. The routes that
:func:`~ownit.adapters.http.events.router` declares for these paths are there for the OpenAPI
description and never run. Everything else passes straight to the wrapped application.
"""

from __future__ import annotations

from fastapi import FastAPI
from starlette.types import ASGIApp, Receive, Scope, Send

from ownit.adapters.http.events import MAX_BODY, IngestEndpoints

_PATHS = {"/v2/enqueue": False, "/v2/change/enqueue": True}
_JSON_HEADER = (b"content-type", b"application/json")


class FastIngest:
    def __init__(self, app: ASGIApp, endpoints: IngestEndpoints) -> None:
        self.app = app
        self.endpoints = endpoints

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        change = _PATHS.get(scope.get("path", "")) if scope["type"] == "http" else None
        if change is None or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        body = await _read(scope, receive)
        client = scope.get("client")
        status, payload, extra = await self.endpoints.process(
            body, change=change, client=client[0] if client else ""
        )
        headers: list[tuple[bytes, bytes]] = [
            _JSON_HEADER,
            (b"content-length", str(len(payload)).encode()),
        ]
        if extra:
            headers += [(k.lower().encode(), v.encode()) for k, v in extra.items()]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": payload})


class EventsFirst(FastAPI):
    """The application, with :class:`FastIngest` answering the Events v2 endpoints before the
    framework (its exception and telemetry middleware, ownit's guards, routing) runs at all
    (decision 0068)."""

    _front: FastIngest | None = None

    def events_first(self, endpoints: IngestEndpoints) -> None:
        self._front = FastIngest(super().__call__, endpoints)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self._front is None:
            await super().__call__(scope, receive, send)
        else:
            await self._front(scope, receive, send)


async def _read(scope: Scope, receive: Receive) -> bytes | None:
    """The body, or ``None`` as soon as it is known to be over the limit."""
    for name, value in scope.get("headers", ()):
        if name == b"content-length" and value.isdigit() and int(value) > MAX_BODY:
            return None
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return b""
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > MAX_BODY:
            return None
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)
