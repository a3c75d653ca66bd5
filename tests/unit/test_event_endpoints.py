"""The event endpoints without a database, fed message by message as a server feeds them.

Events v2 bodies are read by the :class:`FastIngest` middleware (its only implementation);
Alertmanager bodies by :func:`read_body`. Both refuse a body over the limit: at once when
``Content-Length`` says so (without reading it), else as soon as the chunks read pass it.
The Alertmanager endpoint's 503 problem documents (rate limited, store down) end the file.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

import orjson
import pytest
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Message, Receive, Scope, Send

from ownit.adapters.http.events import MAX_BODY, BodyTooLarge, IngestEndpoints, read_body
from ownit.adapters.http.fast_ingest import FastIngest
from ownit.adapters.http.metrics import Metrics
from ownit.app.ingest import GroupCommitter, ItemResult
from ownit.domain.events import Event
from ownit.domain.ratelimit import RateLimiter
from tests.builders import FakeClock

KEY = "a" * 31 + "1"
ALERT = orjson.dumps(
    {
        "routing_key": KEY,
        "event_action": "trigger",
        "dedup_key": "disk-full",
        "payload": {"summary": "Disk full", "source": "db-1", "severity": "error"},
    }
)
CHANGE = orjson.dumps({"routing_key": KEY, "payload": {"summary": "Deployed v42", "source": "ci"}})


class Receiver:
    """An ASGI ``receive``: hands out ``messages`` in order and counts how many were taken."""

    def __init__(self, messages: Sequence[Message]) -> None:
        self._messages = list(messages)
        self.taken = 0

    async def __call__(self) -> Message:
        assert self.taken < len(self._messages), "read past the end of the request"
        self.taken += 1
        return self._messages[self.taken - 1]


def chunked(*chunks: bytes) -> Receiver:
    """A body sent in ``chunks`` (``more_body`` on every message but the last)."""
    last = len(chunks) - 1
    return Receiver(
        [{"type": "http.request", "body": c, "more_body": i < last} for i, c in enumerate(chunks)]
    )


def scope(path: str, *, length: int | str | None = None, method: str = "POST") -> dict[str, object]:
    headers = [(b"content-type", b"application/json")]
    if length is not None:
        headers.append((b"content-length", str(length).encode()))
    return {"type": "http", "method": method, "path": path, "headers": headers}


# --- read_body (the Alertmanager endpoints) -----------------------------------------------


def read(receive: Receiver, *, length: int | str | None = None, limit: int = 10) -> bytes:
    request = Request(scope("/integrations/alertmanager", length=length), receive)
    return asyncio.run(read_body(request, limit=limit))


def test_read_body_reads_a_body_whose_length_is_within_the_limit() -> None:
    receive = chunked(b"abcd", b"efgh")
    assert read(receive, length=8) == b"abcdefgh"
    assert receive.taken == 2


def test_read_body_refuses_a_declared_length_over_the_limit_without_reading() -> None:
    receive = chunked(b"x" * 11)
    with pytest.raises(BodyTooLarge):
        read(receive, length=11)
    assert receive.taken == 0


def test_read_body_joins_the_chunks_of_a_body_without_a_length() -> None:
    receive = chunked(b"abc", b"", b"def", b"g")
    assert read(receive) == b"abcdefg"
    assert receive.taken == 4


def test_read_body_takes_a_body_of_exactly_the_limit() -> None:
    assert read(chunked(b"12345", b"67890")) == b"1234567890"


def test_read_body_stops_at_the_chunk_that_passes_the_limit() -> None:
    receive = chunked(b"1234", b"5678", b"9abc", b"defg", b"hijk")
    with pytest.raises(BodyTooLarge):
        read(receive)
    assert receive.taken == 3  # 12 bytes > 10: the last two chunks are never read


def test_read_body_reads_a_length_that_is_not_a_number_as_no_length() -> None:
    assert read(chunked(b"abc", b"def"), length="six") == b"abcdef"
    with pytest.raises(BodyTooLarge):
        read(chunked(b"x" * 6, b"x" * 6), length="six")


# --- FastIngest (the Events v2 endpoints) ---------------------------------------------------


class Store:
    """Accepts every event, as a database with the key would; remembers them. ``down``: every
    batch fails, as with the database unreachable."""

    def __init__(self, *, down: bool = False) -> None:
        self.events: list[Event] = []
        self.down = down

    def apply_batch(self, items: Sequence[Sequence[Event]], now: datetime) -> list[ItemResult]:
        if self.down:
            raise ConnectionError("the database is down")
        for item in items:
            self.events += item
        return [ItemResult(True, ("new alert",)) for _ in items]


class App:
    """The application behind the middleware: records what reaches it."""

    def __init__(self) -> None:
        self.paths: list[tuple[str, str]] = []

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        self.paths.append((scope["method"], scope["path"]))
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})


class Answer:
    def __init__(self, messages: list[Message]) -> None:
        self.status = int(messages[0]["status"])
        self.headers = {k.decode(): v.decode() for k, v in messages[0]["headers"]}
        self.body = b"".join(m.get("body", b"") for m in messages[1:])


def serve(
    requests: Sequence[tuple[dict[str, object], Receiver]],
) -> tuple[list[Answer], Store, App]:
    """Each request through a :class:`FastIngest` in front of an :class:`App`."""
    store, inner = Store(), App()

    async def run() -> list[Answer]:
        committer = GroupCommitter(store=store, clock=FakeClock())
        await committer.start()
        middleware = FastIngest(
            inner,
            IngestEndpoints(committer=committer, limiter=RateLimiter(0), metrics=Metrics()),
        )
        answers = []
        try:
            for request_scope, receive in requests:
                sent: list[Message] = []

                async def send(message: Message, sent: list[Message] = sent) -> None:
                    sent.append(message)

                await middleware(request_scope, receive, send)
                answers.append(Answer(sent))
        finally:
            await committer.stop()
        return answers

    return asyncio.run(run()), store, inner


def test_a_chunked_event_without_a_length_is_read_whole_and_accepted() -> None:
    receive = chunked(ALERT[:10], ALERT[10:50], ALERT[50:])
    [answer], store, inner = serve([(scope("/v2/enqueue"), receive)])
    assert answer.status == 202
    assert orjson.loads(answer.body)["dedup_key"] == "disk-full"
    assert answer.headers["content-type"] == "application/json"
    assert answer.headers["content-length"] == str(len(answer.body))
    assert receive.taken == 3
    assert [e.dedup_key for e in store.events] == ["disk-full"]
    assert inner.paths == []


def test_a_declared_length_over_the_limit_is_413_without_reading() -> None:
    receive = chunked(b"x")
    [answer], store, _ = serve([(scope("/v2/enqueue", length=MAX_BODY + 1), receive)])
    assert answer.status == 413
    assert orjson.loads(answer.body)["message"] == "Request entity too large"
    assert receive.taken == 0
    assert store.events == []


def test_a_body_passing_the_limit_without_a_length_is_413_at_that_chunk() -> None:
    half = b" " * (MAX_BODY // 2)
    receive = chunked(half, half, b" ", b"never read", ALERT)
    [answer], store, _ = serve([(scope("/v2/enqueue"), receive)])
    assert answer.status == 413
    assert receive.taken == 3
    assert store.events == []


def test_a_body_of_exactly_the_limit_is_read() -> None:
    padded = ALERT + b" " * (MAX_BODY - len(ALERT))
    receive = chunked(padded[: MAX_BODY // 2], padded[MAX_BODY // 2 :])
    [answer], store, _ = serve([(scope("/v2/enqueue", length=MAX_BODY), receive)])
    assert answer.status == 202
    assert len(store.events) == 1


def test_a_client_that_leaves_mid_body_sends_nothing_stored() -> None:
    receive = Receiver(
        [
            {"type": "http.request", "body": ALERT[:20], "more_body": True},
            {"type": "http.disconnect"},
        ]
    )
    [answer], store, _ = serve([(scope("/v2/enqueue"), receive)])
    assert answer.status == 400  # an empty body: answered to nobody, nothing stored
    assert store.events == []


def test_both_events_v2_paths_are_answered_before_the_application() -> None:
    answers, store, inner = serve(
        [
            (scope("/v2/enqueue", length=len(ALERT)), chunked(ALERT)),
            (scope("/v2/change/enqueue"), chunked(CHANGE[:7], CHANGE[7:])),
            (scope("/v2/enqueue", method="GET"), chunked(b"")),
            (scope("/integrations/alertmanager"), chunked(b"{}")),
        ]
    )
    assert [a.status for a in answers] == [202, 202, 204, 204]
    assert orjson.loads(answers[1].body) == {
        "status": "success",
        "message": "Change event processed",
    }
    assert [e.format for e in store.events] == ["events-v2", "change-v2"]
    assert inner.paths == [("GET", "/v2/enqueue"), ("POST", "/integrations/alertmanager")]


# --- the Alertmanager endpoint's 503 answers ---------------------------------------------------


def webhook(alerts: int = 2) -> bytes:
    sample = Path(__file__).parent.parent / "samples" / "alertmanager-0.25"
    body = json.loads((sample / "01_integrations_alertmanager.json").read_text())["body"]
    first = body["alerts"][0]
    body["alerts"] = [first | {"fingerprint": f"{i:016x}"} for i in range(alerts)]
    return orjson.dumps(body)


def alertmanager(store: Store, limiter: RateLimiter, alerts: int = 2) -> Response:
    async def run() -> Response:
        committer = GroupCommitter(store=store, clock=FakeClock())
        await committer.start()
        try:
            endpoints = IngestEndpoints(committer=committer, limiter=limiter, metrics=Metrics())
            body = webhook(alerts)
            request = Request(scope("/integrations/alertmanager", length=len(body)), chunked(body))
            return await endpoints.alertmanager(request, KEY)
        finally:
            await committer.stop()

    return asyncio.run(run())


def test_a_rate_limited_webhook_is_a_503_problem_so_that_alertmanager_retries() -> None:
    store = Store()
    limiter = RateLimiter(per_minute=60)
    assert limiter.allow(KEY, time.monotonic(), cost=60)  # the key's minute is spent
    answer = alertmanager(store, limiter)  # a group needs a token in the bucket
    assert answer.status_code == 503
    assert answer.headers["retry-after"] == "5"
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.body == orjson.dumps(
        {
            "type": "https://ownit.dev/problems/rate-limited",
            "title": "Rate limited",
            "status": 503,
            "detail": "too many events for this key; retry later",
        }
    )
    assert store.events == []


@pytest.mark.parametrize("spent", [0, 50, 59])
def test_a_group_larger_than_a_minute_of_allowance_passes_while_a_token_is_left(
    spent: int,
) -> None:
    store = Store()
    limiter = RateLimiter(per_minute=60)
    assert limiter.allow(KEY, time.monotonic(), cost=spent) or spent == 0
    answer = alertmanager(store, limiter, alerts=100)  # more than the minute holds
    assert answer.status_code == 200  # (it used to be 503 on every retry, forever)
    assert len(store.events) == 100
    # ... and pays for all of it: the key's next events wait for the debt.
    assert not limiter.allow(KEY, time.monotonic())
    assert limiter.wait(KEY, time.monotonic()) > 40 + spent - 5


def test_a_webhook_the_store_cannot_take_is_a_503_problem() -> None:
    answer = alertmanager(Store(down=True), RateLimiter(per_minute=0))
    assert answer.status_code == 503
    assert answer.headers["retry-after"] == "1"
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.body == orjson.dumps(
        {
            "type": "https://ownit.dev/problems/unavailable",
            "title": "Unavailable",
            "status": 503,
            "detail": "The event could not be stored; nothing was accepted. Please retry.",
        }
    )
