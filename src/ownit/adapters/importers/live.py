"""Reading the live APIs into the saved-answer layout (``--api-key``).

Every list is paged to its end (PagerDuty: ``offset``/``limit`` until ``more`` is false;
Opsgenie: ``paging.next``; Grafana OnCall: ``next``); a ``429`` answer is retried after its
``Retry-After`` seconds (at most :data:`RETRIES` times, each wait capped at
:data:`MAX_WAIT`). The answers are kept as pages, exactly as a saved directory holds them.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import quote

import httpx

from ownit.domain.importers import AnswerError, Answers

RETRIES = 5
MAX_WAIT = 60.0
PAGE = 100
BASE_URLS = {
    "pagerduty": "https://api.pagerduty.com",
    "opsgenie": "https://api.opsgenie.com",
}


class Fetcher:
    """GETs JSON from one API with its authorisation header, retrying on 429."""

    def __init__(
        self,
        base_url: str,
        headers: dict[str, str],
        *,
        client: httpx.Client | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.base = base_url.rstrip("/")
        self.client = client or httpx.Client(timeout=30.0, headers=headers)
        self.client.headers.update(headers)
        self.sleep = sleep
        self.waits: list[float] = []

    def get(self, path: str, params: dict[str, Any] | None = None) -> Any:
        url = path if path.startswith(("http://", "https://")) else self.base + path
        for _ in range(RETRIES + 1):
            try:
                answer = self.client.get(url, params=params)
            except httpx.HTTPError as exc:
                raise AnswerError(f"GET {url}: {exc}") from None
            if answer.status_code != 429:
                break
            wait = _retry_after(answer.headers.get("Retry-After"))
            self.waits.append(wait)
            self.sleep(wait)
        if answer.status_code != 200:
            raise AnswerError(f"GET {url}: HTTP {answer.status_code} {answer.text[:200]}")
        try:
            return answer.json()
        except ValueError:
            raise AnswerError(f"GET {url}: the answer is not JSON") from None


def _retry_after(value: str | None) -> float:
    try:
        return min(MAX_WAIT, max(0.0, float(value))) if value else 1.0
    except ValueError:
        return 1.0


# --- PagerDuty -------------------------------------------------------------------------------


def _pd_pages(f: Fetcher, path: str, params: dict[str, Any] | None = None) -> list[object]:
    pages: list[object] = []
    offset = 0
    while True:
        page = f.get(path, {**(params or {}), "offset": offset, "limit": PAGE})
        pages.append(page)
        if not isinstance(page, dict) or not page.get("more"):
            return pages
        offset += int(page.get("limit") or PAGE)  # the server may cap the page size


def _ids(pages: list[object], key: str) -> list[dict[str, Any]]:
    return [
        x for p in pages if isinstance(p, dict) for x in p.get(key) or [] if isinstance(x, dict)
    ]


def pagerduty(f: Fetcher, now: datetime) -> Answers:
    since, until = now.isoformat(), (now + timedelta(days=28)).isoformat()
    year = (now + timedelta(days=365)).isoformat()
    answers: dict[str, list[object]] = {}
    answers["users"] = _pd_pages(
        f, "/users", {"include[]": ["contact_methods", "notification_rules"]}
    )
    answers["teams"] = _pd_pages(f, "/teams")
    for team in _ids(answers["teams"], "teams"):
        tid = str(team["id"])
        answers[f"team_members/{tid}"] = _pd_pages(f, f"/teams/{quote(tid)}/members")
    answers["schedules"] = _pd_pages(f, "/schedules", {"include[]": ["schedule_layers"]})
    for brief in _ids(answers["schedules"], "schedules"):
        sid = quote(str(brief["id"]))
        zone = brief.get("time_zone") or "UTC"  # fetched in its own zone, never UTC
        answers[f"schedules/{brief['id']}"] = [  # the one answer with final_schedule
            f.get(f"/schedules/{sid}", {"time_zone": zone, "since": since, "until": until})
        ]
        answers[f"overrides/{brief['id']}"] = [  # every override of the coming year
            f.get(f"/schedules/{sid}/overrides", {"since": since, "until": year})
        ]
    answers["escalation_policies"] = _pd_pages(f, "/escalation_policies")
    answers["services"] = _pd_pages(f, "/services", {"include[]": ["integrations"]})
    relationships: dict[str, object] = {}
    for service in _ids(answers["services"], "services"):
        sid = quote(str(service["id"]))
        page = f.get(f"/service_dependencies/technical_services/{sid}")
        for rel in (page.get("relationships") or []) if isinstance(page, dict) else []:
            relationships[str(rel.get("id"))] = rel
    answers["service_dependencies"] = [
        {"relationships": [relationships[k] for k in sorted(relationships)]}
    ]
    answers["maintenance_windows"] = _pd_pages(f, "/maintenance_windows", {"filter": "open"})
    return answers


def pagerduty_fetcher(api_key: str, base_url: str | None) -> Fetcher:
    return Fetcher(
        base_url or BASE_URLS["pagerduty"],
        {
            "Authorization": f"Token token={api_key}",
            "Accept": "application/vnd.pagerduty+json;version=2",
        },
    )


# --- Opsgenie and Grafana OnCall: follow the answer's link to the next page ------------------


def _linked_pages(f: Fetcher, path: str, params: dict[str, Any] | None = None) -> list[object]:
    pages: list[object] = []
    url: str | None = path
    while url:
        page = f.get(url, params if url == path else None)
        pages.append(page)
        if not isinstance(page, dict):
            break
        paging = page.get("paging")
        link = paging.get("next") if isinstance(paging, dict) else page.get("next")
        url = link if isinstance(link, str) and link else None
    return pages


def _data(pages: list[object]) -> list[dict[str, Any]]:
    return _ids(pages, "data")


def opsgenie(f: Fetcher, now: datetime) -> Answers:
    del now  # Opsgenie's lists need no time range
    answers: dict[str, list[object]] = {}
    answers["users"] = _linked_pages(f, "/v2/users", {"limit": PAGE})
    for user in _data(answers["users"]):
        uid = quote(str(user["id"]))
        rules = _data(_linked_pages(f, f"/v2/users/{uid}/notification-rules"))
        full = [f.get(f"/v2/users/{uid}/notification-rules/{quote(str(r['id']))}") for r in rules]
        answers[f"notification_rules/{user['id']}"] = [
            {"data": [a["data"] for a in full if isinstance(a, dict)]}
        ]
    teams = [
        f.get(f"/v2/teams/{quote(str(t['id']))}") for t in _data(_linked_pages(f, "/v2/teams"))
    ]
    answers["teams"] = [{"data": [t["data"] for t in teams if isinstance(t, dict)]}]
    answers["schedules"] = _linked_pages(f, "/v2/schedules", {"expand": "rotation"})
    for schedule in _data(answers["schedules"]):
        sid = quote(str(schedule["id"]))
        answers[f"overrides/{schedule['id']}"] = _linked_pages(f, f"/v2/schedules/{sid}/overrides")
    answers["escalations"] = _linked_pages(f, "/v2/escalations")
    answers["integrations"] = _linked_pages(f, "/v2/integrations")
    answers["heartbeats"] = _linked_pages(f, "/v2/heartbeats")
    answers["maintenance"] = [f.get("/v1/maintenance", {"type": "non-expired"})]
    for window in _data(answers["maintenance"]):  # the list has no rules: one by one
        mid = str(window["id"])
        answers[f"maintenance/{mid}"] = [f.get(f"/v1/maintenance/{quote(mid)}")]
    return answers


def grafana_oncall(f: Fetcher, now: datetime) -> Answers:
    del now  # Grafana OnCall's lists need no time range
    return {
        name: _linked_pages(f, f"/api/v1/{name}/")
        for name in (
            "users",
            "teams",
            "schedules",
            "on_call_shifts",
            "escalation_chains",
            "escalation_policies",
            "integrations",
            "routes",
        )
    }


def fetcher(source: str, api_key: str, base_url: str | None) -> Fetcher:
    """The fetcher of ``source`` with its own way of sending the key."""
    if source == "pagerduty":
        return pagerduty_fetcher(api_key, base_url)
    if base_url is None and source not in BASE_URLS:
        raise AnswerError(f"{source}: --base-url is required (the address of your instance)")
    auth = f"GenieKey {api_key}" if source == "opsgenie" else api_key
    return Fetcher(base_url or BASE_URLS[source], {"Authorization": auth})


READERS = {"pagerduty": pagerduty, "opsgenie": opsgenie, "grafana-oncall": grafana_oncall}


def read(source: str, f: Fetcher, now: datetime) -> Answers:
    """Every list of ``source`` in the saved-answer layout; the connection is closed after."""
    try:
        return READERS[source](f, now)
    finally:
        f.client.close()
