"""A whole batch, planned: what the store must read for it, and the plan it then writes.

Once every event is resolved (:mod:`.resolution`), :func:`wanted_alerts`,
:func:`paged_services` and :func:`wanted_groups` say which open alerts, maintenance windows
and group heads the store reads (one query each a batch, per grouped service for groups);
:func:`plan_batch` folds every event into a :class:`~ownit.domain.ingest.dedup.BatchPlan` and
answers each item. Pure.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from ownit.domain.events import Action, Event, event_labels
from ownit.domain.ingest.dedup import BatchPlan, GroupHead, GroupSlot, OpenAlert, group_key
from ownit.domain.ingest.destinations import unique_destinations
from ownit.domain.ingest.maintenance import ServiceWindow, suppressed_outcome, under_maintenance
from ownit.domain.ingest.resolution import Resolution

__all__ = [
    "DROPPED",
    "UNKNOWN_KEY",
    "ItemAnswer",
    "PlannedBatch",
    "fold",
    "paged_services",
    "plan_batch",
    "resolving_incidents",
    "wanted_alerts",
    "wanted_groups",
]

UNKNOWN_KEY = "unknown routing key"
DROPPED = "dropped by router"

_Items = Sequence[Sequence[Event]]
_Resolved = Sequence[Sequence[Resolution | None]]


@dataclass(frozen=True, slots=True)
class ItemAnswer:
    """The answer for one item: accepted with each event's outcome, or rejected (why)."""

    accepted: bool
    outcomes: tuple[str, ...] = ()
    error: str | None = None


@dataclass(frozen=True, slots=True)
class PlannedBatch:
    """The plan the store writes, and one answer per item, in order."""

    plan: BatchPlan
    answers: tuple[ItemAnswer, ...]


def wanted_alerts(items: _Items, resolutions: _Resolved) -> dict[int, set[str]]:
    """The (service, dedup key) pairs whose open alerts the batch may fold into, by service."""
    wanted: dict[int, set[str]] = {}
    for item, where in zip(items, resolutions, strict=True):
        for event, resolution in zip(item, where, strict=True):
            if resolution is None or event.dedup_key is None:
                continue
            for target in resolution.pages:
                wanted.setdefault(target.service_id, set()).add(event.dedup_key)
    return wanted


def resolving_incidents(
    items: _Items, resolutions: _Resolved, open_alerts: Mapping[tuple[int, str], OpenAlert]
) -> set[str]:
    """The incidents whose open alerts the batch's resolve events close: the store locks
    them and reads their alerts again before planning, so that two batches closing the last
    two alerts of one incident at once resolve it exactly once (decision 0022)."""
    found: set[str] = set()
    for item, where in zip(items, resolutions, strict=True):
        for event, resolution in zip(item, where, strict=True):
            if resolution is None or event.dedup_key is None:
                continue
            if event.action is not Action.RESOLVE:
                continue
            for target in resolution.pages:
                alert = open_alerts.get((target.service_id, event.dedup_key))
                if alert is not None:
                    found.add(alert.incident_id)
    return found


def paged_services(resolutions: _Resolved) -> set[int]:
    """The services the batch's events page (whose maintenance windows matter)."""
    return {t.service_id for where in resolutions for r in where if r for t in r.pages}


def wanted_groups(items: _Items, resolutions: _Resolved) -> dict[int, set[str]]:
    """The group keys each grouped service's triggers of this batch fall into."""
    wanted: dict[int, set[str]] = {}
    for item, where in zip(items, resolutions, strict=True):
        for event, resolution in zip(item, where, strict=True):
            if resolution is None or event.action is not Action.TRIGGER:
                continue
            labels: dict[str, str] | None = None
            for target in resolution.pages:
                if target.group_by:
                    labels = event_labels(event) if labels is None else labels
                    key = group_key(labels, target.group_by)
                    wanted.setdefault(target.service_id, set()).add(key)
    return wanted


def fold(
    plan: BatchPlan,
    event: Event,
    resolution: Resolution,
    maintenance: Mapping[int, str] | None = None,
) -> str:
    """Apply one event to every target it was routed to; the first outcome is the answer.

    A trigger for a service under a maintenance window (``maintenance``: service id -> window
    name) is kept but pages nobody; acknowledge, resolve and change events still apply."""
    if resolution.dropped:
        return DROPPED
    outcomes: list[str] = []
    for target in unique_destinations(resolution.pages):
        window = maintenance.get(target.service_id) if maintenance else None
        if window is not None and event.action is Action.TRIGGER:
            outcomes.append(
                plan.suppress(event, target, resolution.route, suppressed_outcome(window))
            )
        else:
            outcomes.append(plan.apply(event, target, resolution.route).value)
    for held in resolution.suppressed:
        outcomes.append(plan.suppress(event, held, resolution.route or {}))
    return outcomes[0] if outcomes else DROPPED


def plan_batch(
    *,
    items: _Items,
    resolutions: _Resolved,
    open_alerts: dict[tuple[int, str], OpenAlert],
    open_counts: dict[str, int],
    maintenance: Sequence[ServiceWindow],
    groups: dict[GroupSlot, GroupHead],
    now: datetime,
    new_id: Callable[[str], str],
) -> PlannedBatch:
    """Fold every event of the batch, in arrival order, into one plan.

    An item with an event whose key is unknown (no resolution) is rejected as a whole, and
    each such event is counted, not recorded; the item's other events still fold. An
    accepted item answers each event's first outcome. ``open_alerts``, ``open_counts`` and
    ``groups`` are the plan's to update as it folds."""
    plan = BatchPlan(
        now=now,
        new_id=new_id,
        open_alerts=open_alerts,
        open_counts=open_counts,
        groups=groups,
        labels_of=event_labels,
    )
    held = under_maintenance(maintenance)
    answers: list[ItemAnswer] = []
    for item, where in zip(items, resolutions, strict=True):
        outcomes: list[str] = []
        rejected = False
        for event, resolution in zip(item, where, strict=True):
            if resolution is None:
                plan.reject(event)
                rejected = True
                continue
            outcomes.append(fold(plan, event, resolution, held))
        answers.append(
            ItemAnswer(False, error=UNKNOWN_KEY) if rejected else ItemAnswer(True, tuple(outcomes))
        )
    return PlannedBatch(plan, tuple(answers))
