"""``ownit doctor`` and ``GET /api/v1/health/paging``: everything that would stop a page now
or within the horizon (7 days), before an incident needs it.

The checks, each a kind of :class:`~ownit.domain.paging_health.Finding`:

- ``no-policy``: a service (or a component with a policy of its own) has no escalation
  policy;
- ``invalid-policy``: its policy is one the engine refuses (the same check as the engine's
  and ``ownit catalog lint``'s, :func:`~ownit.domain.escalation.policy.snapshot_problems`);
- ``nobody-on-call``: level 1 of its policy reaches nobody at some time in the horizon
  (every schedule target in a gap at once, none of its targets a user);
- ``no-contact``: a user who would be paged (a user target, or on call in a targeted
  schedule within the horizon) has no contact method;
- ``no-notifier``: contacts use a channel that is not configured (e-mail without SMTP);
- ``contact-failing``: the last delivery to a contact failed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from ownit.app import oncall
from ownit.app.oncall import ScheduleStore
from ownit.domain.catalog import EscalationPolicy
from ownit.domain.catalog.spec import to_spec
from ownit.domain.durations import format_duration
from ownit.domain.escalation.policy import snapshot_problems
from ownit.domain.ingest.services import policy_snapshot
from ownit.domain.oncall.notification_rules import Contact
from ownit.domain.paging_health import Finding, uncovered

HORIZON = timedelta(days=7)


@dataclass(frozen=True, slots=True)
class FailingContact:
    user: str
    contact: str
    at: datetime
    error: str


class HealthStore(Protocol):
    def contacts(self) -> dict[str, tuple[Contact, ...]]:
        """Every user's contacts, by user name."""
        ...

    def failing_contacts(self) -> list[FailingContact]:
        """Contacts whose last delivery failed, by user and contact name."""
        ...


@dataclass(frozen=True, slots=True)
class Report:
    checked_at: datetime
    horizon: timedelta
    findings: tuple[Finding, ...]

    @property
    def ok(self) -> bool:
        return not self.findings

    def to_json(self) -> dict[str, object]:
        return {
            "ok": self.ok,
            "checked_at": self.checked_at.isoformat(),
            "horizon": format_duration(self.horizon),
            "problems": [f.to_json() for f in self.findings],
        }


def check(
    *,
    schedules: ScheduleStore,
    health: HealthStore,
    channels: Mapping[str, str | None],
    now: datetime,
    horizon: timedelta = HORIZON,
) -> Report:
    """Every finding, services first. ``channels``: each notifier channel, with why it is
    not configured (``None``: it is)."""
    until = now + horizon
    findings: list[Finding] = []
    paged: set[str] = set()
    level_one: dict[str, list[Finding]] = {}  # per policy: computed once
    for sp in schedules.service_policies():
        subject = f"service {sp.service}"
        if sp.policy is None:
            findings.append(Finding("no-policy", subject, "has no escalation policy"))
            continue
        policy = sp.policy
        snapshot = policy_snapshot(policy.name, to_spec(policy))
        refused = snapshot_problems(snapshot) if snapshot is not None else []
        if refused:
            findings.append(
                Finding(
                    "invalid-policy",
                    subject,
                    f"escalation policy {policy.name} is refused by the engine: "
                    + "; ".join(refused),
                )
            )
            continue
        if policy.name not in level_one:
            level_one[policy.name] = _level_one(schedules, policy, now, until, paged)
        findings += [Finding(f.check, subject, f.message) for f in level_one[policy.name]]
    findings += _people(health.contacts(), paged, channels)
    findings += [
        Finding(
            "contact-failing",
            f"user {c.user}",
            f"the last delivery to contact {c.contact} failed ({c.at.isoformat()}): {c.error}",
        )
        for c in health.failing_contacts()
    ]
    return Report(now, horizon, tuple(findings))


def _level_one(
    store: ScheduleStore, policy: EscalationPolicy, now: datetime, until: datetime, paged: set[str]
) -> list[Finding]:
    """Gaps in level 1 within the horizon; the users the whole policy may page go to
    ``paged``."""
    for level in policy.levels:
        for target in level.targets:
            if target.type == "user":
                paged.add(target.name)
            elif store.schedule(target.name) is not None:
                found = oncall.timeline(store=store, name=target.name, since=now, until=until)
                paged.update(s.user for s in found.shifts)
    if not policy.levels or any(t.type == "user" for t in policy.levels[0].targets):
        return []
    gaps: list[list[tuple[datetime, datetime]]] = []
    for target in policy.levels[0].targets:
        if store.schedule(target.name) is None:
            gaps.append([(now, until)])
        else:
            found = oncall.timeline(store=store, name=target.name, since=now, until=until)
            gaps.append(list(found.gaps))
    holes = uncovered(gaps)
    if not holes:
        return []
    start, end = holes[0]
    more = f" (and {len(holes) - 1} more gap(s) within {format_duration(until - now)})"
    when = "now" if start <= now else f"from {start.isoformat()}"
    return [
        Finding(
            "nobody-on-call",
            "",
            f"level 1 of escalation policy {policy.name} reaches nobody {when} until "
            f"{end.isoformat()}" + (more if len(holes) > 1 else ""),
        )
    ]


def _people(
    contacts: Mapping[str, tuple[Contact, ...]],
    paged: set[str],
    channels: Mapping[str, str | None],
) -> list[Finding]:
    findings = [
        Finding("no-contact", f"user {user}", "would be paged but has no contact method")
        for user in sorted(paged)
        if not contacts.get(user)
    ]
    users_by_channel: dict[str, set[str]] = {}
    for user, theirs in contacts.items():
        for contact in theirs:
            users_by_channel.setdefault(contact.type, set()).add(user)
    for channel, users in sorted(users_by_channel.items()):
        why = channels.get(channel, "no notifier is installed for it")
        if why is None:
            continue
        stuck = sorted(u for u in users if all(c.type == channel for c in contacts[u]))
        findings.append(
            Finding(
                "no-notifier",
                f"channel {channel}",
                f"contacts of {', '.join(sorted(users))} use it, but {why}"
                + (f"; {', '.join(stuck)} cannot be reached at all" if stuck else ""),
            )
        )
    return findings
