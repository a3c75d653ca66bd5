"""Delivering the outbox: each claimed notification is sent once more, and its outcome kept.

Delivery is at-least-once: a row is claimed with a lease (status ``sending``); a crash before
its outcome is recorded leaves the lease to run out, and the row is sent again with the same
idempotency key. Temporary failures retry with backoff; permanent ones are not retried.
Either way the incident's timeline says what happened, and other rules and levels go on.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from ownit.app.escalations import TEAM_PREFIX
from ownit.app.notify import (
    ANALYTICS_DIGEST,
    PAGE_EVENTS,
    BundledIncident,
    Delivery,
    DigestMessage,
    DigestSender,
    Notification,
    Notifier,
    ResponderContext,
    retry_delay,
)
from ownit.domain.alert_details import AlertDetails
from ownit.domain.incidents import Status
from ownit.domain.oncall.notification_rules import still_due

MAX_ATTEMPTS = 8
LEASE = timedelta(minutes=2)
FIRST_PAGE = "incident.triggered"
"""The event type of an incident's first page (level 1, first loop): it carries the
first-responder context."""

log = logging.getLogger("ownit.worker")


@dataclass(frozen=True, slots=True)
class Claimed:
    id: int
    incident_id: str | None
    user: str
    contact: str
    channel: str
    event_type: str
    key: str
    attempts: int  # including this one
    data: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class DeliveryContext:
    incident: Mapping[str, Any]  # id, number, title, service, component, urgency, status, ...
    contact: Mapping[str, str] | None


@dataclass(frozen=True, slots=True)
class Finished:
    """The outcome of one claimed notification, to record."""

    claimed: Claimed
    status: str
    detail: str
    retry_at: datetime | None = None


class Links(Protocol):
    def incident_url(self, incident_id: str) -> str: ...

    def action_url(self, incident_id: str, action: str, user: str) -> str | None: ...


class ContextSource(Protocol):
    def responder_contexts(
        self, incident_ids: Sequence[str], now: datetime
    ) -> Mapping[str, ResponderContext]:
        """The first-responder context of each incident (all of them in a few queries)."""
        ...


def first_page_contexts(
    claimed: Sequence[Claimed], *, source: ContextSource, now: datetime
) -> Mapping[str, ResponderContext]:
    """The context for every incident whose first page is among ``claimed`` — computed once
    for the whole delivery round, not per contact. A failure costs the context, never the
    page: it is logged and the pages go out without it."""
    ids = sorted({c.incident_id for c in claimed if c.event_type == FIRST_PAGE and c.incident_id})
    if not ids:
        return {}
    try:
        return source.responder_contexts(ids, now)
    except Exception:
        log.exception("first-responder context failed; paging without it")
        return {}


Hold = Callable[[str, str, str], tuple[datetime, str] | None]
"""For a contact — ``(user, contact, channel)`` — that may get no message now: until when it
is held back, and why (:meth:`ContactLimiter.hold`); ``None`` when it may."""


class OutboxStore(Protocol):
    def claim(
        self, now: datetime, limit: int, lease: timedelta, hold: Hold | None = None
    ) -> list[Claimed]:
        """Up to ``limit`` due notifications, leased until ``now + lease``, chosen fairly.
        With ``hold``: the due notifications of a contact that is held back (other than
        digests, which are never held) are not claimed; those read wait, pending, until
        the hold ends (and are bundled into the next message then)."""
        ...

    def contexts(self, group: Sequence[Claimed]) -> list[DeliveryContext | None]: ...

    def finish_many(self, done: Sequence[Finished], at: datetime) -> None:
        """Record every outcome (``sent``, ``failed``, ``pending`` for a retry,
        ``cancelled``) and, for a real attempt, its timeline entry; one transaction."""
        ...


def deliver_group(
    group: Sequence[Claimed],
    *,
    store: OutboxStore,
    notifiers: Mapping[str, Notifier],
    links: Links,
    now: datetime,
    rand: float,
    limiter: ContactLimiter | None = None,
    contexts: Mapping[str, ResponderContext] | None = None,
) -> list[str]:
    """Send the claimed notifications of one contact: still-due ones go out as **one**
    message (the first, with the others bundled into it), unless the contact has had too
    many messages lately — then they wait for the next window and are bundled there.
    An incident's first page carries its entry of ``contexts`` (see
    :func:`first_page_contexts`). Returns each row's final status, in order."""
    done: list[Finished] = []
    live: list[tuple[Claimed, DeliveryContext]] = []
    for claimed, ctx in zip(group, store.contexts(group), strict=True):
        if claimed.event_type == ANALYTICS_DIGEST:  # its own message, never bundled
            done.append(_send_digest(claimed, ctx, notifiers=notifiers, now=now, rand=rand))
            continue
        if ctx is None:
            done.append(Finished(claimed, "cancelled", "the incident no longer exists"))
            continue
        incident = ctx.incident
        if claimed.event_type in PAGE_EVENTS and not still_due(
            Status(incident["status"]),
            paged_at=_parse(claimed.data.get("paged_at")),
            acknowledged_at=incident["acknowledged_at"],
        ):
            why = f"not sent to {claimed.user}: the incident is {incident['status']}"
            done.append(Finished(claimed, "cancelled", why))
            continue
        live.append((claimed, ctx))
    if live:
        first, ctx = live[0]
        how = f"{first.user} by {first.channel} ({first.contact})"
        notifier = notifiers.get(first.channel)
        if ctx.contact is None or notifier is None:
            reason = "the contact no longer exists" if ctx.contact is None else "no notifier for it"
            done += [Finished(c, "failed", f"could not notify {how}: {reason}") for c, _ in live]
        elif limiter is not None and (
            held := limiter.hold(first.user, first.contact, first.channel, now)
        ):
            until, why = held
            done += [Finished(c, "pending", why, until) for c, _ in live]
        else:
            bundle = tuple(
                BundledIncident(
                    number=c.incident["number"],
                    title=c.incident["title"],
                    url=links.incident_url(c.incident["id"]),
                )
                for _, c in live[1:]
            )
            context = (contexts or {}).get(first.incident_id or "")
            notification = _notification(
                first,
                ctx,
                links=links,
                now=now,
                bundle=bundle,
                context=_linked(context, links) if first.event_type == FIRST_PAGE else None,
            )
            try:
                outcome = notifier.send(notification, ctx.contact)
            except Exception as exc:  # a notifier bug must not stop everything else
                outcome = Delivery.temporary(f"{type(exc).__name__}: {exc}")
            if limiter is not None:
                limiter.sent(first.user, first.contact, now)
            if bundle:
                how += f", with {len(bundle)} more incident(s) bundled"
            done += [_outcome(c, outcome, how=how, now=now, rand=rand) for c, _ in live]
    store.finish_many(done, now)
    statuses = {f.claimed.id: f.status for f in done}
    return [statuses[c.id] for c in group]


def _send_digest(
    claimed: Claimed,
    ctx: DeliveryContext | None,
    *,
    notifiers: Mapping[str, Notifier],
    now: datetime,
    rand: float,
) -> Finished:
    """A digest row: the text queued with it, to the one contact; retried like a page
    (temporary failures with backoff, up to :data:`MAX_ATTEMPTS`), and logged either way."""
    how = f"weekly digest to {claimed.user} by {claimed.channel} ({claimed.contact})"
    notifier = notifiers.get(claimed.channel)
    if ctx is None or ctx.contact is None:
        finished = Finished(claimed, "failed", f"could not send {how}: the contact is gone")
    elif not isinstance(notifier, DigestSender):
        finished = Finished(claimed, "failed", f"could not send {how}: no notifier for it")
    else:
        digest = DigestMessage(
            idempotency_key=claimed.key,
            subject=str(claimed.data.get("subject", "")),
            text=str(claimed.data.get("text", "")),
            recipient=claimed.user,
            occurred_at=now,
        )
        try:
            outcome = notifier.send_digest(digest, ctx.contact)
        except Exception as exc:  # a notifier bug must not stop everything else
            outcome = Delivery.temporary(f"{type(exc).__name__}: {exc}")
        finished = _outcome(claimed, outcome, how=how, now=now, rand=rand)
    # No incident timeline to write on: the outcome goes to the log (and stays on the row).
    level = logging.INFO if finished.status == "sent" else logging.WARNING
    log.log(level, "%s: %s", finished.status, finished.detail)
    return finished


def _notification(
    claimed: Claimed,
    ctx: DeliveryContext,
    *,
    links: Links,
    now: datetime,
    bundle: tuple[BundledIncident, ...],
    context: ResponderContext | None = None,
) -> Notification:
    incident = ctx.incident
    # A team's chat channel is told, not asked: nobody in particular may act from it, so
    # it gets no signed acknowledge/resolve links (the link to the incident is there).
    person = not claimed.user.startswith(TEAM_PREFIX)
    details = {"level": str(claimed.data.get("level", "")), "dedup_key": incident["dedup_key"]}
    if not person:
        details.pop("level")
    if claimed.data.get("by"):
        details["by"] = str(claimed.data["by"])
    if claimed.data.get("reminder"):
        details["reminder"] = str(claimed.data["reminder"])
    return Notification(
        idempotency_key=claimed.key,
        event_type=claimed.event_type,
        incident_id=incident["id"],
        incident_number=incident["number"],
        title=incident["title"],
        service=incident["service"],
        component=incident.get("component"),
        urgency=incident["urgency"],
        status=incident["status"],
        runbook_url=incident.get("runbook"),
        incident_url=links.incident_url(incident["id"]),
        ack_url=links.action_url(incident["id"], "acknowledge", claimed.user) if person else None,
        resolve_url=links.action_url(incident["id"], "resolve", claimed.user) if person else None,
        occurred_at=now,
        bundle=bundle,
        recipient=claimed.user,
        details=details,
        actions=person,
        alert=incident.get("alert_details") or AlertDetails(),
        context=context,
        drill=bool(incident.get("drill")),
    )


def _linked(context: ResponderContext | None, links: Links) -> ResponderContext | None:
    """The context with links to the incidents it names (numbers are what links take)."""
    if context is None:
        return None
    return dataclasses.replace(
        context,
        likely_cause=tuple(
            dataclasses.replace(c, url=links.incident_url(str(c.number)))
            for c in context.likely_cause
        ),
        similar=tuple(
            dataclasses.replace(p, url=links.incident_url(str(p.number))) for p in context.similar
        ),
    )


class ContactLimiter:
    """At most ``limit`` messages per contact in any ``window``; a storm past that is held
    back and bundled into the next message (per process; several workers each allow it)."""

    def __init__(self, limit: int = 5, window: timedelta = timedelta(minutes=1)) -> None:
        self.limit = limit
        self.window = window
        self._sent: dict[tuple[str, str], list[datetime]] = {}

    def wait(self, user: str, contact: str, now: datetime) -> timedelta | None:
        """How long until the contact may get another message (``None``: now)."""
        recent = [t for t in self._sent.get((user, contact), []) if now - t < self.window]
        self._sent[(user, contact)] = recent
        if len(recent) < self.limit:
            return None
        return recent[0] + self.window - now

    def hold(
        self, user: str, contact: str, channel: str, now: datetime
    ) -> tuple[datetime, str] | None:
        """Until when the contact is held back, and why (``None``: it may get a message)."""
        wait = self.wait(user, contact, now)
        if wait is None:
            return None
        return now + wait, (
            f"held back: {user} by {channel} ({contact}) had {self.limit} messages in the "
            f"last {self.window.seconds // 60} min; bundled into the next one"
        )

    def holds(self, now: datetime) -> Hold:
        """:meth:`hold` at ``now``, for :meth:`OutboxStore.claim`."""
        return lambda user, contact, channel: self.hold(user, contact, channel, now)

    def sent(self, user: str, contact: str, now: datetime) -> None:
        self._sent.setdefault((user, contact), []).append(now)


def _outcome(
    claimed: Claimed, outcome: Delivery, *, how: str, now: datetime, rand: float
) -> Finished:
    if outcome.ok:
        return Finished(claimed, "sent", f"notified {how}: {outcome.detail}")
    delay = retry_delay(outcome, claimed.attempts, rand)
    if delay is None or claimed.attempts >= MAX_ATTEMPTS:
        why = "not retried" if delay is None else f"gave up after {claimed.attempts} attempts"
        return Finished(claimed, "failed", f"could not notify {how}: {outcome.detail}; {why}")
    return Finished(
        claimed,
        "pending",
        f"could not notify {how}: {outcome.detail}; retrying in {delay:.0f} s",
        now + timedelta(seconds=delay),
    )


def _parse(value: object) -> datetime | None:
    if isinstance(value, str):
        return datetime.fromisoformat(value)
    return None
