"""The ``GameDay`` kind: steps (``after``, ``service``, ``event: {summary, severity}``) and
expectations (``{team, pagedWithin}`` or ``{service, acknowledgedWithin}``), their normal
form, and the checks across documents (a step's service must exist and have a policy)."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import timedelta

from ownit.domain.catalog.fields import Fields, quote
from ownit.domain.catalog.model import (
    Document,
    Expectation,
    GameDay,
    GameDayStep,
    JsonObject,
    JsonValue,
    Problem,
    Service,
    Snapshot,
)
from ownit.domain.durations import format_duration
from ownit.domain.events import SEVERITIES

GAMEDAY_FIELDS = ("description", "steps", "expect")
_STEP_FIELDS = ("after", "service", "event")
_EVENT_FIELDS = ("summary", "severity")
_EXPECT_FIELDS = ("team", "service", "pagedWithin", "acknowledgedWithin")


def _step(spec: Fields, path: str, node: object) -> GameDayStep | None:
    f = spec.item(path, node, _STEP_FIELDS)  # type: ignore[arg-type]
    after = f.duration("after", positive=False)
    service = f.slug("service", required=True)
    event = f.sub("event", _EVENT_FIELDS)
    if event is None:
        spec.r.problem(f.line, f"{path}.event is required: {{summary, severity}}")
        return None
    summary = event.text("summary", required=True, max_len=500)
    severity = event.choice("severity", SEVERITIES) or "critical"
    if service is None or summary is None:
        return None
    return GameDayStep(after if after is not None else timedelta(0), service, summary, severity)


def _expectation(spec: Fields, path: str, node: object) -> Expectation | None:
    f = spec.item(path, node, _EXPECT_FIELDS)  # type: ignore[arg-type]
    team, service = f.slug("team"), f.slug("service")
    paged, acked = f.duration("pagedWithin"), f.duration("acknowledgedWithin")
    if team is not None and paged is not None and service is None and acked is None:
        return Expectation("pagedWithin", team, paged)
    if service is not None and acked is not None and team is None and paged is None:
        return Expectation("acknowledgedWithin", service, acked)
    spec.r.problem(
        f.line,
        f"{path} must be {{team, pagedWithin}} or {{service, acknowledgedWithin}}",
    )
    return None


def parse_gameday(name: str, spec: Fields) -> GameDay:
    description = spec.text("description", max_len=2000) or ""
    node = spec.node("steps", required=True)
    if node is not None and node.items == ():
        spec.r.problem(node.line, "steps must list at least one step")
    steps = [s for path, item in spec.seq("steps") if (s := _step(spec, path, item))]
    expect = [e for path, item in spec.seq("expect") if (e := _expectation(spec, path, item))]
    return GameDay(name, description, tuple(steps), tuple(expect))


def gameday_spec(day: GameDay) -> JsonObject:
    out: JsonObject = {}
    if day.description:
        out["description"] = day.description
    steps: list[JsonValue] = [
        {
            "after": format_duration(s.after) if s.after else "0s",
            "service": s.service,
            "event": {"summary": s.summary, "severity": s.severity},
        }
        for s in day.steps
    ]
    out["steps"] = steps
    expect: list[JsonValue] = [
        {"team": e.subject, "pagedWithin": format_duration(e.within)}
        if e.kind == "pagedWithin"
        else {"service": e.subject, "acknowledgedWithin": format_duration(e.within)}
        for e in day.expect
    ]
    if expect:
        out["expect"] = expect
    return out


def gameday_refs(day: GameDay) -> list[tuple[str, str, str]]:
    """``(path, kind, name)`` of every object the game day names."""
    refs = [(f"steps[{i}].service", "Service", s.service) for i, s in enumerate(day.steps)]
    for i, e in enumerate(day.expect):
        if e.kind == "pagedWithin":
            refs.append((f"expect[{i}].team", "Team", e.subject))
        else:
            refs.append((f"expect[{i}].service", "Service", e.subject))
    return refs


def check_gamedays(
    documents: Sequence[Document], existing: Snapshot, removed: Collection[tuple[str, str]] = ()
) -> list[Problem]:
    """Each step's service has an escalation policy: a step that pages nobody proves nothing
    (a missing service is reported as a missing reference)."""
    services: dict[str, Service] = {
        n: s for n, s in existing.services.items() if ("Service", n) not in removed
    }
    for doc in documents:
        if isinstance(doc.obj, Service):
            services.setdefault(doc.name, doc.obj)
    problems: list[Problem] = []
    for doc in documents:
        if not isinstance(doc.obj, GameDay):
            continue
        for i, step in enumerate(doc.obj.steps):
            service = services.get(step.service)
            if service is not None and service.escalation_policy is None:
                path = f"steps[{i}].service"
                problems.append(
                    doc.problem(
                        path,
                        f"{doc.where(path)} {quote(step.service)} has no escalationPolicy: "
                        "this step would page nobody",
                    )
                )
    return problems
