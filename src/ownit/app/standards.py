"""Use case: the ownership standards report over what the database holds now.

Ports: the catalog (:class:`CatalogStore`), the schedules with their API overrides
(:class:`~ownit.app.oncall.ScheduleStore`), the analytics (p50 TTA per service over the
last 30 days) and :class:`Records` for what other features record (postmortems, action
items, drills). Until those features are wired, :data:`NO_RECORDS` answers "not recorded"
and the standards that need them say so in their reason.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from ownit.app.analytics import AnalyticsStore
from ownit.app.catalog import CatalogStore
from ownit.app.clock import Clock
from ownit.app.oncall import ScheduleStore, StoredOverride, final_schedule
from ownit.domain.analytics.incidents import GroupBy, incident_report
from ownit.domain.analytics.period import Period
from ownit.domain.catalog import Snapshot
from ownit.domain.errors import DomainError
from ownit.domain.oncall import schedules as calc
from ownit.domain.standards import (
    LEVEL_NAMES,
    ActionItem,
    History,
    Report,
    ResolvedIncident,
    Rules,
    World,
    build_report,
    rank,
    stored_rules,
)

MTTA_WINDOW = timedelta(days=30)


Postmortems = Mapping[str, tuple[ResolvedIncident, ...]]
Actions = Mapping[str, tuple[ActionItem, ...]]


class Records(Protocol):
    """What other features record; ``None``: not recorded here."""

    def learning(self, service: str | None = None) -> tuple[Postmortems | None, Actions | None]:
        """The postmortems the policy requires (per service) and the open action items (per
        service), from one read of the postmortems (decision 0057); ``service`` narrows the
        read to one service's records (a service page's badge)."""
        ...

    def drills(self) -> Mapping[str, datetime] | None: ...


class _NoRecords:
    def learning(self, service: str | None = None) -> tuple[None, None]:
        return None, None

    def drills(self) -> None:
        return None


NO_RECORDS: Records = _NoRecords()


class InvalidStandardsRequest(DomainError):
    def __init__(self, field: str, detail: str) -> None:
        super().__init__(f"{field}: {detail}")
        self.field = field
        self.detail = detail


@dataclass(frozen=True, slots=True)
class Sources:
    catalog: CatalogStore
    schedules: ScheduleStore
    analytics: AnalyticsStore
    records: Records = NO_RECORDS


def mtta_p50(
    analytics: AnalyticsStore, now: datetime, service: str | None = None
) -> dict[str, float | None]:
    """Each service's (or one ``service``'s) p50 time to acknowledge over the last 30 days
    (drills left out)."""
    period = Period(now - MTTA_WINDOW, now)
    report = incident_report(
        analytics.records(period.since, period.until, service=service), period, by=GroupBy.SERVICE
    )
    return {g.key: g.figures.tta.p50 for g in report.groups if g.key is not None}


def world_and_rules(
    sources: Sources,
    now: datetime,
    rules: Rules | None = None,
    service: str | None = None,
    snapshot: Snapshot | None = None,
    overrides: Sequence[StoredOverride] | None = None,
) -> tuple[World, Rules]:
    """The world and the rules it is judged by: ``rules`` when given (``--rules``, a dry
    run), else those the catalog holds (``kind: Standard``, ``kind: Scorecard``). With
    ``service``, the history (analytics, postmortems, action items) is read for that service
    only: enough for its own report (a service page's badge). ``snapshot``: the catalog as
    the caller has just read it from ``sources.catalog`` (a service page reads it once for
    the page and its badge), else it is read here; ``overrides`` likewise: the API overrides
    of every schedule that end after an instant at or before ``now``."""
    snapshot = snapshot if snapshot is not None else sources.catalog.snapshot()
    rules = rules if rules is not None else stored_rules(snapshot)
    postmortems, actions = sources.records.learning(service)
    history = History(
        mtta_p50=mtta_p50(sources.analytics, now, service),
        postmortems=postmortems,
        actions=actions,
        drills=sources.records.drills(),
    )
    return _world(snapshot, sources.schedules, now, history, rules, overrides), rules


def catalog_world(
    catalog: CatalogStore, schedules: ScheduleStore, now: datetime, history: History
) -> World:
    """The world of the standards at ``now``: the catalog (with its Scorecard's bounds), and
    the final schedules with their overrides (catalog and API); ``history`` what other
    features record."""
    snapshot = catalog.snapshot()
    return _world(snapshot, schedules, now, history, stored_rules(snapshot))


def _world(
    snapshot: Snapshot,
    schedules: ScheduleStore,
    now: datetime,
    history: History,
    rules: Rules,
    read: Sequence[StoredOverride] | None = None,
) -> World:
    # ``read`` a moment before ``now``: those ending after ``now``, as the query would return.
    overrides = schedules.overrides(since=now) if read is None else [o for o in read if o.end > now]
    finals: dict[str, calc.Schedule] = {
        name: final_schedule(schedule, overrides) for name, schedule in snapshot.schedules.items()
    }
    return World(
        now=now,
        services=snapshot.services,
        teams=snapshot.teams,
        users=snapshot.users,
        policies=snapshot.policies,
        schedules=finals,
        history=history,
        bounds=rules.bounds,
    )


def report(
    *,
    sources: Sources,
    clock: Clock,
    service: str | None = None,
    team: str | None = None,
    rules: Rules | None = None,
    snapshot: Snapshot | None = None,
    overrides: Sequence[StoredOverride] | None = None,
) -> Report:
    """The report for every service, one ``service``, or the services of ``team`` (and the
    teams under it); unknown names are :class:`InvalidStandardsRequest`. The rules are the
    catalog's (``kind: Standard``, ``kind: Scorecard``) unless ``rules`` replaces them;
    ``snapshot`` and ``overrides``: the catalog and the schedules' API overrides as the
    caller has just read them from ``sources`` (see :func:`world_and_rules`)."""
    world, rules = world_and_rules(
        sources, clock.now(), rules, service or None, snapshot, overrides
    )
    if service and service not in world.services:
        raise InvalidStandardsRequest("service", f"no service is named {service!r}")
    if team and team not in world.teams:
        raise InvalidStandardsRequest("team", f"no team is named {team!r}")
    return build_report(
        world, levels=rules.levels, custom=rules.custom, service=service or None, team=team or None
    )


def answer(found: Report) -> dict[str, Any]:
    """The API's shape: ``{"services": [{service, team, level, standards: [{id, ok, why}]}],
    "teams": [{team, services, by_level}]}`` (plus ``missing`` per service)."""
    return {
        "services": [
            {
                "service": s.service,
                "team": s.team,
                "level": s.level,
                "missing": list(s.missing),
                "standards": [{"id": c.id, "ok": c.ok, "why": c.why} for c in s.checks],
            }
            for s in found.services
        ],
        "teams": [
            {"team": t.team, "services": t.services, "by_level": dict(t.by_level)}
            for t in found.teams
        ],
    }


def below(found: Report, bar: str) -> list[str]:
    """The services whose level is below ``bar`` (one of the report's level names)."""
    need = rank(found.levels, bar)
    return [s.service for s in found.services if rank(found.levels, s.level) < need]


def check_bar(found: Report, bar: str) -> None:
    names = [lv.name for lv in found.levels]
    if bar not in names:
        shown = ", ".join(names or LEVEL_NAMES)
        raise InvalidStandardsRequest("fail-under", f"{bar!r} is not one of {shown}")
