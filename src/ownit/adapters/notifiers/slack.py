"""Slack incoming webhooks with a Block Kit message (``docs/wire-formats.md``).

Contact: ``{webhookUrl}``.

Blocks: a header (≤ 150 chars), a section of facts (≤ 3000), a context line, the bundle when
there is one, and actions. With an action secret the ``acknowledge`` / ``resolve`` buttons
carry a signed action token as their ``value`` (Slack posts it to the app's interactivity
endpoint); without one they are plain links to the signed ack/resolve URLs.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any

import httpx
import orjson

from ownit.adapters.notifiers import (
    DEFAULT_TIMEOUT,
    NotifierContext,
    check_url,
    network_failure,
    post,
    read_note,
    shown_url,
)
from ownit.adapters.notifiers.signing import make_action_token
from ownit.app.notify import (
    Delivery,
    Notification,
    alert_lines,
    cause_text,
    change_text,
    context_facts,
    drill_mark,
    facts,
    headline,
    http_delivery,
    is_web_url,
    label,
    one_line,
    past_text,
    shorten,
)

HEADER_MAX = 150
TEXT_MAX = 3000
BLOCKS_MAX = 50
BUTTON_VALUE_MAX = 2000
URL_MAX = 3000
FALLBACK_MAX = 3000


def escape(text: str) -> str:
    """Slack mrkdwn escaping: only ``&``, ``<`` and ``>`` are special."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def link(url: str | None, text: str) -> str:
    """``<url|text>`` for http(s) URLs of sane length; otherwise just the escaped text."""
    if url is None or not is_web_url(url) or len(url) > 1000:
        return escape(text)
    safe = url.replace("&", "&amp;").replace("<", "%3C").replace(">", "%3E").replace("|", "%7C")
    return f"<{safe}|{escape(text)}>"


def fit(lines: Iterable[str], limit: int = TEXT_MAX) -> str:
    """Whole lines joined while they fit in ``limit`` characters, then "…": never cuts an
    escape sequence or a link in half."""
    kept: list[str] = []
    size = 0
    for line in lines:
        extra = len(line) + (1 if kept else 0)
        if size + extra > limit - 2:
            kept.append("…")
            break
        kept.append(line)
        size += extra
    return "\n".join(kept)


def _plain(text: str, limit: int) -> dict[str, Any]:
    return {"type": "plain_text", "text": shorten(text, limit) or " ", "emoji": True}


def _fact_line(name: str, value: str, url: bool = False) -> str:
    shown = link(value, shorten(value, 200)) if url else escape(one_line(value, 500))
    return f"*{escape(name)}:* {shown}"


def blocks(
    notification: Notification, tokens: Mapping[str, str] | None = None
) -> list[dict[str, Any]]:
    """The Block Kit blocks for ``notification``. ``tokens`` maps ``acknowledge``/``resolve`` to
    signed action tokens (interactive buttons); without them the buttons are links."""
    n = notification
    title = one_line(n.title)
    lines = [f"*{escape(shorten(title, 500))}*"] if len(title) > HEADER_MAX else []
    lines += [_fact_line(k, v, url=k == "Runbook") for k, v in facts(n)]
    lines += [_fact_line(one_line(k, 100), v) for k, v in n.details.items()]
    context = f"#{n.incident_number} · {escape(one_line(n.event_type))} · " + link(
        n.incident_url, "open incident"
    )
    if n.recipient:
        context += f" · for {escape(one_line(n.recipient, 100))}"
    out: list[dict[str, Any]] = [
        {
            "type": "header",
            "text": _plain(f"{drill_mark(n)}{label(n)} · #{n.incident_number} {title}", HEADER_MAX),
        },
        {"type": "section", "text": {"type": "mrkdwn", "text": fit(lines)}},
        {"type": "context", "elements": [{"type": "mrkdwn", "text": fit([context])}]},
    ]
    out += _context_blocks(n)
    if alert_lines(n):
        rows = ["*From the monitoring tool:*"]
        rows += [_fact_line(one_line(k, 100), v) for k, v in alert_lines(n)]
        out.append({"type": "section", "text": {"type": "mrkdwn", "text": fit(rows)}})
    if n.bundle:
        rows = [f"*Also in this message ({len(n.bundle)} more):*"]
        rows += [link(b.url, f"#{b.number} {one_line(b.title, 200)}") for b in n.bundle]
        out.append({"type": "section", "text": {"type": "mrkdwn", "text": fit(rows)}})
    buttons = _buttons(n, tokens or {})
    if buttons:
        out.append({"type": "actions", "block_id": "ownit_actions", "elements": buttons})
    return out[:BLOCKS_MAX]


FIELD_MAX = 2000
FIELDS_MAX = 10


def _context_blocks(n: Notification) -> list[dict[str, Any]]:
    """The first-responder context: its facts as section fields (owner, component, runbook,
    likely cause upstream), then the recent changes and similar incidents as lists."""
    c = n.context
    if c is None:
        return []
    out: list[dict[str, Any]] = []
    fields = []
    for name, value in context_facts(n):
        if name == "Likely cause upstream":
            value_text = "\n".join(link(i.url or None, cause_text(i)) for i in c.likely_cause)
        elif name == "Runbook":
            value_text = link(value, shorten(value, 200))
        else:
            value_text = escape(one_line(value, 500))
        fields.append({"type": "mrkdwn", "text": fit([f"*{escape(name)}*", value_text], FIELD_MAX)})
    if fields:
        out.append({"type": "section", "fields": fields[:FIELDS_MAX]})
    rows = []
    if c.recent_changes:
        rows.append("*Recent changes (24 h):*")
        rows += [
            "• " + (link(ch.link, change_text(ch)) if ch.link else escape(change_text(ch)))
            for ch in c.recent_changes
        ]
    if c.similar:
        rows.append("*Similar past incidents:*")
        rows += ["• " + link(p.url or None, past_text(p)) for p in c.similar]
    if rows:
        out.append({"type": "section", "text": {"type": "mrkdwn", "text": fit(rows)}})
    return out


def _buttons(n: Notification, tokens: Mapping[str, str]) -> list[dict[str, Any]]:
    wanted = []
    if n.event_type != "incident.resolved" and n.status != "resolved":
        if n.status != "acknowledged" and n.event_type != "incident.acknowledged":
            wanted.append(("acknowledge", "Acknowledge", n.ack_url, "primary"))
        wanted.append(("resolve", "Resolve", n.resolve_url, "danger"))
    buttons: list[dict[str, Any]] = []
    for action, text, url, style in wanted:
        button: dict[str, Any] = {
            "type": "button",
            "action_id": action,
            "text": _plain(text, 75),
            "style": style,
        }
        token = tokens.get(action)
        if token is not None and len(token) <= BUTTON_VALUE_MAX:
            button["value"] = token
        elif url is not None and is_web_url(url) and len(url) <= URL_MAX:
            button["url"] = url
        else:
            continue
        buttons.append(button)
    if is_web_url(n.incident_url) and len(n.incident_url) <= URL_MAX:
        open_text = _plain("Open", 75)
        buttons.append(
            {"type": "button", "action_id": "open", "text": open_text, "url": n.incident_url}
        )
    return buttons


def message(notification: Notification, tokens: Mapping[str, str] | None = None) -> bytes:
    """The JSON body: ``text`` (the fallback shown in notifications) and ``blocks``."""
    text = shorten(headline(notification), FALLBACK_MAX)
    return orjson.dumps({"text": text, "blocks": blocks(notification, tokens)})


class SlackNotifier:
    """Posts to a Slack incoming webhook; success is ``200`` with body ``ok``."""

    channel: str = "slack"

    def __init__(
        self,
        client: httpx.Client,
        *,
        action_secret: bytes | None = None,
        now: Callable[[], datetime] | None = None,
        token_ttl: timedelta = timedelta(hours=24),
        timeout: httpx.Timeout = DEFAULT_TIMEOUT,
    ) -> None:
        if action_secret is not None and now is None:
            raise ValueError("signed Slack buttons need a clock: pass now=")
        self._client = client
        self._secret = action_secret
        self._now = now
        self._ttl = token_ttl
        self._timeout = timeout

    def _tokens(self, n: Notification) -> dict[str, str]:
        if self._secret is None or self._now is None or not n.actions:
            return {}
        expires = self._now() + self._ttl
        return {
            action: make_action_token(self._secret, n.incident_id, action, n.recipient, expires)
            for action in ("acknowledge", "resolve")
        }

    def send(self, notification: Notification, contact: Mapping[str, str]) -> Delivery:
        url = contact.get("webhookUrl") or contact.get("url", "")
        problem = check_url(url)
        if problem is not None:
            return Delivery.rejected(f"slack contact {contact.get('name', 'slack')!r} {problem}")
        what = f"slack {shown_url(url, path=False)}"  # the path is the webhook's secret
        body = message(notification, self._tokens(notification))
        headers = {"content-type": "application/json; charset=utf-8"}
        try:
            answer = post(
                self._client, url, content=body, headers=headers, timeout=self._timeout, keep=8
            )
        except httpx.HTTPError as exc:
            return network_failure(what, exc)
        # The answer is compared, never shown: echoing it would let anyone who can set a
        # contact URL read what an inner service answers.
        if answer.status == 200 and read_note(answer.body) != "ok":
            return Delivery.rejected(f"{what} answered 200 without 'ok'")
        now = self._now() if self._now is not None else None
        return http_delivery(what, answer.status, answer.retry_after, now=now)


def create(context: NotifierContext) -> SlackNotifier:
    """The registry's factory (entry point ``slack``)."""
    return SlackNotifier(
        context.http,
        action_secret=context.action_secret,
        now=context.now,
        timeout=context.http_timeout,
    )
