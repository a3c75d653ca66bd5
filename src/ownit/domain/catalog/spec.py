"""The normalised JSON form of catalog objects: what is stored, compared and exported.

One object has exactly one normal form: durations in their shortest exact unit, defaults
written out (``role: responder``, ``timezone: UTC``, ``urgency: severity``, ``repeat: 0``),
absent optional fields and empty lists left out, keys in one fixed order per kind (the order
the functions below write them in).
Schedules have theirs in :mod:`ownit.domain.catalog.schedules`.
"""

from __future__ import annotations

from datetime import timedelta

from ownit.domain.catalog.drill_kind import drill_spec
from ownit.domain.catalog.fields import Fields, Reader, json_to_node
from ownit.domain.catalog.gameday_kind import gameday_spec
from ownit.domain.catalog.model import (
    API_VERSION,
    Drill,
    EscalationPolicy,
    GameDay,
    Heartbeat,
    JsonObject,
    JsonValue,
    MaintenanceWindow,
    Problem,
    Router,
    Schedule,
    Service,
    StoredObject,
    Team,
    User,
)
from ownit.domain.catalog.operations import heartbeat_spec, window_spec
from ownit.domain.catalog.parse import SPEC_FIELDS, parse_spec
from ownit.domain.catalog.postmortem_field import postmortem_spec
from ownit.domain.catalog.routers import router_spec
from ownit.domain.catalog.rule_model import Scorecard, Standard
from ownit.domain.catalog.schedules import schedule_spec
from ownit.domain.catalog.standard_kinds import scorecard_spec, standard_spec
from ownit.domain.durations import format_duration


def _put(out: JsonObject, key: str, value: JsonValue | timedelta) -> None:
    """Set ``key`` unless the value is absent or an empty list."""
    if value is None or value == []:
        return
    out[key] = format_duration(value) if isinstance(value, timedelta) else value


def _user(user: User) -> JsonObject:
    out: JsonObject = {}
    _put(out, "displayName", user.display_name)
    _put(out, "email", user.email)
    _put(out, "timezone", user.timezone)
    contacts: list[JsonValue] = []
    for c in user.contacts:
        item: JsonObject = {"name": c.name, "type": c.type}
        _put(item, "address", c.address)
        _put(item, "url", c.url)
        _put(item, "secret", c.secret)
        _put(item, "webhookUrl", c.webhook_url)
        _put(item, "userId", c.slack_user_id)
        contacts.append(item)
    _put(out, "contacts", contacts)
    rules: list[JsonValue] = [
        {"contact": r.contact, "after": format_duration(r.after)} for r in user.notification_rules
    ]
    _put(out, "notificationRules", rules)
    _put(out, "statusUpdates", list(user.status_updates))
    return out


def _team(team: Team) -> JsonObject:
    out: JsonObject = {}
    _put(out, "displayName", team.display_name)
    members: list[JsonValue] = [{"user": m.user, "role": m.role} for m in team.members]
    _put(out, "members", members)
    if team.slack_webhook_url is not None:
        out["chat"] = {"slackWebhookUrl": team.slack_webhook_url}
    _put(out, "parent", team.parent)
    return out


def _policy(policy: EscalationPolicy) -> JsonObject:
    out: JsonObject = {}
    _put(out, "team", policy.team)
    out["repeat"] = policy.repeat
    levels: list[JsonValue] = []
    for level in policy.levels:
        item: JsonObject = {}
        _put(item, "after", level.after)
        targets: list[JsonValue] = [{t.type: t.name} for t in level.targets]
        item["targets"] = targets
        levels.append(item)
    out["levels"] = levels
    return out


def _service(service: Service, *, keys: bool) -> JsonObject:
    out: JsonObject = {}
    _put(out, "owner", service.owner)
    _put(out, "escalationPolicy", service.escalation_policy)
    _put(out, "tier", service.tier)
    _put(out, "lifecycle", service.lifecycle)
    _put(out, "runbook", service.runbook)
    _put(out, "runbookText", service.runbook_text)
    docs: list[JsonValue] = []
    for d in service.docs:
        doc: JsonObject = {}
        _put(doc, "title", d.title)
        doc["url"] = d.url
        docs.append(doc)
    _put(out, "docs", docs)
    if service.contract is not None:
        contract: JsonObject = {}
        _put(contract, "type", service.contract.type)
        contract["url"] = service.contract.url
        out["contract"] = contract
    depends_on: list[JsonValue] = list(service.depends_on)
    if depends_on or service.dependencies_stated:  # `dependsOn: []` says "none", on purpose
        out["dependsOn"] = depends_on
    out["urgency"] = service.urgency
    _put(out, "ackTimeout", service.ack_timeout)
    _put(out, "autoResolve", service.auto_resolve)
    if service.grouping is not None:
        grouping: JsonObject = {}
        by: list[JsonValue] = list(service.grouping.by)
        _put(grouping, "by", by)
        _put(grouping, "window", service.grouping.window)
        out["grouping"] = grouping
    _put(out, "components", list(service.components))
    integrations: list[JsonValue] = []
    for i in service.integrations:
        item: JsonObject = {"name": i.name, "type": i.type}
        if keys:
            _put(item, "key", i.key)
        integrations.append(item)
    _put(out, "integrations", integrations)
    if service.postmortem is not None:
        out["postmortem"] = postmortem_spec(service.postmortem)
    _put(out, "tags", list(service.tags))
    if service.labels:
        out["labels"] = dict(service.labels)
    return out


def to_spec(obj: StoredObject, *, keys: bool = False) -> JsonObject:
    """The normalised spec; integration keys only when asked (they are stored apart)."""
    if isinstance(obj, User):
        return _user(obj)
    if isinstance(obj, Team):
        return _team(obj)
    if isinstance(obj, Schedule):
        return schedule_spec(obj)
    if isinstance(obj, EscalationPolicy):
        return _policy(obj)
    if isinstance(obj, Router):
        return router_spec(obj, keys=keys)
    if isinstance(obj, MaintenanceWindow):
        return window_spec(obj)
    if isinstance(obj, Heartbeat):
        return heartbeat_spec(obj, keys=keys)
    if isinstance(obj, Drill):
        return drill_spec(obj)
    if isinstance(obj, GameDay):
        return gameday_spec(obj)
    if isinstance(obj, Standard):
        return standard_spec(obj)
    if isinstance(obj, Scorecard):
        return scorecard_spec(obj)
    return _service(obj, keys=keys)


def to_document(obj: StoredObject) -> JsonObject:
    """The whole ``ownit/v1`` document (export), without integration, router and heartbeat
    keys: the database keeps only their digests (decision 0035). Applied again, a document
    without a key keeps the key the database has."""
    metadata: JsonObject = {"name": obj.name}
    if isinstance(obj, Service | Team | Standard) and obj.description:
        metadata["description"] = obj.description
    spec = to_spec(obj)
    if isinstance(obj, User):  # the person's own settings are not the catalog's (0014)
        spec = {k: v for k, v in spec.items() if k not in obj.personal}
    return {"apiVersion": API_VERSION, "kind": obj.kind, "metadata": metadata, "spec": spec}


def from_spec(kind: str, name: str, spec: object, description: str = "") -> StoredObject:
    """An object from a stored spec; what does not fit the format is left out, not raised."""
    ignored: list[Problem] = []
    reader = Reader("", ignored)
    fields = Fields(reader, json_to_node(spec), "", SPEC_FIELDS[kind], line=0, label="spec")
    return parse_spec(kind, name, fields, description)
