"""The catalog's plain data: positioned YAML-like nodes in, frozen catalog objects out."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import ClassVar, TypeAlias

from ownit.domain.catalog.rule_model import Scorecard, Standard
from ownit.domain.oncall.rotations import Layer
from ownit.domain.oncall.schedules import Override
from ownit.domain.postmortems.policy import PolicyOverride
from ownit.domain.routing import Route

API_VERSION = "ownit/v1"
KINDS = (
    "User",
    "Team",
    "EscalationPolicy",
    "Service",
    "Schedule",
    "Router",
    "MaintenanceWindow",
    "Heartbeat",
    "Drill",
    "GameDay",
    "Standard",
    "Scorecard",
)
STORED_KINDS = (  # dependency order
    "User",
    "Team",
    "Schedule",
    "EscalationPolicy",
    "Service",
    "Router",
    "MaintenanceWindow",
    "Heartbeat",
    "Drill",
    "GameDay",
    "Standard",
    "Scorecard",
)
ROLES = ("manager", "responder", "observer")
URGENCIES = ("high", "low", "severity")
LIFECYCLES = ("experimental", "production", "deprecated")
CONTACT_TYPES = ("email", "webhook", "slack", "push")
INTEGRATION_TYPES = ("events-v2", "alertmanager")

JsonValue: TypeAlias = "str | int | float | bool | list[JsonValue] | dict[str, JsonValue] | None"
JsonObject: TypeAlias = "dict[str, JsonValue]"
Scalar: TypeAlias = "str | int | float | bool | None"


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with the catalog, where it is: ``services.yaml:14: owner … ``."""

    file: str
    line: int
    message: str

    def __str__(self) -> str:
        if not self.file:
            return self.message
        if self.line <= 0:
            return f"{self.file}: {self.message}"
        return f"{self.file}:{self.line}: {self.message}"


@dataclass(frozen=True, slots=True)
class Entry:
    """One ``key: value`` pair of a mapping node; ``line`` is the key's line."""

    key: str
    line: int
    value: Node


@dataclass(frozen=True, slots=True)
class Node:
    """A parsed value with its 1-based line: a scalar, a sequence (``items``) or a mapping."""

    line: int
    scalar: Scalar = None
    items: tuple[Node, ...] | None = None
    entries: tuple[Entry, ...] | None = None
    text: str | None = None  # a scalar as written, when it came from a file

    @property
    def is_scalar(self) -> bool:
        return self.items is None and self.entries is None


@dataclass(frozen=True, slots=True)
class RawDocument:
    """One document of one file, before validation."""

    file: str
    line: int
    root: Node


# --- Users -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Contact:
    name: str
    type: str
    address: str | None = None  # email
    url: str | None = None  # webhook, push
    secret: str | None = None  # webhook (optional)
    webhook_url: str | None = None  # slack
    slack_user_id: str | None = None  # slack (optional): the member id whose clicks are theirs


@dataclass(frozen=True, slots=True)
class NotificationRule:
    contact: str
    after: timedelta = timedelta(0)


PERSONAL_FIELDS = ("contacts", "notificationRules", "statusUpdates")
"""A user's fields that belong to the person unless the catalog document states them."""


@dataclass(frozen=True, slots=True)
class User:
    kind: ClassVar[str] = "User"
    name: str
    display_name: str | None = None
    email: str | None = None
    timezone: str = "UTC"
    contacts: tuple[Contact, ...] = ()
    notification_rules: tuple[NotificationRule, ...] = ()
    status_updates: tuple[str, ...] = ()
    """Contacts told when an incident the user was paged for is acknowledged or resolved."""
    personal: frozenset[str] = frozenset()
    """Of :data:`PERSONAL_FIELDS`, those the catalog leaves unsaid: the person keeps them
    (set in the web UI), apply does not touch them and export leaves them out (0014)."""


# --- Teams -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Member:
    user: str
    role: str = "responder"


@dataclass(frozen=True, slots=True)
class Team:
    kind: ClassVar[str] = "Team"
    name: str
    display_name: str | None = None
    members: tuple[Member, ...] = ()
    slack_webhook_url: str | None = None  # spec.chat.slackWebhookUrl
    description: str = ""  # metadata.description
    parent: str | None = None  # spec.parent: the team this one rolls up into (no cycles)


# --- Escalation policies -----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PolicyTarget:
    type: str  # user | schedule
    name: str


@dataclass(frozen=True, slots=True)
class PolicyLevel:
    after: timedelta | None
    targets: tuple[PolicyTarget, ...] = ()


@dataclass(frozen=True, slots=True)
class EscalationPolicy:
    kind: ClassVar[str] = "EscalationPolicy"
    name: str
    team: str | None = None
    repeat: int = 0
    levels: tuple[PolicyLevel, ...] = ()


# --- Services ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DocLink:
    url: str
    title: str | None = None


@dataclass(frozen=True, slots=True)
class Contract:
    url: str
    type: str | None = None


@dataclass(frozen=True, slots=True)
class Grouping:
    by: tuple[str, ...] = ()
    window: timedelta | None = None


@dataclass(frozen=True, slots=True)
class Integration:
    name: str
    type: str
    key: str | None = None  # None: generate one on first apply, keep it afterwards


@dataclass(frozen=True, slots=True)
class Service:
    kind: ClassVar[str] = "Service"
    name: str
    description: str = ""
    owner: str | None = None
    escalation_policy: str | None = None
    tier: int | None = None
    lifecycle: str | None = None
    runbook: str | None = None
    runbook_text: str | None = None
    docs: tuple[DocLink, ...] = ()
    contract: Contract | None = None
    depends_on: tuple[str, ...] = ()
    urgency: str = "severity"
    ack_timeout: timedelta | None = None
    auto_resolve: timedelta | None = None
    grouping: Grouping | None = None
    components: tuple[JsonValue, ...] = ()  # {name, owner?, escalationPolicy?, match?} each
    integrations: tuple[Integration, ...] = ()
    postmortem: PolicyOverride | None = None  # overrides the org's postmortem policy
    dependencies_stated: bool = False  # dependsOn is written, if only as []
    tags: tuple[str, ...] = ()  # spec.tags, in the file's order, each once
    labels: tuple[tuple[str, str], ...] = ()  # spec.labels, sorted by key

    def label(self, key: str) -> str | None:
        """The value of label ``key``, or ``None`` when the service does not set it."""
        return next((v for k, v in self.labels if k == key), None)


# --- Schedules ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Schedule:
    """Ordered layers (a later one wins) and overrides in an IANA time zone.

    Layers and overrides are the schedule calculator's own values (``ownit.domain.oncall.rotations``
    and ``ownit.domain.oncall.schedules``): a layer's ``start`` is a naive local wall-clock time, an
    override's ``start`` and ``end`` are aware instants kept with the offset they were given.
    ``ownit.domain.catalog.schedules.calculator`` turns one into the calculator's schedule.
    """

    kind: ClassVar[str] = "Schedule"
    name: str
    team: str | None = None
    timezone: str = "UTC"
    layers: tuple[Layer, ...] = ()
    overrides: tuple[Override, ...] = ()


# --- Routers -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Router:
    """One integration key for many services: each event is routed by ``route``."""

    kind: ClassVar[str] = "Router"
    name: str
    key: str | None = None  # None: generate one on first apply, keep it afterwards
    route: Route = field(default_factory=Route)


# --- Maintenance windows and heartbeats (decision 0013) ----------------------------------


@dataclass(frozen=True, slots=True)
class MaintenanceWindow:
    """From ``start`` until ``end`` (aware instants), triggers for ``services`` page nobody."""

    kind: ClassVar[str] = "MaintenanceWindow"
    name: str
    services: tuple[str, ...] = ()
    start: datetime | None = None  # None only in an object whose document had problems
    end: datetime | None = None
    description: str = ""


HEARTBEAT_GRACE = timedelta(minutes=5)
HEARTBEAT_MIN_INTERVAL = timedelta(minutes=1)


@dataclass(frozen=True, slots=True)
class Heartbeat:
    """A job pings every ``interval``; silence past ``interval + grace`` opens an incident on
    ``service``."""

    kind: ClassVar[str] = "Heartbeat"
    name: str
    service: str = ""
    interval: timedelta = timedelta(hours=1)
    grace: timedelta = HEARTBEAT_GRACE
    key: str | None = None  # None: generate one on first apply, keep it afterwards


# --- Drills (decision 0046) --------------------------------------------------------------

DRILL_ACK_TARGET = timedelta(minutes=5)
DRILL_AUTO_RESOLVE = timedelta(minutes=30)


@dataclass(frozen=True, slots=True)
class Drill:
    """A practice page through ``service``'s (or its ``component``'s) policy, run on demand
    or on ``schedule`` (weekdays and local time in ``timezone``); scored against
    ``ack_target``, resolved after ``auto_resolve`` if nobody does."""

    kind: ClassVar[str] = "Drill"
    name: str
    service: str = ""
    component: str | None = None  # a component of ``service``: its own policy pages
    schedule: str | None = None  # normal form "Tue 10:00" (ownit.domain.drills); None: manual
    timezone: str = "UTC"
    ack_target: timedelta = DRILL_ACK_TARGET
    auto_resolve: timedelta = DRILL_AUTO_RESOLVE


@dataclass(frozen=True, slots=True)
class GameDayStep:
    """``after`` the run starts, a drill event on ``service``."""

    after: timedelta
    service: str
    summary: str
    severity: str = "critical"


@dataclass(frozen=True, slots=True)
class Expectation:
    """``team`` paged within ``within`` (``pagedWithin``), or ``service`` acknowledged
    within it (``acknowledgedWithin``)."""

    kind: str  # pagedWithin | acknowledgedWithin
    subject: str  # the team's or the service's name
    within: timedelta


@dataclass(frozen=True, slots=True)
class GameDay:
    """A scripted scenario (decision 0047): timed drill events into real services and what
    is expected of the responders."""

    kind: ClassVar[str] = "GameDay"
    name: str
    description: str = ""
    steps: tuple[GameDayStep, ...] = ()
    expect: tuple[Expectation, ...] = ()


StoredObject: TypeAlias = (
    "User | Team | Schedule | EscalationPolicy | Service | Router | MaintenanceWindow | Heartbeat"
    " | Drill | GameDay | Standard | Scorecard"
)
CatalogObject: TypeAlias = "StoredObject"  # every kind is stored now


@dataclass(frozen=True, slots=True)
class Document:
    """A validated document: the object, where it came from, and the line of each field."""

    file: str
    line: int
    obj: CatalogObject
    lines: Mapping[str, int] = field(default_factory=dict)
    renames: Mapping[str, str] = field(default_factory=dict)  # object's item path -> file's

    @property
    def kind(self) -> str:
        return self.obj.kind

    @property
    def name(self) -> str:
        return self.obj.name

    def where(self, path: str) -> str:
        """The file's path for the object's ``path`` (they differ after a bad list item)."""
        for kept, raw in self.renames.items():
            if path == kept or path.startswith((kept + ".", kept + "[")):
                return raw + path[len(kept) :]
        return path

    def line_of(self, path: str) -> int:
        """The line of the field at ``path`` (``owner``, ``members[1].user``), else the nearest."""
        path = self.where(path)
        while path:
            if path in self.lines:
                return self.lines[path]
            cut = max(path.rfind("."), path.rfind("["))
            path = path[:cut] if cut > 0 else ""
        return self.line

    def problem(self, path: str, message: str) -> Problem:
        return Problem(self.file, self.line_of(path), message)


@dataclass(frozen=True, slots=True)
class Snapshot:
    """What the database holds now. Services carry their integrations with keys."""

    users: Mapping[str, User] = field(default_factory=dict)
    teams: Mapping[str, Team] = field(default_factory=dict)
    policies: Mapping[str, EscalationPolicy] = field(default_factory=dict)
    services: Mapping[str, Service] = field(default_factory=dict)
    schedules: Mapping[str, Schedule] = field(default_factory=dict)
    routers: Mapping[str, Router] = field(default_factory=dict)  # with their keys
    windows: Mapping[str, MaintenanceWindow] = field(default_factory=dict)  # catalog-made
    heartbeats: Mapping[str, Heartbeat] = field(default_factory=dict)  # with their keys
    drills: Mapping[str, Drill] = field(default_factory=dict)
    gamedays: Mapping[str, GameDay] = field(default_factory=dict)
    standards: Mapping[str, Standard] = field(default_factory=dict)
    scorecards: Mapping[str, Scorecard] = field(default_factory=dict)
    sources: Mapping[tuple[str, str], str | None] = field(default_factory=dict)

    def of_kind(self, kind: str) -> Mapping[str, StoredObject]:
        table: dict[str, Mapping[str, StoredObject]] = {
            "User": self.users,
            "Team": self.teams,
            "Schedule": self.schedules,
            "EscalationPolicy": self.policies,
            "Service": self.services,
            "Router": self.routers,
            "MaintenanceWindow": self.windows,
            "Heartbeat": self.heartbeats,
            "Drill": self.drills,
            "GameDay": self.gamedays,
            "Standard": self.standards,
            "Scorecard": self.scorecards,
        }
        return table.get(kind, {})

    def names(self, kind: str) -> frozenset[str]:
        return frozenset(self.of_kind(kind))

    def get(self, kind: str, name: str) -> StoredObject | None:
        return self.of_kind(kind).get(name)

    def source_of(self, kind: str, name: str) -> str | None:
        return self.sources.get((kind, name))

    def objects(self) -> list[StoredObject]:
        """Every stored object in kind order (users, teams, schedules, policies, services,
        routers), then by name."""
        out: list[StoredObject] = []
        for kind in STORED_KINDS:
            table = self.of_kind(kind)
            out.extend(table[name] for name in sorted(table))
        return out
