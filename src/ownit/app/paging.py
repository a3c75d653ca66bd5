"""Never silent: an incident that cannot be paged says so, and pages a person anyway.

When the engine cannot page for an incident (no or an invalid policy, nobody on call, nobody
with a contact) or every page it sent failed (each contact failed, no notifier for the
channel, the address refused), :func:`not_paged`:

1. marks the incident (``paging``: ``failed`` or ``nobody``, with the reason code), counted
   once per incident and reason (``ownit_paging_failures_total{reason}``);
2. writes what happened on the timeline, in words, with what to do about it;
3. pages the **fallback**: every contact of the owning team's managers at once; when there
   are none (or all of theirs fail, see :func:`after_delivery`), every contact of the org's
   admins. Each notification has its own idempotency key
   (:func:`~ownit.domain.paging.fallback_key`), so it is never folded into a policy page.

A page of the policy delivered later puts ``paging`` back to ``ok``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from ownit.app.escalations import IncidentFacts, Outbound, Reach
from ownit.app.notify import PAGE_EVENTS
from ownit.domain.incidents import Status
from ownit.domain.paging import (
    FALLBACK_EVENT,
    Reason,
    delivery_failure_reason,
    fallback_key,
    reason,
)

TIERS = ("managers", "admins")
_TIER_WORDS = {"managers": "the owning team's managers", "admins": "the organisation's admins"}


class PagingUnit(Protocol):
    """One incident, locked in a transaction, as the fallback needs it."""

    @property
    def facts(self) -> IncidentFacts: ...

    def mark_unpaged(self, at: datetime, reason: Reason) -> bool:
        """Set ``paging`` and ``paging_reason``; count the reason once per incident.
        ``True`` when the incident was not already in this state for this reason."""
        ...

    def fallback_people(self, tier: str) -> list[tuple[str, Reach]]:
        """``managers``: the owning team's managers; ``admins``: the organisation's admins;
        each with how to reach them."""
        ...

    def log(
        self, at: datetime, kind: str, message: str, data: dict[str, object] | None = None
    ) -> None: ...

    def enqueue(self, rows: Sequence[Outbound]) -> None: ...


def not_paged(
    unit: PagingUnit, *, incident_id: str, at: datetime, code: str, detail: str = ""
) -> None:
    """The incident could not be paged for ``code``: mark it, say so, page the fallback."""
    why = reason(code)
    if not unit.mark_unpaged(at, why):
        return  # already said, and the fallback already paged
    said = f"not paged: {why.words}" + (f" ({detail})" if detail else "")
    unit.log(
        at, "not paged", f"{said}. To fix: {why.fix}", {"reason": code, "paging": why.paging.value}
    )
    page_fallback(unit, incident_id=incident_id, at=at, code=code, tiers=TIERS)


def page_fallback(
    unit: PagingUnit, *, incident_id: str, at: datetime, code: str, tiers: Sequence[str]
) -> str | None:
    """Page the first of ``tiers`` with anyone reachable; the tier paged, or ``None``."""
    for tier in tiers:
        rows = [
            Outbound(
                incident_id=incident_id,
                user=user,
                contact=contact.name,
                channel=contact.type,
                event_type=FALLBACK_EVENT,
                key=fallback_key(incident_id, tier, user, contact.name),
                due_at=at,
                data={"fallback": tier, "reason": code, "paged_at": at.isoformat()},
            )
            for user, reach in unit.fallback_people(tier)
            for contact in reach.contacts
        ]
        if rows:
            unit.enqueue(rows)
            people = ", ".join(sorted({f"{r.user} ({r.contact})" for r in rows}))
            unit.log(
                at,
                "fallback",
                f"fallback page to {_TIER_WORDS[tier]}, every contact at once: {people}",
                {"tier": tier, "reason": code},
            )
            return tier
    unit.log(
        at,
        "fallback",
        "no fallback either: the owning team has no manager and the organisation no admin "
        "with a contact method",
        {"reason": code},
    )
    return None


@dataclass(frozen=True, slots=True)
class PageRow:
    """One page notification of an incident, as the outbox holds it."""

    event_type: str
    status: str  # pending | sending | sent | failed | cancelled
    error: str
    tier: str | None  # the fallback tier, or None for a page of the policy


class PagingStore(Protocol):
    def page_rows(self, incident_id: str) -> list[PageRow]:
        """Every page notification of the incident (the policy's and the fallback's)."""
        ...

    def paging_ok(self, incident_ids: Sequence[str], at: datetime) -> None:
        """A page of the policy went out: ``paging`` back to ``ok``."""
        ...


Locker = Callable[[str, datetime], AbstractContextManager[PagingUnit | None]]

_LIVE = ("pending", "sending", "sent")


def after_delivery(
    *,
    store: PagingStore,
    locked: Locker,
    sent: Sequence[str],
    failed: Sequence[str],
    now: datetime,
) -> None:
    """After a delivery round: incidents whose policy page went out are ``ok``; an incident
    none of whose policy pages can still go out is not paged (the failures say why); when
    every fallback page to the managers failed, the admins are paged."""
    if sent:
        store.paging_ok(sorted(set(sent)), now)
    for incident_id in sorted(set(failed)):
        rows = store.page_rows(incident_id)
        policy = [r for r in rows if r.tier is None and r.event_type in PAGE_EVENTS]
        fallback = [r for r in rows if r.tier is not None]
        with locked(incident_id, now) as unit:
            if unit is None or unit.facts.status is not Status.TRIGGERED:
                continue  # acknowledged or resolved meanwhile: someone is on it
            if policy and not any(r.status in _LIVE for r in policy):
                errors = [r.error for r in policy if r.status == "failed"]
                not_paged(
                    unit,
                    incident_id=incident_id,
                    at=now,
                    code=delivery_failure_reason(errors),
                    detail=f"{len(errors)} notification(s) failed",
                )
            managers = [r for r in fallback if r.tier == "managers"]
            if (
                managers
                and not any(r.status in _LIVE for r in managers)
                and not any(r.tier == "admins" for r in fallback)
            ):
                unit.log(now, "fallback", "every fallback page to the managers failed")
                page_fallback(
                    unit,
                    incident_id=incident_id,
                    at=now,
                    code=delivery_failure_reason(r.error for r in managers),
                    tiers=("admins",),
                )


POLICY_PAGES = frozenset({"incident.triggered", "incident.escalated"})


@dataclass(frozen=True, slots=True)
class PagingWatch:
    """What the worker needs to keep incidents from going silent after deliveries."""

    store: PagingStore
    locked: Locker

    def after_round(self, outcomes: Sequence[tuple[str | None, str, str]], now: datetime) -> None:
        """``outcomes``: ``(incident_id, event_type, status)`` of a delivery round."""
        sent = [
            i for i, kind, status in outcomes if i and status == "sent" and kind in POLICY_PAGES
        ]
        failed = [
            i for i, kind, status in outcomes if i and status == "failed" and kind in PAGE_EVENTS
        ]
        if sent or failed:
            after_delivery(store=self.store, locked=self.locked, sent=sent, failed=failed, now=now)
