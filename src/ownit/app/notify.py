"""Notifying people: the message, the outcome of one delivery, and the port each channel fills.

A notifier turns a :class:`Notification` into one message on one channel (email, Slack,
webhook, push) and reports a :class:`Delivery`: sent, or failed temporarily (retry with
:func:`backoff`, or after the receiver's ``Retry-After``), or failed permanently (never
retried). Every outcome is written on the incident's timeline by the caller.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Protocol, runtime_checkable

from ownit.domain.alert_details import AlertDetails

PAGE_EVENTS = frozenset({"incident.triggered", "incident.escalated", "incident.fallback"})
"""Event types that ask someone to act now (the others inform); a fallback page
(``ownit.domain.paging``) too: urgent, with an acknowledge link, cancelled by an ack."""

BACKOFF_BASE = 2.0
BACKOFF_CAP = 300.0
MAX_RETRY_AFTER = 3600.0
"""A receiver's ``Retry-After`` is honoured up to an hour; a page must not wait for a day."""


@dataclass(frozen=True, slots=True)
class BundledIncident:
    """Another incident folded into the same message during a storm."""

    number: int
    title: str
    url: str


@dataclass(frozen=True, slots=True)
class UpstreamIncident:
    """An open incident on a service the paged one depends on: a likely cause."""

    service: str
    number: int
    title: str
    status: str
    url: str = ""


@dataclass(frozen=True, slots=True)
class RecentChange:
    """A change event (deploy, migration, flag flip) on the service or one it depends on."""

    at: datetime
    service: str
    summary: str
    link: str | None = None


@dataclass(frozen=True, slots=True)
class PastIncident:
    """A resolved incident like this one (same service, same dedup key) and how it ended."""

    number: int
    title: str
    resolved_at: datetime | None
    resolved_by: str | None
    time_to_resolve_s: int | None
    note: str | None = None
    """The last note written on it: often what fixed it."""
    url: str = ""


@dataclass(frozen=True, slots=True)
class ResponderContext:
    """What a first responder wants in the first page: who owns it, where the runbook is,
    whether something upstream is already burning, what changed, and how it went last time.
    At most :data:`CONTEXT_ITEMS` of each list."""

    owner: str | None
    component: str | None
    runbook_url: str | None
    likely_cause: tuple[UpstreamIncident, ...] = ()
    recent_changes: tuple[RecentChange, ...] = ()
    similar: tuple[PastIncident, ...] = ()
    runbook_text: str | None = None  # the catalog's inline Markdown runbook, when no URL


POSTMORTEM_REMINDER = "postmortem.reminder"  # a postmortem or action item is due
ANALYTICS_DIGEST = "analytics.digest"
"""The weekly analytics digest mailed to a team manager: an outbox row of its own kind, with
no incident; its text is in the row (``data``), written when it was queued (decision 0062)."""


@dataclass(frozen=True, slots=True)
class DigestMessage:
    """One digest to one person: the text as queued, sent as it is."""

    idempotency_key: str
    subject: str
    text: str
    recipient: str
    occurred_at: datetime


@runtime_checkable
class DigestSender(Protocol):
    """A channel that can carry a digest (e-mail); the others cannot."""

    channel: str

    def send_digest(self, digest: DigestMessage, contact: Mapping[str, str]) -> Delivery: ...


CONTEXT_ITEMS = 3
RUNBOOK_TEXT_LIMIT = 500  # characters of an inline runbook in a message; the rest on the page


@dataclass(frozen=True, slots=True)
class Notification:
    """Everything a channel needs to tell one person about one incident (and its bundle)."""

    idempotency_key: str
    event_type: str  # incident.triggered, .acknowledged, .resolved, .escalated; or test
    incident_id: str
    incident_number: int
    title: str
    service: str
    component: str | None
    urgency: str
    status: str
    runbook_url: str | None
    incident_url: str
    ack_url: str | None
    resolve_url: str | None
    occurred_at: datetime
    bundle: tuple[BundledIncident, ...] = ()
    recipient: str = ""
    details: Mapping[str, str] = field(default_factory=dict)
    actions: bool = True
    """Whether the recipient may act from the message (signed acknowledge/resolve buttons);
    a team's chat channel is only told."""
    alert: AlertDetails = field(default_factory=AlertDetails)
    """What the monitoring tool said: the opening alert's details, capped."""
    context: ResponderContext | None = None
    """First-responder context: only on the first page of an incident."""
    drill: bool = False
    """A practice incident (a drill or a game day's step): every channel marks it."""

    def __post_init__(self) -> None:
        if self.occurred_at.tzinfo is None:
            raise ValueError("occurred_at must be an aware datetime")
        if not self.idempotency_key:
            raise ValueError("idempotency_key must not be empty")


@dataclass(frozen=True, slots=True)
class Delivery:
    """What happened to one attempt; ``detail`` is the sentence for the incident's timeline."""

    ok: bool
    permanent: bool
    retry_after: float | None
    detail: str
    disable: bool = False
    """The receiver said the endpoint is gone for good (HTTP 410): stop using this contact."""

    @classmethod
    def sent(cls, detail: str) -> Delivery:
        return cls(ok=True, permanent=False, retry_after=None, detail=detail)

    @classmethod
    def temporary(cls, detail: str, retry_after: float | None = None) -> Delivery:
        return cls(ok=False, permanent=False, retry_after=retry_after, detail=detail)

    @classmethod
    def rejected(cls, detail: str, *, disable: bool = False) -> Delivery:
        """A permanent failure: retrying the same message to the same contact cannot help."""
        return cls(ok=False, permanent=True, retry_after=None, detail=detail, disable=disable)


class Notifier(Protocol):
    """One channel. ``send`` is synchronous (the engine calls it from a worker thread), has a
    timeout on every network call and never raises for network problems: it returns them."""

    channel: str

    def send(self, notification: Notification, contact: Mapping[str, str]) -> Delivery: ...


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` value (seconds, or an HTTP date when ``now`` is
    given), clamped to ``0 … MAX_RETRY_AFTER``; ``None`` when absent or unreadable."""
    if value is None:
        return None
    value = value.strip()
    if value.isascii() and value.isdigit():
        return min(float(value), MAX_RETRY_AFTER)
    if now is None:
        return None
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        return None
    return min(max((when - now).total_seconds(), 0.0), MAX_RETRY_AFTER)


def classify_http(
    status: int, retry_after_header: str | None, *, now: datetime | None = None
) -> tuple[bool, bool, float | None]:
    """``(ok, permanent, retry_after)`` for an HTTP answer.

    2xx is success. 408, 429 and 5xx are temporary (``Retry-After`` honoured). Everything
    else is permanent: 3xx (redirects are not followed), 410 (gone: disable the endpoint)
    and the other 4xx.
    """
    if 200 <= status < 300:
        return True, False, None
    if status in (408, 429) or 500 <= status < 600:
        return False, False, parse_retry_after(retry_after_header, now=now)
    return False, True, None


def http_delivery(
    what: str,
    status: int,
    retry_after_header: str | None,
    *,
    note: str = "",
    now: datetime | None = None,
) -> Delivery:
    """A :class:`Delivery` for ``what`` (``webhook http://…``) having answered ``status``."""
    ok, permanent, retry_after = classify_http(status, retry_after_header, now=now)
    detail = f"{what} answered {status}" + (f": {note}" if note else "")
    if ok:
        return Delivery.sent(detail)
    if permanent:
        if 300 <= status < 400:
            detail += " (redirects are not followed)"
        elif status == 410:
            detail += " (gone: contact disabled)"
        return Delivery.rejected(detail, disable=status == 410)
    if retry_after is not None:
        detail += f" (retry after {retry_after:g} s)"
    return Delivery.temporary(detail, retry_after)


def backoff_ceiling(attempt: int, *, base: float = BACKOFF_BASE, cap: float = BACKOFF_CAP) -> float:
    """The longest wait after ``attempt`` failed attempts: ``base * 2**(attempt-1)``, capped."""
    if attempt < 1:
        raise ValueError(f"attempt must be at least 1, not {attempt}")
    return min(cap, base * 2.0 ** min(attempt - 1, 62))


def backoff(
    attempt: int, rand: float, *, base: float = BACKOFF_BASE, cap: float = BACKOFF_CAP
) -> float:
    """Seconds to wait before retrying after ``attempt`` failed attempts (1 = the first).

    Exponential backoff with full jitter: ``rand`` (uniform in ``[0, 1)``, given by the caller)
    scales the capped ceiling, so a storm of retries spreads out instead of arriving together.
    """
    if not 0.0 <= rand < 1.0:
        raise ValueError(f"rand must be in [0, 1), not {rand}")
    return rand * backoff_ceiling(attempt, base=base, cap=cap)


def retry_delay(delivery: Delivery, attempt: int, rand: float) -> float | None:
    """When to try again after ``delivery``: ``None`` if it must not be retried; otherwise the
    receiver's ``Retry-After`` when it gave one, else :func:`backoff`."""
    if delivery.ok or delivery.permanent:
        return None
    if delivery.retry_after is not None:
        return delivery.retry_after
    return backoff(attempt, rand)


def one_line(text: str, limit: int | None = None) -> str:
    """``text`` with control characters (line breaks included) turned into spaces, shortened
    to ``limit`` characters with an ellipsis: safe for headers, subjects and titles."""
    cleaned = " ".join("".join(c if c.isprintable() else " " for c in text).split())
    return shorten(cleaned, limit) if limit is not None else cleaned


def shorten(text: str, limit: int) -> str:
    """``text`` cut to at most ``limit`` characters, ending with "…" when cut."""
    if len(text) <= limit:
        return text
    if limit < 1:
        return ""
    return text[: limit - 1].rstrip() + "…"


def is_web_url(url: str | None) -> bool:
    """Only http(s) links are made clickable (never ``javascript:`` or ``data:``)."""
    return url is not None and url.lower().startswith(("http://", "https://"))


def label(notification: Notification) -> str:
    """HIGH / LOW for pages; what happened for the rest (ACKNOWLEDGED, RESOLVED, TEST)."""
    kind = notification.event_type
    if kind == "incident.acknowledged":
        return "ACKNOWLEDGED"
    if kind == "incident.resolved":
        return "RESOLVED"
    if kind == "test":
        return "TEST"
    if kind == POSTMORTEM_REMINDER:
        return "POSTMORTEM DUE"
    return one_line(notification.urgency).upper()


def drill_mark(notification: Notification) -> str:
    """``[DRILL] `` before a practice incident's subject, first line and header; else ``""``."""
    return "[DRILL] " if notification.drill else ""


def where(notification: Notification) -> str:
    """``service`` or ``service/component``."""
    if notification.component:
        return f"{notification.service}/{notification.component}"
    return notification.service


def headline(notification: Notification, limit: int = 250) -> str:
    """``#42 HIGH checkout-api: Disk full on db-1`` (+ ``(+3 more)`` for a bundle), one line."""
    more = f" (+{len(notification.bundle)} more)" if notification.bundle else ""
    head = (
        f"#{notification.incident_number} {label(notification)} {one_line(where(notification))}: "
    )
    room = max(limit - len(head) - len(more), 10)
    return head + one_line(notification.title, room) + more


def facts(notification: Notification) -> list[tuple[str, str]]:
    """The labelled facts every channel shows, in order, absent ones left out."""
    rows = [("Service", notification.service)]
    if notification.details.get("reminder"):  # a postmortem reminder says what is due
        rows.insert(0, ("Due", notification.details["reminder"]))
    if notification.component:
        rows.append(("Component", notification.component))
    rows += [("Urgency", notification.urgency), ("Status", notification.status)]
    if notification.runbook_url:
        rows.append(("Runbook", notification.runbook_url))
    return rows


def alert_lines(notification: Notification) -> list[tuple[str, str]]:
    """The monitoring tool's fields to show, and a last line saying how many were left out
    for size (see the incident page for them)."""
    alert = notification.alert
    rows = list(alert.fields.items())
    if alert.omitted:
        rows.append(("…", f"{alert.omitted} more on the incident page"))
    return rows


def _duration(seconds: int) -> str:
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60} min"
    if seconds < 86400:
        return f"{seconds // 3600} h {seconds % 3600 // 60} min"
    return f"{seconds // 86400} d {seconds % 86400 // 3600} h"


def cause_text(cause: UpstreamIncident) -> str:
    """``payments-db #41 (triggered): Disk full``."""
    return f"{cause.service} #{cause.number} ({cause.status}): {one_line(cause.title, 200)}"


def change_text(change: RecentChange) -> str:
    """``11:40 UTC payments-db: schema migration 42``."""
    at = change.at.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return f"{at} {change.service}: {one_line(change.summary, 200)}"


def past_text(past: PastIncident) -> str:
    """``#12 Latency high: resolved by alice after 20 min; note: restarted the pool``."""
    how = "resolved"
    if past.resolved_by:
        how += f" by {one_line(past.resolved_by, 100)}"
    if past.time_to_resolve_s is not None:
        how += f" after {_duration(past.time_to_resolve_s)}"
    if past.note:
        how += f"; note: {one_line(past.note, 200)}"
    return f"#{past.number} {one_line(past.title, 200)}: {how}"


def context_facts(notification: Notification) -> list[tuple[str, str]]:
    """The context's single-valued facts (owner, component, runbook, likely cause), leaving
    out what :func:`facts` already shows."""
    context = notification.context
    if context is None:
        return []
    rows = []
    if context.owner:
        rows.append(("Owner", context.owner))
    if context.component and context.component != notification.component:
        rows.append(("Component", context.component))
    if context.runbook_url and context.runbook_url != notification.runbook_url:
        rows.append(("Runbook", context.runbook_url))
    elif context.runbook_text and not (context.runbook_url or notification.runbook_url):
        rows.append(("Runbook", one_line(context.runbook_text, RUNBOOK_TEXT_LIMIT)))
    if context.likely_cause:
        rows.append(
            ("Likely cause upstream", "; ".join(cause_text(c) for c in context.likely_cause))
        )
    return rows


def context_line(context: ResponderContext, limit: int = 300) -> str:
    """One short line for a phone: ``likely cause upstream: payments-db #41; runbook: URL``
    (the newest change when nothing upstream is open); empty when there is nothing to say."""
    parts = []
    if context.likely_cause:
        first = context.likely_cause[0]
        parts.append(f"likely cause upstream: {one_line(first.service, 100)} #{first.number}")
    elif context.recent_changes:
        change = context.recent_changes[0]
        parts.append(
            f"recent change: {one_line(change.service, 100)}: {one_line(change.summary, 100)}"
        )
    if context.runbook_url:
        parts.append(f"runbook: {one_line(context.runbook_url)}")
    return shorten("; ".join(parts), limit)
