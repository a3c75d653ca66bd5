"""The raw ASGI guards: what they read of a body before answering."""

from __future__ import annotations

import asyncio
from typing import Any

import orjson
import pytest

from ownit.adapters.http.problems import Problem
from ownit.adapters.http.request_guards import ApiAuthGate, BodyLimit

Message = dict[str, Any]


class Upload:
    """A client sending ``chunks`` of ``size`` bytes; counts what the server took."""

    def __init__(self, chunks: int, size: int) -> None:
        self.left = chunks
        self.size = size
        self.taken = 0

    async def receive(self) -> Message:
        self.left -= 1
        self.taken += self.size
        return {"type": "http.request", "body": b"x" * self.size, "more_body": self.left > 0}


async def reads_everything(scope: Any, receive: Any, send: Any) -> None:
    """An application that reads the whole body, then answers 400 if anything went wrong
    (as FastAPI does with a body it cannot read)."""
    try:
        while (await receive()).get("more_body"):
            pass
        status = 200
    except Exception:
        status = 400
    await send({"type": "http.response.start", "status": status, "headers": []})
    await send({"type": "http.response.body", "body": b"done"})


def run(app: Any, scope: Message, upload: Upload) -> list[Message]:
    sent: list[Message] = []

    async def send(message: Message) -> None:
        sent.append(message)

    asyncio.run(app(scope, upload.receive, send))
    return sent


def http(path: str = "/api/v1/x", method: str = "POST", **headers: str) -> Message:
    raw = [(k.replace("_", "-").encode(), v.encode()) for k, v in headers.items()]
    return {"type": "http", "method": method, "path": path, "headers": raw}


@pytest.mark.parametrize(
    ("chunks", "declared", "status", "taken"),
    [
        (4, None, 200, 4 * 1000),  # under the limit: all read, the app answers
        (200, None, 413, 11 * 1000),  # streamed: stops at the first chunk past 10,000
        (150_000, str(150_000 * 1000), 413, 0),  # declared too large: nothing read
        (10, "10000", 200, 10_000),  # exactly the limit
    ],
)
def test_body_limit_reads_no_further_than_the_limit(
    chunks: int, declared: str | None, status: int, taken: int
) -> None:
    upload = Upload(chunks, 1000)
    headers = {"content_length": declared} if declared else {}
    sent = run(BodyLimit(reads_everything, 10_000), http(**headers), upload)
    starts = [m for m in sent if m["type"] == "http.response.start"]
    assert [m["status"] for m in starts] == [status]  # one answer, never the app's 400 too
    assert upload.taken == taken
    if status == 413:
        body = orjson.loads(b"".join(m.get("body", b"") for m in sent[1:]))
        assert body["title"] == "Payload too large"


def _check(token: str, method: str, path: str, admin_only: bool) -> Problem | None:
    """A stand-in for ``auth.write_gate``: "admin" may write anywhere, "good" where no admin is
    needed, "viewer" is known but may not."""
    if token == "admin" or (token == "good" and not admin_only):
        return None
    if token == "good":
        return Problem(403, "Forbidden", f"only admins {method} {path}", slug="forbidden")
    if token == "viewer":
        return Problem(403, "Forbidden", f"a viewer cannot {method} {path}", slug="forbidden")
    return Problem(401, "Unauthorized", "unknown", slug="unauthorized")


@pytest.mark.parametrize(
    ("path", "method", "authorization", "status", "taken"),
    [
        ("/api/v1/incidents/1/notes", "POST", None, 401, 0),
        ("/api/v1/incidents/1/notes", "POST", "Bearer bad", 401, 0),
        ("/api/v1/incidents/1/notes", "POST", "Bearer viewer", 403, 0),  # role before body
        ("/api/v1/incidents/1/notes", "POST", "Bearer good", 200, 3000),
        ("/api/v1/maintenance-windows/1", "DELETE", None, 401, 0),
        ("/api/v1/incidents", "GET", None, 200, 3000),  # no body to protect: the route checks
        ("/api/v1/heartbeats/nightly/ping", "POST", None, 200, 3000),  # its own key
        ("/login", "POST", None, 200, 3000),  # the web UI has sessions
        ("/api/v1/settings", "PUT", "Bearer good", 403, 0),  # admin-only: role before body
        ("/api/v1/settings", "PUT", "Bearer admin", 200, 3000),
    ],
)
def test_auth_gate_answers_before_reading(
    path: str, method: str, authorization: str | None, status: int, taken: int
) -> None:
    upload = Upload(3, 1000)
    headers = {"authorization": authorization} if authorization else {}
    gate = ApiAuthGate(
        reads_everything, check=_check, admin_only=lambda scope: scope["path"] == "/api/v1/settings"
    )
    sent = run(gate, http(path, method, **headers), upload)
    assert sent[0]["status"] == status
    assert upload.taken == taken
