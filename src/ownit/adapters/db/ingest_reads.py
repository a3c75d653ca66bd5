"""What an ingest batch reads, inside its transaction: the services its keys belong to
(integrations, heartbeats), the services its router decisions name, component policies,
open alerts with their incidents' open counts, running maintenance windows, group heads.

Rows come back as the pure domain's types (:mod:`ownit.domain.ingest`); every rule about
them is the domain's. Services are kept parsed across batches by their stored text
(:class:`ParsedServices`).
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
from sqlalchemy import Connection, select

from ownit.adapters.db import tables as t
from ownit.adapters.db.batch_sql import Sql
from ownit.domain.incidents import Status
from ownit.domain.ingest.dedup import GroupHead, GroupSlot, OpenAlert
from ownit.domain.ingest.maintenance import ServiceWindow
from ownit.domain.ingest.resolution import Source
from ownit.domain.ingest.services import IngestService, parse_service, policy_snapshot
from ownit.domain.key_digests import key_digest


class ParsedServices:
    """Services as ingest needs them, kept across batches by their stored text: a service
    is parsed again only when its spec, urgency or policy changed (content, not clock: an
    edit always shows). Shared by the batches of one store; bounded."""

    def __init__(self, limit: int = 20_000) -> None:
        self._limit = limit
        self._found: dict[tuple[Any, ...], IngestService] = {}
        self._lock = threading.Lock()

    def get(self, row: Any) -> IngestService:
        key = tuple(row)
        with self._lock:
            found = self._found.get(key)
        if found is not None:
            return found
        found = parse_service(
            service_id=row.id,
            name=row.name,
            urgency=row.urgency,
            spec=orjson.loads(row.spec_text) if row.spec_text else {},
            policy_name=row.policy,
            policy_spec=orjson.loads(row.policy_text) if row.policy_text else None,
        )
        with self._lock:
            if len(self._found) >= self._limit:
                self._found.clear()
            self._found[key] = found
        return found


class BatchReader:
    """Reads for one batch, inside its transaction. Services and component policies read
    so far are kept (:attr:`services`, :attr:`policies`): each is read once a batch."""

    def __init__(self, conn: Connection, parsed: ParsedServices | None = None) -> None:
        self._conn = conn
        self._sql = Sql(conn)
        self._parsed = parsed or ParsedServices()
        self.services: dict[str, IngestService] = {}
        self.policies: dict[str, Mapping[str, Any] | None] = {}

    def sources(self, keys: Iterable[str], heartbeat_keys: Iterable[str] = ()) -> dict[str, Source]:
        """The integration keys among ``keys``, and the heartbeat keys among
        ``heartbeat_keys`` (the keys of heartbeat events: a heartbeat's key is good for its
        own pings and missed-heartbeat triggers only), each with its service.

        Integrations are found by the SHA-256 of each key (the database keeps no keys,
        decision 0035): one indexed lookup. Heartbeat events carry their heartbeat's
        stored digest already (ownit makes them from the row); they are looked up as
        they are."""
        by_digest = {key_digest(k): k for k in set(keys)}
        if not by_digest:
            return {}
        digests = sorted(by_digest)
        rows = self._sql.rows(
            'SELECT i."key", i.id, i.name, s.name AS service FROM integrations i '
            f'JOIN services s ON s.id = i.service_id WHERE i."key" IN ({_marks(digests)})',
            tuple(digests),
        )
        # A heartbeat's own key (the engine's missed-heartbeat triggers, a ping's resolve)
        # reaches its service too: one more query, only for keys no integration has.
        found_keys = {by_digest[r.key] for r in rows}
        missing = (set(by_digest.values()) & set(heartbeat_keys)) - found_keys
        beats: Sequence[Any] = ()
        if missing:
            h, s = t.heartbeats, t.services
            beats = self._conn.execute(
                select(h.c.key, h.c.name, s.c.name.label("service"))
                .join(s, s.c.id == h.c.service_id)
                .where(h.c.key.in_(missing))
            ).all()
        self.read_services({r.service for r in rows} | {b.service for b in beats})
        found: dict[str, Source] = {}
        for digest, integration_id, name, service in rows:
            found[by_digest[digest]] = Source(integration_id, name, self.services[service])
        for key, name, service in beats:
            found[key] = Source(0, f"heartbeat/{name}", self.services[service])
        return found

    def auto_resolve(self) -> dict[int, timedelta]:
        """The ``autoResolve`` of every service read, by service id (those that have one)."""
        return {s.id: s.auto_resolve for s in self.services.values() if s.auto_resolve}

    def read_services(self, names: set[str]) -> None:
        """Read the services named (those not read yet, in one query), then the policies of
        their components (those not read yet, in one more)."""
        names -= set(self.services)
        if not names:
            return
        ordered = sorted(names)
        rows = self._sql.rows(
            "SELECT s.id AS id, s.name AS name, s.urgency AS urgency, "
            "CAST(s.spec AS TEXT) AS spec_text, ep.name AS policy, "
            "CAST(ep.spec AS TEXT) AS policy_text FROM services s "
            "LEFT OUTER JOIN escalation_policies ep ON ep.id = s.escalation_policy_id "
            f"WHERE s.name IN ({_marks(ordered)})",
            tuple(ordered),
        )
        for row in rows:
            self.services[row.name] = self._parsed.get(row)
        wanted = {c.policy for svc in self.services.values() for c in svc.components if c.policy}
        self._read_policies(wanted)

    def _read_policies(self, names: set[str]) -> None:
        names -= set(self.policies)
        if not names:
            return
        ep = t.escalation_policies
        for name, spec in self._conn.execute(
            select(ep.c.name, ep.c.spec).where(ep.c.name.in_(names))
        ):
            self.policies[name] = policy_snapshot(name, spec)

    def open_alerts(
        self, wanted: Mapping[int, set[str]]
    ) -> tuple[dict[tuple[int, str], OpenAlert], dict[str, int]]:
        """The open alerts of these (service, dedup keys), and for each alert's incident how
        many of its alerts are open (a grouped or merged incident resolves with its last)."""
        open_alerts: dict[tuple[int, str], OpenAlert] = {}
        open_counts: dict[str, int] = {}
        if not wanted:
            return open_alerts, open_counts
        # One query for every service of the batch (a router spreads a batch over many);
        # each OR term names one service and repeats the open-alert index's condition,
        # so both databases search that index once per term instead of scanning.
        terms: list[str] = []
        params: list[Any] = []
        for service_id, dedup_keys in sorted(wanted.items()):
            ordered = sorted(dedup_keys)
            terms.append(
                f"(service_id = ? AND dedup_key IN ({_marks(ordered)}) AND status != 'resolved')"
            )
            params += [service_id, *ordered]
        found = self._sql.rows(
            "SELECT service_id, dedup_key, id, incident_id, status, (SELECT COUNT(*) "
            "FROM alerts o WHERE o.incident_id = alerts.incident_id "
            "AND o.status != 'resolved') FROM alerts WHERE " + " OR ".join(terms),
            tuple(params),
        )
        for service_id, dedup_key, alert_id, incident_id, status, count in found:
            open_alerts[(service_id, dedup_key)] = OpenAlert(alert_id, incident_id, Status(status))
            open_counts[incident_id] = int(count)
        return open_alerts, open_counts

    def maintenance(self, service_ids: set[int], now: datetime) -> list[ServiceWindow]:
        """The maintenance windows running at ``now`` over these services (one query a
        batch), ordered by their end, then their name."""
        if not service_ids:
            return []
        ordered = sorted(service_ids)
        sql = self._sql
        found = sql.rows(
            "SELECT s.service_id, w.name, w.end_at FROM maintenance_windows w "
            "JOIN maintenance_window_services s ON s.window_id = w.id "
            f"WHERE w.start_at <= ? AND w.end_at > ? AND s.service_id IN ({_marks(ordered)}) "
            "ORDER BY w.end_at, w.name",
            (sql.ts(now), sql.ts(now), *ordered),
        )
        return [
            ServiceWindow(int(service_id), str(name), _aware(end_at))
            for service_id, name, end_at in found
        ]

    def groups(
        self, wanted: Mapping[int, set[str]]
    ) -> tuple[dict[GroupSlot, GroupHead], dict[str, int]]:
        """The newest open incident of each (service, component, group key), and the number
        of open alerts of each of them: one query per grouped service of the batch."""
        heads: dict[GroupSlot, GroupHead] = {}
        counts: dict[str, int] = {}
        for service_id, keys in sorted(wanted.items()):
            ordered = sorted(keys)
            rows = self._sql.rows(
                "SELECT i.id, i.component, i.group_key, i.created_at, (SELECT COUNT(*) "
                "FROM alerts a WHERE a.incident_id = i.id AND a.status != 'resolved') "
                f"FROM incidents i WHERE i.service_id = ? AND i.group_key IN ({_marks(ordered)}) "
                "AND i.status != 'resolved' ORDER BY i.created_at, i.id",
                (service_id, *ordered),
            )
            for incident_id, component, key, created_at, count in rows:
                heads[(service_id, component, key)] = GroupHead(incident_id, _aware(created_at))
                counts[incident_id] = int(count)
        return heads, counts


def _marks(values: Sequence[Any]) -> str:
    """One ``?`` per value, for an ``IN (…)`` list."""
    return ", ".join("?" for _ in values)


def _aware(value: Any) -> datetime:
    """A timestamp read at driver level: SQLite's text (UTC), PostgreSQL's aware datetime."""
    if isinstance(value, datetime):
        return value if value.tzinfo is not None else value.replace(tzinfo=UTC)
    return datetime.fromisoformat(str(value)).replace(tzinfo=UTC)
