"""The ``Drill`` kind: reading its spec, its normal form, and the checks across documents.

``service: checkout-api`` or ``component: shop/checkout`` (a component of a service, paged
through the component's own policy); ``schedule`` weekdays and a local time in
``timezone``; ``ackTarget`` (default 5m) and ``autoResolve`` (default 30m). A drill that
would page nobody (its service, or component, has no escalation policy) is refused here, at
lint and apply, rather than failing when it runs.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

from ownit.domain.catalog.fields import Fields, quote, suggest
from ownit.domain.catalog.model import (
    DRILL_ACK_TARGET,
    DRILL_AUTO_RESOLVE,
    Document,
    Drill,
    JsonObject,
    Problem,
    Service,
    Snapshot,
)
from ownit.domain.catalog.routers import components_of
from ownit.domain.drills import BadDrillSchedule, parse_schedule, schedule_text
from ownit.domain.durations import format_duration

DRILL_FIELDS = ("service", "component", "schedule", "timezone", "ackTarget", "autoResolve")


def _schedule_problem(value: str) -> str | None:
    try:
        parse_schedule(value)
    except BadDrillSchedule as exc:
        return f"is not a drill schedule: {exc}"
    return None


def parse_drill(name: str, spec: Fields) -> Drill:
    service = spec.slug("service") or ""
    component: str | None = None
    written = spec.text("component")
    if written is not None:
        owner, _, part = written.partition("/")
        if not owner or not part:
            spec.r.problem(
                spec.line_of("component"),
                f"component {quote(written)} must be written service/component "
                "(like shop/checkout)",
            )
        elif service and owner != service:
            spec.r.problem(
                spec.line_of("component"),
                f"component {quote(written)} is not of service {quote(service)}",
            )
        else:
            service, component = owner, part
    if not service and written is None:
        spec.r.problem(
            spec.line,
            "spec needs service (or component: service/component): the drill pages through "
            "its escalation policy",
        )
    schedule = spec.text("schedule", check=_schedule_problem)
    ack_target = spec.duration("ackTarget")
    auto_resolve = spec.duration("autoResolve")
    return Drill(
        name,
        service,
        component,
        schedule_text(parse_schedule(schedule)) if schedule is not None else None,
        spec.timezone("timezone") or "UTC",
        ack_target if ack_target is not None else DRILL_ACK_TARGET,
        auto_resolve if auto_resolve is not None else DRILL_AUTO_RESOLVE,
    )


def drill_spec(drill: Drill) -> JsonObject:
    out: JsonObject = {}
    if drill.component is not None:
        out["component"] = f"{drill.service}/{drill.component}"
    else:
        out["service"] = drill.service
    if drill.schedule is not None:
        out["schedule"] = drill.schedule
    out["timezone"] = drill.timezone
    out["ackTarget"] = format_duration(drill.ack_target)
    out["autoResolve"] = format_duration(drill.auto_resolve)
    return out


def _at(drill: Drill) -> str:
    return "component" if drill.component is not None else "service"


def check_drills(
    documents: Sequence[Document], existing: Snapshot, removed: Collection[tuple[str, str]] = ()
) -> list[Problem]:
    """A drill's component is one of its service's, and whatever it pages through has an
    escalation policy (a missing service is reported as a missing reference)."""
    services: dict[str, Service] = {
        n: s for n, s in existing.services.items() if ("Service", n) not in removed
    }
    seen: set[str] = set()
    for doc in documents:  # the files win over the database; the first definition counts
        if isinstance(doc.obj, Service) and doc.name not in seen:
            seen.add(doc.name)
            services[doc.name] = doc.obj
    problems: list[Problem] = []
    for doc in documents:
        drill = doc.obj
        if not isinstance(drill, Drill) or not drill.service:
            continue
        service = services.get(drill.service)
        if service is None:
            continue
        policy = service.escalation_policy
        if drill.component is not None:
            found = {c.name: c for c in components_of(service)}
            chosen = found.get(drill.component)
            if chosen is None:
                problems.append(
                    doc.problem(
                        "component",
                        f"component {quote(drill.component)} is not a component of service "
                        f"{quote(drill.service)}" + suggest(drill.component, found),
                    )
                )
                continue
            policy = chosen.escalation_policy or policy
        if policy is None:
            what = (
                f"component {quote(drill.service + '/' + drill.component)}"
                if drill.component is not None
                else f"service {quote(drill.service)}"
            )
            problems.append(
                doc.problem(
                    _at(drill),
                    f"{what} has no escalationPolicy: a drill on it would page nobody",
                )
            )
    return problems
