"""Small PagerDuty answers for rule tests: one schedule, policy or service at a time."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from ownit.domain.importers import Import, pagerduty

NOW = datetime(2026, 10, 20, tzinfo=UTC)
USERS = ["PA", "PB", "PC"]


def user(uid: str, **extra: Any) -> dict[str, Any]:
    return {"id": uid, "name": uid, "email": f"{uid.lower()}@example.com"} | extra


def answers(**lists: Any) -> dict[str, list[object]]:
    """Answers with users PA, PB, PC and one team unless given; ``lists`` are the rest."""
    out: dict[str, list[object]] = {
        "users": [{"users": [user(u) for u in USERS]}],
        "teams": [{"teams": [{"id": "PT", "name": "Ops"}]}],
        "team_members/PT": [{"members": [{"user": {"id": "PA"}, "role": "manager"}]}],
        "schedules": [{"schedules": []}],
        "escalation_policies": [{"escalation_policies": []}],
        "services": [{"services": []}],
    }
    for key, value in lists.items():
        out[key] = value if isinstance(value, list) else [value]
    return out


def layer(
    users: list[str],
    turn: int,
    start: str,
    phase: str | None = None,
    restrictions: list[Any] | None = None,
    name: str = "L",
    end: str | None = None,
) -> dict[str, Any]:
    return {
        "id": f"L{name}",
        "name": name,
        "start": start,
        "end": end,
        "rotation_virtual_start": phase or start,
        "rotation_turn_length_seconds": turn,
        "users": [{"user": {"id": u}} for u in users],
        "restrictions": restrictions or [],
    }


def schedule(layers: list[Any], zone: str = "America/New_York", **extra: Any) -> dict[str, Any]:
    return {"id": "PS", "name": "Main", "time_zone": zone, "schedule_layers": layers} | extra


def convert(
    data: dict[str, list[object]], now: datetime = NOW, known: dict[str, str] | None = None
) -> Import:
    return pagerduty.convert(data, now, known or {})


def spec(state: Import, kind: str, name: str) -> dict[str, Any]:
    found: dict[str, Any] = state.documents[kind][name]["spec"]  # type: ignore[assignment]
    return found


def texts(state: Import, section: str) -> list[str]:
    return [f"{e.kind} {e.name}: {e.text}" for e in state.report.of(section)]
