"""Game days: a run's step plan, its expectations checked against what happened, its
report as Markdown. Pure: what happened and the time are arguments.

Measured times start when trouble began for the subject: ``pagedWithin`` for a team from
the first step injected into a service the team owns to the first page delivered for one of
those steps' incidents; ``acknowledgedWithin`` for a service from its first step to the first
acknowledgement of one of its step incidents. An expectation is *met* when measured within
its bound, *missed* when measured later or when the bound has passed without it, and pending
(``None``) otherwise.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from ownit.domain.catalog.model import Expectation, GameDay

ACTION_STATUSES = ("open", "done")


def plan_steps(day: GameDay, start: datetime) -> list[dict[str, Any]]:
    """The run's steps as stored: each with its due time, nothing injected yet."""
    return [
        {
            "index": i,
            "after_seconds": int(step.after.total_seconds()),
            "service": step.service,
            "summary": step.summary,
            "severity": step.severity,
            "due_at": (start + step.after).isoformat(),
            "injected_at": None,
            "incident": None,
            "error": None,
        }
        for i, step in enumerate(day.steps)
    ]


def due_steps(steps: Sequence[Mapping[str, Any]], now: datetime) -> list[int]:
    """Indexes of the steps due at ``now`` and not injected yet."""
    return [
        int(s["index"])
        for s in steps
        if s.get("injected_at") is None
        and s.get("error") is None
        and datetime.fromisoformat(s["due_at"]) <= now
    ]


def next_due(steps: Sequence[Mapping[str, Any]], now: datetime) -> datetime | None:
    """When the next step not yet injected is due (``None``: every step is done)."""
    waiting = [
        datetime.fromisoformat(s["due_at"])
        for s in steps
        if s.get("injected_at") is None
        and s.get("error") is None
        and datetime.fromisoformat(s["due_at"]) > now
    ]
    return min(waiting) if waiting else None


@dataclass(frozen=True, slots=True)
class StepIncident:
    """What happened to one step's incident."""

    service: str
    team: str | None
    injected_at: datetime
    first_page_at: datetime | None
    acknowledged_at: datetime | None


@dataclass(frozen=True, slots=True)
class Verdict:
    expectation: Expectation
    measured: timedelta | None
    met: bool | None

    def as_dict(self) -> dict[str, Any]:
        e = self.expectation
        subject = "team" if e.kind == "pagedWithin" else "service"
        return {
            subject: e.subject,
            "expect": e.kind,
            "within_seconds": int(e.within.total_seconds()),
            "measured_seconds": None
            if self.measured is None
            else int(self.measured.total_seconds()),
            "met": self.met,
        }


def _first(values: Sequence[datetime | None]) -> datetime | None:
    found = [v for v in values if v is not None]
    return min(found) if found else None


def check(
    expectations: Sequence[Expectation], incidents: Sequence[StepIncident], now: datetime
) -> list[Verdict]:
    out = []
    for e in expectations:
        if e.kind == "pagedWithin":
            mine = [i for i in incidents if i.team == e.subject]
            reached = _first([i.first_page_at for i in mine])
        else:
            mine = [i for i in incidents if i.service == e.subject]
            reached = _first([i.acknowledged_at for i in mine])
        began = _first([i.injected_at for i in mine])
        if began is None:
            out.append(Verdict(e, None, None))
            continue
        if reached is not None:
            measured = max(reached - began, timedelta(0))
            out.append(Verdict(e, measured, measured <= e.within))
        else:
            out.append(Verdict(e, None, False if now - began > e.within else None))
    return out


def _cell(value: object) -> str:
    return str(value if value is not None else "—").replace("|", "\\|").replace("\n", " ")


def markdown(report: Mapping[str, Any]) -> str:
    """The report as Markdown: expectations, timeline table, findings, action items."""
    lines = [
        f"# Game day {report['gameday']} — run {report['id']}",
        "",
        report.get("description") or "",
        "",
        f"Started {report['started_at']} by {report['started_by']}.",
        "",
        "## Expectations",
        "",
        "| expectation | within | measured | result |",
        "|---|---|---|---|",
    ]
    for v in report["expectations"]:
        who = f"team {v['team']} paged" if "team" in v else f"service {v['service']} acknowledged"
        result = {True: "met", False: "missed", None: "pending"}[v["met"]]
        measured = "—" if v["measured_seconds"] is None else f"{v['measured_seconds']} s"
        lines.append(f"| {_cell(who)} | {v['within_seconds']} s | {measured} | {result} |")
    lines += ["", "## Timeline", "", "| at | incident | what |", "|---|---|---|"]
    for entry in report["timeline"]:
        incident = f"#{entry['incident']}" if entry.get("incident") is not None else ""
        lines.append(f"| {_cell(entry['at'])} | {incident} | {_cell(entry['message'])} |")
    lines += ["", "## Findings", ""]
    lines += [f"- {_cell(f)}" for f in report["findings"]] or ["None yet."]
    lines += ["", "## Action items", ""]
    if report["action_items"]:
        lines += ["| # | title | owner | due | status | link |", "|---|---|---|---|---|---|"]
        for n, a in enumerate(report["action_items"], start=1):
            cells = [a["title"], a["owner"], a.get("due"), a["status"], a.get("link")]
            lines.append(f"| {n} | " + " | ".join(_cell(c) for c in cells) + " |")
    else:
        lines.append("None yet.")
    return "\n".join(lines) + "\n"
