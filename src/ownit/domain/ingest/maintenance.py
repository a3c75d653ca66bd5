"""Maintenance windows at ingest: which of a batch's services are under one, and the
outcome of a trigger it holds back.

During a window a trigger for one of its services is kept (stored with its service) but
pages nobody; acknowledge, resolve and change events still apply. Pure: the store reads the
windows running at the batch's time over the batch's services.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

__all__ = ["ServiceWindow", "suppressed_outcome", "under_maintenance"]


@dataclass(frozen=True, slots=True)
class ServiceWindow:
    """A maintenance window running now over one service."""

    service_id: int
    name: str
    ends_at: datetime


def under_maintenance(windows: Iterable[ServiceWindow]) -> dict[int, str]:
    """Service id -> the name of the window that holds its triggers back. When windows
    overlap, the one ending last names it; of windows ending together, the last given (the
    store reads them ordered by name)."""
    found: dict[int, ServiceWindow] = {}
    for window in windows:
        held = found.get(window.service_id)
        if held is None or window.ends_at >= held.ends_at:
            found[window.service_id] = window
    return {service_id: window.name for service_id, window in found.items()}


def suppressed_outcome(window: str) -> str:
    """The outcome recorded for a trigger held back by the window named ``window``."""
    return f"suppressed: maintenance window {window}"
