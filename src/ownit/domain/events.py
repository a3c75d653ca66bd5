"""The one internal event shape every wire format is parsed into."""

from __future__ import annotations

import enum
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
