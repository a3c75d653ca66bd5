"""The engine's storage: due escalations claimed one incident at a time, and the outbox.

PostgreSQL claims with ``FOR UPDATE SKIP LOCKED`` so any number of workers share the work
without doubling it; SQLite (one engine per database) serialises with ``BEGIN IMMEDIATE``.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Engine, Select, case, func, select, update
from sqlalchemy.dialects import postgresql, sqlite

from ownit.adapters.db import paging_store
from ownit.adapters.db import tables as t
from ownit.adapters.db.analytics_records import record_pages
from ownit.adapters.db.audit_log import record
from ownit.adapters.db.batch_sql import Sql
from ownit.adapters.db.engine import read_only
from ownit.adapters.db.responder_store import SqlResponderContexts
from ownit.adapters.db.secret_box import SecretBox, open_spec
from ownit.app.delivery import Claimed, DeliveryContext, Finished
from ownit.app.escalations import (
    TEAM_PREFIX,
    IncidentFacts,
    Outbound,
    Planned,
    PlannedPage,
    Reach,
)
from ownit.app.notify import PAGE_EVENTS, ResponderContext
from ownit.domain.alert_details import alert_details
from ownit.domain.durations import parse_duration
from ownit.domain.escalation.claims import Candidate, claim_order
from ownit.domain.incidents import Status, Urgency
from ownit.domain.oncall.notification_rules import CONTACT_TYPES, Contact, Rule
from ownit.domain.paging import Reason

log = logging.getLogger("ownit.worker")

_ADDRESS_FIELD = {"email": "address", "webhook": "url", "slack": "webhookUrl", "push": "url"}


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


class _Unit:
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
        spec = self._conn.execute(select(t.users.c.spec).where(t.users.c.name == user)).scalar()
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
        number = self._conn.execute(
            select(t.incidents.c.number).where(t.incidents.c.id == self._incident_id)
        ).scalar()
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
        insert = (
            postgresql.insert(t.notifications)
            if self._conn.dialect.name == "postgresql"
            else sqlite.insert(t.notifications)
        )
        self._conn.execute(
            insert.on_conflict_do_nothing(index_elements=["idempotency_key"]), values
        )
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
        row = self._conn.execute(
            select(t.teams.c.name, t.teams.c.spec).where(t.teams.c.id == self._team_id)
        ).first()
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
        n = t.notifications
        rows = self._conn.execute(
            select(n.c.user_name, n.c.contact, n.c.event_type, n.c.due_at, n.c.data).where(
                n.c.incident_id == self._incident_id,
                n.c.event_type.in_(sorted(PAGE_EVENTS)),
            )
        ).all()
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


_e, _i, _s = t.escalations, t.incidents, t.services

_FINISH = (
    "UPDATE notifications SET status = ?, claimed_until = NULL,"
    " sent_at = COALESCE(?, sent_at), last_error = COALESCE(?, last_error),"
    " due_at = COALESCE(?, due_at) WHERE id = ?"
)


# The details (the event as received) of the alert that opened an incident: its first.
_first_alert_details = (
    select(t.alerts.c.details)
    .where(t.alerts.c.incident_id == _i.c.id)
    .order_by(t.alerts.c.created_at, t.alerts.c.id)
    .limit(1)
    .scalar_subquery()
)

# What a unit of escalation work reads: the timer row, its incident and its service's spec.
_UNIT_ROWS = (
    select(
        _e.c.incident_id,
        _e.c.policy,
        _e.c.state,
        _i.c.number,
        _i.c.status,
        _i.c.urgency,
        _i.c.acknowledged_at,
        _i.c.service_id,
        _i.c.acknowledged_by,
        _s.c.spec,
        _s.c.owner_team_id,
    )
    .join(_i, _i.c.id == _e.c.incident_id)
    .join(_s, _s.c.id == _i.c.service_id)
)


CANDIDATES = 256
"""How many of the oldest and of the newest due rows a claim chooses from (so the claim
costs the same whatever the backlog: two index range scans)."""


def _both_ends(conn: Connection, query: Select[Any], due_at: Any, key: Any) -> list[Any]:
    """The ``CANDIDATES`` oldest and ``CANDIDATES`` newest rows of ``query``, once each: the
    oldest so nothing waits forever, the newest so a new incident's first page is seen
    even behind a backlog of thousands (the claim order then puts it first)."""
    oldest = list(conn.execute(query.order_by(due_at, key).limit(CANDIDATES)))
    newest = list(conn.execute(query.order_by(due_at.desc(), key.desc()).limit(CANDIDATES)))
    seen = {row[0] for row in oldest}
    return oldest + [row for row in newest if row[0] not in seen]


_DUE_ESCALATIONS = select(
    _e.c.incident_id,
    _i.c.service_id,
    _e.c.due_at,
    case((_e.c.state.is_(None), 1), else_=0).label("first"),
).join(_i, _i.c.id == _e.c.incident_id)

SWEEP_EVERY_S = 0.25
"""With a backlog beyond both ends, how often a claim also reads every service's oldest due
first page (a scan of the backlog: ~15 ms at 3,000 rows on the busy machine)."""


def _oldest_first_pages(now: datetime) -> Select[Any]:
    """Each service's oldest due first page (a window over the due escalations)."""
    rank = func.row_number().over(
        partition_by=_i.c.service_id, order_by=(_e.c.due_at, _e.c.incident_id)
    )
    due = (
        _DUE_ESCALATIONS.add_columns(rank.label("rank"))
        .where(_e.c.due_at <= now, _e.c.state.is_(None))
        .subquery()
    )
    return select(due.c.incident_id, due.c.service_id, due.c.due_at, due.c.first).where(
        due.c.rank == 1
    )


_n = t.notifications
_PENDING = select(_n.c.id, _n.c.user_name, _n.c.contact, _n.c.due_at, _n.c.event_type).where(
    _n.c.status == "pending"
)


class SqlWorkStore:
    """Implements the engine's ``EscalationStore`` and ``OutboxStore`` ports."""

    def __init__(self, engine: Engine, *, box: SecretBox | None = None) -> None:
        self._engine = engine
        self._reader = read_only(engine)
        self._box = box  # opens webhook secrets sealed at rest (decision 0031)
        # Per service, the oldest first page seen by a claim and not yet taken (a hint:
        # read again, and locked, only while still due).
        self._waiting: dict[Any, str] = {}
        self._sweep_at = 0.0  # monotonic time of the next sweep over a large backlog
        # Only reads: on SQLite they must not take the write lock from the ingest writer.
        self._responders = SqlResponderContexts(read_only(engine))

    # --- escalations ----------------------------------------------------------------------

    @contextmanager
    def due_batch(self, now: datetime, limit: int) -> Iterator[list[_Unit]]:
        """Up to ``limit`` due incidents, locked, in one transaction: process each inside
        :meth:`isolated` so one failing incident cannot spoil the others.

        Chosen fairly (``domain.escalation.claims``): first pages before repeats and later
        levels, services taking turns. The candidates are read before the write
        transaction (on SQLite it holds the one write lock: it stays short) and locked
        again inside it, where anything another worker took meanwhile is skipped."""
        with self._reader.connect() as conn:
            query = _DUE_ESCALATIONS.where(_e.c.due_at <= now)
            rows = _both_ends(conn, query, _e.c.due_at, _e.c.incident_id)
            # Remembered first pages that a storm has since pushed out of the newest rows.
            listed = {row.incident_id for row in rows}
            again = sorted(set(self._waiting.values()) - listed)
            if again:
                rows += list(conn.execute(query.where(_e.c.incident_id.in_(again))))
            if len(rows) >= 2 * CANDIDATES and time.monotonic() >= self._sweep_at:
                # A backlog beyond both ends: now and then, each service's oldest first page.
                self._sweep_at = time.monotonic() + SWEEP_EVERY_S
                listed = {row.incident_id for row in rows}
                rows += [r for r in conn.execute(_oldest_first_pages(now)) if r[0] not in listed]
        candidates = [Candidate(r.incident_id, r.service_id, r.due_at, bool(r.first)) for r in rows]
        picked = claim_order(candidates, limit)
        self._remember_waiting(candidates, set(picked))
        if not picked:
            yield []
            return
        with self._engine.begin() as conn:
            claim = (
                select(_e.c.incident_id)
                .where(_e.c.incident_id.in_(picked), _e.c.due_at <= now)
                .with_for_update(skip_locked=True)
            )
            ids = list(conn.execute(claim).scalars())
            if not ids:
                yield []
                return
            found = {
                row.incident_id: row
                for row in conn.execute(_UNIT_ROWS.where(_e.c.incident_id.in_(ids))).all()
            }
            people: dict[tuple[str, int], list[tuple[str, Reach]]] = {}
            yield [_Unit(conn, found[i], now, people) for i in picked if i in found]

    def _remember_waiting(self, candidates: Sequence[Candidate], picked: set[str]) -> None:
        """Keep, per service, the oldest first page seen but not yet claimed: the next claims
        read it again by its key, so a service's new incident that a storm pushed out of the
        newest rows is not left to wait behind the whole backlog."""
        waiting: dict[Any, Candidate] = {}
        for cand in candidates:
            if not cand.first or cand.key in picked:
                continue
            held = waiting.get(cand.group)
            if held is None or (cand.due_at, cand.key) < (held.due_at, held.key):
                waiting[cand.group] = cand
        self._waiting = {group: cand.key for group, cand in waiting.items()}

    @contextmanager
    def isolated(self, unit: _Unit) -> Iterator[None]:
        """A savepoint around one incident's work: on error only its changes are undone, and
        its timer is moved on so it cannot block the queue."""
        try:
            with unit.connection.begin_nested():
                yield
        except Exception:
            log.exception("escalation of incident %s failed; retrying later", unit.facts.id)
            unit.connection.execute(
                update(_e)
                .where(_e.c.incident_id == unit.facts.id)
                .values(due_at=unit.now + timedelta(seconds=30))
            )

    @contextmanager
    def locked(self, incident_id: str, now: datetime) -> Iterator[_Unit | None]:
        """One incident's escalation, locked for a manual action (escalate, reassign)."""
        with self._engine.begin() as conn:
            row = conn.execute(
                _UNIT_ROWS.where(_e.c.incident_id == incident_id).with_for_update(of=_e)
            ).first()
            yield None if row is None else _Unit(conn, row, now)

    def known_user(self, name: str) -> bool:
        with self._engine.connect() as conn:
            return (
                conn.execute(select(t.users.c.id).where(t.users.c.name == name)).first() is not None
            )

    # --- outbox ---------------------------------------------------------------------------

    def claim(self, now: datetime, limit: int, lease: timedelta) -> list[Claimed]:
        n = t.notifications
        with self._engine.begin() as conn:
            # Leases run out first (their work is oldest), then pending rows chosen fairly:
            # first pages first, contacts taking turns (a storm for one person's contact
            # cannot hold another person's page back by more than a batch).
            stale = (
                select(n.c.id)
                .where(n.c.status == "sending", n.c.claimed_until < now)
                .limit(limit)
                .with_for_update(skip_locked=True)
            )
            ids = list(conn.execute(stale).scalars())
            room = limit - len(ids)
            if room > 0:
                query = _PENDING.where(n.c.due_at <= now)
                pending = _both_ends(conn, query, n.c.due_at, n.c.id)
                picked = claim_order(
                    [
                        Candidate(
                            str(r.id),
                            (r.user_name, r.contact),
                            r.due_at,
                            r.event_type == "incident.triggered",
                        )
                        for r in pending
                    ],
                    room,
                )
                if picked:
                    lock = (
                        select(n.c.id)
                        .where(
                            n.c.id.in_([int(i) for i in picked]),
                            n.c.status == "pending",
                            n.c.due_at <= now,
                        )
                        .with_for_update(skip_locked=True)
                    )
                    ids += list(conn.execute(lock).scalars())
            if not ids:
                return []
            conn.execute(
                update(n)
                .where(n.c.id.in_(ids))
                .values(status="sending", claimed_until=now + lease, attempts=n.c.attempts + 1)
            )
            rows = conn.execute(select(n).where(n.c.id.in_(ids)).order_by(n.c.due_at)).all()
        return [
            Claimed(
                id=r.id,
                incident_id=r.incident_id,
                user=r.user_name,
                contact=r.contact,
                channel=r.channel,
                event_type=r.event_type,
                key=r.idempotency_key,
                attempts=r.attempts,
                data=r.data or {},
            )
            for r in rows
        ]

    def responder_contexts(
        self, incident_ids: Sequence[str], now: datetime
    ) -> dict[str, ResponderContext]:
        """First-responder context for the first pages of a delivery round."""
        return self._responders.responder_contexts(incident_ids, now)

    def context(self, claimed: Claimed) -> DeliveryContext | None:
        return self.contexts([claimed])[0]

    def contexts(self, group: Sequence[Claimed]) -> list[DeliveryContext | None]:
        """What each notification needs to be written, in two queries for the whole group."""
        ids = sorted({c.incident_id for c in group if c.incident_id is not None})
        users = sorted({c.user for c in group})
        with self._engine.connect() as conn:
            rows = conn.execute(
                select(
                    _i.c.id,
                    _i.c.number,
                    _i.c.title,
                    _i.c.status,
                    _i.c.urgency,
                    _i.c.component,
                    _i.c.dedup_key,
                    _i.c.acknowledged_at,
                    _s.c.name.label("service"),
                    _s.c.spec,
                    _first_alert_details.label("raw"),
                )
                .join(_s, _s.c.id == _i.c.service_id)
                .where(_i.c.id.in_(ids))
            ).all()
            specs = dict(
                conn.execute(
                    select(t.users.c.name, t.users.c.spec).where(t.users.c.name.in_(users))
                ).all()
            )
            teams = [u.removeprefix(TEAM_PREFIX) for u in users if u.startswith(TEAM_PREFIX)]
            channels = {
                TEAM_PREFIX + name: team_chat_url(spec)
                for name, spec in conn.execute(
                    select(t.teams.c.name, t.teams.c.spec).where(t.teams.c.name.in_(teams))
                ).all()
            }
        incidents: dict[str, dict[str, Any]] = {}
        for row in rows:
            incident = {str(k): v for k, v in row._mapping.items() if k not in ("spec", "raw")}
            incident["runbook"] = (row.spec or {}).get("runbook")
            # What the monitoring tool said, from the alert that opened the incident.
            incident["alert_details"] = alert_details(row.raw)
            incidents[row.id] = incident
        out: list[DeliveryContext | None] = []
        for claimed in group:
            found = incidents.get(claimed.incident_id or "")
            if found is None:
                out.append(None)
                continue
            contact = None
            spec = open_spec(specs.get(claimed.user) or {}, self._box)
            for raw in spec.get("contacts") or []:
                if raw.get("name") == claimed.contact:
                    contact = {str(k): str(v) for k, v in raw.items()}
            channel = channels.get(claimed.user)
            if channel:  # a team's chat channel
                contact = {"name": "chat", "type": "slack", "webhookUrl": channel}
            out.append(DeliveryContext(incident=found, contact=contact))
        return out

    def finish_many(self, done: Sequence[Finished], at: datetime) -> None:
        """Record outcomes and their timeline entries, all in one transaction."""
        if not done:
            return
        with self._engine.begin() as conn:
            sql = Sql(conn)
            # One statement for every row (the driver's executemany): a sent row gets
            # ``sent_at``, the others ``last_error``; ``due_at`` moves only for a retry.
            sql.run(
                _FINISH,
                [
                    (
                        f.status,
                        sql.ts(at) if f.status == "sent" else None,
                        None if f.status == "sent" else f.detail,
                        sql.ts(f.retry_at),
                        f.claimed.id,
                    )
                    for f in done
                ],
            )
            entries = [
                {
                    "incident_id": f.claimed.incident_id,
                    "at": at,
                    "kind": {"sent": "notified", "cancelled": "notification cancelled"}.get(
                        f.status, "notification failed"
                    ),
                    "actor": "engine",
                    "message": f.detail,
                    "data": {
                        "user": f.claimed.user,
                        "contact": f.claimed.contact,
                        "key": f.claimed.key,
                    },
                }
                for f in done
                if f.claimed.incident_id is not None
            ]
            if entries:
                conn.execute(t.log_entries.insert(), entries)
