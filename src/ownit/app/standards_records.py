"""What the standards read from the features that record learning: the postmortems of
high-urgency incidents, their open action items, and when each policy's drills were last
acknowledged.

``postmortems-done`` looks back :data:`LOOK_BACK` (incidents resolved earlier are not
judged any more); ``no-overdue-actions`` sees every open action item of a service.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta

from ownit.app.clock import Clock
from ownit.app.drills import DrillStore
from ownit.app.postmortems import PostmortemStore, learning_of
from ownit.domain.standards import ActionItem, ResolvedIncident

LOOK_BACK = timedelta(days=90)


class LearningRecords:
    """:class:`~ownit.app.standards.Records` over the postmortem store."""

    def __init__(self, store: PostmortemStore, drills: DrillStore, clock: Clock) -> None:
        self._store = store
        self._drills = drills
        self._clock = clock

    def learning(
        self, service: str | None = None
    ) -> tuple[Mapping[str, tuple[ResolvedIncident, ...]], Mapping[str, tuple[ActionItem, ...]]]:
        """Both from one :func:`learning_of` (every postmortem read once per report): the
        high-urgency resolved incidents of the last :data:`LOOK_BACK` that need a postmortem,
        with its status, and every open action item (of ``service`` only, when given)."""
        needed, open_items = learning_of(
            store=self._store,
            clock=self._clock,
            since=self._clock.now() - LOOK_BACK,
            service=service,
        )
        found: dict[str, list[ResolvedIncident]] = {}
        for item in needed:
            incident = item.incident
            if incident.urgency != "high" or incident.resolved_at is None:
                continue
            status = None if item.postmortem is None else item.postmortem.postmortem.status.value
            found.setdefault(incident.service, []).append(
                ResolvedIncident(f"#{incident.number}", incident.resolved_at, status)
            )
        actions: dict[str, list[ActionItem]] = {}
        for record, action in open_items:
            actions.setdefault(record.incident.service, []).append(
                ActionItem(action.title, action.due)
            )
        return (
            {name: tuple(items) for name, items in found.items()},
            {name: tuple(items) for name, items in actions.items()},
        )

    def drills(self) -> Mapping[str, datetime]:
        """Each policy's last acknowledged drill run (a game day's steps are not drills of
        a policy: they do not count)."""
        last: dict[str, datetime] = {}
        for info in self._drills.drills():
            if info.policy is None:
                continue
            for run in self._drills.runs(info.drill.name):
                at = run.acknowledged_at
                if at is not None and (info.policy not in last or at > last[info.policy]):
                    last[info.policy] = at
        return last
