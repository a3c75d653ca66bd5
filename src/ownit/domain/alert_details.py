"""What the monitoring tool said about an alert, made safe to put in a page.

An alert keeps the event it was opened by as received (``alerts.details``). A page carries
its details: an Events v2 event's ``payload.custom_details`` (each key; a value that is not a
string as compact JSON; a details value that is no object under ``details``), an
Alertmanager alert's ``labels`` and ``annotations`` (as ``labels.NAME`` and
``annotations.NAME``). They are capped (decision 0022): at most :data:`MAX_FIELDS` fields,
keys of :data:`MAX_KEY` and values of :data:`MAX_VALUE` characters, :data:`MAX_TOTAL` bytes
of UTF-8 in all; whatever is left out is counted, never silently dropped. Values are single
lines of printable text; each channel escapes them for its own format.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

MAX_FIELDS = 25
MAX_KEY = 100
MAX_VALUE = 300
MAX_TOTAL = 8192


@dataclass(frozen=True, slots=True)
class AlertDetails:
    """The fields kept, in the sender's order, and how many were left out for size."""

    fields: Mapping[str, str] = field(default_factory=dict)
    omitted: int = 0


def _line(text: str, limit: int) -> str:
    cleaned = " ".join("".join(c if c.isprintable() else " " for c in text).split())
    return cleaned if len(cleaned) <= limit else cleaned[: limit - 1].rstrip() + "…"


def _text(value: Any) -> str:
    if isinstance(value, str):
        return value
    try:
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False, sort_keys=True)
    except (TypeError, ValueError):
        return str(value)


def _pairs(raw: Mapping[str, Any]) -> list[tuple[str, Any]]:
    alert = raw.get("alert")
    if isinstance(alert, Mapping):  # Alertmanager
        pairs: list[tuple[str, Any]] = []
        for part in ("labels", "annotations"):
            found = alert.get(part)
            if isinstance(found, Mapping):
                pairs += [(f"{part}.{k}", v) for k, v in found.items()]
        return pairs
    payload = raw.get("payload")
    details = payload.get("custom_details") if isinstance(payload, Mapping) else None
    if details is None:
        return []
    if isinstance(details, Mapping):
        return [(str(k), v) for k, v in details.items()]
    return [("details", details)]


def alert_details(raw: Mapping[str, Any] | None) -> AlertDetails:
    """The capped details of the event an alert was opened by (``raw``, as received)."""
    if not isinstance(raw, Mapping):
        return AlertDetails()
    pairs = _pairs(raw)
    kept: dict[str, str] = {}
    size = 0
    for key, value in pairs:
        name = _line(str(key), MAX_KEY) or "?"
        text = _line(_text(value), MAX_VALUE)
        cost = len(name.encode()) + len(text.encode())
        if len(kept) == MAX_FIELDS or size + cost > MAX_TOTAL or name in kept:
            continue
        kept[name] = text
        size += cost
    return AlertDetails(kept, len(pairs) - len(kept))
