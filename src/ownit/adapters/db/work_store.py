"""The engine's storage: due escalations claimed one incident at a time, and the outbox.

PostgreSQL claims with ``FOR UPDATE SKIP LOCKED`` so any number of workers share the work
without doubling it; SQLite (one engine per database) serialises with ``BEGIN IMMEDIATE``.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Engine, select, update

from ownit.adapters.db import tables as t
from ownit.adapters.db.batch_sql import Sql
from ownit.adapters.db.claim_candidates import (
    DUE_ENDS,
    FIRST_PAGES,
    PENDING_ENDS,
    both_ends,
    oldest_window,
)
from ownit.adapters.db.engine import read_only
from ownit.adapters.db.escalation_unit import (
    BatchShare,
    Held,
    SqlEscalationUnit,
    team_chat_url,
    write_held,
)
from ownit.adapters.db.responder_store import SqlResponderContexts
from ownit.adapters.db.secret_box import SecretBox, open_spec
from ownit.app.delivery import Claimed, DeliveryContext, Finished, Hold
from ownit.app.escalations import (
    TEAM_PREFIX,
)
from ownit.app.notify import ANALYTICS_DIGEST, ResponderContext
from ownit.domain.alert_details import alert_details
from ownit.domain.escalation.claims import Candidate, claim_order

log = logging.getLogger("ownit.worker")
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


@dataclass(frozen=True, slots=True)
class _Held:
    until: datetime
    why: str
    ids: list[int]  # its due rows the claim read (digests left out: never held)


def _held_contacts(pending: Sequence[Any], hold: Hold | None) -> dict[tuple[str, str], _Held]:
    """The contacts among ``pending`` that ``hold`` holds back: until when, why, and their
    rows."""
    if hold is None:
        return {}
    held: dict[tuple[str, str], _Held] = {}
    free: set[tuple[str, str]] = set()
    for row in pending:
        key = (row.user_name, row.contact)
        if key in free or row.event_type == ANALYTICS_DIGEST:
            continue
        if key not in held:
            found = hold(row.user_name, row.contact, row.channel)
            if found is None:
                free.add(key)
                continue
            held[key] = _Held(*found, ids=[])
        held[key].ids.append(row.id)
    return held


class SqlWorkStore:
    """Implements the engine's ``EscalationStore`` and ``OutboxStore`` ports."""

    def __init__(self, engine: Engine, *, box: SecretBox | None = None) -> None:
        self._engine = engine
        self._reader = read_only(engine)
        self._box = box  # opens webhook secrets sealed at rest (decision 0031)
        # Only reads: on SQLite they must not take the write lock from the ingest writer.
        self._responders = SqlResponderContexts(read_only(engine))

    # --- escalations ----------------------------------------------------------------------

    @contextmanager
    def due_batch(self, now: datetime, limit: int) -> Iterator[list[SqlEscalationUnit]]:
        """Up to ``limit`` due incidents, locked, in one transaction: process each inside
        :meth:`isolated` so one failing incident cannot spoil the others.

        Chosen fairly (``domain.escalation.claims``): first pages before repeats and later
        levels, services taking turns. The candidates are read before the write
        transaction (on SQLite it holds the one write lock: it stays short) and locked
        again inside it, where anything another worker took meanwhile is skipped."""
        with self._reader.connect() as conn:
            rows = both_ends(conn, DUE_ENDS, now, oldest_window(limit))
            # Each service's oldest first page, however far a storm has pushed it from
            # both ends: another service's new incident is in the very next batch.
            listed = {row.incident_id for row in rows}
            rows += [r for r in conn.execute(FIRST_PAGES, {"now": now}) if r[0] not in listed]
        candidates = [Candidate(r.incident_id, r.service_id, r.due_at, bool(r.first)) for r in rows]
        picked = claim_order(candidates, limit)
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
            share = BatchShare()
            yield [SqlEscalationUnit(conn, found[i], now, share) for i in picked if i in found]
            self._write_kept(conn, share.kept, now)

    def _write_kept(self, conn: Connection, kept: Sequence[Held], now: datetime) -> None:
        """The batch's held writes, together; should that fail, each incident's on its own,
        so that only a failing incident's are lost (and its timer moved on, as
        :meth:`isolated` does)."""
        if not kept:
            return
        try:
            with conn.begin_nested():
                write_held(conn, kept, now)
            return
        except Exception:
            log.exception("writing a batch of escalations failed; writing them one by one")
        for held in kept:
            try:
                with conn.begin_nested():
                    write_held(conn, [held], now)
            except Exception:
                log.exception("escalation of incident %s failed; retrying later", held.incident_id)
                self._later(conn, held.incident_id, now)

    @contextmanager
    def isolated(self, unit: SqlEscalationUnit) -> Iterator[None]:
        """Around one incident's work: on error only its changes are undone (its held writes
        dropped, or its own savepoint rolled back: see ``SqlEscalationUnit``), and its timer
        is moved on so it cannot block the queue."""
        try:
            yield
        except Exception:
            unit.undo()
            log.exception("escalation of incident %s failed; retrying later", unit.facts.id)
            self._later(unit.connection, unit.facts.id, unit.now)
        else:
            unit.keep()

    @staticmethod
    def _later(conn: Connection, incident_id: str, now: datetime) -> None:
        """A failed incident's timer, moved on so it cannot block the queue."""
        conn.execute(
            update(_e)
            .where(_e.c.incident_id == incident_id)
            .values(due_at=now + timedelta(seconds=30))
        )

    @contextmanager
    def locked(self, incident_id: str, now: datetime) -> Iterator[SqlEscalationUnit | None]:
        """One incident's escalation, locked for a manual action (escalate, reassign)."""
        with self._engine.begin() as conn:
            row = conn.execute(
                _UNIT_ROWS.where(_e.c.incident_id == incident_id).with_for_update(of=_e)
            ).first()
            yield None if row is None else SqlEscalationUnit(conn, row, now)

    def known_user(self, name: str) -> bool:
        with self._reader.connect() as conn:
            return (
                conn.execute(select(t.users.c.id).where(t.users.c.name == name)).first() is not None
            )

    # --- outbox ---------------------------------------------------------------------------

    def claim(
        self, now: datetime, limit: int, lease: timedelta, hold: Hold | None = None
    ) -> list[Claimed]:
        n = t.notifications
        # Pending rows are chosen fairly: first pages first, contacts taking turns (a storm
        # for one person's contact cannot hold another person's page back by more than a
        # batch). The candidates are read before the write transaction (on SQLite it holds
        # the one write lock: it stays short) and locked again inside it, where anything
        # another worker took meanwhile is skipped.
        with self._reader.connect() as conn:
            pending = both_ends(conn, PENDING_ENDS, now, oldest_window(limit))
        held = _held_contacts(pending, hold)
        candidates = [
            Candidate(
                str(r.id), (r.user_name, r.contact), r.due_at, r.event_type == "incident.triggered"
            )
            for r in pending
            if (r.user_name, r.contact) not in held or r.event_type == ANALYTICS_DIGEST
        ]
        with self._engine.begin() as conn:
            if held:
                self._postpone(conn, held)
            # Leases run out first (their work is oldest), then the pending rows picked.
            stale = (
                select(n.c.id)
                .where(n.c.status == "sending", n.c.claimed_until < now)
                .limit(limit)
                .with_for_update(skip_locked=True)
            )
            ids = list(conn.execute(stale).scalars())
            room = limit - len(ids)
            picked = claim_order(candidates, room) if room > 0 else []
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

    @staticmethod
    def _postpone(conn: Connection, held: Mapping[tuple[str, str], _Held]) -> None:
        """A held contact's due notifications that the claim read wait for its next
        message: none takes a claim's room or a round trip meanwhile (by id: the contact's
        postponed rows are not scanned again).

        Locked by id alone, and their status checked here: with ``status`` in the statement
        PostgreSQL may choose the status index and scan every pending row (thousands in a
        storm) for these few. Rows another worker holds right now are its to finish."""
        n = t.notifications
        wanted = [i for contact in held.values() for i in contact.ids]
        lock = select(n.c.id, n.c.status).where(n.c.id.in_(wanted))
        free = {
            row.id
            for row in conn.execute(lock.with_for_update(skip_locked=True))
            if row.status == "pending"
        }
        for _, contact in sorted(held.items()):
            ids = [i for i in contact.ids if i in free]
            if ids:
                conn.execute(
                    update(n)
                    .where(n.c.id.in_(ids))
                    .values(due_at=contact.until, last_error=contact.why)
                )

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
        # Only reads: on SQLite they must not take the write lock from the ingest writer.
        with self._reader.connect() as conn:
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
                    _i.c.drill,
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
            if found is None and claimed.event_type == ANALYTICS_DIGEST:
                found = {}  # a digest is about no incident: only its contact is needed
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
