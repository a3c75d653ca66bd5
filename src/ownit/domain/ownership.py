"""Who owns an incident: the component's team when a component with an owner has it, else
the service's owning team; and the policy that pages it (the component's own, else the
service's)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class ServiceOwners:
    """A service's owner and policy, and those of its components that set their own."""

    owner: str | None
    policy: str | None
    component_owners: Mapping[str, str]
    component_policies: Mapping[str, str]

    def team_of(self, component: str | None) -> str | None:
        if component is not None and component in self.component_owners:
            return self.component_owners[component]
        return self.owner

    def policy_of(self, component: str | None) -> str | None:
        if component is not None and component in self.component_policies:
            return self.component_policies[component]
        return self.policy


def owners_from_components(
    owner: str | None, policy: str | None, components: Sequence[object]
) -> ServiceOwners:
    """From a service's catalog ``components`` list (``{name, owner?, escalationPolicy?}``)."""
    owners: dict[str, str] = {}
    policies: dict[str, str] = {}
    for comp in components:
        if not isinstance(comp, dict) or not isinstance(comp.get("name"), str):
            continue
        if isinstance(comp.get("owner"), str):
            owners[comp["name"]] = comp["owner"]
        if isinstance(comp.get("escalationPolicy"), str):
            policies[comp["name"]] = comp["escalationPolicy"]
    return ServiceOwners(owner, policy, owners, policies)


@dataclass(frozen=True, slots=True)
class TeamIncidents:
    """Which incidents a team owns, as (service, component) conditions:
    ``whole``: services whose incidents are the team's unless one of ``except_components``
    (owned by another team) has them; ``components``: (service, component) pairs of other
    services whose component the team owns."""

    whole: Mapping[str, tuple[str, ...]]
    components: tuple[tuple[str, str], ...]


def team_incidents(team: str, services: Mapping[str, ServiceOwners]) -> TeamIncidents:
    whole: dict[str, tuple[str, ...]] = {}
    parts: list[tuple[str, str]] = []
    for name in sorted(services):
        s = services[name]
        if s.owner == team:
            whole[name] = tuple(sorted(c for c, o in s.component_owners.items() if o != team))
        else:
            parts += [(name, c) for c, o in sorted(s.component_owners.items()) if o == team]
    return TeamIncidents(whole, tuple(parts))
