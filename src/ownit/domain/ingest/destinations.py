"""Where in a service an event lands: the component that owns it, the policy frozen onto a
new incident, and the :class:`~ownit.domain.ingest.dedup.Destination` the plan folds into.

Pure: the service comes parsed (:mod:`.services`), component policies as frozen snapshots.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ownit.domain.ingest.dedup import Destination
from ownit.domain.ingest.services import Component, IngestService

__all__ = ["choose_component", "destination", "frozen_policy", "unique_destinations"]

Policies = Mapping[str, Mapping[str, Any] | None]  # component policies by name, frozen


def choose_component(
    service: IngestService, name: str | None, labels: Mapping[str, str]
) -> Component | None:
    """The component an event belongs to: the one ``name``\\ d (a router's choice); when none
    is named, the first whose matchers (at least one) all meet ``labels``. A name the service
    has no component of chooses none."""
    chosen = next((c for c in service.components if c.name == name), None)
    if chosen is None and name is None:
        chosen = next(
            (c for c in service.components if c.match and all(m.matches(labels) for m in c.match)),
            None,
        )
    return chosen


def frozen_policy(
    service: IngestService, component: Component | None, policies: Policies
) -> Mapping[str, Any] | None:
    """The escalation policy frozen onto a new incident: the component's own wins over the
    service's (a component policy that is not in ``policies`` leaves the service's);
    ``None``: the incident has no policy."""
    policy = service.policy
    if component is not None and component.policy is not None:
        policy = policies.get(component.policy, policy)
    return policy


def destination(
    service: IngestService,
    *,
    component: str | None,
    labels: Mapping[str, str],
    integration_id: int,
    integration_name: str,
    policies: Policies,
) -> Destination:
    """Where an event for ``service`` goes (``component``: a router's choice, or ``None`` to
    choose by ``labels``). An unknown component name is kept as given, with the service's
    policy."""
    chosen = choose_component(service, component, labels)
    return Destination(
        service.id,
        service.urgency,
        integration_id,
        integration_name,
        frozen_policy(service, chosen, policies),
        chosen.name if chosen is not None else component,
        service.group_by,
        service.group_window,
    )


def unique_destinations(targets: Sequence[Destination]) -> list[Destination]:
    """A router that reaches one service (and component) twice (``continue``) pages it once;
    the first stays."""
    seen: set[tuple[int, str | None]] = set()
    out = []
    for target in targets:
        if (target.service_id, target.component) not in seen:
            seen.add((target.service_id, target.component))
            out.append(target)
    return out
