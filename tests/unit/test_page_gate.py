"""The page gate: one page computed at a time, first come first served, released as soon as
the response starts; everything that is not a page passes straight through."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from ownit.adapters.web.page_gate import PageGate, is_page


def scope(method: str, path: str) -> dict[str, Any]:
    return {"type": "http", "method": method, "path": path}


@pytest.mark.parametrize(
    ("method", "path", "page"),
    [
        ("GET", "/incidents", True),
        ("GET", "/incidents/42", True),
        ("HEAD", "/services/x", True),
        ("GET", "/", True),
        ("POST", "/incidents/42/acknowledge", False),  # form posts are not gated
        ("GET", "/api/v1/incidents", False),
        ("GET", "/static/ownit.css", False),
        ("GET", "/calendar/abc.ics", False),
        ("GET", "/healthz", False),
        ("GET", "/metrics", False),
        ("POST", "/v2/enqueue", False),
    ],
)
def test_what_is_a_page(method: str, path: str, page: bool) -> None:
    assert is_page(scope(method, path)) is page


def test_pages_run_one_at_a_time_in_arrival_order() -> None:
    log: list[str] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        log.append(f"start {scope['path']}")
        await asyncio.sleep(0.01)  # the page's work
        log.append(f"done {scope['path']}")
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await asyncio.sleep(0.05)  # a slow client: the gate is already open again
        await send({"type": "http.response.body", "body": b""})

    async def main() -> None:
        gate = PageGate(app, concurrency=1)

        async def send(message: Any) -> None:
            return None

        async def receive() -> Any:
            return {"type": "http.request"}

        await asyncio.gather(
            *(gate(scope("GET", f"/p{n}"), receive, send) for n in range(3)),
            gate(scope("GET", "/api/v1/x"), receive, send),  # not a page: not queued
        )

    asyncio.run(main())
    pages = [line for line in log if "/p" in line]
    assert pages == ["start /p0", "done /p0", "start /p1", "done /p1", "start /p2", "done /p2"]
    assert log.index("start /api/v1/x") < log.index("done /p0")


def test_a_failing_page_opens_the_gate() -> None:
    async def app(scope: Any, receive: Any, send: Any) -> None:
        if scope["path"] == "/boom":
            raise RuntimeError("boom")
        await send({"type": "http.response.start", "status": 200, "headers": []})

    async def main() -> list[str]:
        gate = PageGate(app)
        sent: list[str] = []

        async def send(message: Any) -> None:
            sent.append(message["type"])

        async def receive() -> Any:
            return {"type": "http.request"}

        with pytest.raises(RuntimeError):
            await gate(scope("GET", "/boom"), receive, send)
        await asyncio.wait_for(gate(scope("GET", "/ok"), receive, send), timeout=1)
        return sent

    assert asyncio.run(main()) == ["http.response.start"]
