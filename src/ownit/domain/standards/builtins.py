"""The built-in standards (``docs/standards.md``), each a yes/no with the reason in words.

:class:`Judge` holds one :class:`World` and caches what several services share (a policy's
people, a schedule's gaps), so a report over a thousand services stays fast.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from ownit.domain.catalog.model import EscalationPolicy, Service
from ownit.domain.oncall.schedules import gaps
from ownit.domain.standards.history import (
    drilled_recently,
    mtta_target,
    no_overdue_actions,
    postmortems_done,
)
from ownit.domain.standards.model import Check, World

MIN_DESCRIPTION = 20


def _plural(n: int, word: str) -> str:
    if n == 1:
        return f"1 {word}"
    return f"{n} {'people' if word == 'person' else word + 's'}"


def _names(names: list[str] | set[str] | tuple[str, ...], limit: int = 5) -> str:
    shown = sorted(names)
    more = f" and {len(shown) - limit} more" if len(shown) > limit else ""
    return ", ".join(shown[:limit]) + more


def _stamp(at: datetime) -> str:
    return at.strftime("%Y-%m-%d %H:%M UTC")


def _high_tier(service: Service) -> bool:
    return service.tier is not None and service.tier <= 2


class Judge:
    def __init__(self, world: World) -> None:
        self.world = world
        self._people: dict[str, frozenset[str]] = {}
        self._gaps: dict[str, list[tuple[datetime, datetime]]] = {}
        self._depended: dict[str, list[str]] | None = None
        self.rules: dict[str, Callable[[Service], Check]] = {
            "has-owner": self.has_owner,
            "team-size": self.team_size,
            "escalation-depth": self.escalation_depth,
            "oncall-coverage": self.oncall_coverage,
            "responders-reachable": self.responders_reachable,
            "has-runbook": self.has_runbook,
            "has-description": self.has_description,
            "dependencies-declared": self.dependencies_declared,
            "has-contract": self.has_contract,
            "mtta-target": lambda s: mtta_target(s, self.world),
            "drilled-recently": lambda s: drilled_recently(s, self.world),
            "postmortems-done": lambda s: postmortems_done(s, self.world),
            "no-overdue-actions": lambda s: no_overdue_actions(s, self.world),
        }

    # --- what services share ---------------------------------------------------------------

    def policy(self, service: Service) -> EscalationPolicy | None:
        if service.escalation_policy is None:
            return None
        return self.world.policies.get(service.escalation_policy)

    def people(self, policy: EscalationPolicy) -> frozenset[str]:
        """Everyone the policy can page: its users, and everyone its schedules name."""
        found = self._people.get(policy.name)
        if found is None:
            names: set[str] = set()
            for level in policy.levels:
                for target in level.targets:
                    if target.type == "user":
                        names.add(target.name)
                        continue
                    schedule = self.world.schedules.get(target.name)
                    if schedule is not None:
                        names.update(u for layer in schedule.layers for u in layer.users)
                        names.update(o.user for o in schedule.overrides)
            found = self._people[policy.name] = frozenset(names)
        return found

    def schedule_gaps(self, name: str) -> list[tuple[datetime, datetime]]:
        found = self._gaps.get(name)
        if found is None:
            schedule = self.world.schedules.get(name)
            now = self.world.now
            if schedule is None:
                found = [(now, now + self.world.bounds.coverage)]
            else:
                try:
                    found = gaps(schedule, now, now + self.world.bounds.coverage)
                except ValueError:  # a schedule the calculator refuses covers nothing
                    found = [(now, now + self.world.bounds.coverage)]
            self._gaps[name] = found
        return found

    def dependents(self, name: str) -> list[str]:
        """The services whose ``dependsOn`` names ``name``, by name."""
        if self._depended is None:
            found: dict[str, list[str]] = {}
            for other in sorted(self.world.services):
                for needed in self.world.services[other].depends_on:
                    found.setdefault(needed, []).append(other)
            self._depended = found
        return self._depended.get(name, [])

    # --- the rules -------------------------------------------------------------------------

    def check(self, standard: str, service: Service) -> Check:
        return self.rules[standard](service)

    def has_owner(self, s: Service) -> Check:
        teams = self.world.teams
        if s.owner is None:
            return Check("has-owner", False, "names no owning team (spec.owner)")
        if s.owner not in teams:
            return Check("has-owner", False, f"its owner {s.owner!r} is not a team")
        missing = [
            f"{c.get('name')} ({c.get('owner')!r})"
            for c in s.components
            if isinstance(c, dict) and isinstance(c.get("owner"), str) and c["owner"] not in teams
        ]
        if missing:
            return Check("has-owner", False, f"components owned by no team: {_names(missing)}")
        return Check("has-owner", True, f"owned by team {s.owner}")

    def team_size(self, s: Service) -> Check:
        team = self.world.teams.get(s.owner or "")
        low, high = self.world.bounds.team_min, self.world.bounds.team_max
        if team is None:
            return Check("team-size", False, "has no owning team to count")
        n = len(team.members)
        if n < low:
            return Check(
                "team-size",
                False,
                f"team {team.name} has {_plural(n, 'member')}; "
                f"at least {low} are needed to share the pager",
            )
        if n > high:
            return Check(
                "team-size",
                False,
                f"team {team.name} has {n} members; more than {high} (two pizzas) should be split",
            )
        return Check("team-size", True, f"team {team.name} has {n} members ({low}–{high})")

    def escalation_depth(self, s: Service) -> Check:
        policy = self.policy(s)
        if policy is None:
            return Check("escalation-depth", False, "has no escalation policy")
        people = self.people(policy)
        deep = len(policy.levels) >= 2 or policy.repeat > 0
        if not deep:
            return Check(
                "escalation-depth",
                False,
                f"policy {policy.name} has one level and "
                "does not repeat: nobody else is paged if it is missed",
            )
        if len(people) < 2:
            return Check(
                "escalation-depth",
                False,
                f"policy {policy.name} reaches "
                f"{_plural(len(people), 'person')}; at least 2 are needed",
            )
        shape = _plural(len(policy.levels), "level")
        if policy.repeat:
            shape += f", repeated {policy.repeat}×"
        return Check(
            "escalation-depth",
            True,
            f"policy {policy.name}: {shape}, reaching {len(people)} people",
        )

    def oncall_coverage(self, s: Service) -> Check:
        days = _plural(self.world.bounds.coverage.days, "day")
        if not _high_tier(s):
            return Check("oncall-coverage", True, "not tier 1–2: no coverage needed")
        policy = self.policy(s)
        if policy is None or not policy.levels:
            return Check("oncall-coverage", False, "has no escalation policy to be on call")
        first = policy.levels[0].targets
        if any(t.type == "user" for t in first):
            return Check("oncall-coverage", True, "level 1 pages a person directly")
        holes = [
            (name, hole)
            for name in sorted({t.name for t in first})
            for hole in self.schedule_gaps(name)
        ]
        # With several level-1 schedules, a gap matters only where all of them are empty.
        if len({t.name for t in first}) > 1:
            holes = [(n, h) for n, h in holes if self._everyone_gone(first, h[0])]
        if holes:
            name, (start, end) = holes[0]
            more = f" (and {len(holes) - 1} more)" if len(holes) > 1 else ""
            return Check(
                "oncall-coverage",
                False,
                f"nobody is on call in {name} from {_stamp(start)} to {_stamp(end)}{more}",
            )
        return Check("oncall-coverage", True, f"level 1 is covered for the next {days}")

    def _everyone_gone(self, targets: tuple[object, ...], at: datetime) -> bool:
        names = {getattr(t, "name", "") for t in targets}
        return all(any(a <= at < b for a, b in self.schedule_gaps(name)) for name in names)

    def responders_reachable(self, s: Service) -> Check:
        policy = self.policy(s)
        if policy is None:
            return Check("responders-reachable", False, "has no escalation policy")
        people = self.people(policy)
        if not people:
            return Check("responders-reachable", False, f"policy {policy.name} pages nobody")
        users = self.world.users
        unknown = [p for p in people if p not in users]
        silent = [p for p in people if p in users and not users[p].contacts]
        ruleless = [
            p
            for p in people
            if p in users and users[p].contacts and not users[p].notification_rules
        ]
        problems = []
        if unknown:
            problems.append(f"not users: {_names(unknown)}")
        if silent:
            problems.append(f"no contact: {_names(silent)}")
        if ruleless:
            problems.append(f"no notification rule: {_names(ruleless)}")
        if problems:
            return Check("responders-reachable", False, "; ".join(problems))
        return Check(
            "responders-reachable",
            True,
            f"all {_plural(len(people), 'person')} the policy pages can be reached",
        )

    def has_runbook(self, s: Service) -> Check:
        if s.runbook:
            return Check("has-runbook", True, f"runbook at {s.runbook}")
        if s.runbook_text and s.runbook_text.strip():
            return Check("has-runbook", True, "runbookText is written")
        return Check("has-runbook", False, "has neither runbook nor runbookText")

    def has_description(self, s: Service) -> Check:
        n = len(s.description.strip())
        if n >= MIN_DESCRIPTION:
            return Check("has-description", True, f"described in {n} characters")
        if n == 0:
            return Check("has-description", False, "has no description (metadata.description)")
        return Check(
            "has-description",
            False,
            f"its description has {n} characters; at least {MIN_DESCRIPTION} are needed",
        )

    def dependencies_declared(self, s: Service) -> Check:
        if s.depends_on:
            return Check("dependencies-declared", True, f"depends on {_names(list(s.depends_on))}")
        if s.dependencies_stated:
            return Check("dependencies-declared", True, "states it depends on nothing")
        return Check(
            "dependencies-declared",
            False,
            "does not state dependsOn (write dependsOn: [] if it needs nothing)",
        )

    def has_contract(self, s: Service) -> Check:
        users = self.dependents(s.name)
        if not users:
            return Check("has-contract", True, "nobody depends on it")
        if s.contract is not None:
            return Check("has-contract", True, f"contract at {s.contract.url}")
        return Check(
            "has-contract",
            False,
            f"{_names(users)} depend{'s' if len(users) == 1 else ''} on it "
            "but it names no contract",
        )
