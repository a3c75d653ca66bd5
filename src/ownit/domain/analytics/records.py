"""An incident's stored figures: what the reports add up, without its whole history.

The store keeps each incident's :class:`~ownit.domain.analytics.history.Facts` once they are
known (computed by :meth:`IncidentHistory.facts`, the one definition) and reads them back as
:class:`IncidentRecord` rows, which the reports take like histories.
"""

from __future__ import annotations

from datetime import datetime
from typing import NamedTuple

from ownit.domain.analytics.history import Facts, IncidentHistory


class IncidentRecord(NamedTuple):
    """One incident's grouping keys and stored figures (a tuple: thousands are built per
    report)."""

    id: str
    service: str
    created_at: datetime
    stored: Facts
    urgency: str = "high"
    team: str | None = None
    component: str | None = None
    alert_key: str = ""
    merged_into: str | None = None
    drill: bool = False

    def facts(self) -> Facts:
        return self.stored


def record_of(history: IncidentHistory) -> IncidentRecord:
    """The record a history is stored as: the same keys, its facts computed once."""
    return IncidentRecord(
        id=history.id,
        service=history.service,
        created_at=history.created_at,
        stored=history.facts(),
        urgency=history.urgency,
        team=history.team,
        component=history.component,
        alert_key=history.alert_key,
        merged_into=history.merged_into,
        drill=history.drill,
    )
