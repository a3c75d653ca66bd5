"""Advancing one incident's escalation: the engine's use case, one incident per transaction.

The store hands over one due incident at a time (:class:`EscalationUnit`, already locked);
this module asks the pure domain what to do and records it: the new state and timer,
timeline entries, and outbox rows for every notification the pages call for.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol, TypeVar

from ownit.app.notify import PAGE_EVENTS
from ownit.domain import escalation as esc
from ownit.domain.escalation import Page, Policy, Step, Target
from ownit.domain.escalation.state import (
    AllLevelsEmpty,
    EscalationExhausted,
    EscalationState,
    LogEntry,
    page_key,
)
from ownit.domain.incidents import Status, Urgency
from ownit.domain.oncall.notification_rules import Contact, Rule, plan_notifications
from ownit.domain.paging import Reason

OnCallLookup = Callable[[str, datetime], tuple[str, ...]]
"""Who is on call in the schedule named so, at that instant."""


@dataclass(frozen=True, slots=True)
class IncidentFacts:
    id: str
    number: int
    status: Status
    urgency: Urgency
    acknowledged_at: datetime | None
    ack_timeout: timedelta | None
    acknowledged_by: str | None = None


@dataclass(frozen=True, slots=True)
class Reach:
    """How to reach a user: their contacts and personal notification rules."""

    contacts: tuple[Contact, ...]
    rules: tuple[Rule, ...]
    status_updates: tuple[str, ...] = ()  # contacts told of acknowledge and resolve


@dataclass(frozen=True, slots=True)
class Outbound:
    """One notification for the outbox."""

    incident_id: str
    user: str
    contact: str
    channel: str
    event_type: str
    key: str
    due_at: datetime
    data: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class PlannedPage:
    """A page already made for this incident, as its outbox rows tell it."""

    user: str
    level: int
    loop: int
    at: datetime
    event_type: str


@dataclass(frozen=True, slots=True)
class Planned:
    """The incident's pages and the (user, contact, due time) of every notification already
    planned for them."""

    pages: tuple[PlannedPage, ...] = ()
    notifications: frozenset[tuple[str, str, datetime]] = frozenset()


class EscalationUnit(Protocol):
    """One incident, locked for this transaction."""

    @property
    def facts(self) -> IncidentFacts: ...

    @property
    def policy(self) -> Mapping[str, Any] | None: ...

    @property
    def state(self) -> Mapping[str, Any] | None: ...

    def reach(self, user: str) -> Reach | None: ...

    def save(self, state: Mapping[str, Any] | None, due_at: datetime | None) -> None: ...

    def log(
        self, at: datetime, kind: str, message: str, data: Mapping[str, Any] | None = None
    ) -> None: ...

    def retrigger(self, at: datetime) -> None:
        """Put an acknowledged incident back to triggered (its ack timeout ran out)."""
        ...

    def enqueue(self, rows: Sequence[Outbound]) -> None: ...

    def cancel_pending(self, at: datetime, reason: str) -> int: ...

    def mark_unpaged(self, at: datetime, reason: Reason) -> bool:
        """Never silent: see :class:`ownit.app.paging.PagingUnit`."""
        ...

    def fallback_people(self, tier: str) -> list[tuple[str, Reach]]: ...

    def audit(self, at: datetime, action: str, after: Mapping[str, Any]) -> None:
        """An audit-log entry for a change made by hand (escalate, reassign)."""
        ...

    def team_chat(self) -> str | None:
        """The owning team's name when it has a chat channel (``chat.slackWebhookUrl``)."""
        ...

    def paged_users(self) -> tuple[str, ...]:
        """The people a page for this incident reached (delivered), in name order."""
        ...

    def planned(self) -> Planned:
        """The pages made for this incident so far and their planned notifications."""
        ...


UnitT = TypeVar("UnitT", bound=EscalationUnit)


class EscalationQueue(Protocol[UnitT]):
    """Due escalations for the engine, in units of its own kind (``UnitT``)."""

    def due_batch(self, now: datetime, limit: int) -> AbstractContextManager[list[UnitT]]:
        """Up to ``limit`` due incidents, locked, in one transaction: process each inside
        :meth:`isolated` so one failing incident cannot spoil the others."""
        ...

    def isolated(self, unit: UnitT) -> AbstractContextManager[None]:
        """Around one incident's work: on error only its changes are undone, and its timer
        is moved on so it cannot block the queue."""
        ...


class EscalationView(Protocol):
    def escalation_of(self, incident_id: str) -> tuple[Any, Any] | None:
        """``(policy, state)`` as stored (JSON), or ``None`` when the incident has none."""
        ...


def advance(unit: EscalationUnit, *, now: datetime, on_call: OnCallLookup) -> None:
    """Do whatever is due for this incident now."""
    facts = unit.facts
    if unit.policy is None:  # ingest has said "nobody is paged"; the fallback pages someone
        if unit.state is None and facts.status is Status.TRIGGERED:
            _not_paged(unit, now, "no-policy")
        unit.save({"done": True}, None)
        return
    refused = esc.snapshot_problems(unit.policy)  # the check `ownit catalog lint` runs too
    if refused:
        unit.log(now, "unreachable", "escalation cannot run: " + "; ".join(refused))
        if facts.status is Status.TRIGGERED:
            _not_paged(unit, now, "invalid-policy", "; ".join(refused))
        unit.save(unit.state, None)
        return
    try:
        policy = Policy.from_json(unit.policy)
        state = None if not unit.state else EscalationState.from_json(unit.state)
    except ValueError as exc:
        unit.log(now, "unreachable", f"escalation cannot run: {exc}")
        unit.save(unit.state, None)
        return

    def resolve_target(target: Target, at: datetime) -> tuple[str, ...]:
        return on_call(target.name, at) if target.kind == "schedule" else (target.name,)

    if facts.status is Status.RESOLVED:
        if state is not None and state.status is not Status.RESOLVED:
            step = esc.resolve(state, now)
            _record(unit, facts, step, now)
            state = step.state
            unit.enqueue(_team_updates(unit, facts, RESOLVED, now))
            unit.enqueue(_status_updates(unit, facts, RESOLVED, now))
        unit.cancel_pending(now, "incident resolved")
        unit.save(None if state is None else state.to_json(), None)
        return
    started = state is None  # this advance starts the escalation
    if state is None:
        step = esc.start(policy, facts.urgency, resolve_target, now)
        _record(unit, facts, step, now)
        state = step.state
        unit.enqueue(_team_updates(unit, facts, OPENED, now))
    if facts.status is Status.ACKNOWLEDGED and state.status is Status.TRIGGERED:
        # The ack timeout runs from the acknowledgement itself, not from when the engine saw it.
        acked_at = min(facts.acknowledged_at or now, now)
        step = esc.acknowledge(state, acked_at, facts.ack_timeout)
        _record(unit, facts, step, now)
        unit.cancel_pending(now, "incident acknowledged")
        state = step.state
        unit.enqueue(_team_updates(unit, facts, ACKNOWLEDGED, now, acked_at))
        unit.enqueue(_status_updates(unit, facts, ACKNOWLEDGED, now, acked_at))
    elif state.next_due_at is not None and state.next_due_at <= now:
        step = esc.tick(state, policy, resolve_target, now)
        if step.state.status is Status.TRIGGERED and facts.status is Status.ACKNOWLEDGED:
            unit.retrigger(now)
        _record(unit, facts, step, now)
        state = step.state
    if facts.status is Status.TRIGGERED and state.status is Status.TRIGGERED and not started:
        # A page that started just now was planned with the rules as they are: nothing can
        # have been added to them since (and reading its pages back costs the write lock).
        unit.enqueue(_rules_added(unit, facts, now))
    unit.save(state.to_json(), state.next_due_at)


def _not_paged(unit: EscalationUnit, at: datetime, code: str, detail: str = "") -> None:
    from ownit.app.paging import not_paged  # paging builds on this module's Outbound

    not_paged(unit, incident_id=unit.facts.id, at=at, code=code, detail=detail)


def _record(unit: EscalationUnit, facts: IncidentFacts, step: Step, now: datetime) -> None:
    outbound: list[Outbound] = []
    paged: list[str] = []
    for intent in step.intents:
        if isinstance(intent, Page):
            paged.append(intent.user)
            outbound += _notifications(unit, facts, intent)
        elif isinstance(intent, LogEntry):
            unit.log(now, intent.kind, intent.message)
        elif isinstance(intent, AllLevelsEmpty):
            unit.log(
                intent.at,
                "unreachable",
                f"nobody could be paged: every level of escalation policy {intent.policy} is "
                "empty; trying again",
                {"alert": "all-levels-empty", "level": intent.level},
            )
            _not_paged(unit, intent.at, "nobody-on-call", f"policy {intent.policy}")
        elif isinstance(intent, EscalationExhausted):
            unit.log(
                intent.at,
                "exhausted",
                f"escalation policy {intent.policy} ran out of levels and repeats; "
                "the incident stays triggered",
            )
    if outbound:
        unit.enqueue(outbound)
    elif paged:  # pages were due, and not one notification could be written for them
        _not_paged(unit, now, "no-contact", ", ".join(sorted(set(paged))))


def _notifications(unit: EscalationUnit, facts: IncidentFacts, page: Page) -> list[Outbound]:
    reach = unit.reach(page.user)
    if reach is None or not reach.contacts:
        unit.log(
            page.at,
            "unreachable",
            f"{page.user} has no contact methods: nobody was notified at level {page.level}",
            {"user": page.user, "level": page.level},
        )
        return []
    by_name = {c.name: c for c in reach.contacts}
    event_type = "incident.triggered" if (page.level, page.loop) == (1, 0) else "incident.escalated"
    rows = []
    for notify in plan_notifications(reach.rules, page.at, facts.urgency, contacts=reach.contacts):
        contact = by_name.get(notify.contact)
        if contact is None:
            continue
        rows.append(
            Outbound(
                incident_id=facts.id,
                user=page.user,
                contact=contact.name,
                channel=contact.type,
                event_type=event_type,
                key=page_key(facts.id, page.loop, page.level, page.user, contact.name, notify.rule),
                due_at=notify.due_at,
                data={"level": page.level, "loop": page.loop, "paged_at": page.at.isoformat()},
            )
        )
    return rows


OPENED = "incident.opened"
ACKNOWLEDGED = "incident.acknowledged"
RESOLVED = "incident.resolved"
TEAM_PREFIX = "team/"
"""Outbox rows for a team's chat channel name the team as ``team/<name>`` (a user name is a
slug, so it never contains ``/``)."""


def pages_a_person(row: Outbound) -> bool:
    """The row asks a person to act (a page, an escalation, a fallback page): analytics
    records it. A status update or a team channel's message only informs."""
    return row.event_type in PAGE_EVENTS and not row.user.startswith(TEAM_PREFIX)


def _team_updates(
    unit: EscalationUnit,
    facts: IncidentFacts,
    event_type: str,
    now: datetime,
    acked_at: datetime | None = None,
) -> list[Outbound]:
    """The owning team's chat channel hears that the incident opened, was acknowledged (by
    whom; each acknowledgement its own key, an ack timeout can bring another) or resolved."""
    team = unit.team_chat()
    if team is None:
        return []
    target = TEAM_PREFIX + team
    suffix = "" if acked_at is None else ":" + acked_at.isoformat()
    data: dict[str, Any] = {}
    if event_type == ACKNOWLEDGED and facts.acknowledged_by:
        data["by"] = facts.acknowledged_by
    return [
        Outbound(
            incident_id=facts.id,
            user=target,
            contact="chat",
            channel="slack",
            event_type=event_type,
            key=f"{page_key(facts.id, 0, 0, target, 'chat')}:{event_type}{suffix}",
            due_at=now,
            data=data,
        )
    ]


def _rules_added(unit: EscalationUnit, facts: IncidentFacts, now: datetime) -> list[Outbound]:
    """Notification rules added while a page is in progress (decision 0021): each page made
    since the last acknowledgement is planned again with the person's rules as they are now;
    a notification whose time is still ahead and that is not planned yet is added. One whose
    time has passed is not sent late; nothing is planned twice."""
    planned = unit.planned()
    rows = []
    for page in planned.pages:
        if facts.acknowledged_at is not None and page.at <= facts.acknowledged_at:
            continue  # acknowledged since: that page's rules stay stopped
        reach = unit.reach(page.user)
        if reach is None or not reach.contacts:
            continue
        by_name = {c.name: c for c in reach.contacts}
        for notify in plan_notifications(
            reach.rules, page.at, facts.urgency, contacts=reach.contacts
        ):
            contact = by_name.get(notify.contact)
            if contact is None or notify.due_at <= now:
                continue
            if (page.user, contact.name, notify.due_at) in planned.notifications:
                continue
            rows.append(
                Outbound(
                    incident_id=facts.id,
                    user=page.user,
                    contact=contact.name,
                    channel=contact.type,
                    event_type=page.event_type,
                    key=page_key(
                        facts.id, page.loop, page.level, page.user, contact.name, notify.rule
                    ),
                    due_at=notify.due_at,
                    data={"level": page.level, "loop": page.loop, "paged_at": page.at.isoformat()},
                )
            )
    return rows


def _status_updates(
    unit: EscalationUnit,
    facts: IncidentFacts,
    event_type: str,
    now: datetime,
    acked_at: datetime | None = None,
) -> list[Outbound]:
    """The people a page reached who asked for status updates (``statusUpdates``) hear that
    it was acknowledged (by whom; not the one who did it) or resolved, on the contacts they
    chose."""
    suffix = "" if acked_at is None else ":" + acked_at.isoformat()
    data: dict[str, Any] = {}
    if event_type == ACKNOWLEDGED and facts.acknowledged_by:
        data["by"] = facts.acknowledged_by
    rows = []
    for user in unit.paged_users():
        if event_type == ACKNOWLEDGED and user == facts.acknowledged_by:
            continue
        reach = unit.reach(user)
        if reach is None:
            continue
        for contact in reach.contacts:
            if contact.name not in reach.status_updates:
                continue
            rows.append(
                Outbound(
                    incident_id=facts.id,
                    user=user,
                    contact=contact.name,
                    channel=contact.type,
                    event_type=event_type,
                    key=f"{page_key(facts.id, 0, 0, user, contact.name)}:{event_type}{suffix}",
                    due_at=now,
                    data=data,
                )
            )
    return rows


class EscalationLocker(Protocol):
    def locked(
        self, incident_id: str, now: datetime
    ) -> AbstractContextManager[EscalationUnit | None]:
        """This incident's escalation, locked (``None`` when the incident never escalates)."""
        ...


class ManualEscalations(EscalationLocker, Protocol):
    """What escalating and reassigning by hand need: the escalation, locked, and whether a
    user exists."""

    def known_user(self, name: str) -> bool: ...


def _manual(
    unit: EscalationUnit | None, now: datetime, on_call: OnCallLookup
) -> tuple[EscalationUnit, Policy, EscalationState, esc.Resolver]:
    from ownit.domain.errors import InvalidTransition

    if unit is None or unit.policy is None:
        raise InvalidTransition("this incident's service has no escalation policy")
    if unit.facts.status is Status.RESOLVED:
        raise InvalidTransition(f"incident #{unit.facts.number} is resolved")
    policy = Policy.from_json(unit.policy)

    def resolve_target(target: Target, at: datetime) -> tuple[str, ...]:
        return on_call(target.name, at) if target.kind == "schedule" else (target.name,)

    if unit.state:
        state = EscalationState.from_json(unit.state)
    else:  # the engine has not started it yet: start it now
        step = esc.start(policy, unit.facts.urgency, resolve_target, now)
        _record(unit, unit.facts, step, now)
        state = step.state
    return unit, policy, state, resolve_target


def escalate_now(
    *, store: EscalationLocker, incident_id: str, level: int, now: datetime, on_call: OnCallLookup
) -> None:
    """Notify ``level`` (1-based) now, by hand; escalation continues from there."""
    with store.locked(incident_id, now) as found:
        unit, policy, state, resolve_target = _manual(found, now, on_call)
        step = esc.escalate_to(state, policy, level, resolve_target, now)
        if unit.facts.status is Status.ACKNOWLEDGED:
            unit.retrigger(now)
        _record(unit, unit.facts, step, now)
        unit.save(step.state.to_json(), step.state.next_due_at)
        unit.audit(now, "escalated", {"level": level})


def reassign(
    *,
    store: EscalationLocker,
    incident_id: str,
    users: Sequence[str],
    now: datetime,
    on_call: OnCallLookup,
    known_user: Callable[[str], bool],
) -> None:
    """Page ``users`` now, outside the policy; escalation continues from where it is."""
    from ownit.domain.errors import NotFound

    for user in users:
        if not known_user(user):
            raise NotFound("user", user)
    with store.locked(incident_id, now) as found:
        unit, policy, state, _ = _manual(found, now, on_call)
        step = esc.reassign(state, policy, users, now)
        if unit.facts.status is Status.ACKNOWLEDGED:
            unit.retrigger(now)
        _record(unit, unit.facts, step, now)
        unit.save(step.state.to_json(), step.state.next_due_at)
        unit.audit(now, "reassigned", {"users": list(users)})
