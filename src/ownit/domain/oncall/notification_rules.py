"""Personal notification rules (``docs/notifications.md``, "Personal notification rules").

Each user has ordered rules ``(contact, after)``. When the escalation engine pages a user at
``T`` (a :class:`~ownit.domain.escalation.state.Page`), each rule fires at ``T + after``
unless the incident was acknowledged or resolved first. :func:`plan_notifications` gives
the timers; when one is due, the engine asks :func:`still_due` before sending.

Decisions:

- Low urgency notifies by the first rule only (the first in the user's order, whatever its
  ``after``).
- A user with no rules is notified on every contact at once (:func:`default_rules`): a page
  is never silently dropped because someone has not written rules yet. Low urgency then
  uses the first contact only, like the first rule.
- Several rules may name one contact (``after: 0m`` and ``after: 20s``: the usual "remind
  me again"). Each is its own notification with its own idempotency key: the earliest rule
  on a contact keeps the plain key (incident, loop, level, user, contact), each later one
  adds its ``after`` (:attr:`Notify.rule`). The same contact with the same ``after`` twice
  is one rule written twice: refused by :func:`validate_rules` (the catalog and the Me page
  alike) and sent once if stored anyway.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from ownit.domain.durations import format_duration
from ownit.domain.incidents import Status, Urgency

__all__ = [
    "CONTACT_TYPES",
    "Contact",
    "ContactType",
    "Notify",
    "Rule",
    "default_rules",
    "duplicate_rule",
    "plan_notifications",
    "still_due",
    "validate_rules",
]

ContactType = Literal["email", "webhook", "slack", "push"]
CONTACT_TYPES: tuple[ContactType, ...] = ("email", "webhook", "slack", "push")


@dataclass(frozen=True)
class Contact:
    """A named way to reach a user: an email address, a webhook or push URL, a Slack hook."""

    name: str
    type: ContactType
    address: str


@dataclass(frozen=True)
class Rule:
    """Notify on ``contact`` (a contact's name) ``after`` the user was paged."""

    contact: str
    after: timedelta


@dataclass(frozen=True)
class Notify:
    """A notification timer: send on ``contact`` at ``due_at`` if :func:`still_due`.

    ``rule`` tells apart several rules on one contact in the idempotency key: ``""`` for the
    contact's earliest rule, its ``after`` (``"20s"``) for each later one."""

    contact: str
    due_at: datetime
    rule: str = ""


def default_rules(contacts: Sequence[Contact]) -> tuple[Rule, ...]:
    """The rules of a user who wrote none: every contact at once, in the contacts' order."""
    return tuple(Rule(contact.name, timedelta(0)) for contact in contacts)


def plan_notifications(
    rules: Sequence[Rule],
    paged_at: datetime,
    urgency: Urgency,
    *,
    contacts: Sequence[Contact] = (),
) -> list[Notify]:
    """The timers of one page at ``paged_at``: each rule at ``paged_at + after``, by due time.

    High urgency: every rule; low urgency: the first rule only. With no rules,
    :func:`default_rules` of ``contacts`` apply. Rules due at the same time keep their order.
    A negative ``after`` raises ``ValueError`` (see :func:`validate_rules`).
    """
    if paged_at.tzinfo is None or paged_at.utcoffset() is None:
        raise ValueError(f"paged_at must be an aware datetime, got {paged_at.isoformat()}")
    chosen = tuple(rules) or default_rules(contacts)
    if urgency is Urgency.LOW:
        chosen = chosen[:1]
    for i, rule in enumerate(chosen):
        if rule.after < timedelta(0):
            raise ValueError(f"notificationRules[{i}].after: must not be negative")
    first: dict[str, timedelta] = {}
    for rule in chosen:
        first[rule.contact] = min(rule.after, first.get(rule.contact, rule.after))
    plan: list[Notify] = []
    seen: set[tuple[str, timedelta]] = set()
    for rule in chosen:
        if (rule.contact, rule.after) in seen:
            continue  # the same rule twice: one notification
        seen.add((rule.contact, rule.after))
        tag = "" if rule.after == first[rule.contact] else format_duration(rule.after)
        plan.append(Notify(rule.contact, paged_at + rule.after, tag))
    return sorted(plan, key=lambda notify: notify.due_at)


def still_due(
    status: Status,
    *,
    paged_at: datetime | None = None,
    acknowledged_at: datetime | None = None,
) -> bool:
    """Whether a notification timer that came due should still be sent.

    Only while the incident is triggered. If the incident was acknowledged at or after the
    page (``acknowledged_at``, its latest acknowledgement) and has since been re-triggered
    by an ack timeout, the old page's remaining rules stay cancelled: the re-trigger pages
    again with rules of its own.
    """
    if status is not Status.TRIGGERED:
        return False
    return paged_at is None or acknowledged_at is None or acknowledged_at < paged_at


def validate_rules(rules: Sequence[Rule], contacts: Sequence[Contact]) -> list[str]:
    """Every problem with a user's contacts and rules at once, each naming its field.

    Contacts: a name, a known type, an address, no name twice. Rules: a contact of this
    user, an ``after`` of zero or more, not the same contact and ``after`` twice (several
    rules on one contact at different times are reminders, and welcome).
    """
    problems = _contact_problems(contacts)
    names = [c.name for c in contacts]
    known = ", ".join(names) if names else "none"
    seen: dict[tuple[str, timedelta], int] = {}
    for i, rule in enumerate(rules):
        where = f"notificationRules[{i}]"
        if rule.contact not in names:
            problems.append(
                f"{where}.contact: {rule.contact!r} is not one of this user's contacts ({known})"
            )
        if rule.after < timedelta(0):
            problems.append(f"{where}.after: must not be negative (got {rule.after})")
        same = seen.get((rule.contact, rule.after))
        if same is not None:
            problems.append(duplicate_rule(where, rule, same))
        seen.setdefault((rule.contact, rule.after), i)
    return problems


def duplicate_rule(where: str, rule: Rule, other: int) -> str:
    """The words for a rule that repeats an earlier one exactly (``other`` is its index)."""
    return (
        f"{where}: {rule.contact!r} after {format_duration(rule.after)} is already "
        f"notificationRules[{other}]; a reminder on the same contact needs another delay"
    )


def _contact_problems(contacts: Sequence[Contact]) -> list[str]:
    problems: list[str] = []
    seen: dict[str, int] = {}
    for i, contact in enumerate(contacts):
        where = f"contacts[{i}]"
        if not contact.name:
            problems.append(f"{where}.name: a contact needs a name")
        if contact.type not in CONTACT_TYPES:
            problems.append(
                f"{where}.type: {contact.type!r} is not one of {', '.join(CONTACT_TYPES)}"
            )
        if not contact.address:
            problems.append(f"{where}.address: a contact needs an address")
        if contact.name in seen:
            problems.append(
                f"{where}.name: duplicate contact {contact.name!r} "
                f"(also contacts[{seen[contact.name]}])"
            )
        seen.setdefault(contact.name, i)
    return problems
