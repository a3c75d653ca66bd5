"""The weekly analytics digest mailed to team managers through the outbox (decision 0062).

``ownit analytics report --mail`` (run weekly, by cron or a CI schedule) computes the digest
once and queues one ``analytics.digest`` row per team manager's e-mail contact, keyed by
ISO week and contact: a second run in the same week queues nothing new. The worker delivers
the rows like pages: retried with backoff, the outcome kept on the row and in the log.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from ownit.app.analytics import AnalyticsStore
from ownit.app.baselines import BaselineStore, weekly_report
from ownit.app.clock import Clock
from ownit.domain.errors import DomainError


@dataclass(frozen=True, slots=True)
class Recipient:
    """A team manager's e-mail contact (by the contact's name in their profile)."""

    user: str
    contact: str


@dataclass(frozen=True, slots=True)
class Queued:
    recipient: Recipient
    new: bool  # False: this week's digest was queued for it already


@dataclass(frozen=True, slots=True)
class DigestDelivery:
    """A queued digest as the outbox keeps it."""

    week: str
    user: str
    contact: str
    status: str  # pending, sending, sent, failed
    attempts: int
    last_error: str | None
    sent_at: datetime | None


class DigestOutbox(Protocol):
    def recipients(self) -> list[Recipient]:
        """Every e-mail contact of every team manager, by user and contact name."""
        ...

    def queue(
        self, week: str, subject: str, text: str, recipients: Sequence[Recipient], now: datetime
    ) -> list[bool]:
        """One outbox row per recipient, due now, in one transaction; per recipient whether
        it is new (``False``: that week's row was there already)."""
        ...

    def deliveries(self, limit: int) -> list[DigestDelivery]:
        """The newest digest rows first."""
        ...


class NoRecipients(DomainError):
    """No team manager has an e-mail contact: nothing would be sent."""


def iso_week(at: datetime) -> str:
    """``2026-W49``: the ISO week the digest is for (its key)."""
    year, week, _ = at.isocalendar()
    return f"{year}-W{week:02d}"


def mail_weekly_report(
    *,
    analytics: AnalyticsStore,
    baselines: BaselineStore,
    outbox: DigestOutbox,
    clock: Clock,
) -> list[Queued]:
    """Queue this week's digest for every team manager's e-mail contact."""
    recipients = outbox.recipients()
    if not recipients:
        raise NoRecipients(
            "no team manager has an e-mail contact: add one (role: manager, contacts: email)"
        )
    now = clock.now()
    week = iso_week(now)
    text = weekly_report(analytics=analytics, baselines=baselines, clock=clock)
    new = outbox.queue(week, f"weekly digest {week}", text, recipients, now)
    return [Queued(r, n) for r, n in zip(recipients, new, strict=True)]
