"""Push notifications to phones, ntfy style: POST the text to the contact's topic URL with the
title, priority, tags, click target and actions as headers. Contact: ``{url}`` (optionally
``token`` for a server that needs ``Authorization: Bearer``).
"""

from __future__ import annotations

import base64
from collections.abc import Mapping

import httpx

from ownit.adapters.notifiers import (
    DEFAULT_TIMEOUT,
    NotifierContext,
    check_url,
    header_id,
    network_failure,
    post,
    shown_url,
)
from ownit.app.notify import (
    PAGE_EVENTS,
    Delivery,
    Notification,
    alert_lines,
    context_line,
    facts,
    headline,
    http_delivery,
    is_web_url,
    one_line,
    shorten,
)

BODY_MAX = 3500  # ntfy turns longer messages into attachments
_TAGS = {
    "incident.triggered": "rotating_light",
    "incident.escalated": "rotating_light,arrow_double_up",
    "incident.acknowledged": "eyes",
    "incident.resolved": "white_check_mark",
    "test": "test_tube",
}


def header_value(text: str, limit: int = 250) -> str:
    """One line of visible ASCII, or an RFC 2047 encoded word (which ntfy decodes) for text
    with other characters: HTTP header values must be ASCII and must not break lines."""
    line = one_line(text, limit)
    if line.isascii():
        return line
    return "=?UTF-8?B?" + base64.b64encode(line.encode()).decode("ascii") + "?="


def priority(notification: Notification) -> str:
    """``urgent`` for a high-urgency page, ``high`` for other high-urgency news, else
    ``default``: only a page that needs someone now may break through do-not-disturb."""
    if notification.urgency != "high":
        return "default"
    return "urgent" if notification.event_type in PAGE_EVENTS else "high"


def push_text(notification: Notification) -> str:
    """The message body: the title, one line of first-responder context (likely cause
    upstream, runbook) on a first page, facts, details and the bundle, as short lines."""
    n = notification
    lines = [one_line(n.title, 500)]
    summary = context_line(n.context) if n.context is not None else ""
    if summary:
        lines.append(summary)
    lines += [f"{name}: {one_line(value, 300)}" for name, value in facts(n)]
    lines += [f"{one_line(k, 60)}: {one_line(v, 200)}" for k, v in n.details.items()]
    lines += [f"{one_line(k, 60)}: {one_line(v, 200)}" for k, v in alert_lines(n)]
    if n.bundle:
        lines.append(f"Also {len(n.bundle)} more:")
        lines += [f"#{b.number} {one_line(b.title, 120)}" for b in n.bundle]
    return shorten("\n".join(lines), BODY_MAX)


def actions(notification: Notification) -> str | None:
    """ntfy's ``Actions`` header: an ``http`` POST to the signed ack link and a link to the
    incident. URLs with ``,``/``;``/``"`` would break the header's syntax and are left out."""
    n = notification
    found = []
    if n.ack_url and n.event_type in PAGE_EVENTS and _plain_url(n.ack_url):
        found.append(f"http, Acknowledge, {n.ack_url}, method=POST, clear=true")
    if _plain_url(n.incident_url):
        found.append(f"view, Open, {n.incident_url}")
    return "; ".join(found) or None


def _plain_url(url: str) -> bool:
    return is_web_url(url) and url.isascii() and not any(c in url for c in ",;\"' \r\n")


def push_headers(notification: Notification, token: str | None = None) -> dict[str, str]:
    n = notification
    tags = _TAGS.get(n.event_type, "bell")
    headers = {
        "content-type": "text/plain; charset=utf-8",
        "Title": header_value(f"[ownit] {headline(n)}"),
        "Priority": priority(n),
        "Tags": header_value(f"{tags},{n.service}", 200).replace(" ", "_"),
        "X-Idempotency-Key": header_id(n.idempotency_key, prefix="key_"),
    }
    if _plain_url(n.incident_url):
        headers["Click"] = n.incident_url
    found = actions(n)
    if found is not None:
        headers["Actions"] = found
    if token:
        headers["Authorization"] = "Bearer " + one_line(token)
    return headers


class PushNotifier:
    """POSTs the text to an ntfy-compatible topic URL."""

    channel: str = "push"

    def __init__(self, client: httpx.Client, *, timeout: httpx.Timeout = DEFAULT_TIMEOUT) -> None:
        self._client = client
        self._timeout = timeout

    def send(self, notification: Notification, contact: Mapping[str, str]) -> Delivery:
        url = contact.get("url", "")
        problem = check_url(url)
        if problem is not None:
            return Delivery.rejected(f"push contact {contact.get('name', 'push')!r} {problem}")
        what = f"push {shown_url(url, path=False)}"  # an ntfy topic name is its password
        token = contact.get("token")
        if token is not None and not token.isascii():
            return Delivery.rejected(f"{what}: the contact's token is not ASCII")
        try:
            answer = post(
                self._client,
                url,
                content=push_text(notification).encode(),
                headers=push_headers(notification, token),
                timeout=self._timeout,
            )
        except httpx.HTTPError as exc:
            return network_failure(what, exc)
        return http_delivery(what, answer.status, answer.retry_after)


def create(context: NotifierContext) -> PushNotifier:
    """The registry's factory (entry point ``push``)."""
    return PushNotifier(context.http, timeout=context.http_timeout)
