"""A test event to a service by name (``POST /api/v1/services/{name}/test-event``): what a
chaos experiment sends when it knows the service, not its integration key (decision 0060).

The event is practice, like a drill: a drill run on the service (:mod:`ownit.app.drills`)
through the real routing, frozen policy, escalation and notifications, marked everywhere
(``drill``, ``[DRILL] test event: `` before its title, every message) and left out of
analytics. Who may send one: whoever may respond to the service's incidents (the
organisation's responding rule, decision 0031); each send is audited with the run.
"""

from __future__ import annotations

import hashlib
import re
import uuid
from dataclasses import dataclass
from typing import Protocol

from ownit.app.clock import Clock
from ownit.app.drills import DrillInfo, DrillRefused, DrillStillOpen, DrillStore, Run
from ownit.domain.catalog import Drill
from ownit.domain.errors import FieldError, Forbidden, InvalidTransition, NotFound
from ownit.domain.events import SEVERITIES
from ownit.domain.permissions import Actor, may_respond_to

MAX_SUMMARY = 1024
DEDUP_KEY = re.compile(r"[A-Za-z0-9._:-]{1,64}")
MAX_NAME = 100  # drill_runs.drill
LABEL = "test event"


@dataclass(frozen=True, slots=True)
class Target:
    """What a test event needs of its service: the owner team (for the responding rule),
    the escalation policy (``None``: nobody would be paged), whether the organisation
    responds by team."""

    team: str | None
    policy: str | None
    by_team: bool


class TargetStore(Protocol):
    def target(self, service: str) -> Target | None:
        """The service's target (``None``: no such service)."""
        ...


@dataclass(frozen=True, slots=True)
class TestEvent:
    service: str
    summary: str
    severity: str = "critical"
    dedup_key: str | None = None


@dataclass(frozen=True, slots=True)
class Sent:
    run: Run
    dedup_key: str


def check(event: TestEvent) -> str:
    """The event's dedup key (made up when not given); a :class:`FieldError` naming the
    field when something is wrong."""
    if not event.summary.strip():
        raise FieldError("summary", "a test event needs a summary")
    if len(event.summary) > MAX_SUMMARY:
        raise FieldError("summary", f"at most {MAX_SUMMARY} characters")
    if event.severity not in SEVERITIES:
        raise FieldError("severity", f"{event.severity!r} is not one of {', '.join(SEVERITIES)}")
    if event.dedup_key is None:
        return f"test-{uuid.uuid4().hex[:12]}"
    if not DEDUP_KEY.fullmatch(event.dedup_key):
        raise FieldError(
            "dedup_key", "1 to 64 letters, digits, '.', '_', ':' or '-' (or leave it out)"
        )
    return event.dedup_key


def drill_name(service: str, dedup: str) -> str:
    """The test event's drill run name: one open run per service and dedup key (a repeat
    while it is open is refused, 409)."""
    name = f"test-event/{service}/{dedup}"
    if len(name) <= MAX_NAME:
        return name
    return "test-event/" + hashlib.sha256(f"{service}/{dedup}".encode()).hexdigest()[:40]


def send(
    *,
    drills: DrillStore,
    targets: TargetStore,
    clock: Clock,
    who: Actor,
    by: str,
    event: TestEvent,
) -> Sent:
    """Page ``event.service``'s policy with a marked test event; its drill run."""
    dedup = check(event)
    target = targets.target(event.service)
    if target is None:
        raise NotFound("service", event.service)
    if not may_respond_to(who, target.team, by_team=target.by_team):
        owner = f"team {target.team!r}" if target.team else "no team (admins only)"
        raise Forbidden(
            f"a test event to {event.service} needs the right to respond to its incidents: "
            f"it belongs to {owner}"
        )
    if target.policy is None:
        raise DrillRefused(
            "service", f"{event.service} has no escalation policy: a test event would page nobody"
        )
    drill = Drill(drill_name(event.service, dedup), event.service)
    try:
        run = drills.start(
            DrillInfo(drill, target.team, target.policy),
            by=by,
            now=clock.now(),
            summary=event.summary.strip(),
            severity=event.severity,
            label=LABEL,
            audit={
                "dedup_key": dedup,
                "summary": event.summary.strip(),
                "severity": event.severity,
            },
        )
    except DrillStillOpen as exc:
        raise InvalidTransition(
            f"a test event with dedup key {dedup!r} is still open on {event.service}"
            f"{exc.where}: acknowledge or resolve it, or send another dedup key"
        ) from None
    return Sent(run, dedup)
