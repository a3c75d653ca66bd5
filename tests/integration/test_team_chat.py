"""A team's chat channel (``chat.slackWebhookUrl``) hears about its incidents: opened,
acknowledged (by whom), resolved, each with a link to the incident, through the outbox with
its own idempotency key, never with buttons that would act as somebody (SQLite and
PostgreSQL, a real loopback receiver standing in for Slack, fake clock)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from sqlalchemy import Engine, select

from ownit.adapters.db import tables as t
from tests.integration.paging_world import World, paging_world, payments_on_call

KEY = "teamchat00000000000000000000000c"

CATALOG = """
apiVersion: ownit/v1
kind: User
metadata: {{name: alice}}
spec:
  email: alice@example.com
  contacts:
    - {{name: hook, type: webhook, url: "{hook}/alice", secret: "{secret}"}}
---
""" + payments_on_call(
    team='  chat: {{slackWebhookUrl: "{hook}/team-channel"}}\n', service="  ackTimeout: 5m\n"
)


@pytest.fixture
def world(engine: Engine, tmp_path: Path) -> Iterator[World]:
    with paging_world(engine, tmp_path, CATALOG, KEY) as found:
        yield found


def channel(world: World) -> list[dict[str, Any]]:
    return [orjson.loads(r.body) for r in world.hook.requests if r.path == "/team-channel"]


def act(world: World, action: str) -> None:
    r = world.client.post(
        f"/api/v1/incidents/1/{action}", headers={"Authorization": f"Bearer {world.token}"}
    )
    assert r.status_code == 200, r.text


def section_texts(message: dict[str, Any]) -> str:
    return "\n".join(
        b["text"]["text"] for b in message["blocks"] if b["type"] == "section" and "text" in b
    )


def test_the_team_channel_hears_opened_acknowledged_resolved(world: World) -> None:
    world.send(free="2%", who="<!channel>")
    world.cycle()
    [opened] = channel(world)
    shown = section_texts(opened)  # what the monitoring tool said, escaped for Slack
    assert "*From the monitoring tool:*\n*free:* 2%\n*who:* &lt;!channel&gt;" in shown
    assert opened["text"].startswith("#1 HIGH checkout-api: disk on db-1")
    [buttons] = [b for b in opened["blocks"] if b["type"] == "actions"]
    # a link to the incident, no action that would act as someone
    assert [e["action_id"] for e in buttons["elements"]] == ["open"]
    assert buttons["elements"][0]["url"].endswith("/incidents/" + world.incident()["id"])

    world.clock.advance(minutes=1)
    act(world, "acknowledge")
    world.cycle()
    acknowledged = channel(world)[-1]
    assert acknowledged["text"].startswith("#1 ACKNOWLEDGED checkout-api")
    assert "*by:* token/ops" in section_texts(acknowledged)  # the API token acted

    world.cycle(minutes=5)  # the ack timeout: triggered again, paged again, not re-announced
    act(world, "acknowledge")  # a second acknowledgement is news again
    world.cycle()
    world.clock.advance(minutes=1)
    act(world, "resolve")
    world.cycle()
    kinds = [m["text"].split(" ")[1] for m in channel(world)]
    assert kinds == ["HIGH", "ACKNOWLEDGED", "ACKNOWLEDGED", "RESOLVED"]
    with world.engine.connect() as conn:
        rows = conn.execute(
            select(t.notifications.c.idempotency_key, t.notifications.c.status).where(
                t.notifications.c.user_name == "team/payments"
            )
        ).all()
    assert len({r.idempotency_key for r in rows}) == 4
    assert {r.status for r in rows} == {"sent"}
    world.cycle(minutes=30)
    assert len(channel(world)) == 4  # nothing is sent twice


def test_a_team_without_a_channel_hears_nothing(world: World) -> None:
    with world.engine.begin() as conn:
        conn.execute(t.teams.update().values(spec={"members": []}))
    world.send()
    world.cycle()
    act(world, "resolve")
    world.cycle()
    assert channel(world) == []
    assert [r.path for r in world.hook.requests] == ["/alice"]
