"""Where each catalog kind is stored, and which of a user's stored fields are the person's."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Table

from ownit.adapters.db import tables as t
from ownit.domain.catalog import PERSONAL_FIELDS

TABLES: dict[str, Table] = {
    "User": t.users,
    "Team": t.teams,
    "Schedule": t.schedules,
    "EscalationPolicy": t.escalation_policies,
    "Service": t.services,
    "Router": t.routers,
    "MaintenanceWindow": t.maintenance_windows,
    "Heartbeat": t.heartbeats,
    "Drill": t.drills,
    "GameDay": t.gamedays,
    "Standard": t.standards,
    "Scorecard": t.scorecards,
}
DESCRIBED = ("Service", "Team", "Standard")  # kinds with a description column
PERSONAL_KEY = "x-personal"
"""In ``users.spec``: which of the user's fields are the person's own, not the catalog's
(decision 0014). Rows written before it existed: the fields their spec does not have."""


_LATER_FIELDS = ("statusUpdates",)


def personal_of(spec: Any) -> frozenset[str]:
    """The fields of a stored user spec that belong to the person."""
    spec = spec if isinstance(spec, dict) else {}
    marked = spec.get(PERSONAL_KEY)
    if isinstance(marked, list):
        # A field added after the row was marked (statusUpdates) is the person's unless the
        # catalog wrote it.
        later = {f for f in _LATER_FIELDS if f not in spec}
        return frozenset(f for f in PERSONAL_FIELDS if f in marked or f in later)
    return frozenset(f for f in PERSONAL_FIELDS if f not in spec)
