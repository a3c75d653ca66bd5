"""Raised before they bite: the problems a daily check turns into low-urgency incidents for
a team's managers, each with one dedup key, and what to open and resolve given the keys
already open.

- ``oncall-gap``: a tier 1–2 service whose policy's level-1 schedules leave nobody on call
  somewhere in the next 7 days (dedup key ``standards/oncall-gap/<service>``);
- ``unreachable``: a person a tier 1–2 service's policy can page who has no contact or no
  notification rule (``standards/unreachable/<user>``; one per person, whichever services).

:func:`plan` is idempotent: a problem already open is not opened again; an open key whose
problem is gone is resolved. :func:`managers_policy` is who is paged: the owning team's
managers (decision 0056). The engine runs it once a day (``app/raise_early.py``).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Collection
from dataclasses import dataclass
from datetime import timedelta

from ownit.domain.escalation.policy import Level, Policy, Target
from ownit.domain.standards.builtins import Judge
from ownit.domain.standards.model import World

HORIZON = timedelta(days=7)
PREFIX = "standards/"
MANAGERS_AFTER = timedelta(minutes=30)  # the one level's time to acknowledge (no repeat)
URGENCY = "low"  # a problem raised early pages, but not as an outage does


@dataclass(frozen=True, slots=True)
class Raised:
    dedup_key: str
    team: str | None
    managers: tuple[str, ...]
    service: str
    title: str

    def note(self) -> str:
        """The timeline's first words on the incident: why it is here and who it pages."""
        who = (
            f"the managers of team {self.team}: {', '.join(self.managers)}"
            if self.managers
            else "nobody in the policy (the owning team has no manager): the fallback"
        )
        return (
            f"raised before it bites ({URGENCY} urgency), paging {who}; it resolves itself "
            "once fixed (checked daily)"
        )


@dataclass(frozen=True, slots=True)
class Plan:
    open: tuple[Raised, ...]
    resolve: tuple[str, ...]


def _managers(world: World, team: str | None) -> tuple[str, ...]:
    found = world.teams.get(team or "")
    if found is None:
        return ()
    return tuple(sorted(m.user for m in found.members if m.role == "manager"))


def problems(world: World) -> list[Raised]:
    """Every problem now, in a stable order, one per dedup key."""
    judge = Judge(
        dataclasses.replace(world, bounds=dataclasses.replace(world.bounds, coverage=HORIZON))
    )
    found: dict[str, Raised] = {}
    for name in sorted(world.services):
        s = world.services[name]
        if s.tier is None or s.tier > 2:
            continue
        gap = judge.oncall_coverage(s)
        if not gap.ok and gap.why.startswith("nobody is on call"):
            key = f"{PREFIX}oncall-gap/{name}"
            found[key] = Raised(
                key,
                s.owner,
                _managers(world, s.owner),
                name,
                f"On-call gap for {name} in the next 7 days: {gap.why}",
            )
        policy = judge.policy(s)
        if policy is None:
            continue
        for person in sorted(judge.people(policy)):
            user = world.users.get(person)
            if user is not None and user.contacts and user.notification_rules:
                continue
            key = f"{PREFIX}unreachable/{person}"
            if key in found:
                continue
            what = "no contact" if user is None or not user.contacts else "no notification rule"
            found[key] = Raised(
                key,
                s.owner,
                _managers(world, s.owner),
                name,
                f"{person} can be paged for {name} but has {what}",
            )
    return list(found.values())


def plan(current: list[Raised], open_keys: Collection[str]) -> Plan:
    """Open what is not open yet; resolve the open ``standards/`` keys no longer a problem."""
    keys = {r.dedup_key for r in current}
    return Plan(
        tuple(r for r in current if r.dedup_key not in open_keys),
        tuple(sorted(k for k in open_keys if k.startswith(PREFIX) and k not in keys)),
    )


def managers_policy(raised: Raised) -> Policy | None:
    """The policy frozen onto the problem's incident: one level naming the owning team's
    managers, no repeat. ``None`` when the team has no manager: the incident then has no
    policy, and never-silent paging takes it to the org's admins (decision 0056)."""
    if not raised.managers:
        return None
    targets = tuple(Target("user", m) for m in raised.managers)
    return Policy(f"{raised.team} managers", (Level(MANAGERS_AFTER, targets),))
