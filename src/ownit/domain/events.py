"""The one internal event shape every wire format is parsed into, and the labels a router
matches an event on (:func:`event_labels`)."""

from __future__ import annotations

import enum
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


class Action(enum.StrEnum):
    TRIGGER = "trigger"
    ACKNOWLEDGE = "acknowledge"
    RESOLVE = "resolve"
    CHANGE = "change"


class Severity(enum.StrEnum):
    CRITICAL = "critical"
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


SEVERITIES: tuple[str, ...] = tuple(s.value for s in Severity)


@dataclass(frozen=True, slots=True)
class Link:
    href: str
    text: str | None = None


@dataclass(frozen=True, slots=True)
class Image:
    src: str
    href: str | None = None
    alt: str | None = None


@dataclass(frozen=True, slots=True)
class Event:
    """A validated event, whatever format it arrived in.

    ``dedup_key`` is ``None`` only for a trigger that did not carry one: the ingest use case
    then makes one up and answers it to the sender.
    ``labels`` are the strings a router matches on.
    """

    format: str
    routing_key: str
    action: Action
    dedup_key: str | None
    summary: str = ""
    source: str = ""
    severity: Severity = Severity.ERROR
    timestamp: datetime | None = None
    component: str | None = None
    group: str | None = None
    class_: str | None = None
    custom_details: Mapping[str, Any] | None = None
    labels: Mapping[str, str] = field(default_factory=dict)
    links: tuple[Link, ...] = ()
    images: tuple[Image, ...] = ()
    client: str | None = None
    client_url: str | None = None
    raw: Mapping[str, Any] | None = None


# Events v2 fields a router can match on, besides every key of custom_details.
_EVENT_FIELDS = ("severity", "source", "component", "group", "class", "summary")


def event_labels(event: Event) -> dict[str, str]:
    """The labels a router matches an event on.

    An event that carries labels (Alertmanager) is matched on them. An Events v2 event is
    matched on ``severity``, ``source``, ``component``, ``group``, ``class``, ``summary`` and
    every key of ``custom_details`` (strings as they are, other values as compact JSON);
    the event's own fields win over custom details of the same name.
    """
    if event.labels:
        return dict(event.labels)
    out: dict[str, str] = {}
    for key, value in (event.custom_details or {}).items():
        out[str(key)] = _text(value)
    fields = {
        "severity": str(event.severity),
        "source": event.source,
        "component": event.component,
        "group": event.group,
        "class": event.class_,
        "summary": event.summary,
    }
    for name in _EVENT_FIELDS:
        value = fields[name]
        if value:
            out[name] = value
    return out


def _text(value: object) -> str:
    if isinstance(value, str):
        return value
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    try:
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False, sort_keys=True)
    except (TypeError, ValueError):
        return str(value)
