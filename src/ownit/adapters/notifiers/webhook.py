"""Outgoing webhooks, signed by Standard Webhooks v1 (``docs/wire-formats.md``).

``webhook-id`` is the notification's idempotency key, so every retry of the same page carries
the same id and the receiver can drop duplicates. Contact: ``{url, secret}``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

import httpx
import orjson

from ownit.adapters.notifiers import (
    DEFAULT_TIMEOUT,
    NotifierContext,
    check_url,
    header_id,
    network_failure,
    post,
    shown_url,
)
from ownit.adapters.notifiers.signing import InvalidSecret, sign
from ownit.app.notify import Delivery, Notification, ResponderContext, http_delivery


def context_data(context: ResponderContext | None) -> dict[str, Any] | None:
    """The first-responder context as the webhook's ``data.context`` (``null`` when absent;
    shape in ``docs/notifications.md``)."""
    if context is None:
        return None
    c = context
    return {
        "owner": c.owner,
        "component": c.component,
        "runbook_url": c.runbook_url,
        "runbook_text": c.runbook_text,
        "likely_cause_upstream": [
            {
                "service": i.service,
                "number": i.number,
                "title": i.title,
                "status": i.status,
                "url": i.url or None,
            }
            for i in c.likely_cause
        ],
        "recent_changes": [
            {
                "at": ch.at.astimezone(UTC),
                "service": ch.service,
                "summary": ch.summary,
                "link": ch.link,
            }
            for ch in c.recent_changes
        ],
        "similar_incidents": [
            {
                "number": p.number,
                "title": p.title,
                "resolved_at": p.resolved_at.astimezone(UTC) if p.resolved_at else None,
                "resolved_by": p.resolved_by,
                "time_to_resolve_s": p.time_to_resolve_s,
                "note": p.note,
                "url": p.url or None,
            }
            for p in c.similar
        ],
    }


def incident_data(notification: Notification) -> dict[str, Any]:
    """The incident as the ``data`` of a webhook (snake_case, like the REST API)."""
    n = notification
    return {
        "id": n.incident_id,
        "number": n.incident_number,
        "title": n.title,
        "service": n.service,
        "component": n.component,
        "urgency": n.urgency,
        "status": n.status,
        "url": n.incident_url,
        "runbook_url": n.runbook_url,
        "ack_url": n.ack_url,
        "resolve_url": n.resolve_url,
        "recipient": n.recipient,
        "details": dict(n.details),
        # What the monitoring tool said (Events v2 custom_details, Alertmanager labels and
        # annotations), capped; how many fields were left out for size.
        "alert_details": dict(n.alert.fields),
        "alert_details_omitted": n.alert.omitted,
        "bundle": [{"number": b.number, "title": b.title, "url": b.url} for b in n.bundle],
        "idempotency_key": n.idempotency_key,
        "context": context_data(n.context),
        "drill": n.drill,  # a practice incident: do not wake the world
    }


def webhook_body(notification: Notification) -> bytes:
    """``{"type": …, "timestamp": …, "data": {…}}`` as compact JSON."""
    return orjson.dumps(
        {
            "type": notification.event_type,
            "timestamp": notification.occurred_at.astimezone(UTC),
            "data": incident_data(notification),
        },
        option=orjson.OPT_UTC_Z,
    )


class WebhookNotifier:
    """POSTs signed JSON to a contact's URL; 2xx is success, nothing else is followed."""

    channel: str = "webhook"

    def __init__(
        self,
        client: httpx.Client,
        *,
        now: Callable[[], datetime],
        timeout: httpx.Timeout = DEFAULT_TIMEOUT,
    ) -> None:
        self._client = client
        self._now = now
        self._timeout = timeout

    def send(self, notification: Notification, contact: Mapping[str, str]) -> Delivery:
        url = contact.get("url", "")
        name = contact.get("name", "webhook")
        problem = check_url(url)
        if problem is not None:
            return Delivery.rejected(f"webhook contact {name!r} {problem}")
        what = f"webhook {shown_url(url)}"
        secret = contact.get("secret", "")
        if not secret:  # the catalog and the Me page refuse this; kept for stored leftovers
            return Delivery.rejected(f"webhook contact {name!r} has no signing secret")
        body = webhook_body(notification)
        msg_id = header_id(notification.idempotency_key)
        timestamp = int(self._now().timestamp())
        try:
            signature = sign(secret, msg_id, timestamp, body)
        except InvalidSecret as exc:
            return Delivery.rejected(f"webhook contact {name!r}: {exc}")
        headers = {
            "content-type": "application/json",
            "webhook-id": msg_id,
            "webhook-timestamp": str(timestamp),
            "webhook-signature": signature,
        }
        try:
            answer = post(self._client, url, content=body, headers=headers, timeout=self._timeout)
        except httpx.HTTPError as exc:
            return network_failure(what, exc)
        return http_delivery(what, answer.status, answer.retry_after, now=self._now())


def create(context: NotifierContext) -> WebhookNotifier:
    """The registry's factory (entry point ``webhook``)."""
    return WebhookNotifier(context.http, now=context.now, timeout=context.http_timeout)
