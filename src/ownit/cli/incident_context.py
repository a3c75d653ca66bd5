"""The "Context" section of ``ownit incident show``: what a first responder wants to know."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ownit.app import dependencies as uc
from ownit.app.clock import SystemClock
from ownit.bootstrap import Database
from ownit.cli.times import when


def _duration(seconds: int | None) -> str:
    if seconds is None:
        return ""
    if seconds < 3600:
        return f" after {max(seconds // 60, 1)} min"
    return f" after {seconds // 3600} h {seconds % 3600 // 60} min"


def _link(links: Any) -> str:
    for item in links if isinstance(links, list) else []:
        if isinstance(item, dict) and isinstance(item.get("href"), str):
            return f"  {item['href']}"
    return ""


def _runbook(context: dict[str, Any]) -> list[str]:
    """The runbook's URL, or its inline Markdown as written (a terminal shows it well)."""
    if context.get("runbook"):
        return [context["runbook"]]
    text = context.get("runbook_text") or ""
    return text.rstrip().splitlines() or ["-"]


def _more(context: dict[str, Any], key: str, where: str) -> list[str]:
    """A line for the open incidents counted on that side but not listed."""
    more = int(context.get(f"{key}_total") or 0) - len(context.get(key) or [])
    return [f"and {more} more open {where}"] if more > 0 else []


def context_lines(context: dict[str, Any]) -> list[str]:
    """``context`` (as :func:`ownit.app.dependencies.incident_context` gives it) as lines."""
    owner = context.get("owner") or "-"
    part = (context.get("incident") or {}).get("component")
    if part and context.get("service_owner") not in (None, context.get("owner")):
        service = context["incident"]["service"]
        owner += f" (component {part}; {service} is owned by {context['service_owner']})"
    rows: list[tuple[str, Sequence[str]]] = [
        ("owner", [owner]),
        (
            "on call",
            [
                f"{o['service']}: {', '.join(o['users']) or 'nobody'}"
                f" (policy {o['escalation_policy']})"
                for o in context.get("on_call") or []
            ],
        ),
        ("runbook", _runbook(context)),
        ("depends on", [", ".join(context.get("depends_on") or []) or "-"]),
        (
            "upstream",
            [
                f"{i['service']} #{i['number']} {i['status']}: {i['title']} (likely cause)"
                for i in context.get("likely_cause_upstream") or []
            ]
            + _more(context, "likely_cause_upstream", "upstream"),
        ),
        (
            "downstream",
            [
                f"{i['service']} #{i['number']} {i['status']}: {i['title']}"
                for i in context.get("downstream_impact") or []
            ]
            + _more(context, "downstream_impact", "downstream"),
        ),
        (
            "changes (24 h)",
            [
                f"{when(c['received_at'])} {c['service']}: {c['summary']}{_link(c['links'])}"
                for c in (context.get("recent_changes") or [])[:5]
            ],
        ),
        (
            "similar",
            [
                f"#{s['number']} {s['title']}: resolved"
                + (f" by {s['resolved_by']}" if s.get("resolved_by") else "")
                + _duration(s.get("time_to_resolve_s"))
                for s in context.get("similar_incidents") or []
            ],
        ),
    ]
    lines = ["Context"]
    for label, values in rows:
        shown = list(values) or ["-"]
        lines.append(f"  {label + ':':<16}{shown[0]}")
        lines += [f"  {'':<16}{value}" for value in shown[1:]]
    return lines


def print_context(db: Database, ref: str) -> None:
    """Print the incident's context section (the incident must exist)."""
    context = uc.incident_context(
        directory=db.directory,
        incidents=db.incidents,
        ref=ref,
        history=db.history,
        now=SystemClock().now(),
        schedules=db.schedules,
    )
    print()
    print("\n".join(context_lines(context)))
