"""The incident list's query: its filters and page from the URL, and one page of incidents."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from ownit.adapters.web.deps import WebDeps
from ownit.app import incidents as uc
from ownit.domain.errors import NotFound
from ownit.domain.incidents import Status, Urgency

PAGE_SIZE = 25
MAX_PAGE = 40
STATUS_CHOICES = ("", "open", "triggered", "acknowledged", "resolved")
ORDER = (Status.TRIGGERED, Status.ACKNOWLEDGED, Status.RESOLVED)


@dataclass(frozen=True, slots=True)
class ListQuery:
    service: str = ""
    urgency: str = ""
    status: str = ""
    page: int = 1

    def statuses(self) -> tuple[Status, ...]:
        if self.status == "open":
            return ORDER[:2]
        if self.status in ("triggered", "acknowledged", "resolved"):
            return (Status(self.status),)
        return ORDER

    def url(self, **changes: Any) -> str:
        values = {
            "service": self.service,
            "urgency": self.urgency,
            "status": self.status,
            "page": self.page,
        } | changes
        params = {k: v for k, v in values.items() if v and not (k == "page" and v == 1)}
        query = urlencode(params)
        return "/incidents" + (f"?{query}" if query else "")


def parse_query(service: str, urgency: str, status: str, page: str) -> ListQuery:
    number = int(page) if page.isdigit() else 1
    return ListQuery(
        service=service.strip()[:100],
        urgency=urgency if urgency in ("high", "low") else "",
        status=status if status in STATUS_CHOICES else "",
        page=min(max(number, 1), MAX_PAGE),
    )


def find(deps: WebDeps, query: ListQuery) -> tuple[list[dict[str, Any]], bool, str]:
    """One page of incidents, open ones first (triggered, then acknowledged), newest first
    within each status; whether there is a next page; an error for the filter, if any."""
    wanted = query.page * PAGE_SIZE + 1
    found: list[dict[str, Any]] = []
    for status in query.statuses():
        flt = uc.IncidentFilter(
            statuses=(status,),
            service=query.service or None,
            urgency=Urgency(query.urgency) if query.urgency else None,
            limit=wanted - len(found),
        )
        try:
            found += uc.list_incidents(store=deps.incidents, flt=flt)
        except NotFound:
            return [], False, f"no service is named {query.service!r}"
        if len(found) >= wanted:
            break
    start = (query.page - 1) * PAGE_SIZE
    return found[start : start + PAGE_SIZE], len(found) > start + PAGE_SIZE, ""
