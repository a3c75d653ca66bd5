"""The drills pages: history, time to acknowledge per responder and contact type, who never
acknowledged, and "Run drill now" for managers only (role-checked, CSRF) — SQLite and
PostgreSQL, through the real app and worker on a fake clock."""

from __future__ import annotations

import re
from typing import Any

import pytest
from sqlalchemy import select

from ownit.adapters.db import tables as t
from ownit.bootstrap import build_worker
from ownit.settings import Settings
from tests.integration import oncall_catalog
from tests.integration.conftest import Ctx
from tests.integration.web_helpers import BOB, login, page_token, setup_people

DRILL = """
---
apiVersion: ownit/v1
kind: Drill
metadata: {name: payments-weekly}
spec: {service: payments-api, ackTarget: 5m}
"""


def _reachable(org: str) -> str:
    """The on-call organisation with an e-mail rule for alice and bob (pages are recorded as
    outbox rows; without SMTP settings they fail, which the page shows as not delivered)."""
    for name in ("alice", "bob"):
        org = org.replace(
            f"email: {name}@example.com}}",
            f"email: {name}@example.com, contacts: [{{name: mail, type: email, "
            f"address: {name}@example.com}}], notificationRules: [{{contact: mail, after: 0m}}]}}",
        )
    return org


@pytest.fixture
def drills(ctx: Ctx) -> Ctx:
    setup_people(ctx.engine, ctx.clock)
    oncall_catalog.apply(ctx.engine, _reachable(oncall_catalog.ORG) + DRILL)
    return ctx


def _run_from_page(ctx: Ctx, path: str = "/teams/payments/drills") -> Any:
    token = page_token(ctx.client, path)
    return ctx.client.post(
        "/drills/payments-weekly/run", data={"csrf": token}, follow_redirects=False
    )


def test_a_manager_runs_a_drill_and_the_page_scores_it(drills: Ctx) -> None:
    assert login(drills.client).status_code == 303  # alice: admin
    page = drills.client.get("/teams/payments/drills")
    assert page.status_code == 200
    assert "Run drill now" in page.text
    assert "Not run yet." in page.text
    started = _run_from_page(drills)
    assert started.status_code == 303
    assert started.headers["location"] == "/teams/payments/drills?done=payments-weekly"
    with drills.engine.connect() as conn:
        drill, title = conn.execute(select(t.incidents.c.drill, t.incidents.c.title)).one()
    assert drill is True
    assert title.startswith("[DRILL] payments-weekly")
    # 13:00 in Berlin: carol (no contacts) covers primary, so level 1 pages nobody who can be
    # reached; after 10 minutes level 2 pages alice.
    worker = build_worker(
        Settings(database_url=str(drills.engine.url)), drills.engine, clock=drills.clock
    )
    try:
        worker.run_once()
        drills.clock.advance(minutes=10)
        worker.run_once()
        drills.client.post("/api/v1/incidents/1/acknowledge", headers=drills.admin)
        worker.run_once()
    finally:
        worker.stop()
    html = drills.client.get("/teams/payments/drills?done=payments-weekly").text
    assert "Drill payments-weekly is running" in html
    history = html.split('class="grid drill-runs"')[1].split("</table>")[0]
    assert re.search(r"<td>1</td>\s*<td><a href=\"/incidents/1\">#1</a></td>", history)
    assert '<td class="verdict">missed</td>' in history  # 600 s against a 5m target
    assert "<td>600 s</td>" in history
    assert "<td>2</td>" in history  # two levels reached
    never = html.split('class="never"')[1].split("</p>")[0]
    assert never.endswith("<strong>alice</strong> (1×)")  # acknowledged by a token
    responders = html.split('class="grid drill-responders"')[1].split("</table>")[0]
    rows = re.findall(r"<tr><td>(\w+)</td><td>(\w+)</td>((?:<td>[^<]*</td>)+)</tr>", responders)
    cells = {(u, k): re.findall(r"<td>([^<]*)</td>", rest) for u, k, rest in rows}
    # Pages, delivered (no SMTP here: none), acknowledged, mean time to ack.
    with drills.engine.connect() as conn:
        pages = conn.execute(
            select(t.notifications.c.event_type).where(t.notifications.c.user_name == "alice")
        ).scalars()
        sent = sum(
            1
            for e in pages
            if e in ("incident.triggered", "incident.escalated", "incident.fallback")
        )
    assert sent >= 1
    assert cells == {("alice", "email"): [str(sent), "0", "0", "–"]}


def test_someone_who_may_not_manage_the_team_gets_no_button_and_a_403(drills: Ctx) -> None:
    assert login(drills.client, BOB).status_code == 303  # bob: a responder of payments
    page = drills.client.get("/teams/payments/drills")
    assert page.status_code == 200
    assert "Run drill now" not in page.text
    refused = _run_from_page(drills)
    assert refused.status_code == 403
    assert "Only managers of team payments may run drill payments-weekly." in refused.text
    with drills.engine.connect() as conn:
        assert conn.execute(select(t.incidents.c.id)).first() is None


def test_a_run_without_the_form_token_is_refused(drills: Ctx) -> None:
    assert login(drills.client).status_code == 303
    refused = drills.client.post(
        "/drills/payments-weekly/run", data={"csrf": "forged"}, follow_redirects=False
    )
    assert refused.status_code == 403
    with drills.engine.connect() as conn:
        assert conn.execute(select(t.incidents.c.id)).first() is None


def test_a_second_run_while_one_is_open_says_so(drills: Ctx) -> None:
    assert login(drills.client).status_code == 303
    assert _run_from_page(drills).status_code == 303
    again = _run_from_page(drills)
    assert again.status_code == 409
    assert "still running (incident #1)" in again.text
