"""Reminders of due postmortems and action items go through the outbox once per item and
due date, from the engine, surviving a restart; on SQLite and PostgreSQL."""

from __future__ import annotations

from sqlalchemy import select

from ownit.adapters.db import tables as t
from ownit.bootstrap import build_worker
from ownit.settings import Settings
from tests.integration.conftest import Ctx
from tests.integration.postmortem_world import an_incident_with_changes, post


def reminders(ctx: Ctx) -> list[tuple[str, str, str]]:
    n = t.notifications
    query = (
        select(n.c.user_name, n.c.idempotency_key, n.c.data)
        .where(n.c.event_type == "postmortem.reminder")
        .order_by(n.c.id)
    )
    with ctx.engine.connect() as conn:
        return [(u, k, d["reminder"]) for u, k, d in conn.execute(query)]


def test_reminders_once_per_item_and_due_date(ctx: Ctx) -> None:
    an_incident_with_changes(ctx)  # now: Sat 28 Nov 12:44
    settings = Settings(database_url=str(ctx.engine.url))
    pm = post(ctx, "/api/v1/incidents/1/postmortem", {"owner": "bob"}, status=201)
    assert pm["due"] == "2026-12-01"
    actions = f"/api/v1/postmortems/{pm['id']}/actions"
    late = {"title": "alert on slow migrations", "owner": "bob", "due": "2026-11-01"}
    post(ctx, actions, late, status=201)
    mine = {"title": "write the runbook", "owner": "alice", "due": "2026-11-01"}
    post(ctx, actions, mine, status=201)  # alice has no email contact: nothing to send

    engine = build_worker(settings, ctx.engine, clock=ctx.clock)
    assert engine.remind_postmortems() == 1
    assert reminders(ctx) == [
        (
            "bob",
            "postmortem:1:1:2026-11-01:mail",
            "action item 1 'alert on slow migrations' of incident #1 was due 2026-11-01",
        )
    ]
    ctx.clock.advance(minutes=2)
    assert engine.remind_postmortems() == 0  # sent already
    restarted = build_worker(settings, ctx.engine, clock=ctx.clock)
    assert restarted.remind_postmortems() == 0  # durable: the database knows

    ctx.clock.advance(days=3)  # Tue 1 Dec: the postmortem itself is due
    assert restarted.remind_postmortems() == 1
    assert reminders(ctx)[-1][1] == "postmortem:1:0:2026-12-01:mail"

    # A new due date is a new reminder, once it comes; a done item is never reminded.
    response = ctx.client.patch(f"{actions}/1", json={"due": "2026-12-02"}, headers=ctx.responder)
    assert response.status_code == 200
    ctx.clock.advance(days=1)
    assert restarted.remind_postmortems() == 1
    assert reminders(ctx)[-1][1] == "postmortem:1:1:2026-12-02:mail"
    ctx.client.patch(
        f"{actions}/1", json={"status": "done", "due": "2026-12-03"}, headers=ctx.responder
    )
    ctx.clock.advance(days=1)
    assert restarted.remind_postmortems() == 0
    assert len(reminders(ctx)) == 3
