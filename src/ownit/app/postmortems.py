"""Postmortem use cases: create one per incident (merged incidents share one), read, edit
sections and status, hide or annotate timeline entries, add and tick action items, list
them; and the query standards read (:func:`learning_of`). Rules: ``domain/postmortems``;
the store is the :class:`PostmortemStore` port (``docs/postmortems.md``)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any, Protocol

from ownit.app.clock import Clock
from ownit.domain import dependencies as deps
from ownit.domain.errors import FieldError, NotFound
from ownit.domain.postmortems import model as m
from ownit.domain.postmortems import timeline as tl
from ownit.domain.postmortems.policy import (
    ORG_DEFAULT,
    PolicyOverride,
    PostmortemPolicy,
    effective,
    requires_postmortem,
)
from ownit.domain.postmortems.wording import wording_hints

MAX_NOTE = 2000


@dataclass(frozen=True, slots=True)
class IncidentFacts:
    id: str
    number: int
    title: str
    urgency: str
    service: str
    team: str | None
    created_at: datetime
    acknowledged_at: datetime | None
    resolved_at: datetime | None


@dataclass(frozen=True, slots=True)
class Record:
    """A stored postmortem, with its incident and the marks on its timeline."""

    id: int
    incident: IncidentFacts
    postmortem: m.Postmortem
    marks: Mapping[str, tl.Mark]
    created_at: datetime
    updated_at: datetime


class PostmortemStore(Protocol):
    def incident(self, ref: str) -> IncidentFacts | None:
        """By id (``inc_…``) or number."""
        ...

    def merged_into(self, incident_id: str) -> str | None:
        """The incident this one was merged into, if it was."""
        ...

    def find(self, incident_id: str) -> Record | None: ...

    def get(self, postmortem_id: int) -> Record | None: ...

    def create(self, incident_id: str, postmortem: m.Postmortem, at: datetime) -> Record:
        """Insert the incident's postmortem, or answer the one it already has."""
        ...

    def save(
        self, record: Record, postmortem: m.Postmortem, marks: Mapping[str, tl.Mark], at: datetime
    ) -> Record:
        """Write the fields, sections and marks (not the action items); audited."""
        ...

    def add_action(self, postmortem_id: int, item: m.ActionItem, at: datetime) -> m.ActionItem:
        """Append an action item; its number is the next free one (``item.number`` ignored)."""
        ...

    def save_action(self, record: Record, item: m.ActionItem, at: datetime) -> None: ...

    def search(self, status: m.Status | None, team: str | None) -> list[Record]: ...

    def user_exists(self, name: str) -> bool: ...

    def team_exists(self, name: str) -> bool: ...

    def log(self, incident_id: str) -> list[tl.Source]: ...

    def changes(self, services: list[str], since: datetime, until: datetime) -> list[tl.Source]: ...

    def dependency_graph(self) -> dict[str, tuple[str, ...]]: ...

    def policy_override(self, service: str) -> PolicyOverride | None: ...

    def policy_overrides(self, services: set[str]) -> dict[str, PolicyOverride | None]:
        """Each named service's override, in one read (a service not found is left out)."""
        ...

    def incidents_since(self, since: datetime, service: str | None) -> list[IncidentFacts]:
        """Resolved incidents created since ``since`` (of ``service``), oldest first."""
        ...


def _incident(store: PostmortemStore, ref: str) -> IncidentFacts:
    """The incident ``ref`` names, or the one it was merged into (they share a postmortem)."""
    facts = store.incident(ref)
    if facts is None:
        raise NotFound("incident", ref)
    seen = {facts.id}
    while (into := store.merged_into(facts.id)) is not None and into not in seen:
        target = store.incident(into)
        if target is None:
            break
        seen.add(into)
        facts = target
    return facts


def policy_for(store: PostmortemStore, service: str) -> PostmortemPolicy:
    return effective(ORG_DEFAULT, store.policy_override(service))


def required(store: PostmortemStore, facts: IncidentFacts, now: datetime) -> bool:
    duration = (facts.resolved_at or now) - facts.created_at
    return requires_postmortem(policy_for(store, facts.service), facts.urgency, duration)


def _owner(store: PostmortemStore, field: str, name: str) -> str:
    if not store.user_exists(name):
        raise FieldError(field, f"no user is named {name!r}")
    return name


def create(
    *, store: PostmortemStore, clock: Clock, ref: str, owner: str | None, by: str | None
) -> tuple[Record, bool]:
    """The incident's postmortem, created if it has none; ``True`` when it was created."""
    facts = _incident(store, ref)
    if owner is not None:  # checked even when one exists: a bad request is answered as one
        owner = _owner(store, "owner", owner)
    found = store.find(facts.id)
    if found is not None:
        return found, False
    if owner is None and by is not None and store.user_exists(by):
        owner = by
    days = policy_for(store, facts.service).days
    pm = m.Postmortem(
        title=f"#{facts.number}: {facts.title}"[: m.MAX_TITLE],
        owner=owner,
        due=m.default_due(facts.resolved_at, facts.created_at, days),
    )
    return store.create(facts.id, pm, clock.now()), True


def of_incident(*, store: PostmortemStore, ref: str) -> Record:
    facts = _incident(store, ref)
    found = store.find(facts.id)
    if found is None:
        raise NotFound("postmortem of incident", ref)
    return found


def of_incident_facts(*, store: PostmortemStore, ref: str) -> IncidentFacts:
    """The incident whose postmortem ``ref`` would have (a merged one's target)."""
    return _incident(store, ref)


def get(*, store: PostmortemStore, postmortem_id: int) -> Record:
    found = store.get(postmortem_id)
    if found is None:
        raise NotFound("postmortem", str(postmortem_id))
    return found


@dataclass(frozen=True, slots=True)
class Edit:
    """What a PATCH changes; ``None``: unchanged."""

    title: str | None = None
    status: str | None = None
    owner: str | None = None
    due: date | None = None
    sections: Mapping[str, str] | None = None
    timeline: Mapping[str, tl.Mark] | None = None


def edit(*, store: PostmortemStore, clock: Clock, record: Record, change: Edit) -> Record:
    pm = record.postmortem
    m.check_editable(pm.status, record.incident.number)
    if change.title is not None:
        pm = replace(pm, title=m.check_title(change.title))
    if change.owner is not None:
        pm = replace(pm, owner=_owner(store, "owner", change.owner))
    if change.due is not None:
        pm = replace(pm, due=change.due)
    if change.sections is not None:
        sections = dict(pm.sections)
        for name, text in change.sections.items():
            m.check_section(name, text)
            sections[name] = text
        pm = replace(pm, sections=sections)
    marks = dict(record.marks)
    if change.timeline is not None:
        for key, mark in change.timeline.items():
            if mark.note is not None and len(mark.note) > MAX_NOTE:
                raise FieldError(f"timeline.{key}.note", f"is longer than {MAX_NOTE} characters")
            marks[key] = mark
    if change.status is not None:
        wanted = m.parse_status(change.status)
        m.check_transition(pm.status, wanted)
        pm = replace(pm, status=wanted)
    return store.save(record, pm, marks, clock.now())


def add_action(
    *,
    store: PostmortemStore,
    clock: Clock,
    record: Record,
    title: str,
    owner: str,
    due: date,
    link: str | None,
) -> m.ActionItem:
    """A due date in the past is allowed: the item is overdue at once."""
    m.check_editable(record.postmortem.status, record.incident.number)
    item = m.ActionItem(
        0, m.check_title(title), _owner(store, "owner", owner), due, link=m.check_link(link)
    )
    return store.add_action(record.id, item, clock.now())


def edit_action(
    *,
    store: PostmortemStore,
    clock: Clock,
    record: Record,
    number: int,
    title: str | None = None,
    owner: str | None = None,
    due: date | None = None,
    status: str | None = None,
    link: str | None = None,
) -> m.ActionItem:
    """Action items stay editable after the postmortem closes: the work goes on."""
    items = {a.number: a for a in record.postmortem.actions}
    if number not in items:
        raise NotFound("action item", f"{record.id}/{number}")
    item = items[number]
    if title is not None:
        item = replace(item, title=m.check_title(title))
    if owner is not None:
        item = replace(item, owner=_owner(store, "owner", owner))
    if due is not None:
        item = replace(item, due=due)
    if link is not None:
        item = replace(item, link=m.check_link(link))
    if status is not None:
        try:
            item = replace(item, status=m.ActionStatus(status))
        except ValueError:
            raise FieldError("status", f"{status!r} is not one of open, done") from None
    store.save_action(record, item, clock.now())
    return item


def search(
    *,
    store: PostmortemStore,
    clock: Clock,
    status: str | None = None,
    team: str | None = None,
    overdue: bool = False,
) -> list[Record]:
    """Postmortems by status and team; ``overdue``: those past due and not closed, or with
    an overdue action item."""
    wanted = m.parse_status(status) if status else None
    if team and not store.team_exists(team):
        raise FieldError("team", f"no team is named {team!r}")
    found = store.search(wanted, team or None)
    if overdue:
        today = clock.now().date()
        found = [r for r in found if _overdue(r.postmortem, today)]
    return found


def _overdue(pm: m.Postmortem, today: date) -> bool:
    return pm.overdue(today) or any(a.overdue(today) for a in pm.actions)


def timeline(store: PostmortemStore, record: Record, now: datetime) -> list[tl.Entry]:
    facts = record.incident
    upstream = [r.service for r in deps.upstream(store.dependency_graph(), facts.service)]
    span = tl.window(facts.created_at, facts.resolved_at, now)
    changes = store.changes([facts.service, *upstream], *span)
    return tl.build(store.log(facts.id), changes, record.marks, span)


def answer(
    store: PostmortemStore, record: Record, now: datetime, *, full: bool = True
) -> dict[str, Any]:
    """The JSON answer: fields, sections, action items, wording hints; with ``full``, the
    timeline and key times too."""
    pm, facts, today = record.postmortem, record.incident, now.date()
    body: dict[str, Any] = {
        "id": record.id,
        "incident": {
            "id": facts.id,
            "number": facts.number,
            "title": facts.title,
            "service": facts.service,
            "team": facts.team,
            "urgency": facts.urgency,
        },
        "title": pm.title,
        "status": pm.status.value,
        "owner": pm.owner,
        "due": pm.due.isoformat(),
        "overdue": pm.overdue(today),
        "required": required(store, facts, now),
        "sections": {name: pm.sections.get(name, "") for name in m.SECTIONS},
        "actions": [action_answer(a, today) for a in pm.actions],
        "wording_hints": [h.as_dict() for h in wording_hints(dict(pm.sections))],
        "created_at": record.created_at.isoformat(),
        "updated_at": record.updated_at.isoformat(),
    }
    if full:
        body["timeline"] = [e.as_dict() for e in timeline(store, record, now)]
        body["key_times"] = tl.key_times(
            facts.created_at, facts.acknowledged_at, facts.resolved_at
        ).as_dict()
    return body


def action_answer(item: m.ActionItem, today: date) -> dict[str, Any]:
    return {
        "number": item.number,
        "title": item.title,
        "owner": item.owner,
        "due": item.due.isoformat(),
        "status": item.status.value,
        "link": item.link,
        "overdue": item.overdue(today),
    }


@dataclass(frozen=True, slots=True)
class Learning:
    """For standards: an incident that needed a postmortem, and the one it has (if any)."""

    incident: IncidentFacts
    postmortem: Record | None


def learning_of(
    *, store: PostmortemStore, clock: Clock, since: datetime, service: str | None = None
) -> tuple[list[Learning], list[tuple[Record, m.ActionItem]]]:
    """The resolved incidents since ``since`` (of ``service``) whose policy requires a
    postmortem, each with its postmortem; and the open action items of the postmortems of
    ``service`` (all when ``None``)."""
    now = clock.now()
    records = store.search(None, None)  # every postmortem, read once
    by_incident = {r.incident.id: r for r in records}
    resolved = store.incidents_since(since, service)
    overrides = store.policy_overrides({f.service for f in resolved})  # one read for all
    policies = {name: effective(ORG_DEFAULT, found) for name, found in overrides.items()}

    def needs_one(facts: IncidentFacts) -> bool:
        policy = policies.get(facts.service, ORG_DEFAULT)
        duration = (facts.resolved_at or now) - facts.created_at
        return requires_postmortem(policy, facts.urgency, duration)

    needed = [Learning(f, by_incident.get(f.id)) for f in resolved if needs_one(f)]
    open_items = [
        (r, a)
        for r in records
        if service is None or r.incident.service == service
        for a in r.postmortem.open_actions()
    ]
    return needed, open_items
