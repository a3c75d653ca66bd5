"""One page at a time: the web pages' work, queued first come, first served.

Rendering a page is Python work (rows to dicts, templates) under one interpreter lock. When
several page requests run in threads at once they share that lock unfairly: each takes
several times longer and a few wait very long (measured: p50 30 ms, p99 850 ms with four
connections on the incidents page). Queued one after another, each finishes in its own
time and the wait is the queue ahead of it (p99 ≈ queue length × page time).

The gate covers the page's computation only: it opens for the next request as soon as the
response starts, so a slow client never holds it. The API, the event endpoints, static
files and health checks do not pass through it.
"""

from __future__ import annotations

import asyncio

from starlette.types import ASGIApp, Message, Receive, Scope, Send

NOT_PAGES = ("/api/", "/v2/", "/integrations/", "/static/", "/actions/", "/calendar/")
NOT_PAGES_EXACT = frozenset({"/healthz", "/readyz", "/metrics", "/docs", "/openapi.json"})


def is_page(scope: Scope) -> bool:
    """A GET (or HEAD) of a web page."""
    if scope["type"] != "http" or scope["method"] not in ("GET", "HEAD"):
        return False
    path: str = scope.get("path", "")
    return path not in NOT_PAGES_EXACT and not path.startswith(NOT_PAGES)


class PageGate:
    def __init__(self, app: ASGIApp, *, concurrency: int = 1) -> None:
        self.app = app
        self._concurrency = concurrency
        self._gates: dict[asyncio.AbstractEventLoop, asyncio.Semaphore] = {}

    def _gate(self) -> asyncio.Semaphore:
        """The running loop's gate (a semaphore belongs to one loop; tests start several)."""
        loop = asyncio.get_running_loop()
        gate = self._gates.get(loop)
        if gate is None:
            self._gates = {k: v for k, v in self._gates.items() if not k.is_closed()}
            gate = self._gates[loop] = asyncio.Semaphore(self._concurrency)  # FIFO wake-ups
        return gate

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not is_page(scope):
            await self.app(scope, receive, send)
            return
        gate = self._gate()
        await gate.acquire()
        held = True

        def release() -> None:
            nonlocal held
            if held:
                held = False
                gate.release()

        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start":
                release()  # the page is computed; let the next one start
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            release()
