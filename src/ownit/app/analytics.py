"""Analytics use cases: read incident histories, deliveries and schedules through the port,
ask the pure rules (``domain/analytics``) for the figures, and answer them as JSON-ready
dicts or CSV (``docs/analytics.md``)."""

from __future__ import annotations

import csv
import io
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol, TypeVar

from ownit.app.clock import Clock
from ownit.app.oncall import ScheduleStore, final_schedule
from ownit.domain.analytics.history import Drills, IncidentHistory
from ownit.domain.analytics.incidents import (
    GroupBy,
    IncidentFigures,
    IncidentReport,
)
from ownit.domain.analytics.incidents import (
    incident_reports as report_each_way,
)
from ownit.domain.analytics.noise import NoiseReport, noise_report
from ownit.domain.analytics.period import InvalidPeriod, Period, parse_period
from ownit.domain.analytics.records import IncidentRecord
from ownit.domain.analytics.responders import (
    Message,
    OnCallShift,
    ResponderFigures,
    Response,
    report_of_responses,
)
from ownit.domain.errors import DomainError
from ownit.domain.incidents import Urgency
from ownit.domain.oncall import schedules as calc


class AnalyticsStore(Protocol):
    def histories(
        self,
        since: datetime,
        until: datetime,
        *,
        service: str | None = None,
        team: str | None = None,
        urgency: str | None = None,
        alert_keys: bool = False,
    ) -> list[IncidentHistory]:
        """Incidents created in ``[since, until)`` (of the service, the team's services, the
        urgency), each with its pages and acknowledgements; ``alert_keys``: with the
        Alertmanager ``alertname`` as the alert key where there is one."""
        ...

    def records(
        self,
        since: datetime,
        until: datetime,
        *,
        service: str | None = None,
        team: str | None = None,
        urgency: str | None = None,
    ) -> list[IncidentRecord]:
        """The stored figures of the incidents created in ``[since, until)`` (of the service,
        the team's services, the urgency), alert keys included: what the incident, noise and
        baseline reports add up (the same numbers as their histories give)."""
        ...

    def responses(self, since: datetime, until: datetime, *, drills: Drills) -> list[Response]:
        """Each person's first page and first explicit acknowledgement of each incident
        counted in ``[since, until)`` (``drills`` as asked)."""
        ...

    def messages(self, since: datetime, until: datetime) -> list[Message]:
        """Notifications delivered in ``[since, until)``, but for the kinds that are no
        on-call load (:data:`~ownit.domain.analytics.responders.NOT_LOAD`: reminders)."""
        ...

    def zones(self) -> dict[str, str]:
        """Every user's time zone, by name."""
        ...

    def service_exists(self, name: str) -> bool: ...

    def team_members(self, team: str) -> list[str] | None:
        """The team's members by name; ``None`` when there is no such team."""
        ...


E = TypeVar("E", GroupBy, Drills, Urgency)


class InvalidAnalyticsRequest(DomainError):
    """A query names something wrong in one of its fields."""

    def __init__(self, field: str, detail: str) -> None:
        super().__init__(f"{field}: {detail}")
        self.field = field
        self.detail = detail


@dataclass(frozen=True, slots=True)
class Query:
    """The query parameters, as given (``None``: not given)."""

    since: str | None = None
    until: str | None = None
    service: str | None = None
    team: str | None = None
    urgency: str | None = None
    drills: str | None = None
    by: str | None = None


def _choice(kind: type[E], field: str, value: str | None) -> E | None:
    if value is None or value == "":
        return None
    try:
        return kind(value)
    except ValueError:
        names = ", ".join(m.value for m in kind)
        raise InvalidAnalyticsRequest(field, f"{value!r} is not one of {names}") from None


def period_of(query: Query, now: datetime) -> Period:
    try:
        return parse_period(query.since, query.until, now)
    except InvalidPeriod as exc:
        raise InvalidAnalyticsRequest(exc.field, exc.detail) from None


def _check_names(store: AnalyticsStore, query: Query) -> list[str] | None:
    if query.service and not store.service_exists(query.service):
        raise InvalidAnalyticsRequest("service", f"no service is named {query.service!r}")
    if query.team:
        members = store.team_members(query.team)
        if members is None:
            raise InvalidAnalyticsRequest("team", f"no team is named {query.team!r}")
        return members
    return None


def incidents(*, store: AnalyticsStore, clock: Clock, query: Query) -> IncidentReport:
    by = _choice(GroupBy, "by", query.by)
    return incident_reports(store=store, clock=clock, query=query, bys=(by,))[0]


def incident_reports(
    *, store: AnalyticsStore, clock: Clock, query: Query, bys: Sequence[GroupBy | None]
) -> list[IncidentReport]:
    """The incident figures of one query grouped each of these ways, read once."""
    period = period_of(query, clock.now())
    drills = _choice(Drills, "drills", query.drills) or Drills.EXCLUDE
    urgency = _choice(Urgency, "urgency", query.urgency)
    _check_names(store, query)
    histories = store.records(
        period.since,
        period.until,
        service=query.service or None,
        team=query.team or None,
        urgency=None if urgency is None else urgency.value,
    )
    return report_each_way(histories, period, drills=drills, bys=bys)


def on_call_shifts(schedules: ScheduleStore, period: Period) -> list[OnCallShift]:
    """Everyone's shifts in the final schedules (overrides applied) in ``period``; level 1
    when some policy's first level targets the schedule."""
    level1 = {
        target.name
        for sp in schedules.service_policies()
        if sp.policy is not None and sp.policy.levels
        for target in sp.policy.levels[0].targets
        if target.type == "schedule"
    }
    overrides = schedules.overrides(since=period.since, until=period.until)
    found: list[OnCallShift] = []
    for schedule in schedules.schedules():
        final = final_schedule(schedule, overrides)
        found += [
            OnCallShift(s.user, s.start, s.end, schedule.name in level1)
            for s in calc.shifts(final, period.since, period.until)
        ]
    return found


def responders(
    *, store: AnalyticsStore, schedules: ScheduleStore, clock: Clock, query: Query
) -> tuple[Period, list[ResponderFigures]]:
    period = period_of(query, clock.now())
    drills = _choice(Drills, "drills", query.drills) or Drills.EXCLUDE
    people: Collection[str] | None = _check_names(store, Query(team=query.team))
    return period, report_of_responses(
        store.responses(period.since, period.until, drills=drills),
        store.messages(period.since, period.until),
        on_call_shifts(schedules, period),
        store.zones(),
        period,
        people=people,
    )


def noise(*, store: AnalyticsStore, clock: Clock, query: Query) -> NoiseReport:
    period = period_of(query, clock.now())
    drills = _choice(Drills, "drills", query.drills) or Drills.EXCLUDE
    _check_names(store, query)
    histories = store.records(
        period.since,
        period.until,
        service=query.service or None,
        team=query.team or None,
    )
    return noise_report(histories, period, drills=drills)


# --- answers ----------------------------------------------------------------------------


def _window(period: Period) -> dict[str, str]:
    return {"since": period.since.isoformat(), "until": period.until.isoformat()}


def incidents_answer(report: IncidentReport) -> dict[str, Any]:
    answer: dict[str, Any] = _window(report.period) | report.total.as_dict()
    if report.by is not None:
        answer["by"] = report.by.value
        answer["groups"] = [{"key": g.key} | g.figures.as_dict() for g in report.groups]
    return answer


def responders_answer(period: Period, figures: Sequence[ResponderFigures]) -> dict[str, Any]:
    return _window(period) | {"responders": [f.as_dict() for f in figures]}


def noise_answer(report: NoiseReport) -> dict[str, Any]:
    return _window(report.period) | {
        "services": [r.as_dict() for r in report.services],
        "alert_keys": [r.as_dict() for r in report.alert_keys],
    }


# --- CSV: one row per group, a header row; nested fields flattened with ``_`` -----------


def _flat(row: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in row.items():
        if isinstance(value, Mapping):
            out |= _flat(value, f"{prefix}{key}_")
        else:
            out[f"{prefix}{key}"] = value
    return out


def _csv(rows: Sequence[Mapping[str, Any]], header: Sequence[str]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        flat = _flat(row)
        writer.writerow(["" if flat.get(h) is None else flat[h] for h in header])
    return buffer.getvalue()


_INCIDENT_COLUMNS = ["key", "since", "until", *_flat(IncidentFigures().as_dict())]
_RESPONDER_COLUMNS = list(_flat(ResponderFigures("").as_dict()))


def incidents_csv(answer: Mapping[str, Any]) -> str:
    """The rows are the groups (``by``), or the one total; each starts with ``key``,
    ``since`` and ``until``."""
    window = {"since": answer["since"], "until": answer["until"]}
    groups = answer.get("groups")
    if groups is None:
        total = {k: v for k, v in answer.items() if k not in ("since", "until", "by")}
        rows = [{"key": None} | window | total]
    else:
        rows = [
            {"key": g["key"]} | window | {k: v for k, v in g.items() if k != "key"} for g in groups
        ]
    return _csv(rows, _INCIDENT_COLUMNS)


def responders_csv(answer: Mapping[str, Any]) -> str:
    return _csv(answer["responders"], _RESPONDER_COLUMNS)


def noise_csv(answer: Mapping[str, Any]) -> str:
    """One row per service or alert key: ``kind`` says which."""
    rows = [
        {"kind": "service", "key": r["key"], "service": r["key"]} | r for r in answer["services"]
    ]
    rows += [{"kind": "alert_key"} | r for r in answer["alert_keys"]]
    return _csv(rows, ["kind", "key", "service", "count", "noise", "noise_ratio"])
