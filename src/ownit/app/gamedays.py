"""Game days: run a scripted scenario, inject its steps as drill events (from the engine's
durable timer), check its expectations, keep its findings and action items, report.

Each step is a drill run (:mod:`ownit.app.drills`) on the step's service, with the step's
summary and severity: the same pipeline, the same marks, excluded from analytics. Semantics
of the measured times: :mod:`ownit.domain.gamedays`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Protocol

from ownit.app.clock import Clock
from ownit.app.drills import DrillInfo, DrillRefused, DrillStillOpen, DrillStore, Run
from ownit.domain.catalog import Drill, GameDay
from ownit.domain.errors import FieldError, NotFound
from ownit.domain.gamedays import (
    ACTION_STATUSES,
    StepIncident,
    check,
    due_steps,
    next_due,
)

STEP_AUTO_RESOLVE = timedelta(hours=1)
# How long a claimed run is left to the engine that claimed it: its timer is moved this far
# on by the claim, so a run whose claimer died before saving is claimed again (decision 0061).
CLAIM_LEASE = timedelta(minutes=1)


@dataclass(frozen=True, slots=True)
class GameDayRun:
    id: int
    gameday: GameDay
    started_at: datetime
    started_by: str
    steps: list[dict[str, Any]]
    findings: list[str]
    actions: list[dict[str, Any]]


class GameDayStore(Protocol):
    def gameday(self, name: str) -> GameDay | None: ...

    def target(self, service: str) -> tuple[str | None, str | None]:
        """The service's owner team and escalation policy (``None``: it has none)."""
        ...

    def create_run(self, day: GameDay, *, by: str, now: datetime) -> int: ...

    def run(self, name: str, run_id: int) -> GameDayRun | None: ...

    def claim_due(self, now: datetime, limit: int, lease: timedelta) -> list[int]:
        """Runs with a step due at ``now``, each handed to one caller: its timer moves to
        ``now + lease`` until :meth:`save_steps` sets the next, so a run whose caller died
        before saving is handed out again after the lease."""
        ...

    def run_by_id(self, run_id: int) -> GameDayRun | None: ...

    def save_steps(
        self, run_id: int, steps: list[dict[str, Any]], next_at: datetime | None
    ) -> None: ...

    def incidents(self, run_id: int) -> list[StepIncident]: ...

    def timeline(self, run_id: int) -> list[dict[str, Any]]: ...

    def save_notes(
        self, run_id: int, findings: list[str], actions: list[dict[str, Any]]
    ) -> None: ...


def _require_run(store: GameDayStore, name: str, run_id: int) -> GameDayRun:
    found = store.run(name, run_id)
    if found is None:
        raise NotFound("game day run", f"{name}/{run_id}")
    return found


def start(
    *, store: GameDayStore, drills: DrillStore, clock: Clock, name: str, by: str
) -> dict[str, Any]:
    """Start a run: its steps planned from now, those due at once injected now."""
    day = store.gameday(name)
    if day is None:
        raise NotFound("game day", name)
    now = clock.now()
    run_id = store.create_run(day, by=by, now=now)
    advance(store=store, drills=drills, run_id=run_id, now=now)
    return report(store=store, name=name, run_id=run_id, now=now)


def step_drill(day: GameDay, run_id: int, index: int, service: str) -> Drill:
    """The drill run a step is: its name ``<game day>/<run>/<step>`` is the step's identity,
    so a step injected once is found again rather than injected twice."""
    return Drill(
        f"{day.name}/{run_id}/{index}",
        service,
        ack_target=timedelta(hours=1),
        auto_resolve=STEP_AUTO_RESOLVE,
    )


def _injected(drills: DrillStore, name: str) -> Run | None:
    found = drills.runs(name, limit=1)
    return found[0] if found else None


def _mark(step: dict[str, Any], run: Run) -> None:
    step["injected_at"] = run.started_at.isoformat()
    step["incident"] = run.incident_number
    step["error"] = None


def advance(*, store: GameDayStore, drills: DrillStore, run_id: int, now: datetime) -> int:
    """Inject the run's due steps; returns how many were injected now.

    Safe to repeat after a crash (decision 0061): a step's drill run and incident are written
    in one transaction, so a step whose drill run exists was injected, whatever the saved
    plan says; it is recorded from that run, never injected again."""
    run = store.run_by_id(run_id)
    if run is None:
        return 0
    steps = [dict(s) for s in run.steps]
    done = 0
    for index in due_steps(steps, now):
        step = steps[index]
        drill = step_drill(run.gameday, run_id, index, step["service"])
        earlier = _injected(drills, drill.name)
        if earlier is not None:  # injected before a crash, or by another engine meanwhile
            _mark(step, earlier)
            continue
        team, policy = store.target(step["service"])
        try:
            if policy is None:
                raise DrillRefused("service", f"{step['service']} has no escalation policy")
            started = drills.start(
                DrillInfo(drill, team, policy),
                by=f"gameday/{run.gameday.name}",
                now=now,
                summary=step["summary"],
                severity=step["severity"],
                gameday_run=run_id,
            )
        except DrillStillOpen as exc:
            earlier = _injected(drills, drill.name)  # another engine injected it just now
            if earlier is not None:
                _mark(step, earlier)
            else:
                step["error"] = str(exc)
            continue
        except DrillRefused as exc:
            step["error"] = str(exc)
            continue
        _mark(step, started)
        done += 1
    store.save_steps(run_id, steps, next_due(steps, now))
    return done


def engine_pass(*, store: GameDayStore, drills: DrillStore, now: datetime, limit: int = 50) -> int:
    return sum(
        advance(store=store, drills=drills, run_id=run_id, now=now)
        for run_id in store.claim_due(now, limit, CLAIM_LEASE)
    )


def report(*, store: GameDayStore, name: str, run_id: int, now: datetime) -> dict[str, Any]:
    run = _require_run(store, name, run_id)
    verdicts = check(run.gameday.expect, store.incidents(run_id), now)
    timeline = [
        {
            "at": s["injected_at"],
            "incident": s["incident"],
            "message": f"step {s['index'] + 1}: {s['summary']} on {s['service']}",
        }
        for s in run.steps
        if s.get("injected_at")
    ] + [
        {
            "at": s["due_at"],
            "incident": None,
            "message": f"step {s['index'] + 1} failed: {s['error']}",
        }
        for s in run.steps
        if s.get("error")
    ]
    timeline += store.timeline(run_id)
    timeline.sort(key=lambda e: str(e["at"]))
    pending = any(s.get("injected_at") is None and not s.get("error") for s in run.steps)
    return {
        "id": run.id,
        "gameday": run.gameday.name,
        "description": run.gameday.description,
        "started_at": run.started_at.isoformat(),
        "started_by": run.started_by,
        "status": "running" if pending or any(v.met is None for v in verdicts) else "finished",
        "steps": run.steps,
        "expectations": [v.as_dict() for v in verdicts],
        "timeline": timeline,
        "findings": run.findings,
        "action_items": run.actions,
    }


def add_finding(*, store: GameDayStore, name: str, run_id: int, text: str) -> list[str]:
    run = _require_run(store, name, run_id)
    if not text.strip():
        raise FieldError("text", "a finding needs some text")
    findings = [*run.findings, text.strip()]
    store.save_notes(run_id, findings, run.actions)
    return findings


def add_action(
    *,
    store: GameDayStore,
    name: str,
    run_id: int,
    title: str,
    owner: str,
    due: date | None = None,
    link: str | None = None,
) -> dict[str, Any]:
    """An action item in the postmortem model: title, owner, due, status (open), link."""
    run = _require_run(store, name, run_id)
    if not title.strip():
        raise FieldError("title", "an action item needs a title")
    if not owner.strip():
        raise FieldError("owner", "an action item needs an owner")
    item: dict[str, Any] = {
        "title": title.strip(),
        "owner": owner.strip(),
        "due": due.isoformat() if due is not None else None,
        "status": "open",
        "link": link,
    }
    store.save_notes(run_id, run.findings, [*run.actions, item])
    return item


def set_action_status(
    *, store: GameDayStore, name: str, run_id: int, number: int, status: str
) -> dict[str, Any]:
    run = _require_run(store, name, run_id)
    if status not in ACTION_STATUSES:
        raise FieldError("status", f"{status!r} is not one of {', '.join(ACTION_STATUSES)}")
    if not 1 <= number <= len(run.actions):
        raise NotFound("action item", str(number))
    actions: Sequence[dict[str, Any]] = [dict(a) for a in run.actions]
    actions[number - 1]["status"] = status
    store.save_notes(run_id, run.findings, list(actions))
    return actions[number - 1]
