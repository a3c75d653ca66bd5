"""A service as ingest needs it, parsed from what the catalog stored.

:func:`parse_service` turns a service's stored spec (components with their matchers and
policies, the ``grouping`` labels and window) and its escalation policy into an
:class:`IngestService`; :func:`policy_snapshot` is the policy as frozen on an incident when it
opens. Pure: the adapter decodes the stored JSON and hands the mappings in.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from ownit.domain.durations import parse_duration
from ownit.domain.matchers import Matcher, parse_matcher

__all__ = ["Component", "IngestService", "parse_service", "policy_snapshot"]


@dataclass(frozen=True, slots=True)
class Component:
    """A monolith component: it owns the events whose labels meet all of ``match``."""

    name: str
    policy: str | None  # the component's own escalation policy, by name
    match: tuple[Matcher, ...]


@dataclass(frozen=True, slots=True)
class IngestService:
    """A service with what ingest needs of it: urgency, frozen policy, components, grouping
    and the auto-resolve timeout its new incidents start with."""

    id: int
    name: str
    urgency: str
    policy: Mapping[str, Any] | None  # the service's policy as frozen on a new incident
    components: tuple[Component, ...] = ()
    group_by: tuple[str, ...] = ()  # () = no grouping
    group_window: timedelta | None = None  # None: group while the incident is open
    auto_resolve: timedelta | None = None  # the service's ``autoResolve``; None: never


def policy_snapshot(name: str | None, spec: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """The escalation policy as frozen on an incident when it opens (``None``: no policy)."""
    if name is None or spec is None:
        return None
    return {"name": name, "repeat": spec.get("repeat", 0), "levels": spec.get("levels", [])}


def parse_service(
    *,
    service_id: int,
    name: str,
    urgency: str,
    spec: Mapping[str, Any] | None,
    policy_name: str | None,
    policy_spec: Mapping[str, Any] | None,
) -> IngestService:
    """The service from its stored spec and its escalation policy (name and spec)."""
    spec = spec or {}
    by, window = _grouping(spec)
    return IngestService(
        service_id,
        name,
        urgency,
        policy_snapshot(policy_name, policy_spec),
        _components(spec),
        by,
        window,
        _duration(spec.get("autoResolve")),
    )


def _duration(raw: object) -> timedelta | None:
    """A stored duration string, or ``None`` when absent or not a duration."""
    try:
        return parse_duration(raw) if isinstance(raw, str) else None
    except ValueError:
        return None


def _grouping(spec: Mapping[str, Any]) -> tuple[tuple[str, ...], timedelta | None]:
    """The service's ``grouping``: its labels and window (stored as the catalog wrote it; a
    window that is no duration means no window)."""
    raw = spec.get("grouping")
    if not isinstance(raw, dict):
        return (), None
    by = tuple(str(name) for name in raw.get("by") or [] if isinstance(name, str))
    window = raw.get("window")
    try:
        return by, parse_duration(window) if isinstance(window, str) else None
    except ValueError:
        return by, None


def _components(spec: Mapping[str, Any]) -> tuple[Component, ...]:
    """The service's components; one without a name is skipped, a matcher that does not
    parse is left out (its component keeps the others)."""
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
            Component(item["name"], policy if isinstance(policy, str) else None, tuple(matchers))
        )
    return tuple(out)
