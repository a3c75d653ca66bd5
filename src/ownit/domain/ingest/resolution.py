"""Where each event of a batch goes: its key's service (an integration's or a heartbeat's),
or a router's decision turned into services to page, targets kept quietly, or nothing.

The store reads the keys' services (:class:`Source`), then :func:`route_events` routes every
other event once (the routers come from the caller: a cache of compiled routers), the store
reads the services the decisions name (:func:`routed_services`), and :func:`resolve_batch`
answers a :class:`Resolution` per event. Pure: nothing here reads a database.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from ownit.domain.catalog import Router
from ownit.domain.events import Event, event_labels
from ownit.domain.ingest.dedup import Destination
from ownit.domain.ingest.destinations import Policies, destination
from ownit.domain.ingest.services import IngestService
from ownit.domain.routing import Decision

__all__ = [
    "Resolution",
    "Routed",
    "Routers",
    "Source",
    "resolve_batch",
    "resolve_routed",
    "resolve_source",
    "route_events",
    "routed_services",
]


class Routers(Protocol):
    """Routers by key: the decision for an event's labels, and the router itself."""

    def decide(self, key: str, labels: Mapping[str, str]) -> Decision | None:
        """Where an event with ``labels`` sent to ``key`` goes; ``None``: not a router's key."""
        ...

    def router(self, key: str) -> Router | None: ...


@dataclass(frozen=True, slots=True)
class Source:
    """A key that belongs to one service: an integration's, or a heartbeat's (whose
    ``integration_id`` is 0 and ``name`` ``heartbeat/<name>``)."""

    integration_id: int
    name: str
    service: IngestService


@dataclass(frozen=True, slots=True)
class Routed:
    """A router's decision for one event, with the router's name and the labels it was
    made on."""

    router: str
    decision: Decision
    labels: Mapping[str, str]


@dataclass(frozen=True, slots=True)
class Resolution:
    """For one event: the targets to page, the targets to keep quietly (``None``: a service
    the router named that does not exist), whether a router dropped it, and the router's
    decision path (``None`` for an integration's key)."""

    pages: tuple[Destination, ...] = ()
    suppressed: tuple[Destination | None, ...] = ()
    dropped: bool = False
    route: Mapping[str, Any] | None = None


_Items = Sequence[Sequence[Event]]


def route_events(
    items: _Items, sources: Mapping[str, Source], routers: Routers | None
) -> list[list[Routed | None]]:
    """Every event sent to a key that is no integration's or heartbeat's, routed once (on
    :func:`~ownit.domain.events.event_labels`); ``None`` for the others and for a key that
    is no router's either."""
    return [[_route(event, sources, routers) for event in item] for item in items]


def _route(event: Event, sources: Mapping[str, Source], routers: Routers | None) -> Routed | None:
    if routers is None or event.routing_key in sources:
        return None
    labels = event_labels(event)
    decision = routers.decide(event.routing_key, labels)
    if decision is None:
        return None
    router = routers.router(event.routing_key)
    return Routed(router.name if router is not None else "router", decision, labels)


def routed_services(routed: Sequence[Sequence[Routed | None]]) -> set[str]:
    """The services the batch's router decisions name (read in one query for the batch)."""
    return {
        result.service
        for item in routed
        for found in item
        if found is not None
        for result in found.decision.results
        if result.service
    }


def resolve_batch(
    items: _Items,
    *,
    sources: Mapping[str, Source],
    routed: Sequence[Sequence[Routed | None]],
    services: Mapping[str, IngestService],
    policies: Policies,
) -> list[list[Resolution | None]]:
    """Where each event goes, item by item; ``None`` when its key is no integration's, no
    heartbeat's and no router's."""
    out: list[list[Resolution | None]] = []
    for item, decided in zip(items, routed, strict=True):
        answers: list[Resolution | None] = []
        for event, found in zip(item, decided, strict=True):
            source = sources.get(event.routing_key)
            if source is not None:
                answers.append(resolve_source(event, source, policies))
            elif found is not None:
                answers.append(resolve_routed(found, services, policies))
            else:
                answers.append(None)
        out.append(answers)
    return out


def resolve_source(event: Event, source: Source, policies: Policies) -> Resolution:
    """An event sent to its service's own key pages that service (in the component whose
    matchers its labels meet)."""
    service = source.service
    labels = event_labels(event) if service.components else {}
    return Resolution(
        pages=(
            destination(
                service,
                component=None,
                labels=labels,
                integration_id=source.integration_id,
                integration_name=source.name,
                policies=policies,
            ),
        )
    )


def resolve_routed(
    routed: Routed, services: Mapping[str, IngestService], policies: Policies
) -> Resolution:
    """A router's decision as targets: each ``page`` result pages its service (a component
    named by the router, else the one the labels meet); a ``suppress`` result, or one whose
    service does not exist, keeps the event quietly; the event is dropped only when every
    result says ``drop``. The decision path is kept with the event."""
    pages: list[Destination] = []
    suppressed: list[Destination | None] = []
    dropped = False
    for result in routed.decision.results:
        if result.action == "drop":
            dropped = True
            continue
        service = services.get(result.service or "")
        target = (
            None
            if service is None
            else destination(
                service,
                component=result.component,
                labels=routed.labels,
                integration_id=0,
                integration_name=f"router/{routed.router}",
                policies=policies,
            )
        )
        if result.action == "suppress" or target is None:
            suppressed.append(target)
        else:
            pages.append(target)
    return Resolution(
        pages=tuple(pages),
        suppressed=tuple(suppressed),
        dropped=dropped and not pages and not suppressed,
        route=_route_record(routed),
    )


def _route_record(routed: Routed) -> dict[str, Any]:
    """The decision path as stored with the event: each result and the nodes that led to it."""
    return {
        "router": routed.router,
        "results": [
            {
                "decision": r.describe(),
                "path": [{"node": s.id, "matchers": list(s.matchers)} for s in r.path],
            }
            for r in routed.decision.results
        ],
    }
