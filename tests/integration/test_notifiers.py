"""The notifiers against real receivers on loopback: an SMTP server (aiosmtpd) and an HTTP
server that answers what each test tells it to (200 ok, 500, 429, 410, 302, or too late)."""

from __future__ import annotations

import dataclasses
import email
import email.policy
import os
import shutil
import socket
import ssl
import subprocess
import threading
import time
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, cast

import httpx
import orjson
import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

from ownit.adapters.notifiers import make_http_client
from ownit.adapters.notifiers.email import EmailNotifier
from ownit.adapters.notifiers.push import PushNotifier
from ownit.adapters.notifiers.signing import verify
from ownit.adapters.notifiers.slack import SlackNotifier
from ownit.adapters.notifiers.webhook import WebhookNotifier
from ownit.app.notify import Notification
from ownit.domain.outbound import AllowList

pytestmark = pytest.mark.slow

T = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
FAST = httpx.Timeout(0.5)
LOOPBACK = AllowList.parse("127.0.0.0/8")


def page(**changes: Any) -> Notification:
    base = Notification(
        idempotency_key="inc_7:1:0:alice:hook",
        event_type="incident.triggered",
        incident_id="inc_7",
        incident_number=42,
        title='Disk full on db-1 <script>alert("x")</script>',
        service="checkout-api",
        component="refunds",
        urgency="high",
        status="triggered",
        runbook_url="https://wiki.example.com/checkout/runbook",
        incident_url="https://ownit.example.com/incidents/42",
        ack_url="https://ownit.example.com/a/ACKTOKEN",
        resolve_url="https://ownit.example.com/a/RESOLVETOKEN",
        occurred_at=T,
        recipient="alice",
        details={"host": "db-1"},
    )
    return dataclasses.replace(base, **changes)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# --- an HTTP receiver ------------------------------------------------------------------------


@dataclass(frozen=True)
class Reply:
    status: int = 200
    body: bytes = b"ok"
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0


@dataclass(frozen=True)
class Seen:
    path: str
    headers: dict[str, str]
    body: bytes


class _Server(ThreadingHTTPServer):
    receiver: Receiver

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that hung up on a slow answer is expected here: stay quiet."""


class _Handler(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        receiver = cast(_Server, self.server).receiver
        body = self.rfile.read(int(self.headers.get("content-length", "0")))
        headers = {k.lower(): v for k, v in self.headers.items()}
        reply = receiver.take(Seen(self.path, headers, body))
        if reply.delay and receiver.stopping.wait(reply.delay):
            return
        try:
            self.send_response(reply.status)
            for name, value in reply.headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(reply.body)))
            self.end_headers()
            self.wfile.write(reply.body)
        except OSError:  # the client gave up waiting
            pass

    def log_message(self, format: str, *args: Any) -> None:
        pass


class Receiver:
    """Records every request; answers with the queued replies, then 200 ``ok``."""

    def __init__(self) -> None:
        self.seen: list[Seen] = []
        self.replies: deque[Reply] = deque()
        self.stopping = threading.Event()
        self._lock = threading.Lock()
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.receiver = self
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}
        )

    def url(self, path: str = "/hook") -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}{path}"

    def answer(self, *replies: Reply) -> None:
        self.replies.extend(replies)

    def take(self, seen: Seen) -> Reply:
        with self._lock:
            self.seen.append(seen)
            return self.replies.popleft() if self.replies else Reply()

    def __enter__(self) -> Receiver:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stopping.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with Receiver() as r:
        yield r


@pytest.fixture
def client() -> Iterator[httpx.Client]:
    with make_http_client(LOOPBACK) as c:
        yield c


@pytest.fixture
def guarded() -> Iterator[httpx.Client]:
    """The client as a server without OWNIT_OUTBOUND_ALLOW builds it."""
    with make_http_client(AllowList()) as c:
        yield c


# --- webhook ---------------------------------------------------------------------------------


def test_webhook_is_signed_and_verifiable(receiver: Receiver, client: httpx.Client) -> None:
    notifier = WebhookNotifier(client, now=lambda: T)
    delivery = notifier.send(page(), {"url": receiver.url(), "secret": SECRET})
    assert delivery.ok
    assert delivery.detail == f"webhook {receiver.url()} answered 200"
    [seen] = receiver.seen
    ts = seen.headers["webhook-timestamp"]
    assert ts == str(int(T.timestamp()))
    assert seen.headers["webhook-id"] == "inc_7:1:0:alice:hook"
    assert seen.headers["content-type"] == "application/json"
    assert verify(
        SECRET,
        seen.headers["webhook-id"],
        ts,
        seen.body,
        seen.headers["webhook-signature"],
        now=T.timestamp(),
    )
    body = orjson.loads(seen.body)
    assert body["type"] == "incident.triggered"
    assert body["timestamp"] == "2026-11-26T12:00:00Z"
    assert body["data"]["number"] == 42
    assert body["data"]["ack_url"] == "https://ownit.example.com/a/ACKTOKEN"


def test_webhook_retry_keeps_the_id(receiver: Receiver, client: httpx.Client) -> None:
    clock = [T]
    notifier = WebhookNotifier(client, now=lambda: clock[0])
    receiver.answer(Reply(500, b"oops"))
    first = notifier.send(page(), {"url": receiver.url(), "secret": SECRET})
    clock[0] = T + timedelta(seconds=30)
    second = notifier.send(page(), {"url": receiver.url(), "secret": SECRET})
    assert (first.ok, first.permanent) == (False, False)
    assert "answered 500" in first.detail
    assert second.ok
    ids = [s.headers["webhook-id"] for s in receiver.seen]
    assert ids == ["inc_7:1:0:alice:hook"] * 2
    for seen, now in zip(receiver.seen, (T, clock[0]), strict=True):
        sig = seen.headers["webhook-signature"]
        assert verify(
            SECRET, ids[0], seen.headers["webhook-timestamp"], seen.body, sig, now=now.timestamp()
        )


@pytest.mark.parametrize(
    ("reply", "ok", "permanent", "retry_after", "disable"),
    [
        (Reply(204, b""), True, False, None, False),
        (Reply(500, b"boom"), False, False, None, False),
        (Reply(503, b"", {"Retry-After": "17"}), False, False, 17.0, False),
        (Reply(429, b"slow down", {"Retry-After": "30"}), False, False, 30.0, False),
        (Reply(410, b"gone"), False, True, None, True),
        (Reply(400, b"bad"), False, True, None, False),
        (Reply(401, b"who"), False, True, None, False),
        (Reply(302, b"", {"Location": "/elsewhere"}), False, True, None, False),
    ],
)
def test_webhook_answers(
    receiver: Receiver,
    client: httpx.Client,
    reply: Reply,
    ok: bool,
    permanent: bool,
    retry_after: float | None,
    disable: bool,
) -> None:
    receiver.answer(reply)
    delivery = WebhookNotifier(client, now=lambda: T).send(
        page(), {"url": receiver.url(), "secret": SECRET}
    )
    assert (delivery.ok, delivery.permanent, delivery.retry_after, delivery.disable) == (
        ok,
        permanent,
        retry_after,
        disable,
    )
    assert f"answered {reply.status}" in delivery.detail
    assert [s.path for s in receiver.seen] == ["/hook"]  # a redirect is never followed


def test_webhook_timeout_is_temporary(receiver: Receiver, client: httpx.Client) -> None:
    # The answer would take 30 s (the receiver stops waiting at teardown): the 0.3 s timeout
    # must cut it short. The bound leaves room for a starved machine (3.7 s once in CI).
    receiver.answer(Reply(200, b"ok", delay=30.0))
    notifier = WebhookNotifier(client, now=lambda: T, timeout=httpx.Timeout(0.3))
    started = time.monotonic()
    delivery = notifier.send(page(), {"url": receiver.url(), "secret": SECRET})
    assert time.monotonic() - started < 10.0
    assert (delivery.ok, delivery.permanent) == (False, False)
    assert "did not answer in time" in delivery.detail


def test_receiver_gone_is_temporary(client: httpx.Client) -> None:
    url = f"http://127.0.0.1:{free_port()}/hook"
    delivery = WebhookNotifier(client, now=lambda: T, timeout=FAST).send(
        page(), {"url": url, "secret": SECRET}
    )
    assert (delivery.ok, delivery.permanent) == (False, False)
    assert "could not be reached" in delivery.detail


@pytest.mark.parametrize(
    ("contact", "words"),
    [
        ({"secret": SECRET}, "has no URL"),
        ({"url": "ftp://127.0.0.1/x", "secret": SECRET}, "http:// or https://"),
        ({"url": "http://127.0.0.1:9/x"}, "no signing secret"),
        ({"url": "http://127.0.0.1:9/x", "secret": "whsec_!!"}, "base64"),
    ],
)
def test_webhook_bad_contacts_are_permanent(
    client: httpx.Client, contact: dict[str, str], words: str
) -> None:
    delivery = WebhookNotifier(client, now=lambda: T).send(page(), contact)
    assert delivery.permanent
    assert words in delivery.detail


def test_webhook_detail_hides_query_and_credentials(
    receiver: Receiver, client: httpx.Client
) -> None:
    url = receiver.url("/hook?token=s3cret").replace("http://", "http://user:pw@")
    delivery = WebhookNotifier(client, now=lambda: T).send(page(), {"url": url, "secret": SECRET})
    assert delivery.ok
    assert "s3cret" not in delivery.detail
    assert "pw" not in delivery.detail
    assert receiver.seen[0].path == "/hook?token=s3cret"


# --- outgoing calls are safe (SSRF) ----------------------------------------------------------


@pytest.mark.parametrize(
    ("host", "shown"),
    [
        ("127.0.0.1", "127.0.0.1 is a loopback address"),
        ("localhost", "is a loopback address"),
        ("2130706433", "127.0.0.1 is a loopback address"),  # decimal form of 127.0.0.1
        ("0x7f000001", "127.0.0.1 is a loopback address"),  # hex form
        ("127.1", "127.0.0.1 is a loopback address"),
    ],
)
def test_loopback_is_refused_without_the_allow_setting(
    receiver: Receiver, guarded: httpx.Client, host: str, shown: str
) -> None:
    url = receiver.url().replace("127.0.0.1", host)
    for notifier, contact in (
        (WebhookNotifier(guarded, now=lambda: T), {"url": url, "secret": SECRET}),
        (SlackNotifier(guarded), {"webhookUrl": url}),
        (PushNotifier(guarded), {"url": url}),
    ):
        delivery = notifier.send(page(), contact)
        assert (delivery.ok, delivery.permanent) == (False, True)
        assert shown in delivery.detail
        assert delivery.detail.endswith("allow it with OWNIT_OUTBOUND_ALLOW")
    assert receiver.seen == []


def test_ipv6_loopback_is_refused(guarded: httpx.Client) -> None:
    for url in ("http://[::1]:9/x", "http://[::ffff:127.0.0.1]:9/x"):
        delivery = WebhookNotifier(guarded, now=lambda: T).send(
            page(), {"url": url, "secret": SECRET}
        )
        assert delivery.permanent
        assert "is a loopback address" in delivery.detail


def test_the_allow_setting_lets_a_named_host_through(receiver: Receiver) -> None:
    with make_http_client(AllowList.parse("localhost")) as named:
        url = receiver.url().replace("127.0.0.1", "localhost")
        delivery = WebhookNotifier(named, now=lambda: T).send(
            page(), {"url": url, "secret": SECRET}
        )
    assert delivery.ok
    [seen] = receiver.seen
    assert seen.headers["host"].startswith("localhost:")  # the Host header is the URL's


def test_a_redirect_inward_is_not_followed(receiver: Receiver, client: httpx.Client) -> None:
    receiver.answer(Reply(307, b"", {"Location": "http://169.254.169.254/latest/meta-data/"}))
    delivery = WebhookNotifier(client, now=lambda: T).send(
        page(), {"url": receiver.url(), "secret": SECRET}
    )
    assert delivery.permanent
    assert "redirects are not followed" in delivery.detail
    assert len(receiver.seen) == 1


def test_closed_port_and_silent_host_read_the_same(client: httpx.Client) -> None:
    """No port scanner: a refused connection and a host that does not answer give one text."""
    closed = f"http://127.0.0.1:{free_port()}/hook"
    details = set()
    with socket.socket() as listener:  # a full backlog never completes the connect
        listener.bind(("127.0.0.1", 0))
        listener.listen(0)
        silent = f"http://127.0.0.1:{listener.getsockname()[1]}/hook"
        fillers = [socket.socket() for _ in range(3)]
        for f in fillers:
            f.setblocking(False)
            f.connect_ex(listener.getsockname())
        for url in (closed, silent):
            delivery = WebhookNotifier(client, now=lambda: T, timeout=FAST).send(
                page(), {"url": url, "secret": SECRET}
            )
            assert (delivery.ok, delivery.permanent) == (False, False)
            details.add(delivery.detail.replace(url, "URL"))
        for f in fillers:
            f.close()
    assert len(details) == 1, details


# --- Slack -----------------------------------------------------------------------------------


def test_slack_ok(receiver: Receiver, client: httpx.Client) -> None:
    notifier = SlackNotifier(client, action_secret=b"k" * 32, now=lambda: T)
    delivery = notifier.send(page(), {"webhookUrl": receiver.url("/services/T1/B2/SECRETPATH")})
    assert delivery.ok
    assert "SECRETPATH" not in delivery.detail
    [seen] = receiver.seen
    body = orjson.loads(seen.body)
    assert body["text"].startswith("#42 HIGH checkout-api/refunds: Disk full")
    kinds = [b["type"] for b in body["blocks"]]
    assert kinds == ["header", "section", "context", "actions"]
    actions = [e["action_id"] for e in body["blocks"][-1]["elements"]]
    assert actions == ["acknowledge", "resolve", "open"]


@pytest.mark.parametrize(
    ("reply", "ok", "permanent", "words"),
    [
        (Reply(200, b"ok"), True, False, "answered 200"),
        (Reply(200, b"<html>login</html>"), False, True, "without 'ok'"),
        (Reply(400, b"invalid_payload"), False, True, "answered 400"),
        (Reply(403, b"action_prohibited"), False, True, "answered 403"),
        (Reply(404, b"no_service"), False, True, "answered 404"),
        (Reply(410, b"channel_is_archived"), False, True, "contact disabled"),
        (Reply(429, b"rate_limited", {"Retry-After": "3"}), False, False, "retry after 3 s"),
        (Reply(500, b"rollup_error"), False, False, "answered 500"),
    ],
)
def test_slack_answers(
    receiver: Receiver,
    client: httpx.Client,
    reply: Reply,
    ok: bool,
    permanent: bool,
    words: str,
) -> None:
    receiver.answer(reply)
    delivery = SlackNotifier(client).send(page(), {"webhookUrl": receiver.url("/services/x")})
    assert (delivery.ok, delivery.permanent) == (ok, permanent)
    assert words in delivery.detail
    if reply.body != b"ok":
        assert reply.body.decode()[:4] not in delivery.detail  # the answer is never echoed


def test_slack_timeout_is_temporary(receiver: Receiver, client: httpx.Client) -> None:
    receiver.answer(Reply(200, b"ok", delay=5.0))
    notifier = SlackNotifier(client, timeout=httpx.Timeout(0.3))
    delivery = notifier.send(page(), {"webhookUrl": receiver.url()})
    assert (delivery.ok, delivery.permanent) == (False, False)


# --- push ------------------------------------------------------------------------------------


def test_push_headers_and_body(receiver: Receiver, client: httpx.Client) -> None:
    delivery = PushNotifier(client).send(
        page(title="Plattenplatz voll auf db-1"),
        {"url": receiver.url("/alice-pages"), "token": "tk_123"},
    )
    assert delivery.ok
    assert "alice-pages" not in delivery.detail  # the topic is the secret
    [seen] = receiver.seen
    h = seen.headers
    assert h["title"] == "[ownit] #42 HIGH checkout-api/refunds: Plattenplatz voll auf db-1"
    assert h["priority"] == "urgent"
    assert h["click"] == "https://ownit.example.com/incidents/42"
    assert h["tags"] == "rotating_light,checkout-api"
    assert h["x-idempotency-key"] == "inc_7:1:0:alice:hook"
    assert h["authorization"] == "Bearer tk_123"
    assert h["actions"].startswith("http, Acknowledge, https://ownit.example.com/a/ACKTOKEN")
    text = seen.body.decode()
    assert text.startswith("Plattenplatz voll auf db-1\nService: checkout-api")
    assert "Runbook: https://wiki.example.com/checkout/runbook" in text


@pytest.mark.parametrize(
    ("reply", "ok", "permanent"),
    [(Reply(500), False, False), (Reply(429), False, False), (Reply(403), False, True)],
)
def test_push_answers(
    receiver: Receiver, client: httpx.Client, reply: Reply, ok: bool, permanent: bool
) -> None:
    receiver.answer(reply)
    delivery = PushNotifier(client).send(page(urgency="low"), {"url": receiver.url()})
    assert (delivery.ok, delivery.permanent) == (ok, permanent)
    assert receiver.seen[0].headers["priority"] == "default"


# --- email -----------------------------------------------------------------------------------


class Mailbox:
    """An aiosmtpd handler that keeps what arrives, or refuses as told."""

    def __init__(self) -> None:
        self.envelopes: list[Envelope] = []
        self.rcpt_answer = "250 OK"
        self.data_answer = "250 Message accepted for delivery"

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        if self.rcpt_answer.startswith("250"):
            envelope.rcpt_tos.append(address)
        return self.rcpt_answer

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        if self.data_answer.startswith("250"):
            self.envelopes.append(envelope)
        return self.data_answer

    def message(self) -> EmailMessage:
        [envelope] = self.envelopes
        assert isinstance(envelope.content, bytes)
        parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        return parsed


@dataclass
class Smtp:
    mailbox: Mailbox
    port: int


@pytest.fixture
def smtp() -> Iterator[Smtp]:
    mailbox = Mailbox()
    port = free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield Smtp(mailbox, port)
    finally:
        controller.stop()


def mailer(port: int, **kwargs: Any) -> EmailNotifier:
    options: dict[str, Any] = {"security": "none", "sender": "ownit@example.com", "timeout": 2.0}
    options.update(kwargs)
    return EmailNotifier("127.0.0.1", port, now=lambda: T, **options)


def test_email_arrives_readable(smtp: Smtp) -> None:
    delivery = mailer(smtp.port).send(page(), {"name": "mail", "address": "alice@example.com"})
    assert delivery.ok
    assert delivery.detail == f"email to alice@example.com accepted by 127.0.0.1:{smtp.port}"
    [envelope] = smtp.mailbox.envelopes
    assert envelope.mail_from == "ownit@example.com"
    assert envelope.rcpt_tos == ["alice@example.com"]
    msg = smtp.mailbox.message()
    assert msg["Subject"] == (
        '[ownit] #42 HIGH checkout-api/refunds: Disk full on db-1 <script>alert("x")</script>'
    )
    assert msg["X-Ownit-Idempotency-Key"] == "inc_7:1:0:alice:hook"
    assert msg["Message-ID"].startswith("<ownit.")
    text_part = msg.get_body(preferencelist=("plain",))
    html_part = msg.get_body(preferencelist=("html",))
    assert text_part is not None
    assert html_part is not None
    text = text_part.get_content()
    html = html_part.get_content()
    for needle in ("checkout-api", "refunds", "high", "triggered", "db-1"):
        assert needle in text
    assert "https://wiki.example.com/checkout/runbook" in text
    assert "Acknowledge:   https://ownit.example.com/a/ACKTOKEN" in text
    assert "https://ownit.example.com/incidents/42" in text
    assert '<a href="https://ownit.example.com/a/ACKTOKEN">Acknowledge</a>' in html
    assert "<script>" not in html
    assert "&lt;script&gt;" in html


@pytest.mark.parametrize(
    ("rcpt", "data", "permanent", "words"),
    [
        ("550 5.1.1 no such user", "250 OK", True, "550 5.1.1 no such user"),
        ("450 4.2.0 mailbox busy", "250 OK", False, "450"),
        ("250 OK", "451 4.3.0 try again later", False, "451 4.3.0 try again later"),
        ("250 OK", "554 5.7.1 rejected as spam", True, "554"),
    ],
)
def test_email_refusals(smtp: Smtp, rcpt: str, data: str, permanent: bool, words: str) -> None:
    smtp.mailbox.rcpt_answer = rcpt
    smtp.mailbox.data_answer = data
    delivery = mailer(smtp.port).send(page(), {"address": "alice@example.com"})
    assert (delivery.ok, delivery.permanent) == (False, permanent)
    assert words in delivery.detail
    assert delivery.detail.startswith("email to alice@example.com refused by 127.0.0.1:")


def test_email_server_down_is_temporary() -> None:
    delivery = mailer(free_port()).send(page(), {"address": "alice@example.com"})
    assert (delivery.ok, delivery.permanent) == (False, False)
    assert "could not be reached" in delivery.detail


def test_email_silent_server_times_out() -> None:
    with socket.socket() as listener:  # accepts connections (backlog) but never greets
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        started = time.monotonic()
        delivery = mailer(port, connect_timeout=0.3).send(page(), {"address": "a@example.com"})
    assert time.monotonic() - started < 2.0
    assert (delivery.ok, delivery.permanent) == (False, False)
    assert "timed out" in delivery.detail


def test_email_bad_address_is_permanent(smtp: Smtp) -> None:
    delivery = mailer(smtp.port).send(page(), {"name": "mail", "address": "a@b\r\nBcc: c@d"})
    assert delivery.permanent
    assert smtp.mailbox.envelopes == []


# --- email over TLS (a throwaway certificate for 127.0.0.1) ----------------------------------


@pytest.fixture(scope="module")
def cert(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    openssl = shutil.which("openssl")
    if openssl is None and not os.environ.get("CI"):  # CI installs it and never skips
        pytest.skip("openssl is not installed")
    assert openssl is not None, "openssl is not installed"
    folder = tmp_path_factory.mktemp("tls")
    key, crt = folder / "key.pem", folder / "cert.pem"
    subprocess.run(
        [
            openssl,
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
            "-keyout",
            str(key),
            "-out",
            str(crt),
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )
    return key, crt


def _authenticate(
    server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: Any
) -> AuthResult:
    ok = isinstance(data, LoginPassword) and (data.login, data.password) == (b"ownit", b"pw")
    return AuthResult(success=ok, handled=False)


@pytest.fixture
def tls_smtp(cert: tuple[Path, Path], request: pytest.FixtureRequest) -> Iterator[Smtp]:
    server_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_ctx.load_cert_chain(cert[1], cert[0])
    mailbox = Mailbox()
    port = free_port()
    # aiosmtpd does not count its implicit TLS as TLS for AUTH (and warns when AUTH is
    # required without it): offer AUTH there instead of requiring it.
    options: dict[str, Any] = (
        {"ssl_context": server_ctx, "auth_require_tls": False, "auth_required": False}
        if request.param == "tls"
        else {"tls_context": server_ctx, "require_starttls": True, "auth_required": True}
    )
    controller = Controller(
        mailbox, hostname="127.0.0.1", port=port, authenticator=_authenticate, **options
    )
    controller.start()
    try:
        yield Smtp(mailbox, port)
    finally:
        controller.stop()


@pytest.mark.parametrize("tls_smtp", ["starttls", "tls"], indirect=True)
@pytest.mark.parametrize(("password", "ok"), [("pw", True), ("wrong", False)])
def test_email_over_tls_with_login(
    tls_smtp: Smtp,
    cert: tuple[Path, Path],
    request: pytest.FixtureRequest,
    password: str,
    ok: bool,
) -> None:
    security = request.node.callspec.params["tls_smtp"]
    client_ctx = ssl.create_default_context(cafile=str(cert[1]))
    notifier = mailer(
        tls_smtp.port,
        security=security,
        username="ownit",
        password=password,
        ssl_context=client_ctx,
    )
    delivery = notifier.send(page(), {"address": "alice@example.com"})
    assert delivery.ok is ok
    if ok:
        assert tls_smtp.mailbox.message()["To"] == "alice@example.com"
    else:
        assert delivery.permanent  # 535: bad credentials will not fix themselves
        assert "535" in delivery.detail


@pytest.mark.parametrize("tls_smtp", ["starttls", "tls"], indirect=True)
def test_email_refuses_an_untrusted_certificate(
    tls_smtp: Smtp, request: pytest.FixtureRequest
) -> None:
    security = request.node.callspec.params["tls_smtp"]
    notifier = mailer(tls_smtp.port, security=security, username="ownit", password="pw")
    delivery = notifier.send(page(), {"address": "alice@example.com"})
    assert (delivery.ok, delivery.permanent) == (False, False)
    assert "CERTIFICATE_VERIFY_FAILED" in delivery.detail
    assert tls_smtp.mailbox.envelopes == []
