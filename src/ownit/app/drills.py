"""Paging drills: run one now (or on its schedule, from the engine), score it, end it.

A drill run opens a real incident on the drill's service (or component) through the same
pipeline as any event (routing, the frozen policy, escalation, notification rules, the
outbox), marked as practice: ``drill`` on the incident, ``[DRILL] `` before its title, a
timeline entry, and every notifier marks its message. The engine's drill pass
(:func:`engine_pass`) starts scheduled runs that are due, ends a run once its incident is
acknowledged (resolving it: "drill complete") or resolved, and resolves a run nobody
acknowledged within the drill's ``autoResolve``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from ownit.app.clock import Clock
from ownit.app.incidents import IncidentStore
from ownit.domain.catalog import Drill
from ownit.domain.drills import Score, hit_rate, next_run, parse_schedule, score
from ownit.domain.errors import FieldError, InvalidTransition, NotFound
from ownit.domain.incidents import Status

DRILL_ACTOR = "drill"


def first_run(drill: Drill, now: datetime) -> datetime | None:
    """When a drill written into the catalog at ``now`` runs first (``None``: no schedule)."""
    if drill.schedule is None:
        return None
    return next_run(parse_schedule(drill.schedule), ZoneInfo(drill.timezone), now)


class DrillStillOpen(InvalidTransition):
    """The drill's previous run is still open (409)."""

    def __init__(self, name: str, incident: int | None) -> None:
        self.where = f" (incident #{incident})" if incident is not None else ""
        super().__init__(
            f"drill {name!r} is still running{self.where}: acknowledge or resolve it first"
        )


class DrillRefused(FieldError):
    """The drill cannot page anyone now (422, naming why)."""


@dataclass(frozen=True, slots=True)
class DrillInfo:
    """A stored drill with what a run needs: its owner team, and its policy's name."""

    drill: Drill
    team: str | None
    policy: str | None
    next_run_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class ContactUse:
    """One message of a run: to whom, on which contact, of which type, when, delivered."""

    user: str
    contact: str
    type: str
    sent_at: datetime | None
    delivered: bool


@dataclass(frozen=True, slots=True)
class Run:
    """One drill run as the store reads it (the incident's state included)."""

    id: int
    drill: str
    incident_id: str | None
    incident_number: int | None
    started_at: datetime
    started_by: str
    ack_target: timedelta
    status: str  # the incident's: triggered | acknowledged | resolved
    acknowledged_at: datetime | None = None
    acknowledged_by: str | None = None
    ended_at: datetime | None = None
    auto_resolve_at: datetime | None = None
    levels_reached: int = 0
    contacts: tuple[ContactUse, ...] = field(default_factory=tuple)
    never_acknowledged: tuple[str, ...] = ()  # paged people who did not acknowledge

    def score(self, now: datetime) -> Score:
        return score(
            started_at=self.started_at,
            acknowledged_at=self.acknowledged_at,
            ack_target=self.ack_target,
            ended=self.ended_at is not None,
            now=now,
        )


class DrillStore(Protocol):
    def drills(self, team: str | None = None) -> list[DrillInfo]:
        """Every drill (of the services ``team`` owns), by name."""
        ...

    def drill(self, name: str) -> DrillInfo | None: ...

    def start(
        self,
        info: DrillInfo,
        *,
        by: str,
        now: datetime,
        summary: str | None = None,
        severity: str = "critical",
        gameday_run: int | None = None,
        label: str | None = None,
        audit: Mapping[str, Any] | None = None,
    ) -> Run:
        """Open the drill's incident and its run in one transaction; raises
        :class:`DrillStillOpen` when its previous run is open, :class:`DrillRefused` when
        nothing was paged (a maintenance window kept it quietly). ``label`` stands for the
        drill's name in the title and timeline; ``audit``, when given, is written to the
        audit log (kind ``service``, action ``test-event``) in the same transaction."""
        ...

    def runs(self, name: str, limit: int = 100) -> list[Run]:
        """The drill's runs, newest first."""
        ...

    def claim_due(self, now: datetime, limit: int) -> list[DrillInfo]:
        """Scheduled drills due at ``now``, each moved on to its next run atomically (one
        caller gets each)."""
        ...

    def open_runs(self, limit: int) -> list[Run]:
        """Runs not ended yet, oldest first."""
        ...

    def end(self, run_id: int, now: datetime) -> None:
        """Mark the run ended (its drill may run again)."""
        ...


def _require(store: DrillStore, name: str) -> DrillInfo:
    info = store.drill(name)
    if info is None:
        raise NotFound("drill", name)
    return info


def check_runnable(info: DrillInfo) -> None:
    if info.policy is None:
        where = info.drill.service + (
            f"/{info.drill.component}" if info.drill.component is not None else ""
        )
        raise DrillRefused(
            "service",
            f"{where} has no escalation policy: a drill on it would page nobody",
        )


def run_now(*, store: DrillStore, clock: Clock, name: str, by: str) -> Run:
    """Run the drill now: its incident, through the real pipeline."""
    info = _require(store, name)
    check_runnable(info)
    return store.start(info, by=by, now=clock.now())


def runs(*, store: DrillStore, name: str) -> list[Run]:
    _require(store, name)
    return store.runs(name)


def engine_pass(
    *, store: DrillStore, incidents: IncidentStore, now: datetime, limit: int = 100
) -> int:
    """The engine's drill work at ``now``: due scheduled runs, acknowledged runs completed,
    forgotten runs auto-resolved. Returns how much it did."""
    done = 0
    for info in store.claim_due(now, limit):
        if info.policy is None:
            continue  # refused at apply; a policy removed since pages nobody: skip this one
        try:
            store.start(info, by="schedule", now=now)
        except (DrillStillOpen, DrillRefused):
            continue  # the previous run is still open, or paging is held: next time
        done += 1
    for run in store.open_runs(limit):
        done += _finish(store, incidents, run, now)
    return done


def _finish(store: DrillStore, incidents: IncidentStore, run: Run, now: datetime) -> int:
    if run.incident_id is None or run.status == Status.RESOLVED.value:
        store.end(run.id, now)
        return 1
    if run.status == Status.ACKNOWLEDGED.value and run.acknowledged_at is not None:
        took = int((run.acknowledged_at - run.started_at).total_seconds())
        verdict = "met" if run.score(now).met_target else "missed"
        message = (
            f"drill complete: acknowledged by {run.acknowledged_by or 'someone'} after {took} s "
            f"(target {int(run.ack_target.total_seconds())} s: {verdict})"
        )
    elif run.auto_resolve_at is not None and run.auto_resolve_at <= now:
        message = "drill over: nobody acknowledged it, resolved after the drill's autoResolve"
    else:
        return 0
    incidents.set_status(run.incident_id, Status.RESOLVED, by=DRILL_ACTOR, at=now, message=message)
    store.end(run.id, now)
    return 1


# --- answers ------------------------------------------------------------------------------


def _when(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def run_answer(run: Run, now: datetime) -> dict[str, Any]:
    """A run exactly as ``GET /api/v1/drills/{name}/runs`` lists it."""
    scored = run.score(now)
    return {
        "id": run.id,
        "incident": run.incident_number,
        "started_at": _when(run.started_at),
        "acknowledged_at": _when(run.acknowledged_at),
        "acknowledged_by": run.acknowledged_by,
        "seconds_to_ack": scored.seconds_to_ack,
        "levels_reached": run.levels_reached,
        "met_target": scored.met_target,
        "contacts": [
            {
                "user": c.user,
                "contact": c.contact,
                "type": c.type,
                "sent_at": _when(c.sent_at),
                "delivered": c.delivered,
            }
            for c in run.contacts
        ],
    }


def drill_answer(info: DrillInfo, history: Sequence[Run], now: datetime) -> dict[str, Any]:
    """A drill as ``GET /api/v1/drills`` lists it: the spec, the last run, the hit rate."""
    d = info.drill
    last = history[0] if history else None
    return {
        "name": d.name,
        "service": d.service,
        "component": d.component,
        "team": info.team,
        "schedule": d.schedule,
        "timezone": d.timezone,
        "ack_target_seconds": int(d.ack_target.total_seconds()),
        "auto_resolve_seconds": int(d.auto_resolve.total_seconds()),
        "next_run_at": _when(info.next_run_at),
        "runs": len(history),
        "hit_rate": hit_rate(r.score(now).met_target for r in history),
        "last_run": run_answer(last, now) if last is not None else None,
    }


def overview(*, store: DrillStore, clock: Clock, team: str | None = None) -> dict[str, Any]:
    now = clock.now()
    return {
        "drills": [
            drill_answer(info, store.runs(info.drill.name), now) for info in store.drills(team)
        ]
    }
