"""What an ingest batch reads, inside its transaction: the services its keys belong to
(integrations, heartbeats), the services its router decisions name, component policies,
open alerts with their incidents' open counts, running maintenance windows, group heads.

Rows come back as the pure domain's types (:mod:`ownit.domain.ingest`); every rule about
them is the domain's. Services are kept parsed across batches by their stored text
(:class:`ParsedServices`).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
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

    def get(self, row: Sequence[Any]) -> IngestService:
        """``row``: the service's id, name, urgency, spec and policy name and spec as text
        (:data:`SERVICE_COLUMNS`)."""
        key = tuple(row)
        with self._lock:
            found = self._found.get(key)
        if found is not None:
            return found
        service_id, name, urgency, spec_text, policy, policy_text = key
        found = parse_service(
            service_id=service_id,
            name=name,
            urgency=urgency,
            spec=orjson.loads(spec_text) if spec_text else {},
            policy_name=policy,
            policy_spec=orjson.loads(policy_text) if policy_text else None,
        )
        with self._lock:
            if len(self._found) >= self._limit:
                self._found.clear()
            self._found[key] = found
        return found


class KnownSources:
    """Each key's source as a batch last read it, for the next batch with the same keys to
    plan on before it has read them (decision 0080). Only a guess: that batch reads its keys
    again in the round trip that reads what the plan needs, and plans again if they differ.
    Shared by the batches of one store; bounded."""

    def __init__(self, limit: int = 20_000) -> None:
        self._limit = limit
        self._known: dict[str, Source] = {}
        self._lock = threading.Lock()

    def guess(self, keys: Iterable[str]) -> dict[str, Source] | None:
        """The source of every one of ``keys`` as last read; ``None`` if one was never read
        or not found, or if a service's components name policies of their own (those are
        read with the services, after them)."""
        guessed: dict[str, Source] = {}
        with self._lock:
            for key in keys:
                source = self._known.get(key)
                if source is None:
                    return None
                guessed[key] = source
        if not guessed or any(
            c.policy for source in guessed.values() for c in source.service.components
        ):
            return None
        return guessed

    def saw(self, keys: Iterable[str], sources: Mapping[str, Source]) -> None:
        """What a batch read for ``keys``: the source of each found, as it is now; those not
        found are guessed no more."""
        with self._lock:
            for key in keys:
                if key not in sources:
                    self._known.pop(key, None)
            if len(self._known) + len(sources) > self._limit:
                self._known.clear()
            self._known.update(sources)


# A service as ingest parses it (:meth:`ParsedServices.get`), read with its policy: the
# columns, then the join (``s`` the service).
SERVICE_COLUMNS = "s.id, s.name, s.urgency, CAST(s.spec AS TEXT), ep.name, CAST(ep.spec AS TEXT)"
WITH_POLICY = "LEFT OUTER JOIN escalation_policies ep ON ep.id = s.escalation_policy_id"


@dataclass
class Found:
    """What a batch reads once it knows where its events go (:meth:`BatchReader.found`)."""

    open_alerts: dict[tuple[int, str], OpenAlert]
    # Open alerts by incident: of the open alerts' incidents, then of the group heads'.
    open_counts: dict[str, int]
    maintenance: list[ServiceWindow]
    groups: dict[GroupSlot, GroupHead]


class BatchReader:
    """Reads for one batch, inside its transaction. Services and component policies read
    so far are kept (:attr:`services`, :attr:`policies`): each is read once a batch."""

    def __init__(
        self, conn: Connection, parsed: ParsedServices | None = None, *, begin: bool = False
    ) -> None:
        """``begin``: the connection is in autocommit; the batch's transaction begins with its
        first reads, in their round trip (PostgreSQL)."""
        self._conn = conn
        self._sql = Sql(conn, begin=begin)
        self._parsed = parsed or ParsedServices()
        self.services: dict[str, IngestService] = {}
        self.policies: dict[str, Mapping[str, Any] | None] = {}

    def assume(self, sources: Mapping[str, Source]) -> None:
        """Take the services of ``sources`` (an earlier batch's) as read, to plan on them."""
        self.services.update({s.service.name: s.service for s in sources.values()})

    def begin_if_pending(self) -> None:
        """With ``begin``: the transaction's BEGIN, if no read has carried it yet."""
        self._sql.begin_if_pending()

    def sources(self, keys: Iterable[str], heartbeat_keys: Iterable[str] = ()) -> dict[str, Source]:
        """The integration keys among ``keys``, and the heartbeat keys among
        ``heartbeat_keys`` (the keys of heartbeat events: a heartbeat's key is good for its
        own pings and missed-heartbeat triggers only), each with its service.

        Integrations are found by the SHA-256 of each key (the database keeps no keys,
        decision 0035): one indexed lookup. Heartbeat events carry their heartbeat's
        stored digest already (ownit makes them from the row); they are looked up as
        they are."""
        asked = _SourceQueries(keys, heartbeat_keys)
        return self._sources_from(asked, iter(self._sql.together(asked.queries)))

    def sources_and_found(
        self,
        keys: Iterable[str],
        heartbeat_keys: Iterable[str],
        wanted: Mapping[int, set[str]],
        paged: set[int],
        grouped: Mapping[int, set[str]],
        now: datetime,
    ) -> tuple[dict[str, Source], Found]:
        """:meth:`sources` and :meth:`found` in one round trip, for a batch planned on the
        sources its keys had before (decision 0080): the caller compares them with what
        this reads, and plans again if they differ."""
        asked = _SourceQueries(keys, heartbeat_keys)
        queries, read = self._found_queries(wanted, paged, grouped, now, None)
        answers = iter(self._sql.together([*asked.queries, *queries]))
        return self._sources_from(asked, answers), read(answers)

    def _sources_from(
        self, asked: _SourceQueries, answers: Iterator[Sequence[Any]]
    ) -> dict[str, Source]:
        """The sources in the answers to ``asked``'s queries (taken from ``answers``)."""
        if not asked.queries:
            return {}
        rows = next(answers)
        beats = next(answers) if len(asked.queries) > 1 else ()
        found: dict[str, Source] = {}
        for digest, integration_id, name, *service in rows:
            found[asked.by_digest[digest]] = Source(integration_id, name, self._service(service))
        # A heartbeat's own key (the engine's missed-heartbeat triggers, a ping's resolve)
        # reaches its service too: for keys no integration has.
        for key, name, *service in beats:
            if key not in found:
                found[key] = Source(0, f"heartbeat/{name}", self._service(service))
        self._read_component_policies()
        return found

    def _service(self, row: Sequence[Any]) -> IngestService:
        """A service read with its policy (:data:`SERVICE_COLUMNS`), parsed (or as kept by its
        row) and kept as read: never an earlier batch's guess of it."""
        service = self.services[row[1]] = self._parsed.get(row)
        return service

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
            f"SELECT {SERVICE_COLUMNS} FROM services s {WITH_POLICY} "
            f"WHERE s.name IN ({_marks(ordered)})",
            tuple(ordered),
        )
        for row in rows:
            self._service(row)
        self._read_component_policies()

    def _read_component_policies(self) -> None:
        """The policies the components of the services read so far name, not yet read."""
        names = {c.policy for svc in self.services.values() for c in svc.components if c.policy}
        names -= set(self.policies)
        if not names:
            return
        ep = t.escalation_policies
        for name, spec in self._conn.execute(
            select(ep.c.name, ep.c.spec).where(ep.c.name.in_(names))
        ):
            self.policies[name] = policy_snapshot(name, spec)

    def found(
        self,
        wanted: Mapping[int, set[str]],
        paged: set[int],
        grouped: Mapping[int, set[str]],
        now: datetime,
        *,
        lock: set[str] | None = None,
    ) -> Found:
        """The open alerts of ``wanted`` (service id → dedup keys) with their incidents' open
        counts, the maintenance windows running at ``now`` over the ``paged`` services, and
        the group heads of ``grouped`` (service id → group keys): on PostgreSQL in one
        round trip. With ``lock``, these incidents are locked first (in the same round trip:
        what is read is read after the lock)."""
        queries, read = self._found_queries(wanted, paged, grouped, now, lock)
        return read(iter(self._sql.together(queries)))

    def _found_queries(
        self,
        wanted: Mapping[int, set[str]],
        paged: set[int],
        grouped: Mapping[int, set[str]],
        now: datetime,
        lock: set[str] | None,
    ) -> tuple[list[tuple[str, tuple[Any, ...]]], Callable[[Iterator[Sequence[Any]]], Found]]:
        """:meth:`found`'s queries, and what reads their answers (taken in order)."""
        queries: list[tuple[str, tuple[Any, ...]]] = []
        if lock:
            # In one order (by id) in every batch, so two batches never deadlock.
            ordered = sorted(lock)
            queries.append(
                (
                    f"SELECT id FROM incidents WHERE id IN ({_marks(ordered)}) "
                    "ORDER BY id FOR UPDATE",
                    tuple(ordered),
                )
            )
        if wanted:
            queries.append(self._open_alerts(wanted))
        if paged:
            queries.append(self._maintenance(paged, now))
        services = sorted(grouped.items())
        queries += [self._group_heads(service_id, keys) for service_id, keys in services]

        def read(answers: Iterator[Sequence[Any]]) -> Found:
            if lock:
                next(answers)
            found = Found({}, {}, [], {})
            if wanted:
                for service_id, dedup_key, alert_id, incident_id, status, count in next(answers):
                    found.open_alerts[(service_id, dedup_key)] = OpenAlert(
                        alert_id, incident_id, Status(status)
                    )
                    found.open_counts[incident_id] = int(count)
            if paged:
                found.maintenance = [
                    ServiceWindow(int(service_id), str(name), _aware(end_at))
                    for service_id, name, end_at in next(answers)
                ]
            for service_id, _ in services:
                heads = sorted(
                    (_aware(created_at), str(incident_id), component, key, int(count))
                    for incident_id, component, key, created_at, count in next(answers)
                )
                for created_at, incident_id, component, key, count in heads:
                    slot = (service_id, component, key)  # the newest of each slot wins
                    found.groups[slot] = GroupHead(incident_id, created_at)
                    found.open_counts[incident_id] = count
            return found

        return queries, read

    @staticmethod
    def _open_alerts(wanted: Mapping[int, set[str]]) -> tuple[str, tuple[Any, ...]]:
        """The open alerts of these (service, dedup keys), and for each alert's incident how
        many of its alerts are open (a grouped or merged incident resolves with its last).

        One query for every service of the batch (a router spreads a batch over many): a
        ``UNION ALL`` of one part per service, each repeating the open-alert index's
        condition. Each part is planned on its own as a search of that index by its keys,
        on both databases and whatever the table's statistics (an ``OR`` of the same terms
        was planned on PostgreSQL as a scan of the table while it was small, and a cached
        plan stays: decision 0072)."""
        parts: list[str] = []
        params: list[Any] = []
        for service_id, dedup_keys in sorted(wanted.items()):
            ordered = sorted(dedup_keys)
            parts.append(
                "SELECT service_id, dedup_key, id, incident_id, status, (SELECT COUNT(*) "
                "FROM alerts o WHERE o.incident_id = alerts.incident_id "
                "AND o.status != 'resolved') FROM alerts "
                f"WHERE service_id = ? AND dedup_key IN ({_marks(ordered)}) "
                "AND status != 'resolved'"
            )
            params += [service_id, *ordered]
        return " UNION ALL ".join(parts), tuple(params)

    def _maintenance(self, service_ids: set[int], now: datetime) -> tuple[str, tuple[Any, ...]]:
        """The maintenance windows running at ``now`` over these services, ordered by their
        end, then their name."""
        ordered = sorted(service_ids)
        at = self._sql.ts(now)
        return (
            "SELECT s.service_id, w.name, w.end_at FROM maintenance_windows w "
            "JOIN maintenance_window_services s ON s.window_id = w.id "
            f"WHERE w.start_at <= ? AND w.end_at > ? AND s.service_id IN ({_marks(ordered)}) "
            "ORDER BY w.end_at, w.name",
            (at, at, *ordered),
        )

    @staticmethod
    def _group_heads(service_id: int, keys: set[str]) -> tuple[str, tuple[Any, ...]]:
        """The open incidents of each (component, group key) of one service, and the number
        of open alerts of each of them (the caller keeps the newest of each).

        Both databases search the open incidents' group-key index by the keys (decision
        0072): the service is only checked (``+`` keeps it out of any index), and there is no
        ``ORDER BY``. With either, a planner preferred the service's by-creation index and
        read every incident the service ever had (SQLite always; PostgreSQL while the table
        was small, and a cached plan stays)."""
        ordered = sorted(keys)
        return (
            "SELECT i.id, i.component, i.group_key, i.created_at, (SELECT COUNT(*) "
            "FROM alerts a WHERE a.incident_id = i.id AND a.status != 'resolved') "
            f"FROM incidents i WHERE +i.service_id = ? AND i.group_key IN ({_marks(ordered)}) "
            "AND i.status != 'resolved'",
            (service_id, *ordered),
        )


class _SourceQueries:
    """The queries that find a batch's keys: the integrations by their keys' digests, each
    with its service (and the service's policy), and in the same round trip the heartbeats
    among the heartbeat events' keys (those an integration has are left to it)."""

    def __init__(self, keys: Iterable[str], heartbeat_keys: Iterable[str]) -> None:
        self.by_digest = {key_digest(k): k for k in set(keys)}
        self.queries: list[tuple[str, tuple[Any, ...]]] = []
        if not self.by_digest:
            return
        digests = sorted(self.by_digest)
        self.queries.append(
            (
                f'SELECT i."key", i.id, i.name, {SERVICE_COLUMNS} FROM integrations i '
                f"JOIN services s ON s.id = i.service_id {WITH_POLICY} "
                f'WHERE i."key" IN ({_marks(digests)})',
                tuple(digests),
            )
        )
        beat_keys = sorted(set(heartbeat_keys) & set(self.by_digest.values()))
        if beat_keys:
            self.queries.append(
                (
                    f'SELECT h."key", h.name, {SERVICE_COLUMNS} FROM heartbeats h '
                    f"JOIN services s ON s.id = h.service_id {WITH_POLICY} "
                    f'WHERE h."key" IN ({_marks(beat_keys)})',
                    tuple(beat_keys),
                )
            )


def _marks(values: Sequence[Any]) -> str:
    """One ``?`` per value, for an ``IN (…)`` list."""
    return ", ".join("?" for _ in values)


def _aware(value: Any) -> datetime:
    """A timestamp read at driver level: SQLite's text (UTC), PostgreSQL's aware datetime."""
    if isinstance(value, datetime):
        return value if value.tzinfo is not None else value.replace(tzinfo=UTC)
    return datetime.fromisoformat(str(value)).replace(tzinfo=UTC)
