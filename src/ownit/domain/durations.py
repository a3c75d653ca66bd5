"""Durations written as strings: ``30s``, ``5m``, ``1h``, ``1d``, ``1w``."""

from __future__ import annotations

import re
from datetime import timedelta

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_PATTERN = re.compile(r"^(\d+)([smhdw])$")


def parse_duration(text: str) -> timedelta:
    """Parse ``"5m"`` into five minutes; raise ``ValueError`` with a plain message."""
    match = _PATTERN.match(text.strip()) if isinstance(text, str) else None
    if match is None:
        raise ValueError(
            f"{text!r} is not a duration (write a whole number and a unit: 30s, 5m, 1h, 1d, 1w)"
        )
    return timedelta(seconds=int(match.group(1)) * _UNITS[match.group(2)])


def format_duration(value: timedelta) -> str:
    """The shortest exact string for a duration; inverse of :func:`parse_duration`."""
    seconds = int(value.total_seconds())
    for unit in ("w", "d", "h", "m"):
        size = _UNITS[unit]
        if seconds and seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"
