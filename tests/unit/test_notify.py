"""The message and its rendering: HTTP answers classified, backoff bounded, Block Kit limits
kept for absurd input, HTML escaped, headers safe, the registry complete."""

from __future__ import annotations

import dataclasses
import email
import email.policy
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from importlib.metadata import EntryPoint
from typing import Any

import httpx
import orjson
import pytest

from ownit.adapters.notifiers import NotifierContext, SmtpConfig, header_id, shown_url
from ownit.adapters.notifiers.email import build_message, html_body, text_body
from ownit.adapters.notifiers.push import header_value, priority, push_headers
from ownit.adapters.notifiers.registry import NotifierRegistry, UnknownChannel
from ownit.adapters.notifiers.signing import check_action_token
from ownit.adapters.notifiers.slack import (
    BLOCKS_MAX,
    HEADER_MAX,
    TEXT_MAX,
    SlackNotifier,
    blocks,
    message,
)
from ownit.adapters.notifiers.webhook import webhook_body
from ownit.app.notify import (
    BACKOFF_CAP,
    MAX_RETRY_AFTER,
    BundledIncident,
    Delivery,
    Notification,
    backoff,
    backoff_ceiling,
    classify_http,
    headline,
    http_delivery,
    parse_retry_after,
    retry_delay,
)

T = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


def note(**changes: Any) -> Notification:
    base = Notification(
        idempotency_key="inc_7:1:0:alice:mail",
        event_type="incident.triggered",
        incident_id="inc_7",
        incident_number=42,
        title="Disk full on db-1",
        service="checkout-api",
        component=None,
        urgency="high",
        status="triggered",
        runbook_url="https://wiki.example.com/runbook",
        incident_url="https://ownit.example.com/incidents/42",
        ack_url="https://ownit.example.com/a/ack-token",
        resolve_url="https://ownit.example.com/a/resolve-token",
        occurred_at=T,
        recipient="alice",
        details={"host": "db-1"},
    )
    return dataclasses.replace(base, **changes)


# --- classify_http / retry --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "retry_after", "expected"),
    [
        (200, None, (True, False, None)),
        (202, None, (True, False, None)),
        (204, "30", (True, False, None)),
        (301, None, (False, True, None)),
        (302, "5", (False, True, None)),
        (307, None, (False, True, None)),
        (400, None, (False, True, None)),
        (401, None, (False, True, None)),
        (404, None, (False, True, None)),
        (408, None, (False, False, None)),
        (410, "60", (False, True, None)),
        (413, None, (False, True, None)),
        (429, None, (False, False, None)),
        (429, "30", (False, False, 30.0)),
        (429, " 7 ", (False, False, 7.0)),
        (429, "soon", (False, False, None)),
        (429, "-5", (False, False, None)),
        (429, "99999999", (False, False, MAX_RETRY_AFTER)),
        (500, None, (False, False, None)),
        (502, "2", (False, False, 2.0)),
        (503, "120", (False, False, 120.0)),
        (599, None, (False, False, None)),
        (100, None, (False, True, None)),
    ],
)
def test_classify_http(
    status: int, retry_after: str | None, expected: tuple[bool, bool, float | None]
) -> None:
    assert classify_http(status, retry_after) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("Thu, 26 Nov 2026 12:01:30 GMT", 90.0),
        ("Thu, 26 Nov 2026 11:00:00 GMT", 0.0),  # in the past: now
        ("Fri, 27 Nov 2026 12:00:00 GMT", MAX_RETRY_AFTER),
        ("not a date", None),
        (None, None),
    ],
)
def test_retry_after_dates(value: str | None, expected: float | None) -> None:
    assert parse_retry_after(value, now=T) == expected


def test_http_dates_need_a_clock() -> None:
    assert parse_retry_after("Thu, 26 Nov 2026 12:01:30 GMT") is None


@pytest.mark.parametrize(
    ("status", "retry_after", "ok", "permanent", "disable", "words"),
    [
        (200, None, True, False, False, "answered 200"),
        (302, None, False, True, False, "redirects are not followed"),
        (410, None, False, True, True, "gone"),
        (429, "12", False, False, False, "retry after 12 s"),
        (500, None, False, False, False, "answered 500"),
    ],
)
def test_http_delivery(
    status: int, retry_after: str | None, ok: bool, permanent: bool, disable: bool, words: str
) -> None:
    d = http_delivery("webhook http://x/y", status, retry_after)
    assert (d.ok, d.permanent, d.disable) == (ok, permanent, disable)
    assert d.detail.startswith("webhook http://x/y answered")
    assert words in d.detail


def test_backoff_bounds_and_cap() -> None:
    ceilings = [backoff_ceiling(attempt) for attempt in range(1, 40)]
    assert ceilings[:5] == [2.0, 4.0, 8.0, 16.0, 32.0]
    assert ceilings == sorted(ceilings)  # never shrinks
    assert max(ceilings) == BACKOFF_CAP
    assert backoff_ceiling(10**9) == BACKOFF_CAP  # no overflow
    for attempt in (1, 2, 5, 9, 100):
        for rand in (0.0, 0.25, 0.5, 0.999999):
            wait = backoff(attempt, rand)
            assert 0.0 <= wait <= backoff_ceiling(attempt)
            assert wait == pytest.approx(rand * backoff_ceiling(attempt))


@pytest.mark.parametrize(("attempt", "rand"), [(0, 0.5), (-1, 0.5), (1, 1.0), (1, -0.1)])
def test_backoff_refuses_nonsense(attempt: int, rand: float) -> None:
    with pytest.raises(ValueError, match="must"):
        backoff(attempt, rand)


@pytest.mark.parametrize(
    ("delivery", "expected"),
    [
        (Delivery.sent("ok"), None),
        (Delivery.rejected("no"), None),
        (Delivery.temporary("later", 42.0), 42.0),
        (Delivery.temporary("later"), 0.5 * 8.0),
    ],
)
def test_retry_delay(delivery: Delivery, expected: float | None) -> None:
    assert retry_delay(delivery, attempt=3, rand=0.5) == expected


def test_notification_needs_aware_time_and_key() -> None:
    with pytest.raises(ValueError, match="aware"):
        note(occurred_at=T.replace(tzinfo=None))
    with pytest.raises(ValueError, match="idempotency_key"):
        note(idempotency_key="")


# --- text -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({}, "#42 HIGH checkout-api: Disk full on db-1"),
        ({"component": "refunds"}, "#42 HIGH checkout-api/refunds: Disk full on db-1"),
        ({"urgency": "low"}, "#42 LOW checkout-api: Disk full on db-1"),
        ({"event_type": "incident.resolved"}, "#42 RESOLVED checkout-api: Disk full on db-1"),
        (
            {"event_type": "incident.acknowledged"},
            "#42 ACKNOWLEDGED checkout-api: Disk full on db-1",
        ),
        ({"title": "two\r\nlines\tand\x00nul"}, "#42 HIGH checkout-api: two lines and nul"),
        (
            {"bundle": (BundledIncident(43, "b", "u"), BundledIncident(44, "c", "u"))},
            "#42 HIGH checkout-api: Disk full on db-1 (+2 more)",
        ),
    ],
)
def test_headline(changes: dict[str, Any], expected: str) -> None:
    assert headline(note(**changes)) == expected


def test_headline_is_bounded() -> None:
    assert len(headline(note(title="x" * 10_000))) <= 250


# --- email ------------------------------------------------------------------------------------

EVIL = '<script>alert("x")</script> & <b>bold</b>'


def test_html_escapes_everything() -> None:
    n = note(
        title=EVIL,
        service="svc<i>",
        details={"<k>": EVIL},
        bundle=(BundledIncident(43, EVIL, "javascript:alert(1)"),),
        runbook_url="javascript:alert(2)",
        recipient="<alice>",
    )
    body = html_body(n)
    assert "<script>" not in body
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &lt;b&gt;" in body
    for raw in ("<i>", "<k>", "<alice>"):
        assert raw not in body
    assert 'href="javascript:' not in body  # only http(s) links are clickable
    assert 'href="https://ownit.example.com/a/ack-token"' in body
    assert EVIL in text_body(n)  # the text part shows it as it is


def test_email_message_headers() -> None:
    msg = build_message(
        note(title="a\r\nBcc: x@evil"), sender="ownit@example.com", to="a@b.c", now=T
    )
    parsed = email.message_from_bytes(msg.as_bytes(), policy=email.policy.default)
    assert isinstance(parsed, EmailMessage)
    assert parsed["Subject"] == "[ownit] #42 HIGH checkout-api: a Bcc: x@evil"
    assert parsed["Bcc"] is None
    assert parsed["X-Ownit-Idempotency-Key"] == "inc_7:1:0:alice:mail"
    assert parsed["Message-ID"].endswith("@example.com>")
    again = build_message(note(), sender="ownit@example.com", to="a@b.c", now=T + timedelta(1))
    other = build_message(note(idempotency_key="k2"), sender="ownit@example.com", to="a@b.c", now=T)
    assert again["Message-ID"] == msg["Message-ID"] != other["Message-ID"]
    assert again["References"] == other["References"]  # threaded per incident


# --- Slack ------------------------------------------------------------------------------------


def _texts(block_list: list[dict[str, Any]]) -> list[str]:
    found = []
    for block in block_list:
        if "text" in block:
            found.append(block["text"]["text"])
        for element in block.get("elements", []):
            if "text" in element and isinstance(element["text"], str):
                found.append(element["text"])
    return found


def test_block_kit_limits_with_absurd_input() -> None:
    n = note(
        title="&<>" * 5_000,
        component="c" * 5_000,
        runbook_url="https://wiki.example.com/" + "r" * 5_000,
        incident_url="https://ownit.example.com/incidents/" + "9" * 5_000,
        details={f"key{i}" * 50: "&" * 2_000 for i in range(500)},
        bundle=tuple(BundledIncident(i, "t&" * 1000, "https://x/" + "u" * 900) for i in range(500)),
    )
    out = blocks(n, {"acknowledge": "a" * 3000, "resolve": "r"})
    assert len(out) <= BLOCKS_MAX
    assert out[0]["type"] == "header"
    assert len(out[0]["text"]["text"]) <= HEADER_MAX
    assert all(0 < len(text) <= TEXT_MAX for text in _texts(out))
    for block in out:
        for element in block.get("elements", []):
            assert len(element.get("value", "")) <= 2000
            assert len(element.get("url", "")) <= 3000
    body = orjson.loads(message(n))
    assert 0 < len(body["text"]) <= 3000


def test_slack_escapes_and_links() -> None:
    out = blocks(note(title="<!channel> & co", details={"<!here>": "<@U123>"}))
    assert out[0]["text"]["text"] == "HIGH · #42 <!channel> & co"  # plain_text: shown literally
    section = out[1]["text"]["text"]
    assert "*&lt;!here&gt;:* &lt;@U123&gt;" in section
    assert "<https://wiki.example.com/runbook|https://wiki.example.com/runbook>" in section


@pytest.mark.parametrize(
    ("changes", "actions"),
    [
        ({}, ["acknowledge", "resolve", "open"]),
        ({"event_type": "incident.acknowledged", "status": "acknowledged"}, ["resolve", "open"]),
        ({"event_type": "incident.resolved", "status": "resolved"}, ["open"]),
        ({"ack_url": None, "resolve_url": None}, ["open"]),
    ],
)
def test_slack_buttons_as_links(changes: dict[str, Any], actions: list[str]) -> None:
    out = blocks(note(**changes))
    found = [e["action_id"] for b in out if b["type"] == "actions" for e in b["elements"]]
    assert found == actions


def test_slack_buttons_carry_signed_tokens() -> None:
    secret = b"s" * 32
    with httpx.Client() as client:
        notifier = SlackNotifier(client, action_secret=secret, now=lambda: T)
        body = orjson.loads(message(note(), notifier._tokens(note())))
    buttons = {
        e["action_id"]: e for b in body["blocks"] if b["type"] == "actions" for e in b["elements"]
    }
    assert "url" not in buttons["acknowledge"]
    assert check_action_token(secret, buttons["acknowledge"]["value"], T) == (
        "inc_7",
        "acknowledge",
        "alice",
    )
    assert check_action_token(secret, buttons["resolve"]["value"], T)[1] == "resolve"


# --- push and webhook -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("urgency", "event_type", "expected"),
    [
        ("high", "incident.triggered", "urgent"),
        ("high", "incident.escalated", "urgent"),
        ("high", "incident.resolved", "high"),
        ("low", "incident.triggered", "default"),
        ("low", "test", "default"),
    ],
)
def test_push_priority(urgency: str, event_type: str, expected: str) -> None:
    assert priority(note(urgency=urgency, event_type=event_type)) == expected


def test_push_headers_are_ascii_single_lines() -> None:
    headers = push_headers(note(title="Plattenplatz voll — größer machen\r\nX-Evil: 1"))
    for value in headers.values():
        assert value.isascii()
        assert value.isprintable()  # no line breaks
    assert headers["Title"].startswith("=?UTF-8?B?")
    assert header_value("plain") == "plain"
    assert "http, Acknowledge, https://ownit.example.com/a/ack-token" in headers["Actions"]


@pytest.mark.parametrize(
    ("key", "same"),
    [("inc_7:1:0:alice:mail", True), ("with space", False), ("ü", False), ("k" * 201, False)],
)
def test_header_ids(key: str, same: bool) -> None:
    assert (header_id(key) == key) is same
    assert header_id(key) == header_id(key)


def test_webhook_body() -> None:
    body = orjson.loads(webhook_body(note(details={"a": "b"})))
    assert body["type"] == "incident.triggered"
    assert body["timestamp"] == "2026-11-26T12:00:00Z"
    assert body["data"]["id"] == "inc_7"
    assert body["data"]["details"] == {"a": "b"}


@pytest.mark.parametrize(
    ("url", "path", "expected"),
    [
        (
            "https://user:pw@hooks.example.com:8443/a/b?token=x#f",
            True,
            "https://hooks.example.com:8443/a/b",
        ),
        ("https://hooks.slack.com/services/T/B/secret", False, "https://hooks.slack.com/…"),
        ("http://127.0.0.1:9/", False, "http://127.0.0.1:9"),
    ],
)
def test_shown_url_hides_secrets(url: str, path: bool, expected: str) -> None:
    assert shown_url(url, path=path) == expected


# --- registry ---------------------------------------------------------------------------------


class Fax:
    channel = "fax"

    def send(self, notification: Notification, contact: dict[str, str]) -> Delivery:
        return Delivery.sent("faxed")


def fax_factory(context: NotifierContext) -> Fax:
    return Fax()


def test_registry_builtins_and_entry_points() -> None:
    found = [
        EntryPoint("fax", f"{__name__}:fax_factory", "ownit.notifiers"),
        EntryPoint("broken", "ownit.no_such_module:create", "ownit.notifiers"),
        EntryPoint("weird", f"{__name__}:T", "ownit.notifiers"),
    ]
    registry = NotifierRegistry.load(found=found)
    assert registry.channels == ["email", "fax", "push", "slack", "webhook"]
    assert len(registry.problems) == 2
    assert "broken" in registry.problems[0]
    assert "weird" in registry.problems[1]
    with httpx.Client() as client:
        context = NotifierContext(http=client, now=lambda: T)
        built = registry.create_all(context)
        assert sorted(built.by_channel) == ["fax", "push", "slack", "webhook"]
        assert "SMTP" in built.unavailable["email"]
        for channel, notifier in built.by_channel.items():
            assert notifier.channel == channel
        smtp = SmtpConfig(host="127.0.0.1", port=25, sender="ownit@example.com")
        mailer = registry.create("email", dataclasses.replace(context, smtp=smtp))
        assert mailer.channel == "email"
        with pytest.raises(UnknownChannel, match="'sms'"):
            registry.create("sms", context)


def test_registry_reads_the_installed_group() -> None:
    registry = NotifierRegistry.load()
    assert {"email", "slack", "webhook", "push"} <= set(registry.channels)
    assert registry.problems == []
