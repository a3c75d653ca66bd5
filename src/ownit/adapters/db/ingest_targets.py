"""Where each event of a batch goes: a service integration's service, or a router's choice;
and within a service, the monolith component whose matchers the event's labels meet."""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import orjson
from sqlalchemy import Connection, Text, cast, select

from ownit.adapters.db import tables as t
from ownit.app.routing import RouterBook
from ownit.domain.durations import parse_duration
from ownit.domain.events import Event, event_labels
from ownit.domain.ingest.dedup import Destination
from ownit.domain.matchers import Matcher, parse_matcher
from ownit.domain.routing import Decision


def policy_snapshot(name: str | None, spec: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """The escalation policy as frozen on an incident when it opens."""
    if name is None or spec is None:
        return None
    return {"name": name, "repeat": spec.get("repeat", 0), "levels": spec.get("levels", [])}


@dataclass(frozen=True, slots=True)
class _Component:
    name: str
    policy: str | None
    match: tuple[Matcher, ...]


@dataclass(frozen=True, slots=True)
class _Service:
    id: int
    name: str
    urgency: str
    policy: dict[str, Any] | None
    components: tuple[_Component, ...]
    group_by: tuple[str, ...] = ()
    group_window: timedelta | None = None


@dataclass(slots=True)
class Resolution:
    """For one event: the targets to page, or to keep quietly, and the decision path."""

    pages: list[Destination] = field(default_factory=list)
    suppressed: list[Destination | None] = field(default_factory=list)
    dropped: bool = False
    route: dict[str, Any] | None = None


def _grouping(spec: Mapping[str, Any]) -> tuple[tuple[str, ...], timedelta | None]:
    """The service's ``grouping``: its labels and window (stored as the catalog wrote it)."""
    raw = spec.get("grouping")
    if not isinstance(raw, dict):
        return (), None
    by = tuple(str(name) for name in raw.get("by") or [] if isinstance(name, str))
    window = raw.get("window")
    try:
        return by, parse_duration(window) if isinstance(window, str) else None
    except ValueError:
        return by, None


def _components(spec: Mapping[str, Any]) -> tuple[_Component, ...]:
    out = []
    for item in spec.get("components") or []:
        if not isinstance(item, dict) or not isinstance(item.get("name"), str):
            continue
        matchers = []
        for text in item.get("match") or []:
            try:
                matchers.append(parse_matcher(str(text)))
            except ValueError:
                continue
        policy = item.get("escalationPolicy")
        out.append(
            _Component(item["name"], policy if isinstance(policy, str) else None, tuple(matchers))
        )
    return tuple(out)


class ParsedServices:
    """Services as the resolver needs them, kept across batches by their stored text: a
    service is parsed again only when its spec, urgency or policy changed (content, not
    clock: an edit always shows). Shared by the batches of one store; bounded."""

    def __init__(self, limit: int = 20_000) -> None:
        self._limit = limit
        self._found: dict[tuple[Any, ...], _Service] = {}
        self._lock = threading.Lock()

    def get(self, row: Any) -> _Service:
        key = tuple(row)
        with self._lock:
            found = self._found.get(key)
        if found is not None:
            return found
        spec = orjson.loads(row.spec_text) if row.spec_text else {}
        policy_spec = orjson.loads(row.policy_text) if row.policy_text else None
        found = _Service(
            row.id,
            row.name,
            row.urgency,
            policy_snapshot(row.policy, policy_spec),
            _components(spec or {}),
            *_grouping(spec or {}),
        )
        with self._lock:
            if len(self._found) >= self._limit:
                self._found.clear()
            self._found[key] = found
        return found


class TargetResolver:
    """Resolves the keys of one batch, inside the batch's transaction."""

    def __init__(
        self, conn: Connection, routers: RouterBook | None, parsed: ParsedServices | None = None
    ) -> None:
        self._conn = conn
        self._routers = routers
        self._parsed = parsed or ParsedServices()
        self._integrations: dict[str, tuple[int, str, _Service]] = {}
        self._services: dict[str, _Service] = {}
        self._policies: dict[str, dict[str, Any] | None] = {}
        self._decisions: dict[int, tuple[Event, Decision | None, dict[str, str]]] = {}

    def prepare(self, events: Iterable[Event]) -> None:
        """Route every event sent to a router key now, and read the services they reach in
        one query for the whole batch (not one per event). Call after :meth:`load`."""
        if self._routers is None:
            return
        wanted: set[str] = set()
        for event in events:
            if event.routing_key in self._integrations:
                continue
            labels = event_labels(event)
            decision = self._routers.decide(event.routing_key, labels)
            self._decisions[id(event)] = (event, decision, labels)
            if decision is not None:
                wanted |= {r.service for r in decision.results if r.service}
        self._load_services(wanted)

    def _decide(self, event: Event) -> tuple[Decision | None, dict[str, str]]:
        """The router's decision for ``event`` and the labels it was made on."""
        found = self._decisions.get(id(event))
        if found is not None and found[0] is event:
            return found[1], found[2]
        labels = event_labels(event)
        if self._routers is None:
            return None, labels
        return self._routers.decide(event.routing_key, labels), labels

    def load(self, keys: Iterable[str]) -> None:
        keys = set(keys)
        if not keys:
            return
        i, s = t.integrations, t.services
        rows = self._conn.execute(
            select(i.c.key, i.c.id, i.c.name, s.c.name.label("service"))
            .join(s, s.c.id == i.c.service_id)
            .where(i.c.key.in_(keys))
        ).all()
        # A heartbeat's own key (the engine's missed-heartbeat triggers, a ping's resolve)
        # reaches its service too: one more query, only for keys no integration has.
        missing = keys - {r.key for r in rows}
        beats: Sequence[Any] = ()
        if missing:
            h = t.heartbeats
            beats = self._conn.execute(
                select(h.c.key, h.c.name, s.c.name.label("service"))
                .join(s, s.c.id == h.c.service_id)
                .where(h.c.key.in_(missing))
            ).all()
        self._load_services({r.service for r in rows} | {b.service for b in beats})
        for key, integration_id, name, service in rows:
            self._integrations[key] = (integration_id, name, self._services[service])
        for key, name, service in beats:
            self._integrations[key] = (0, f"heartbeat/{name}", self._services[service])

    def _load_services(self, names: set[str]) -> None:
        names -= set(self._services)
        if not names:
            return
        s, ep = t.services, t.escalation_policies
        rows = self._conn.execute(
            select(
                s.c.id,
                s.c.name,
                s.c.urgency,
                cast(s.c.spec, Text).label("spec_text"),
                ep.c.name.label("policy"),
                cast(ep.c.spec, Text).label("policy_text"),
            )
            .outerjoin(ep, ep.c.id == s.c.escalation_policy_id)
            .where(s.c.name.in_(names))
        ).all()
        for row in rows:
            self._services[row.name] = self._parsed.get(row)
        wanted = {c.policy for svc in self._services.values() for c in svc.components if c.policy}
        self._load_policies(wanted)

    def _load_policies(self, names: set[str]) -> None:
        names -= set(self._policies)
        if not names:
            return
        ep = t.escalation_policies
        for name, spec in self._conn.execute(
            select(ep.c.name, ep.c.spec).where(ep.c.name.in_(names))
        ):
            self._policies[name] = policy_snapshot(name, spec)

    def resolve(self, event: Event) -> Resolution | None:
        """Where ``event`` goes; ``None`` when its key is no integration's and no router's."""
        found = self._integrations.get(event.routing_key)
        if found is not None:
            integration_id, name, service = found
            labels = event_labels(event) if service.components else {}
            return Resolution(pages=[self._target(service, None, labels, integration_id, name)])
        decision, labels = self._decide(event)
        if decision is None:
            return None
        router = self._routers.router(event.routing_key) if self._routers else None
        router_name = router.name if router is not None else "router"
        resolution = Resolution(
            route={
                "router": router_name,
                "results": [
                    {
                        "decision": r.describe(),
                        "path": [{"node": s.id, "matchers": list(s.matchers)} for s in r.path],
                    }
                    for r in decision.results
                ],
            }
        )
        self._load_services({r.service for r in decision.results if r.service})
        for result in decision.results:
            routed = self._services.get(result.service or "")
            target = (
                None
                if routed is None
                else self._target(routed, result.component, labels, None, f"router/{router_name}")
            )
            if result.action == "drop":
                resolution.dropped = True
            elif result.action == "suppress" or target is None:
                resolution.suppressed.append(target)
            else:
                resolution.pages.append(target)
        if resolution.pages or resolution.suppressed:
            resolution.dropped = False
        return resolution

    def _target(
        self,
        service: _Service,
        component: str | None,
        labels: Mapping[str, str],
        integration_id: int | None,
        integration_name: str,
    ) -> Destination:
        chosen = next((c for c in service.components if c.name == component), None)
        if chosen is None and component is None:
            chosen = next(
                (
                    c
                    for c in service.components
                    if c.match and all(m.matches(labels) for m in c.match)
                ),
                None,
            )
        policy = service.policy
        if chosen is not None and chosen.policy is not None:
            policy = self._policies.get(chosen.policy, policy)
        return Destination(
            service.id,
            service.urgency,
            integration_id if integration_id is not None else 0,
            integration_name,
            policy,
            chosen.name if chosen is not None else component,
            service.group_by,
            service.group_window,
        )


def _meets(matchers: Sequence[Matcher], labels: Mapping[str, str]) -> bool:
    return all(m.matches(labels) for m in matchers)


def unique_targets(targets: Sequence[Destination]) -> list[Destination]:
    """A router that reaches one service twice (``continue``) pages it once."""
    seen: set[tuple[int, str | None]] = set()
    out = []
    for target in targets:
        if (target.service_id, target.component) not in seen:
            seen.add((target.service_id, target.component))
            out.append(target)
    return out
