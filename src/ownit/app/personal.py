"""A person's own settings: contacts and notification rules, and a test notification.

Contacts and rules live in the catalog's User spec. Where the catalog document states them,
the catalog owns them (read-only here); where it leaves them unsaid, the person owns them:
they are edited here, stored in the user's spec, and ``catalog apply`` keeps them
(decision 0014). Every edit is checked whole before anything is written.
"""

from __future__ import annotations

import base64
import dataclasses
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from ownit.app.notify import Delivery, Notification, Notifier
from ownit.domain.catalog import Contact, NotificationRule, User
from ownit.domain.catalog.fields import EMAIL, URL, slug_problem
from ownit.domain.durations import format_duration, parse_duration
from ownit.domain.errors import DomainError, NotFound
from ownit.domain.oncall.notification_rules import CONTACT_TYPES
from ownit.domain.urls import url_problem
from ownit.domain.webhook_secrets import secret_problem

__all__ = [
    "MAX_CONTACTS",
    "PersonalSettingsStore",
    "PersonalStore",
    "SettingsError",
    "TestResult",
    "add_contact",
    "add_rule",
    "move_rule",
    "remove_contact",
    "remove_rule",
    "send_test",
    "settings",
]

MAX_CONTACTS = 20
MAX_AFTER = timedelta(days=1)
OWN_FIELD = {"email": "address", "webhook": "url", "slack": "webhookUrl", "push": "url"}


class SettingsError(DomainError):
    """An edit the rules refuse; ``field`` names the form field at fault."""

    def __init__(self, field: str, detail: str, problems: Mapping[str, str] | None = None) -> None:
        super().__init__(f"{field}: {detail}")
        self.field = field
        self.detail = detail
        self.problems: dict[str, str] = dict(problems or {field: detail})


@dataclass(frozen=True, slots=True)
class Settings:
    user: User
    source: str | None  # the catalog source that wrote the user (``apply --source``)

    @property
    def contacts_editable(self) -> bool:
        return "contacts" in self.user.personal

    @property
    def rules_editable(self) -> bool:
        return "notificationRules" in self.user.personal

    @property
    def updates_editable(self) -> bool:
        return "statusUpdates" in self.user.personal


class PersonalStore(Protocol):
    def user_settings(self, name: str) -> Settings | None: ...

    def save_personal(self, user: User, *, at: datetime) -> bool:
        """Write ``user``'s contacts, rules and personal fields; ``False``: no such user."""
        ...


class PersonalSettingsStore(PersonalStore, Protocol):
    """The settings, and when the user's calendar feed link was made (the Me page shows
    both)."""

    def calendar_link_made(self, name: str) -> datetime | None:
        """When the user's current feed link was made (``None``: they have none)."""
        ...


def settings(*, store: PersonalStore, user: str) -> Settings:
    found = store.user_settings(user)
    if found is None:
        raise NotFound("user", user)
    return found


def _save(store: PersonalStore, user: User, at: datetime) -> User:
    rules_named = {r.contact for r in user.notification_rules}
    missing = rules_named - {c.name for c in user.contacts}
    if missing:  # pragma: no cover - every edit checks this before
        raise SettingsError("contact", f"no contact named {sorted(missing)[0]!r}")
    if not store.save_personal(user, at=at):
        raise NotFound("user", user.name)
    return user


def _editable(found: Settings, field: str) -> None:
    if field == "contacts" and not found.contacts_editable:
        raise SettingsError("contacts", "your contacts are managed in the catalog")
    if field == "notificationRules" and not found.rules_editable:
        raise SettingsError("rules", "your notification rules are managed in the catalog")


def add_contact(
    *,
    store: PersonalStore,
    user: str,
    name: str,
    type: str,
    value: str,
    secret: str = "",
    at: datetime,
) -> Contact:
    """A new contact, checked as the catalog checks one; a webhook without a secret gets a
    fresh one (``whsec_…``)."""
    found = settings(store=store, user=user)
    _editable(found, "contacts")
    name, value, secret = name.strip(), value.strip(), secret.strip()
    problems: dict[str, str] = {}
    if not name:
        problems["name"] = "give the contact a name (work-email, phone…)"
    elif (p := slug_problem(name)) is not None:
        problems["name"] = p
    elif any(c.name == name for c in found.user.contacts):
        problems["name"] = f"you already have a contact named {name!r}"
    if type not in CONTACT_TYPES:
        problems["type"] = f"choose one of {', '.join(CONTACT_TYPES)}"
    elif not value:
        problems["value"] = "is required"
    elif type == "email" and (len(value) > 320 or not EMAIL.match(value)):
        problems["value"] = "does not look like an email address"
    elif type != "email" and (
        len(value) > 2000 or not URL.match(value) or url_problem(value) is not None
    ):
        problems["value"] = "is not an http(s) URL"
    if secret and type != "webhook":
        problems["secret"] = "only webhooks have a signing secret"  # noqa: S105
    elif secret and secret_problem(secret) is not None:
        problems["secret"] = "write whsec_ and base64 of 16 bytes or more, or leave it empty"  # noqa: S105
    if len(found.user.contacts) >= MAX_CONTACTS:
        problems["name"] = f"at most {MAX_CONTACTS} contacts"
    if problems:
        field, detail = next(iter(problems.items()))
        raise SettingsError(field, detail, problems)
    if type == "webhook" and not secret:
        secret = "whsec_" + _b64(secrets.token_bytes(24))
    own = OWN_FIELD[type]
    contact = Contact(
        name,
        type,
        address=value if own == "address" else None,
        url=value if own == "url" else None,
        secret=secret or None,
        webhook_url=value if own == "webhookUrl" else None,
    )
    _save(store, dataclasses.replace(found.user, contacts=(*found.user.contacts, contact)), at)
    return contact


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def remove_contact(*, store: PersonalStore, user: str, name: str, at: datetime) -> None:
    """Remove a contact, and the rule that uses it (when the rules are yours too)."""
    found = settings(store=store, user=user)
    _editable(found, "contacts")
    u = found.user
    if not any(c.name == name for c in u.contacts):
        raise SettingsError("contacts", f"you have no contact named {name!r}")
    rules = u.notification_rules
    if any(r.contact == name for r in rules):
        if not found.rules_editable:
            raise SettingsError(
                "contacts", f"{name!r} is used by a notification rule managed in the catalog"
            )
        rules = tuple(r for r in rules if r.contact != name)
    contacts = tuple(c for c in u.contacts if c.name != name)
    updates = tuple(c for c in u.status_updates if c != name)
    _save(
        store,
        dataclasses.replace(u, contacts=contacts, notification_rules=rules, status_updates=updates),
        at,
    )


def add_rule(*, store: PersonalStore, user: str, contact: str, after: str, at: datetime) -> None:
    """Notify on ``contact`` ``after`` (``0``, ``5m``, ``1h``…) being paged."""
    found = settings(store=store, user=user)
    _editable(found, "notificationRules")
    u = found.user
    if not any(c.name == contact for c in u.contacts):
        raise SettingsError("contact", "choose one of your contacts")
    text = after.strip() or "0m"
    try:
        delay = timedelta(0) if text in ("0", "0s", "0m") else parse_duration(text)
    except ValueError:
        raise SettingsError(
            "after", f"{after.strip()[:20]!r} is not a delay (write 0, 30s, 5m, 1h)"
        ) from None
    if delay > MAX_AFTER:
        raise SettingsError("after", f"at most {format_duration(MAX_AFTER)}")
    for i, rule in enumerate(u.notification_rules):
        if (rule.contact, rule.after) == (contact, delay):
            # Another delay on the same contact is a reminder, and welcome; the same twice
            # is one rule (the catalog refuses it with the same words).
            raise SettingsError(
                "after",
                f"your rule {i + 1} already notifies {contact!r} after "
                f"{format_duration(delay)}; a reminder on the same contact needs another delay",
            )
    rules = (*u.notification_rules, NotificationRule(contact, delay))
    _save(store, dataclasses.replace(u, notification_rules=rules), at)


def set_status_updates(
    *, store: PersonalStore, user: str, contacts: Sequence[str], at: datetime
) -> None:
    """Which of your contacts are told when an incident you were paged for is acknowledged
    (and by whom) or resolved; none: no status updates (the default)."""
    found = settings(store=store, user=user)
    if not found.updates_editable:
        raise SettingsError("updates", "your status updates are managed in the catalog")
    names = [c.name for c in found.user.contacts]
    chosen: list[str] = []
    for contact in contacts:
        if contact not in names:
            raise SettingsError("updates", f"you have no contact named {contact[:100]!r}")
        if contact not in chosen:
            chosen.append(contact)
    _save(store, dataclasses.replace(found.user, status_updates=tuple(chosen)), at)


def _rule_index(found: Settings, index: int) -> None:
    _editable(found, "notificationRules")
    if not 0 <= index < len(found.user.notification_rules):
        raise SettingsError("rules", "that rule is gone; reload the page")


def remove_rule(*, store: PersonalStore, user: str, index: int, at: datetime) -> None:
    found = settings(store=store, user=user)
    _rule_index(found, index)
    rules = list(found.user.notification_rules)
    del rules[index]
    _save(store, dataclasses.replace(found.user, notification_rules=tuple(rules)), at)


def move_rule(*, store: PersonalStore, user: str, index: int, by: int, at: datetime) -> None:
    """Move rule ``index`` up (``by=-1``) or down (``by=1``)."""
    found = settings(store=store, user=user)
    _rule_index(found, index)
    rules = list(found.user.notification_rules)
    other = index + by
    if 0 <= other < len(rules):
        rules[index], rules[other] = rules[other], rules[index]
        _save(store, dataclasses.replace(found.user, notification_rules=tuple(rules)), at)


# --- test notifications ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TestResult:
    contact: str
    channel: str
    outcome: str  # delivered | failed
    detail: str


def contact_fields(contact: Contact) -> dict[str, str]:
    """A contact as notifiers read it (the stored spec's keys)."""
    fields = {"name": contact.name, "type": contact.type}
    for key, value in (
        ("address", contact.address),
        ("url", contact.url),
        ("secret", contact.secret),
        ("webhookUrl", contact.webhook_url),
    ):
        if value is not None:
            fields[key] = value
    return fields


def send_test(
    *,
    store: PersonalStore,
    notifiers: Mapping[str, Notifier],
    unavailable: Mapping[str, str],
    user: str,
    contact: str | None,
    now: datetime,
    base_url: str,
) -> list[TestResult]:
    """Send a ``test`` notification to each of ``user``'s contacts (or the one named) through
    the notifiers that deliver pages; each result says delivered or failed, and why."""
    found = settings(store=store, user=user)
    targets: Sequence[Contact] = found.user.contacts
    if contact:
        targets = [c for c in targets if c.name == contact]
        if not targets:
            raise SettingsError("contact", f"you have no contact named {contact!r}")
    if not targets:
        raise SettingsError("contact", "add a contact first")
    results: list[TestResult] = []
    stamp = now.strftime("%Y%m%dT%H%M%S")
    for c in targets:
        notifier = notifiers.get(c.type)
        if notifier is None:
            why = unavailable.get(c.type) or f"no notifier for {c.type}"
            results.append(TestResult(c.name, c.type, "failed", why))
            continue
        note = Notification(
            idempotency_key=f"test-{user}-{c.name}-{stamp}-{secrets.token_hex(4)}",
            event_type="test",
            incident_id="test",
            incident_number=0,
            title=f"Test notification for {found.user.display_name or user}",
            service="ownit",
            component=None,
            urgency="low",
            status="test",
            runbook_url=None,
            incident_url=f"{base_url.rstrip('/')}/me",
            ack_url=None,
            resolve_url=None,
            occurred_at=now,
            recipient=user,
            details={"contact": c.name},
        )
        try:
            outcome = notifier.send(note, contact_fields(c))
        except Exception as exc:  # a notifier bug is this test's failure, not the page's
            outcome = Delivery.temporary(f"{type(exc).__name__}: {exc}")
        results.append(
            TestResult(c.name, c.type, "delivered" if outcome.ok else "failed", outcome.detail)
        )
    return results
