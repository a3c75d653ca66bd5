"""One incident's escalation as the engine sees it inside its claim: its facts, its frozen
policy and state, and what the engine writes for it (timeline, outbox, paging state, audit).
Made by :class:`ownit.adapters.db.work_store.SqlWorkStore` for the incidents it claimed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, NestedTransaction, bindparam, select, update

from ownit.adapters.db import paging_store
from ownit.adapters.db import tables as t
from ownit.adapters.db.analytics_figures import refresh
from ownit.adapters.db.analytics_records import write_pages
from ownit.adapters.db.audit_log import record
from ownit.adapters.db.batch_sql import Sql
from ownit.app.escalations import (
    TEAM_PREFIX,
    IncidentFacts,
    Outbound,
    Planned,
    PlannedPage,
    Reach,
    pages_a_person,
)
from ownit.app.notify import PAGE_EVENTS
from ownit.domain.durations import parse_duration
from ownit.domain.incidents import Status, Urgency
from ownit.domain.oncall.notification_rules import CONTACT_TYPES, Contact, Rule
from ownit.domain.paging import Reason

_ADDRESS_FIELD = {"email": "address", "webhook": "url", "slack": "webhookUrl", "push": "url"}

# The statements the engine runs for every incident it advances, built once (building them
# per call cost more than running them, inside the transaction that holds SQLite's lock).
_n = t.notifications
_REACH = select(t.users.c.spec).where(t.users.c.name == bindparam("user"))
_NUMBER = select(t.incidents.c.number).where(t.incidents.c.id == bindparam("incident"))
_TEAM = select(t.teams.c.name, t.teams.c.spec).where(t.teams.c.id == bindparam("team"))
_PLANNED = select(_n.c.user_name, _n.c.contact, _n.c.event_type, _n.c.due_at, _n.c.data).where(
    _n.c.incident_id == bindparam("incident"), _n.c.event_type.in_(sorted(PAGE_EVENTS))
)
_LOG_COLUMNS = ("incident_id", "at", "kind", "actor", "message", "data")
_OUTBOX_COLUMNS = (
    "incident_id",
    "user_name",
    "contact",
    "channel",
    "event_type",
    "idempotency_key",
    "status",
    "due_at",
    "attempts",
    "created_at",
    "data",
)
_ONCE = " ON CONFLICT (idempotency_key) DO NOTHING"
_SAVE = "UPDATE escalations SET state = ?, due_at = ? WHERE incident_id = ?"


@dataclass(slots=True)
class Held:
    """One incident's writes on the engine's hot path (timeline, outbox, new state), held to
    go out with the other incidents' of its batch: a few statements a batch instead of
    several an incident (decision 0074)."""

    incident_id: str
    logs: list[tuple[datetime, str, str, Mapping[str, Any] | None]] = field(default_factory=list)
    outbound: list[Outbound] = field(default_factory=list)
    state: tuple[Mapping[str, Any] | None, datetime | None] | None = None  # the last save


def write_held(conn: Connection, held: Sequence[Held], now: datetime) -> None:
    """Write the held writes of some incidents, a statement per kind (on PostgreSQL in one
    pipeline, one round trip)."""
    sql = Sql(conn)
    logs = [
        (h.incident_id, sql.ts(at), kind, "engine", message, sql.json(dict(data)) if data else None)
        for h in held
        for at, kind, message, data in h.logs
    ]
    outbound = [r for h in held for r in h.outbound]
    created = sql.ts(now)
    rows = [
        (
            *(r.incident_id, r.user, r.contact, r.channel, r.event_type, r.key, "pending"),
            *(sql.ts(r.due_at), 0, created, sql.json(dict(r.data))),
        )
        for r in outbound
    ]
    saves = []
    for h in held:
        if h.state is not None:
            state, due_at = h.state
            saves.append(
                (sql.json(None if state is None else dict(state)), sql.ts(due_at), h.incident_id)
            )
    with sql.pipeline():
        sql.insert("log_entries", _LOG_COLUMNS, logs)
        sql.insert("notifications", _OUTBOX_COLUMNS, rows, tail=_ONCE)
        pages = ((r.incident_id, r.user, r.data) for r in outbound if pages_a_person(r))
        escalated = write_pages(sql, pages, now)
        sql.run(_SAVE, saves)
    if escalated:  # a page at level 2 or beyond: the incident's stored figures change
        refresh(conn, escalated)


class BatchShare:
    """What the units of one claimed batch share: lookups made once (people, teams) and the
    writes of the units done so far, written together when the batch ends."""

    def __init__(self) -> None:
        self.people: dict[tuple[str, int], list[tuple[str, Reach]]] = {}
        self.reach: dict[str, Reach | None] = {}
        self.teams: dict[int, str | None] = {}
        self.kept: list[Held] = []


def team_chat_url(spec: Mapping[str, Any] | None) -> str | None:
    """A team's chat channel (its Slack incoming webhook), from its stored spec."""
    chat = (spec or {}).get("chat")
    url = chat.get("slackWebhookUrl") if isinstance(chat, Mapping) else None
    return url if isinstance(url, str) and url else None


def contacts_of(spec: Mapping[str, Any]) -> Reach:
    """A user's contacts and rules from their catalog spec (unusable entries are left out)."""
    contacts = []
    for raw in spec.get("contacts") or []:
        kind = raw.get("type")
        if kind in CONTACT_TYPES and raw.get("name"):
            contacts.append(Contact(raw["name"], kind, str(raw.get(_ADDRESS_FIELD[kind], ""))))
    rules = []
    for raw in spec.get("notificationRules") or []:
        try:
            rules.append(Rule(str(raw["contact"]), parse_duration(str(raw.get("after", "0s")))))
        except (KeyError, ValueError):
            continue
    updates = tuple(str(c) for c in spec.get("statusUpdates") or [] if isinstance(c, str))
    return Reach(tuple(contacts), tuple(rules), updates)


class SqlEscalationUnit:
    """One locked incident inside one transaction (see ``EscalationUnit``)."""

    def __init__(
        self, conn: Connection, row: Any, now: datetime, share: BatchShare | None = None
    ) -> None:
        self._conn = conn
        self._now = now
        self._service_id: int = row.service_id
        # Shared by the units of one batch (a flood on one service asks once); a unit locked
        # on its own (a manual action) has its own.
        self._share = share if share is not None else BatchShare()
        # In a batch, the hot path's writes are held for the batch (see ``Held``); anything
        # else (a read of this incident's own rows, a rarer write) first opens a savepoint
        # and writes them: from then on the unit writes at once.
        self._held = Held(row.incident_id)
        self._at_once = share is None
        self._savepoint: NestedTransaction | None = None
        self.connection = conn
        self.now = now
        self._incident_id: str = row.incident_id
        self._policy = row.policy
        self._state = row.state
        ack_timeout = (row.spec or {}).get("ackTimeout")
        self._team_id: int | None = row.owner_team_id
        self._facts = IncidentFacts(
            id=row.incident_id,
            number=row.number,
            status=Status(row.status),
            urgency=Urgency(row.urgency),
            acknowledged_at=row.acknowledged_at,
            ack_timeout=parse_duration(ack_timeout) if ack_timeout else None,
            acknowledged_by=row.acknowledged_by,
        )

    @property
    def facts(self) -> IncidentFacts:
        return self._facts

    @property
    def policy(self) -> Mapping[str, Any] | None:
        policy: Mapping[str, Any] | None = self._policy
        return policy

    @property
    def state(self) -> Mapping[str, Any] | None:
        state: Mapping[str, Any] | None = self._state
        return state

    def reach(self, user: str) -> Reach | None:
        known = self._share.reach
        if user not in known:
            spec = self._conn.execute(_REACH, {"user": user}).scalar()
            known[user] = None if spec is None else contacts_of(spec)
        return known[user]

    # --- the hot path's writes: held in a batch -------------------------------------------

    def save(self, state: Mapping[str, Any] | None, due_at: datetime | None) -> None:
        self._held.state = (state, due_at)
        self._written()

    def log(
        self, at: datetime, kind: str, message: str, data: Mapping[str, Any] | None = None
    ) -> None:
        self._held.logs.append((at, kind, message, data))
        self._written()

    def enqueue(self, rows: Sequence[Outbound]) -> None:
        self._held.outbound += rows
        self._written()

    def _written(self) -> None:
        if self._at_once:
            self._write()

    def _write(self) -> None:
        held, self._held = self._held, Held(self._incident_id)
        write_held(self._conn, [held], self._now)

    def _alone(self) -> None:
        """Before anything that reads this incident's rows or writes elsewhere: a savepoint
        of its own, and its held writes written."""
        if self._at_once:
            return
        self._savepoint = self._conn.begin_nested()
        self._at_once = True
        self._write()

    def keep(self) -> None:
        """This incident's work is done: its writes go with the batch (or are written)."""
        if self._savepoint is not None:
            self._savepoint.commit()
        elif self._held.logs or self._held.outbound or self._held.state is not None:
            self._share.kept.append(self._held)

    def undo(self) -> None:
        """This incident's work failed: none of its writes happen."""
        self._held = Held(self._incident_id)
        if self._savepoint is not None:
            self._savepoint.rollback()

    # --- the rest: at once, in the unit's own savepoint -----------------------------------

    def audit(self, at: datetime, action: str, after: Mapping[str, Any]) -> None:
        self._alone()
        number = self._conn.execute(_NUMBER, {"incident": self._incident_id}).scalar()
        record(self._conn, at=at, kind="incident", name=f"#{number}", action=action, after=after)

    def retrigger(self, at: datetime) -> None:
        self._alone()
        self._conn.execute(
            update(t.incidents)
            .where(t.incidents.c.id == self._incident_id)
            .values(status=Status.TRIGGERED.value, updated_at=at)
        )
        self._conn.execute(
            update(t.alerts)
            .where(
                t.alerts.c.incident_id == self._incident_id,
                t.alerts.c.status == Status.ACKNOWLEDGED.value,
            )
            .values(status=Status.TRIGGERED.value)
        )

    def mark_unpaged(self, at: datetime, reason: Reason) -> bool:
        self._alone()
        return paging_store.mark_unpaged(self._conn, self._incident_id, at, reason)

    def fallback_people(self, tier: str) -> list[tuple[str, Reach]]:
        key = (tier, self._service_id if tier == "managers" else 0)
        people = self._share.people
        if key not in people:
            people[key] = paging_store.fallback_people(
                self._conn, self._service_id, tier, contacts_of
            )
        return people[key]

    def team_chat(self) -> str | None:
        if self._team_id is None:
            return None
        teams = self._share.teams
        if self._team_id not in teams:
            row = self._conn.execute(_TEAM, {"team": self._team_id}).first()
            teams[self._team_id] = (
                None if row is None or not team_chat_url(row.spec) else str(row.name)
            )
        return teams[self._team_id]

    def paged_users(self) -> tuple[str, ...]:
        self._alone()
        n = t.notifications
        found = self._conn.execute(
            select(n.c.user_name)
            .where(
                n.c.incident_id == self._incident_id,
                n.c.event_type.in_(sorted(PAGE_EVENTS)),
                n.c.status == "sent",
            )
            .distinct()
            .order_by(n.c.user_name)
        ).scalars()
        return tuple(str(u) for u in found if not str(u).startswith(TEAM_PREFIX))

    def planned(self) -> Planned:
        self._alone()
        rows = self._conn.execute(_PLANNED, {"incident": self._incident_id}).all()
        pages: dict[tuple[str, int, int, datetime], PlannedPage] = {}
        for row in rows:
            data = row.data or {}
            try:
                at = datetime.fromisoformat(str(data["paged_at"]))
                level, loop = int(data["level"]), int(data["loop"])
            except (KeyError, TypeError, ValueError):
                continue
            pages.setdefault(
                (row.user_name, level, loop, at),
                PlannedPage(row.user_name, level, loop, at, row.event_type),
            )
        return Planned(
            tuple(pages.values()),
            frozenset((r.user_name, r.contact, r.due_at) for r in rows),
        )

    def cancel_pending(self, at: datetime, reason: str) -> int:
        self._alone()
        result = self._conn.execute(
            update(t.notifications)
            .where(
                t.notifications.c.incident_id == self._incident_id,
                t.notifications.c.status == "pending",
                t.notifications.c.event_type.in_(sorted(PAGE_EVENTS)),
            )
            .values(status="cancelled", last_error=reason)
        )
        return result.rowcount
