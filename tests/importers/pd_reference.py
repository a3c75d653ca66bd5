"""PagerDuty's final schedule computed straight from the documented rules, independently of
ownit's calculator: walk the timeline in 15-minute steps and ask, at each step, which layer
(highest first) has a user whose turn covers it inside a restriction window, overrides first.

Turns of whole days are counted on the schedule's wall clock; shorter turns in elapsed
seconds (what PagerDuty is taken to do, so a DST change moves their handoffs by an hour).
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

STEP = timedelta(minutes=15)


def _local(at: datetime, zone: ZoneInfo) -> datetime:
    return at.astimezone(zone).replace(tzinfo=None)


def _in_window(local: datetime, restriction: dict[str, Any]) -> bool:
    start = time.fromisoformat(restriction["start_time_of_day"])
    length = timedelta(seconds=restriction["duration_seconds"])
    for back in range(8):
        day = local.date() - timedelta(days=back)
        weekly = restriction["type"] == "weekly_restriction"
        if weekly and day.isoweekday() != restriction["start_day_of_week"]:
            continue
        opened = datetime.combine(day, start)
        if opened <= local < opened + length:
            return True
    return False


def _layer_user(layer: dict[str, Any], at: datetime, zone: ZoneInfo) -> str | None:
    start = datetime.fromisoformat(layer["start"])
    end = datetime.fromisoformat(layer["end"]) if layer.get("end") else None
    if at < start or (end is not None and at >= end):
        return None
    phase = datetime.fromisoformat(layer["rotation_virtual_start"])
    length = layer["rotation_turn_length_seconds"]
    if length % 86400 == 0:
        turn = (_local(at, zone) - _local(phase, zone)) // timedelta(seconds=length)
    else:
        turn = int((at - phase).total_seconds() // length)
    users = [u["user"]["id"] for u in layer["users"]]
    restrictions = layer.get("restrictions") or []
    if restrictions and not any(_in_window(_local(at, zone), r) for r in restrictions):
        return None
    return str(users[turn % len(users)])


def final_entries(
    schedule: dict[str, Any], overrides: list[dict[str, Any]], since: datetime, until: datetime
) -> list[dict[str, Any]]:
    """``rendered_schedule_entries`` as PagerDuty documents them (user references)."""
    zone = ZoneInfo(schedule["time_zone"])
    entries: list[dict[str, Any]] = []
    at = since
    while at < until:
        who = None
        for o in reversed(overrides):
            if datetime.fromisoformat(o["start"]) <= at < datetime.fromisoformat(o["end"]):
                who = o["user"]["id"]
                break
        if who is None:
            for layer in schedule["schedule_layers"]:  # highest first: the first found wins
                who = _layer_user(layer, at, zone)
                if who is not None:
                    break
        if who is not None:
            stamp = at.astimezone(zone).isoformat()
            last = entries[-1] if entries else None
            if last and last["user"]["id"] == who and last["end"] == stamp:
                last["end"] = (at + STEP).astimezone(zone).isoformat()
            else:
                entries.append(
                    {
                        "start": stamp,
                        "end": (at + STEP).astimezone(zone).isoformat(),
                        "user": {"id": who, "type": "user_reference"},
                    }
                )
        at += STEP
    return entries


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)
