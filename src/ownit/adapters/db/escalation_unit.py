"""One incident's escalation as the engine sees it inside its claim: its facts, its frozen
policy and state, and what the engine writes for it (timeline, outbox, paging state, audit).
Made by :class:`ownit.adapters.db.work_store.SqlWorkStore` for the incidents it claimed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, bindparam, select, update
from sqlalchemy.dialects import postgresql, sqlite

from ownit.adapters.db import paging_store
from ownit.adapters.db import tables as t
from ownit.adapters.db.analytics_records import record_pages
from ownit.adapters.db.audit_log import record
from ownit.adapters.db.batch_sql import Sql
from ownit.app.escalations import (
    TEAM_PREFIX,
    IncidentFacts,
    Outbound,
    Planned,
    PlannedPage,
    Reach,
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
_ENQUEUE = {
    "postgresql": postgresql.insert(_n).on_conflict_do_nothing(index_elements=["idempotency_key"]),
    "sqlite": sqlite.insert(_n).on_conflict_do_nothing(index_elements=["idempotency_key"]),
}


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
        self,
        conn: Connection,
        row: Any,
        now: datetime,
        people: dict[tuple[str, int], list[tuple[str, Reach]]] | None = None,
    ) -> None:
        self._conn = conn
        self._now = now
        self._service_id: int = row.service_id
        # Fallback people, shared by the units of one batch: a flood on one service asks once.
        self._people = people if people is not None else {}
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
        spec = self._conn.execute(_REACH, {"user": user}).scalar()
        return None if spec is None else contacts_of(spec)

    def save(self, state: Mapping[str, Any] | None, due_at: datetime | None) -> None:
        sql = Sql(self._conn)  # at driver level: once for every incident the engine touches
        sql.run(
            "UPDATE escalations SET state = ?, due_at = ? WHERE incident_id = ?",
            [
                (
                    sql.json(dict(state)) if state is not None else None,
                    sql.ts(due_at),
                    self._incident_id,
                )
            ],
        )

    def log(
        self, at: datetime, kind: str, message: str, data: Mapping[str, Any] | None = None
    ) -> None:
        # At driver level: every step of every incident writes here.
        sql = Sql(self._conn)
        sql.insert(
            "log_entries",
            ("incident_id", "at", "kind", "actor", "message", "data"),
            [
                (
                    self._incident_id,
                    sql.ts(at),
                    kind,
                    "engine",
                    message,
                    sql.json(dict(data)) if data else None,
                )
            ],
        )

    def audit(self, at: datetime, action: str, after: Mapping[str, Any]) -> None:
        number = self._conn.execute(_NUMBER, {"incident": self._incident_id}).scalar()
        record(self._conn, at=at, kind="incident", name=f"#{number}", action=action, after=after)

    def retrigger(self, at: datetime) -> None:
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

    def enqueue(self, rows: Sequence[Outbound]) -> None:
        if not rows:
            return
        values = [
            {
                "incident_id": r.incident_id,
                "user_name": r.user,
                "contact": r.contact,
                "channel": r.channel,
                "event_type": r.event_type,
                "idempotency_key": r.key,
                "status": "pending",
                "due_at": r.due_at,
                "attempts": 0,
                "created_at": self._now,
                "data": dict(r.data),
            }
            for r in rows
        ]
        self._conn.execute(_ENQUEUE[self._conn.dialect.name], values)
        record_pages(self._conn, ((r.incident_id, r.user, r.data) for r in rows), self._now)

    def mark_unpaged(self, at: datetime, reason: Reason) -> bool:
        return paging_store.mark_unpaged(self._conn, self._incident_id, at, reason)

    def fallback_people(self, tier: str) -> list[tuple[str, Reach]]:
        key = (tier, self._service_id if tier == "managers" else 0)
        if key not in self._people:
            self._people[key] = paging_store.fallback_people(
                self._conn, self._service_id, tier, contacts_of
            )
        return self._people[key]

    def team_chat(self) -> str | None:
        if self._team_id is None:
            return None
        row = self._conn.execute(_TEAM, {"team": self._team_id}).first()
        if row is None or not team_chat_url(row.spec):
            return None
        return str(row.name)

    def paged_users(self) -> tuple[str, ...]:
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
