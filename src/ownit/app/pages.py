"""Recent pages: who was paged, when, for which incident and which team's service
(``GET /api/v1/pages``). A page here is a person's first page for an incident, as recorded
for analytics (``incident_responses``, decision 0033); what a chaos experiment or a drill
checks with "was the owner paged in time" (decision 0049).

Practice pages (drills, game-day steps, test events) are pages too: listed by default, each
with ``drill``; ``drills=exclude`` leaves them out, ``drills=only`` lists them alone
(decision 0060)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from ownit.app.clock import Clock
from ownit.domain.analytics.history import Drills
from ownit.domain.errors import FieldError

MAX_WITHIN = timedelta(days=31)


class PageStore(Protocol):
    def pages_since(
        self, since: datetime, service: str | None, drills: Drills = Drills.INCLUDE
    ) -> list[dict[str, Any]]:
        """First pages at or after ``since``, newest first: ``incident`` (id), ``number``,
        ``title``, ``service``, ``component``, ``team`` (the owner of what broke), ``user``,
        ``paged_at``, ``level``, ``drill``; practice incidents' pages as ``drills`` says."""
        ...

    def service_exists(self, name: str) -> bool: ...

    def team_exists(self, name: str) -> bool: ...


@dataclass(frozen=True)
class PageQuery:
    within: timedelta
    team: str | None = None
    service: str | None = None
    limit: int = 100
    drills: str | None = None  # include (default), exclude or only


def recent_pages(*, store: PageStore, clock: Clock, query: PageQuery) -> list[dict[str, Any]]:
    """Pages within ``query.within`` of now, for ``team`` and/or ``service`` when given."""
    if query.service is not None and not store.service_exists(query.service):
        raise FieldError("service", f"no service is named {query.service!r}")
    if query.team is not None and not store.team_exists(query.team):
        raise FieldError("team", f"no team is named {query.team!r}")
    found = store.pages_since(clock.now() - query.within, query.service, drills_of(query.drills))
    if query.team is not None:
        found = [page for page in found if page["team"] == query.team]
    return found[: query.limit]


def drills_of(value: str | None) -> Drills:
    """``drills=`` as asked; pages list practice too unless told otherwise (decision 0060)."""
    if value is None or value == "":
        return Drills.INCLUDE
    try:
        return Drills(value)
    except ValueError:
        names = ", ".join(m.value for m in Drills)
        raise FieldError("drills", f"{value!r} is not one of {names}") from None
