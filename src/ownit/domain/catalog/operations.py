"""The ``MaintenanceWindow`` and ``Heartbeat`` kinds: reading their specs, their normal form.

A window's ``start`` and ``end`` are RFC 3339 date-times with an offset (``Z`` or
``+01:00``); the normal form is UTC (``2026-12-01T22:00:00Z``), since that is what the
database keeps. A heartbeat's ``interval`` is at least a minute; ``grace`` defaults to 5m.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

from ownit.domain.catalog.fields import Fields, quote
from ownit.domain.catalog.model import (
    HEARTBEAT_GRACE,
    HEARTBEAT_MIN_INTERVAL,
    Heartbeat,
    JsonObject,
    JsonValue,
    MaintenanceWindow,
)
from ownit.domain.catalog.schedules import date_time
from ownit.domain.durations import format_duration

MAINTENANCE_FIELDS = ("services", "start", "end", "description")
HEARTBEAT_FIELDS = ("service", "interval", "grace", "key")
_KEY = re.compile(r"^[0-9a-zA-Z]{32}$")
_EXAMPLE = "2026-12-01T22:00:00Z or 2026-12-01T23:00:00+01:00"


def _instant(f: Fields, key: str) -> datetime | None:
    parsed = date_time(f, key, _EXAMPLE)
    if parsed is None:
        return None
    if parsed.tzinfo is None:
        written = quote(f.text(key) or "")
        f.r.problem(
            f.line_of(key),
            f"{f.where(key)} {written} has no UTC offset (add Z or +hh:mm: {_EXAMPLE})",
        )
        return None
    return parsed


def parse_window(name: str, spec: Fields) -> MaintenanceWindow:
    node = spec.node("services", required=True)
    if node is not None and node.items == ():
        spec.r.problem(node.line, "services must name at least one service")
    services = [s for _, s in spec.strings("services")]
    start = _instant(spec, "start")
    end = _instant(spec, "end")
    if start is not None and end is not None and end <= start:
        spec.r.problem(
            spec.line_of("end"),
            f"end {quote(end.isoformat())} is not after start {quote(start.isoformat())}: "
            "a maintenance window must end after it starts",
        )
    description = spec.text("description", max_len=2000) or ""
    return MaintenanceWindow(name, tuple(services), start, end, description)


def parse_heartbeat(name: str, spec: Fields) -> Heartbeat:
    service = spec.slug("service", required=True) or ""
    interval = spec.duration("interval", required=True)
    if interval is not None and interval < HEARTBEAT_MIN_INTERVAL:
        spec.r.problem(
            spec.line_of("interval"),
            f"interval {quote(format_duration(interval))} is shorter than a minute "
            "(the engine checks heartbeats about every second, but pings are not that exact)",
        )
    grace = spec.duration("grace", positive=False)
    key = spec.text(
        "key",
        check=lambda v: None if _KEY.match(v) else "must be exactly 32 letters and digits",
    )
    return Heartbeat(
        name,
        service,
        interval if interval is not None else HEARTBEAT_MIN_INTERVAL,
        grace if grace is not None else HEARTBEAT_GRACE,
        key,
    )


def _utc_text(value: datetime) -> str:
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def window_spec(window: MaintenanceWindow) -> JsonObject:
    services: list[JsonValue] = [*sorted(set(window.services))]  # a set: sorted, once each
    out: JsonObject = {"services": services}
    if window.start is not None:
        out["start"] = _utc_text(window.start)
    if window.end is not None:
        out["end"] = _utc_text(window.end)
    if window.description:
        out["description"] = window.description
    return out


def heartbeat_spec(beat: Heartbeat, *, keys: bool) -> JsonObject:
    out: JsonObject = {
        "service": beat.service,
        "interval": format_duration(beat.interval),
        "grace": format_duration(beat.grace),
    }
    if keys and beat.key is not None:
        out["key"] = beat.key
    return out
